/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the hvx selftests: loading the module, opening the
 * devices, and reading what the host kernel says about itself.
 */
#ifndef HVX_UTIL_H
#define HVX_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Path of hvx.ko: $HVX_KO, or where the testbed puts it. */
const char *hvx_ko_path(void);

/* finit_module()/delete_module(): 0, or -errno. */
int hvx_load(const char *params);
int hvx_unload(void);
bool hvx_loaded(void);

/* open("/dev/hvx"): fd, or -errno. */
int hvx_open(void);

/* A KVM VM (KVM enables VMX on every CPU for it): fd, or -errno. */
int kvm_vm_create(void);

/* A field of /proc/meminfo, in KiB, or -1. */
long meminfo_kb(const char *field);

/* Whether /proc/cpuinfo's "vmx flags" line lists @flag. */
bool cpu_has_vmx_flag(const char *flag);
bool cpu_has_vmx(void);

/* Number of online CPUs. */
int online_cpus(void);

/* Read a whole small file into @buf (NUL-terminated, trailing \n cut). */
int read_text(const char *path, char *buf, size_t len);
int write_text(const char *path, const char *text);

/*
 * Kernel log since kmsg_mark(): the messages logged after the mark, joined
 * by '\n', into @buf. Lets a test assert what the kernel said.
 */
int kmsg_mark(void);
int kmsg_since(int mark_fd, char *buf, size_t len);

#endif /* HVX_UTIL_H */
