// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl stop NAME: press the VM's ACPI power button so the guest can shut
 * down cleanly; if it is still there after --timeout, stop it hard. The
 * logic is vmctl_stop_vm() in control_client.c, where the unit test can
 * reach it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/control.h"
#include "vmctl.h"

#define DEFAULT_TIMEOUT_S	30
/* After "quit": the VM only has to leave HVX_RUN and clean up. */
#define FORCE_WAIT_MS		5000

static void stop_usage(void)
{
	printf("usage: vmctl stop NAME [--timeout SECONDS] [--force]\n\n"
	       "Stop the running VM NAME (see vmctl list): press its power button\n"
	       "and wait for the guest to shut down; if it has not after SECONDS,\n"
	       "stop it hard.\n\n"
	       "  -t, --timeout SECONDS how long the guest may take to shut down\n"
	       "                        (default %d; 0: force it at once after the button)\n"
	       "  -f, --force           stop it hard at once, without asking the guest\n"
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 the VM is gone, 1 no such VM or it could not be\n"
	       "reached, 2 bad command line, 4 it was still running %d s after\n"
	       "being stopped hard.\n", DEFAULT_TIMEOUT_S, FORCE_WAIT_MS / 1000);
}

static int stop_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long timeout = DEFAULT_TIMEOUT_S;
	const char *name;
	bool force = false;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "t:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			/* At most a day: keeps the milliseconds in an unsigned int. */
			if (errno || !*optarg || *end || *optarg == '-' ||
			    timeout > 86400) {
				fprintf(stderr, "vmctl stop: bad timeout '%s' (seconds, 0 to 86400)\n",
					optarg);
				return VMCTL_USAGE;
			}
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			stop_usage();
			return VMCTL_OK;
		default:
			stop_usage();
			return VMCTL_USAGE;
		}
	}
	name = vmctl_name_operand("stop", argc, argv);
	if (!name)
		return VMCTL_USAGE;

	switch (vmctl_stop_vm(name, (unsigned int)timeout * 1000, FORCE_WAIT_MS,
			      force)) {
	case VMCTL_STOPPED_GRACEFUL:
		printf("%s: shut down\n", name);
		return VMCTL_OK;
	case VMCTL_STOPPED_FORCED:
		printf("%s: stopped (forced)\n", name);
		return VMCTL_OK;
	case VMCTL_STOP_NO_VM:
		fprintf(stderr, "vmctl stop: no VM named %s (see vmctl list)\n",
			name);
		return VMCTL_ERR;
	case VMCTL_STOP_STILL_THERE:
		fprintf(stderr, "vmctl stop: %s is still running %d s after being stopped hard\n",
			name, FORCE_WAIT_MS / 1000);
		return VMCTL_TIMEOUT;
	default:
		return VMCTL_ERR;
	}
}

const struct vmctl_cmd vmctl_cmd_stop = {
	.name = "stop",
	.summary = "shut a running VM down, or stop it hard",
	.run = stop_run,
	.usage = stop_usage,
};
