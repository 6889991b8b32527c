#include "CHDF5Lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef int herr_t;
typedef int htri_t;

static struct {
    herr_t (*open)(void);
    herr_t (*get_libversion)(unsigned *, unsigned *, unsigned *);
    herr_t (*eset_auto2)(ns_hid_t, void *, void *);
    htri_t (*fis_hdf5)(const char *);
    ns_hid_t (*fopen)(const char *, unsigned, ns_hid_t);
    herr_t (*fclose)(ns_hid_t);
    htri_t (*lexists)(ns_hid_t, const char *, ns_hid_t);
    ns_hid_t (*dopen2)(ns_hid_t, const char *, ns_hid_t);
    herr_t (*dclose)(ns_hid_t);
    ns_hid_t (*dget_type)(ns_hid_t);
    ns_hid_t (*dget_space)(ns_hid_t);
    herr_t (*dread)(ns_hid_t, ns_hid_t, ns_hid_t, ns_hid_t, ns_hid_t, void *);
    herr_t (*tclose)(ns_hid_t);
    int (*tget_class)(ns_hid_t);
    htri_t (*tis_variable_str)(ns_hid_t);
    size_t (*tget_size)(ns_hid_t);
    int (*tget_sign)(ns_hid_t);
    herr_t (*sclose)(ns_hid_t);
    int (*sget_simple_extent_ndims)(ns_hid_t);
    int (*sget_simple_extent_dims)(ns_hid_t, ns_hsize_t *, ns_hsize_t *);
    herr_t (*literate)(ns_hid_t, int, int, ns_hsize_t *, ns_h5_name_callback, void *);
    ns_hid_t *native_double;
    ns_hid_t *native_uchar;
} h5;

static char load_error[512] = "libhdf5 was not loaded";
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/// The names the library has on Debian/Ubuntu (serial build) and elsewhere, newest first;
/// the unversioned names come from the -dev packages the build needs anyway.
static const char *const candidates[] = {
    "libhdf5_serial.so.310", "libhdf5_serial.so.200", "libhdf5_serial.so.103", "libhdf5_serial.so.101",
    "libhdf5.so.310", "libhdf5.so.200", "libhdf5.so.103", "libhdf5.so.101",
    "libhdf5_serial.so", "libhdf5.so",
};

#define RESOLVE(field, name) \
    if (!(*(void **)&h5.field = dlsym(library, name))) { \
        snprintf(load_error, sizeof load_error, "libhdf5 lacks %s", name); return; }

static void load(void) {
    void *library = NULL;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0] && !library; i++) {
        library = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!library) {
        snprintf(load_error, sizeof load_error,
                 "cannot load libhdf5 (tried libhdf5_serial.so.310 … libhdf5.so): install libhdf5-dev (make deps)");
        return;
    }
    RESOLVE(open, "H5open")
    RESOLVE(get_libversion, "H5get_libversion")
    unsigned major = 0, minor = 0, release = 0;
    if (h5.get_libversion(&major, &minor, &release) < 0 || major < 1 || (major == 1 && minor < 10)) {
        snprintf(load_error, sizeof load_error, "libhdf5 %u.%u.%u is too old: 1.10 or later is needed",
                 major, minor, release);
        return;
    }
    RESOLVE(eset_auto2, "H5Eset_auto2")
    RESOLVE(fis_hdf5, "H5Fis_hdf5")
    RESOLVE(fopen, "H5Fopen")
    RESOLVE(fclose, "H5Fclose")
    RESOLVE(lexists, "H5Lexists")
    RESOLVE(dopen2, "H5Dopen2")
    RESOLVE(dclose, "H5Dclose")
    RESOLVE(dget_type, "H5Dget_type")
    RESOLVE(dget_space, "H5Dget_space")
    RESOLVE(dread, "H5Dread")
    RESOLVE(tclose, "H5Tclose")
    RESOLVE(tget_class, "H5Tget_class")
    RESOLVE(tis_variable_str, "H5Tis_variable_str")
    RESOLVE(tget_size, "H5Tget_size")
    RESOLVE(tget_sign, "H5Tget_sign")
    RESOLVE(sclose, "H5Sclose")
    RESOLVE(sget_simple_extent_ndims, "H5Sget_simple_extent_ndims")
    RESOLVE(sget_simple_extent_dims, "H5Sget_simple_extent_dims")
    RESOLVE(native_double, "H5T_NATIVE_DOUBLE_g")
    RESOLVE(native_uchar, "H5T_NATIVE_UCHAR_g")
    // 1.12 renamed the iteration (H5Literate is a macro for H5Literate2 there); the link info
    // argument differs between the two, and NetSweep does not read it.
    *(void **)&h5.literate = dlsym(library, "H5Literate2");
    if (!h5.literate) { RESOLVE(literate, "H5Literate") }
    if (h5.open() < 0) {
        snprintf(load_error, sizeof load_error, "libhdf5 failed to initialise");
        return;
    }
    // Errors are reported by NetSweep, not printed as HDF5's stack on stderr.
    h5.eset_auto2(0 /* H5E_DEFAULT */, NULL, NULL);
    load_error[0] = 0;
}

int ns_h5_load(char *error, size_t size) {
    pthread_once(&load_once, load);
    if (load_error[0] == 0) { return 0; }
    if (error && size > 0) { snprintf(error, size, "%s", load_error); }
    return -1;
}

int ns_h5_is_hdf5(const char *path) { return h5.fis_hdf5(path); }
ns_hid_t ns_h5_open_readonly(const char *path) { return h5.fopen(path, 0u /* H5F_ACC_RDONLY */, 0 /* H5P_DEFAULT */); }
int ns_h5_file_close(ns_hid_t file) { return h5.fclose(file); }
int ns_h5_link_exists(ns_hid_t file, const char *name) { return h5.lexists(file, name, 0); }
ns_hid_t ns_h5_dataset_open(ns_hid_t file, const char *name) { return h5.dopen2(file, name, 0); }
int ns_h5_dataset_close(ns_hid_t dataset) { return h5.dclose(dataset); }
ns_hid_t ns_h5_dataset_type(ns_hid_t dataset) { return h5.dget_type(dataset); }
ns_hid_t ns_h5_dataset_space(ns_hid_t dataset) { return h5.dget_space(dataset); }
int ns_h5_type_close(ns_hid_t type) { return h5.tclose(type); }
int ns_h5_type_class(ns_hid_t type) { return h5.tget_class(type); }
int ns_h5_type_is_variable_string(ns_hid_t type) { return h5.tis_variable_str(type); }
size_t ns_h5_type_size(ns_hid_t type) { return h5.tget_size(type); }
int ns_h5_type_is_unsigned(ns_hid_t type) { return h5.tget_sign(type) == 0 /* H5T_SGN_NONE */; }
int ns_h5_space_close(ns_hid_t space) { return h5.sclose(space); }
int ns_h5_space_rank(ns_hid_t space) { return h5.sget_simple_extent_ndims(space); }
int ns_h5_space_dims(ns_hid_t space, ns_hsize_t *dims) { return h5.sget_simple_extent_dims(space, dims, NULL); }
/// H5S_ALL (0) for both spaces, H5P_DEFAULT (0) transfer properties.
int ns_h5_read_doubles(ns_hid_t dataset, double *buffer) { return h5.dread(dataset, *h5.native_double, 0, 0, 0, buffer); }
int ns_h5_read_bytes(ns_hid_t dataset, unsigned char *buffer) { return h5.dread(dataset, *h5.native_uchar, 0, 0, 0, buffer); }
int ns_h5_read_as(ns_hid_t dataset, ns_hid_t type, void *buffer) { return h5.dread(dataset, type, 0, 0, 0, buffer); }
int ns_h5_iterate_names(ns_hid_t file, ns_h5_name_callback callback, void *context) {
    return h5.literate(file, 0 /* H5_INDEX_NAME */, 0 /* H5_ITER_INC */, NULL, callback, context);
}
