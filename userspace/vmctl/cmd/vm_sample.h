/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One reading of what a running VM takes of the host, for vmctl top and
 * vmctl stats: CPU time from its cgroup (cpu.stat; its process's without
 * one), the time its threads waited for a CPU (schedstat), memory from its
 * process (VmRSS, VmSwap), disk bytes from its process's I/O accounting
 * (the disks' I/O threads are vmctl's), and exits, exit reasons and NIC
 * bytes from the VM itself (vmctl info: the module's counters, read while
 * the vCPUs run).
 */
#ifndef VMCTL_VM_SAMPLE_H
#define VMCTL_VM_SAMPLE_H

#include <stdbool.h>

#include "core/control.h"

#define VMCTL_SAMPLE_REASONS	24

struct vmctl_reason {
	char key[24];
	unsigned long long count;
};

struct vmctl_sample {
	char name[VMCTL_NAME_MAX + 1];
	bool ok;		/* the VM answered */
	int pid;
	unsigned int vcpus;
	unsigned long long cpu_us, steal_ns, exits, rss_kb, swap_kb;
	unsigned long long disk_read, disk_write, net_rx, net_tx;
	unsigned long long uptime_s, memory_mib;
	struct vmctl_reason reasons[VMCTL_SAMPLE_REASONS];	/* exits by reason */
	unsigned int nreasons;
};

/* Read VM @name now into @s; s->ok says whether it answered. */
void vmctl_sample_take(const char *name, struct vmctl_sample *s);

#endif
