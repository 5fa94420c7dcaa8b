/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmctl run's options, in one place: cmd/run.c parses its command line
 * with them, and hvxd parses an HA VM's definition (vmctl run options)
 * with the same table, so that what hvxd checks and rewrites is exactly
 * what vmctl will see: abbreviations, "--opt=value", "-mVALUE" and bundled
 * short flags included.
 */
#ifndef VMCTL_RUN_OPTIONS_H
#define VMCTL_RUN_OPTIONS_H

#include <getopt.h>

#include "cmd/resource_options.h"

enum { RUN_OPT_NO_CONSOLE = 256, RUN_OPT_EXIT_PORT, RUN_OPT_MEMORY_BACKEND,
       RUN_OPT_MERGEABLE, RUN_OPT_BALLOON, RUN_OPT_VCPU_AFFINITY };

#define RUN_SHORT_OPTIONS "r:a:k:i:M:A:c:m:d:N:n:t:sh"

static const struct option run_long_options[] = {
	{ "raw", required_argument, NULL, 'r' },
	{ "load-addr", required_argument, NULL, 'a' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "module", required_argument, NULL, 'M' },
	{ "append", required_argument, NULL, 'A' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "memory", required_argument, NULL, 'm' },
	{ "memory-backend", required_argument, NULL, RUN_OPT_MEMORY_BACKEND },
	{ "mergeable", no_argument, NULL, RUN_OPT_MERGEABLE },
	{ "balloon", no_argument, NULL, RUN_OPT_BALLOON },
	RESOURCE_LONG_OPTIONS,
	{ "vcpu-affinity", required_argument, NULL, RUN_OPT_VCPU_AFFINITY },
	{ "disk", required_argument, NULL, 'd' },
	{ "nic", required_argument, NULL, 'N' },
	{ "name", required_argument, NULL, 'n' },
	{ "no-console", no_argument, NULL, RUN_OPT_NO_CONSOLE },
	{ "exit-port", optional_argument, NULL, RUN_OPT_EXIT_PORT },
	{ "timeout", required_argument, NULL, 't' },
	{ "stats", no_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

#endif
