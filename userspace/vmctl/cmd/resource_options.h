/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The resource options (core/cgroup.h), shared by vmctl run (and so
 * hvxd, which reads an HA VM's run options with vmctl run's table) and
 * vmctl set: long options only, with getopt values from
 * RESOURCE_OPT_FIRST, each its own, and parsed by their names
 * (vmctl_cgroup_opt_parse()).
 */
#ifndef VMCTL_RESOURCE_OPTIONS_H
#define VMCTL_RESOURCE_OPTIONS_H

#define RESOURCE_OPT_FIRST	0x200
#define RESOURCE_OPT_LAST	(RESOURCE_OPT_FIRST + 4)
#define IS_RESOURCE_OPT(v)	((v) >= RESOURCE_OPT_FIRST && (v) <= RESOURCE_OPT_LAST)

#define RESOURCE_LONG_OPTIONS						     \
	{ "cpu-weight", required_argument, NULL, RESOURCE_OPT_FIRST },	     \
	{ "cpu-max", required_argument, NULL, RESOURCE_OPT_FIRST + 1 },	     \
	{ "cpuset", required_argument, NULL, RESOURCE_OPT_FIRST + 2 },	     \
	{ "memory-max", required_argument, NULL, RESOURCE_OPT_FIRST + 3 },   \
	{ "io-weight", required_argument, NULL, RESOURCE_OPT_FIRST + 4 }

#define RESOURCE_OPTIONS_HELP						\
	"      --cpu-weight N    its share of CPU time against other VMs when CPUs\n" \
	"                        are busy, 1-10000 (cpu.weight; 100 is the default)\n" \
	"      --cpu-max QUOTA/PERIOD\n"					\
	"                        at most QUOTA us of CPU time per PERIOD us, all\n" \
	"                        vCPUs together (cpu.max; 20000/100000: 20%% of a\n" \
	"                        CPU; max/PERIOD: no limit)\n"			\
	"      --cpuset CPUS     run only on these host CPUs, 0-1,3 (cpuset.cpus)\n" \
	"      --memory-max MIB  at most MIB of host memory for everything the VM\n" \
	"                        uses, guest RAM included; above it, the VM's own\n" \
	"                        pages are reclaimed or swapped, not the host's\n" \
	"                        (memory.max; max: no limit)\n"		\
	"      --io-weight N     its share of disk time, 1-10000 (io.weight)\n"

#endif
