/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-vCPU pinning (vmctl run --vcpu-affinity VCPU:CPUS): which host CPUs
 * each vCPU's thread may run on. The VM's cgroup (--cpuset) bounds the
 * whole VM; this places each vCPU inside it, as libvirt's <vcpupin> does,
 * for guests that care where their vCPUs are (a latency-bound vCPU alone
 * on a core, two vCPUs on sibling threads).
 */
#ifndef VMCTL_AFFINITY_H
#define VMCTL_AFFINITY_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/hvx.h>

struct vmctl_affinity {
	bool pinned[HVX_MAX_VCPUS];
	cpu_set_t cpus[HVX_MAX_VCPUS];
};

/*
 * A CPU list as the kernel writes them ("0-3,6"): 0 and @set, or -1 if
 * @s is empty, malformed, or names a CPU at or above CPU_SETSIZE.
 */
int vmctl_cpu_list_parse(const char *s, cpu_set_t *set);
/* @set as a CPU list ("0-3,6"; "" when empty) into @buf. */
void vmctl_cpu_list_format(const cpu_set_t *set, char *buf, size_t len);

/*
 * One --vcpu-affinity VCPU:CPUS into @a: 0, or -1 with @err saying why (a
 * vCPU number above what hvx allows, one given twice, a bad list).
 * vmctl_affinity_check() holds them against the VM, once it is known.
 */
int vmctl_affinity_parse(struct vmctl_affinity *a, const char *arg,
			 char *err, size_t errlen);
/*
 * Every pinned vCPU of the first @nr_vcpus must be below @nr_vcpus and
 * its CPUs among @allowed (what the VM's cgroup and vmctl's own affinity
 * leave it): 0, or -1 with @err naming the first that is not.
 */
int vmctl_affinity_check(const struct vmctl_affinity *a,
			 unsigned int nr_vcpus, const cpu_set_t *allowed,
			 char *err, size_t errlen);

#endif
