// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl info NAME: ask a running VM (vmctl run --name NAME) to describe
 * itself over its control socket, and print its "key: value" lines.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/control.h"
#include "vmctl.h"

static void info_usage(void)
{
	printf("usage: vmctl info NAME\n\n"
	       "Describe the running VM NAME (see vmctl list), one \"key: value\"\n"
	       "line per fact: name, state, vcpus, memory_mib, kernel, cmdline,\n"
	       "uptime_s, exits...\n\n"
	       "  -h, --help   show this help\n\n"
	       "Exit status: 0 done, 1 no such VM or it did not answer, 2 bad command line.\n");
}

static int info_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum vmctl_call_status status;
	char err[256], *reply;
	const char *name;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			info_usage();
			return VMCTL_OK;
		default:
			info_usage();
			return VMCTL_USAGE;
		}
	}
	name = vmctl_name_operand("info", argc, argv);
	if (!name)
		return VMCTL_USAGE;

	status = vmctl_control_call(name, "info", &reply, err, sizeof(err));
	if (status != VMCTL_CALL_OK) {
		fprintf(stderr, "vmctl info: %s\n", err);
		return VMCTL_ERR;
	}
	fputs(reply, stdout);
	free(reply);
	return VMCTL_OK;
}

const struct vmctl_cmd vmctl_cmd_info = {
	.name = "info",
	.summary = "describe a running VM",
	.run = info_run,
	.usage = info_usage,
};
