#ifndef NETSWEEP_CHDF5_LAZY_H
#define NETSWEEP_CHDF5_LAZY_H

// The part of libhdf5 (1.10 or later) that NetSweep reads files with, loaded with dlopen on
// first use instead of linked: libhdf5 brings about 35 shared libraries (curl, TLS, Kerberos,
// LDAP…) whose loading took 6-7 ms of every runner start, before its signal handlers could be
// in place, although most experiments never read an HDF5 file.
//
// The declarations are NetSweep's own (no hdf5.h): the types and values below are HDF5's
// stable ABI since 1.10 (hid_t is 64-bit since 1.10.0), checked against the library's version
// when it is loaded.

#include <stddef.h>
#include <stdint.h>

typedef int64_t ns_hid_t;
typedef unsigned long long ns_hsize_t;

/// HDF5's H5T_class_t values NetSweep tells apart.
enum { NS_H5T_INTEGER = 0, NS_H5T_FLOAT = 1, NS_H5T_STRING = 3 };

/// Called with each link name of a group (H5Literate's operator; the link info is not used).
typedef int (*ns_h5_name_callback)(ns_hid_t group, const char *name, const void *info, void *context);

/// Loads libhdf5 once (thread-safe). Returns 0, or -1 with the reason in `error`.
int ns_h5_load(char *error, size_t size);

/// After a successful ns_h5_load only. Return values are HDF5's (negative: failure).
int ns_h5_is_hdf5(const char *path);
ns_hid_t ns_h5_open_readonly(const char *path);
int ns_h5_file_close(ns_hid_t file);
int ns_h5_link_exists(ns_hid_t file, const char *name);
ns_hid_t ns_h5_dataset_open(ns_hid_t file, const char *name);
int ns_h5_dataset_close(ns_hid_t dataset);
ns_hid_t ns_h5_dataset_type(ns_hid_t dataset);
ns_hid_t ns_h5_dataset_space(ns_hid_t dataset);
int ns_h5_type_close(ns_hid_t type);
int ns_h5_type_class(ns_hid_t type);
int ns_h5_type_is_variable_string(ns_hid_t type);
size_t ns_h5_type_size(ns_hid_t type);
/// 1 for an unsigned integer type.
int ns_h5_type_is_unsigned(ns_hid_t type);
int ns_h5_space_close(ns_hid_t space);
int ns_h5_space_rank(ns_hid_t space);
int ns_h5_space_dims(ns_hid_t space, ns_hsize_t *dims);
/// Reads the whole dataset converted to native doubles.
int ns_h5_read_doubles(ns_hid_t dataset, double *buffer);
/// Reads the whole dataset in its own (file) type `type`.
/// An 8-bit unsigned dataset's values as they are.
int ns_h5_read_bytes(ns_hid_t dataset, unsigned char *buffer);
int ns_h5_read_as(ns_hid_t dataset, ns_hid_t type, void *buffer);
int ns_h5_iterate_names(ns_hid_t file, ns_h5_name_callback callback, void *context);

#endif
