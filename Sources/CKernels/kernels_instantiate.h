// Compiles kernels_body.h for one precision, for AVX2 + FMA (x86) and for the baseline target,
// then forgets that precision's parameters. kernels.c defines T, LANES, EPILOGUE, VT, IT and the
// constants, and SUFFIX (d or s); the functions are named nsk_avx2_<name>_<SUFFIX> and
// nsk_base_<name>_<SUFFIX>.

#define NSK_PASTE_(prefix, name, suffix) prefix##name##_##suffix
#define NSK_PASTE(prefix, name, suffix) NSK_PASTE_(prefix, name, suffix)

#if NSK_HAVE_AVX2_BUILD
#define TGT TGT_AVX2
#define NSK(name) NSK_PASTE(nsk_avx2_, name, SUFFIX)
#define NSK_MASKED 1
#include "kernels_body.h"
#undef NSK_MASKED
#undef TGT
#undef NSK
#endif
#define TGT
#define NSK(name) NSK_PASTE(nsk_base_, name, SUFFIX)
#define NSK_MASKED 0
#include "kernels_body.h"
#undef NSK_MASKED
#undef TGT
#undef NSK

#undef SUFFIX
#undef T
#undef LANES
#undef EPILOGUE
#undef VT
#undef HT
#undef MASKLOAD_AVX2
#undef IT
#undef SIGN_MASK
#undef EXP_LO
#undef EXP_HI
#undef LOG2E
#undef ROUNDER
#undef LN2_HI
#undef LN2_LO
#undef EXP_BIAS
#undef MANTISSA_BITS
#undef EXP_POLY
#undef TANH_CLAMP
#undef EXPM1_TAIL
