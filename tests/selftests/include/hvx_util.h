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

/*
 * finit_module()/delete_module(): 0, or -errno. hvx_load(NULL) loads with
 * $HVX_MODULE_PARAMS, the parameters the testbed boot runs the suite with.
 */
int hvx_load(const char *params);
int hvx_unload(void);
bool hvx_loaded(void);
/*
 * For a fixture's setup: load hvx.ko if this boot has not (*@loaded_here
 * says so, for the teardown's hvx_unload()). NULL once /dev/hvx is there,
 * otherwise why it is not, for SKIP().
 */
const char *hvx_need_module(bool *loaded_here);
/*
 * The harness runs a test's body even when its fixture's setup skipped:
 * a body starts with NEED_HVX() and returns at once then (still reported
 * as skipped). The fixture says it is set up in self->ready.
 */
#define NEED_HVX()							\
	do {								\
		if (!self->ready)					\
			return;						\
	} while (0)

/* open("/dev/hvx"): fd, or -errno. */
int hvx_open(void);

/* A KVM VM (KVM enables VMX on every CPU for it): fd, or -errno. */
int kvm_vm_create(void);

/* A field of /proc/meminfo, in KiB, or -1. */
long meminfo_kb(const char *field);

/*
 * What the kernel holds, for leak checks: each field the best of a few
 * readings taken with reclaimable caches dropped and per-CPU counter
 * deltas folded in, as other activity only moves them the other way.
 */
struct hvx_mem_probe {
	long available;		/* MemAvailable, KiB: the highest reading */
	long unreclaimable;	/* SUnreclaim, KiB: the lowest reading */
	long vmalloc_used;	/* VmallocUsed, KiB (a leaked kvmalloc): lowest */
};

struct hvx_mem_probe mem_probe(void);

/* CLOCK_MONOTONIC in seconds. */
double monotonic_s(void);

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
