// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl balloon NAME MIB: set the balloon's target of a running VM (vmctl
 * run --balloon): the guest gives that much of its memory back to the
 * host (0: takes it all back). The VM answers at once; the guest's driver
 * inflates or deflates in its own time, and vmctl info's
 * balloon_actual_mib says how far it got.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/control.h"
#include "vmctl.h"

static void balloon_usage(void)
{
	printf("usage: vmctl balloon NAME MIB\n\n"
	       "Ask the running VM NAME (started with vmctl run --balloon) to give MIB of\n"
	       "its memory back to the host; 0 gives it all back to the guest. The guest\n"
	       "does so in its own time: vmctl info NAME shows balloon_actual_mib.\n\n"
	       "  -h, --help   show this help\n\n"
	       "Exit status: 0 the target is set, 1 no such VM, no balloon, or more than\n"
	       "its memory, 2 bad command line.\n");
}

static int balloon_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char cmd[48], err[256], *end;
	unsigned long long mib;
	const char *name;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		balloon_usage();
		return opt == 'h' ? VMCTL_OK : VMCTL_USAGE;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "vmctl balloon: give a VM's name and a size in MiB\n");
		return VMCTL_USAGE;
	}
	errno = 0;
	mib = strtoull(argv[optind + 1], &end, 10);
	if (argv[optind + 1][0] < '0' || argv[optind + 1][0] > '9' || *end ||
	    errno || mib > (1ull << 30)) {
		fprintf(stderr, "vmctl balloon: bad size '%s' (MiB)\n",
			argv[optind + 1]);
		return VMCTL_USAGE;
	}
	argv[optind + 1] = NULL;	/* the name is the one operand left */
	name = vmctl_name_operand("balloon", optind + 1, argv);
	if (!name)
		return VMCTL_USAGE;
	snprintf(cmd, sizeof(cmd), "balloon %llu", mib);
	if (vmctl_control_call(name, cmd, NULL, err, sizeof(err)) != VMCTL_CALL_OK) {
		fprintf(stderr, "vmctl balloon: %s\n", err);
		return VMCTL_ERR;
	}
	return VMCTL_OK;
}

const struct vmctl_cmd vmctl_cmd_balloon = {
	.name = "balloon",
	.summary = "take memory back from a running VM, or give it back",
	.run = balloon_run,
	.usage = balloon_usage,
};
