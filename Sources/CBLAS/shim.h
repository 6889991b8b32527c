// The system OpenBLAS (Debian libopenblas-dev): the CBLAS interface plus the
// thread-count controls the scheduler needs.
#include <cblas.h>
