/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host-side tests of vmctl's loaders (loader_linux_test.c,
 * multiboot_test.c) share: a temporary directory for the images they
 * write, the loader's stderr captured to check its wording, and a fake VM
 * whose guest memory is a calloc()ed buffer, for the halves of the loaders
 * that need no /dev/hvx. Errors of the fixture itself exit with status 2.
 */
#ifndef HVX_VMCTL_FIXTURE_H
#define HVX_VMCTL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct vmctl_vm;

/* The directory of the test's files, made by tmpdir_create(). */
extern char tmpdir[64];

/* Make tmpdir a new /tmp/hvx-@name.XXXXXX. */
void tmpdir_create(const char *name);
/* Remove tmpdir and all in it. */
void tmpdir_remove(void);
/* tmpdir/@name. Paths stay valid for the next 63 calls. */
char *tmp_path(const char *name);
void write_file(const char *path, const void *buf, size_t len);
/* The whole file, malloc()ed, and its length in @len; NULL, errno set. */
uint8_t *read_file(const char *path, size_t *len);
/* A file tmpdir/@name of @len bytes whose content depends on @seed. */
const char *make_data_file(const char *name, size_t len, unsigned int seed);
/* A byte of a recognisable payload: the one at offset @i. */
uint8_t payload_byte(size_t i);

/*
 * The loaders' messages go to stderr: capture_stderr() before a call,
 * captured() after it puts what was written in errbuf (also returned).
 */
extern char errbuf[4096];

void capture_stderr(void);
const char *captured(void);
/*
 * The first line of errbuf, for a case's name; tmpdir becomes "TMP" so
 * that names are the same every run.
 */
const char *first_line(void);

/*
 * A VM of @size bytes of zeroed guest memory and no file descriptors. One
 * at a time: the next fake_vm() reuses the structure.
 */
struct vmctl_vm *fake_vm(uint64_t size);
void free_vm(struct vmctl_vm *vm);
uint32_t get32(const struct vmctl_vm *vm, uint64_t gpa);
uint64_t get64(const struct vmctl_vm *vm, uint64_t gpa);

#endif
