/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM's share of the host (cgroup v2). vmctl run makes the VM a cgroup
 * of its own, hvx.slice/NAME under the cgroup2 mount, moves itself there
 * before the guest's memory and threads exist (so that all of them, vCPUs,
 * I/O threads and vhost workers, are the VM's, and guest RAM is charged
 * to it), applies the resource options, and at the end moves back and
 * removes it. vmctl set writes the same files of a running VM's cgroup.
 *
 * The files are the kernel's own (Documentation/admin-guide/cgroup-v2.rst):
 * cpu.weight, cpu.max, cpuset.cpus, memory.max, io.weight.
 */
#ifndef VMCTL_CGROUP_H
#define VMCTL_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCTL_CGROUP_SLICE	"hvx.slice"

/* What to set; a field left 0 (cpuset "") is left as the kernel has it. */
struct vmctl_cgroup_opts {
	uint32_t cpu_weight;		/* 1-10000 */
	uint64_t cpu_quota_us;		/* cpu.max: UINT64_MAX for "max" */
	uint64_t cpu_period_us;		/* 1000-1000000 */
	char cpuset[64];		/* "0-1,3" */
	uint64_t memory_max;		/* bytes: UINT64_MAX for "max" */
	uint32_t io_weight;		/* 1-10000 */
};

struct vmctl_cgroup {
	char path[PATH_MAX];		/* .../hvx.slice/NAME; "" if none */
	char home[PATH_MAX];		/* the cgroup vmctl came from */
};

/*
 * Parse one option's value into @o (@opt is its long name without "--":
 * "cpu-weight", "cpu-max", "cpuset", "memory-max", "io-weight"). 0, or -1
 * with the reason in @err.
 */
int vmctl_cgroup_opt_parse(struct vmctl_cgroup_opts *o, const char *opt,
			   const char *value, char *err, size_t len);
/* Whether @o sets anything. */
bool vmctl_cgroup_opts_any(const struct vmctl_cgroup_opts *o);

/*
 * The cgroup2 mount's path (from /proc/self/mountinfo), or NULL when there
 * is none.
 */
const char *vmctl_cgroup_root(void);

/*
 * Make hvx.slice/@name (or take it over if a VM of that name was killed
 * and left it empty), move this process into it and apply @o. 0, or -1
 * with the reason in @err; nothing is left made on failure.
 */
int vmctl_cgroup_enter(struct vmctl_cgroup *cg, const char *name,
		       const struct vmctl_cgroup_opts *o, char *err, size_t len);
/* Write @o's settings into the cgroup at @path. 0, or -1 with @err. */
int vmctl_cgroup_apply(const char *path, const struct vmctl_cgroup_opts *o,
		       char *err, size_t len);
/* Move back where vmctl came from and remove the VM's cgroup. */
void vmctl_cgroup_leave(struct vmctl_cgroup *cg);

#endif
