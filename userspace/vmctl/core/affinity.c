// SPDX-License-Identifier: GPL-2.0
/*
 * CPU lists and per-vCPU pinning (affinity.h). The lists are the
 * kernel's own format (cpuset.cpus, /proc/PID/status's
 * Cpus_allowed_list), so that what a user writes and what they read back
 * look the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/affinity.h"

static int parse_cpu(const char *s, char **end, unsigned long *cpu)
{
	if (*s < '0' || *s > '9')	/* no sign, no space: strtoul allows them */
		return -1;
	errno = 0;
	*cpu = strtoul(s, end, 10);
	return errno || *cpu >= CPU_SETSIZE ? -1 : 0;
}

int vmctl_cpu_list_parse(const char *s, cpu_set_t *set)
{
	unsigned long lo, hi, cpu;
	char *end;

	CPU_ZERO(set);
	if (!*s)
		return -1;
	for (;;) {
		if (parse_cpu(s, &end, &lo))
			return -1;
		hi = lo;
		if (*end == '-' && parse_cpu(end + 1, &end, &hi))
			return -1;
		if (hi < lo)
			return -1;
		for (cpu = lo; cpu <= hi; cpu++)
			CPU_SET(cpu, set);
		if (!*end)
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

void vmctl_cpu_list_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	int cpu, last;

	if (len)
		buf[0] = '\0';
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, set))
			continue;
		for (last = cpu; last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set);)
			last++;
		if (used < len)
			used += snprintf(buf + used, len - used,
					 last > cpu ? "%s%d-%d" : "%s%d",
					 used ? "," : "", cpu, last);
		cpu = last;
	}
}

int vmctl_affinity_parse(struct vmctl_affinity *a, const char *arg,
			 char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':');
	unsigned long vcpu;
	cpu_set_t set;
	char *end;

	if (!colon || *arg < '0' || *arg > '9') {
		snprintf(err, errlen, "--vcpu-affinity %s: say VCPU:CPUS, 1:2-3", arg);
		return -1;
	}
	errno = 0;
	vcpu = strtoul(arg, &end, 10);
	if (errno || end != colon || vcpu >= HVX_MAX_VCPUS) {
		snprintf(err, errlen, "--vcpu-affinity %s: no vCPU %.*s (0-%d)",
			 arg, (int)(colon - arg), arg, HVX_MAX_VCPUS - 1);
		return -1;
	}
	if (vmctl_cpu_list_parse(colon + 1, &set)) {
		snprintf(err, errlen, "--vcpu-affinity %s: host CPUs as a list, 0-1,3",
			 arg);
		return -1;
	}
	if (a->pinned[vcpu]) {
		snprintf(err, errlen, "--vcpu-affinity: vCPU %lu given twice", vcpu);
		return -1;
	}
	a->pinned[vcpu] = true;
	a->cpus[vcpu] = set;
	return 0;
}

int vmctl_affinity_check(const struct vmctl_affinity *a,
			 unsigned int nr_vcpus, const cpu_set_t *allowed,
			 char *err, size_t errlen)
{
	char want[64], have[64];
	cpu_set_t outside;
	unsigned int i;

	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		if (!a->pinned[i])
			continue;
		if (i >= nr_vcpus) {
			snprintf(err, errlen, "--vcpu-affinity: the VM has no vCPU %u (--cpus %u)",
				 i, nr_vcpus);
			return -1;
		}
		CPU_XOR(&outside, &a->cpus[i], allowed);
		CPU_AND(&outside, &outside, &a->cpus[i]);
		if (CPU_COUNT(&outside)) {
			vmctl_cpu_list_format(&outside, want, sizeof(want));
			vmctl_cpu_list_format(allowed, have, sizeof(have));
			snprintf(err, errlen, "--vcpu-affinity: vCPU %u: CPU %s is not one this VM may run on (%s)",
				 i, want, have);
			return -1;
		}
	}
	return 0;
}
