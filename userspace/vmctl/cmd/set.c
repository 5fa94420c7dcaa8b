// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl set NAME OPTION...: change a running VM's share of the host. The
 * VM says where its cgroup is (vmctl info's "cgroup"), and vmctl set
 * writes the cgroup's files itself, with the caller's rights, as vmctl run
 * did at the start (core/cgroup.c).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/resource_options.h"
#include "core/cgroup.h"
#include "core/control.h"
#include "vmctl.h"

static void set_usage(void)
{
	printf("usage: vmctl set NAME OPTION...\n\n"
	       "Change the share of the host that the running VM NAME gets (its cgroup,\n"
	       "as vmctl run's options of the same names set it at the start):\n\n"
	       RESOURCE_OPTIONS_HELP
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 done, 1 no such VM, no cgroup of its own, or the\n"
	       "kernel refused a value, 2 bad command line.\n");
}

static int set_run(int argc, char **argv)
{
	static const struct option opts[] = {
		RESOURCE_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vmctl_cgroup_opts res = { 0 };
	char err[PATH_MAX + 128], path[PATH_MAX], want[PATH_MAX + 64], *reply;
	const char *name, *root;
	int opt, idx;

	while ((opt = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (IS_RESOURCE_OPT(opt)) {
			if (vmctl_cgroup_opt_parse(&res, opts[idx].name, optarg,
						   err, sizeof(err))) {
				fprintf(stderr, "vmctl set: %s\n", err);
				return VMCTL_USAGE;
			}
			continue;
		}
		set_usage();
		return opt == 'h' ? VMCTL_OK : VMCTL_USAGE;
	}
	name = vmctl_name_operand("set", argc, argv);
	if (!name)
		return VMCTL_USAGE;
	if (!vmctl_cgroup_opts_any(&res)) {
		fprintf(stderr, "vmctl set: say what to change (vmctl set --help)\n");
		return VMCTL_USAGE;
	}
	if (vmctl_control_call(name, "info", &reply, err, sizeof(err)) !=
	    VMCTL_CALL_OK) {
		fprintf(stderr, "vmctl set: %s\n", err);
		return VMCTL_ERR;
	}
	if (!vmctl_reply_get(reply, "cgroup", path, sizeof(path)) ||
	    path[0] != '/') {
		fprintf(stderr, "vmctl set: %s runs in no cgroup of its own (no cgroup2 mount when it started)\n",
			name);
		free(reply);
		return VMCTL_ERR;
	}
	free(reply);
	/*
	 * Only the cgroup a VM of that name gets: the path is the VM's word,
	 * and vmctl set may run as root against another user's socket.
	 */
	root = vmctl_cgroup_root();
	snprintf(want, sizeof(want), "%s/" VMCTL_CGROUP_SLICE "/%s",
		 root ? root : "", name);
	if (!root || strcmp(path, want)) {
		fprintf(stderr, "vmctl set: %s says its cgroup is %s, not %s: refused\n",
			name, path, want);
		return VMCTL_ERR;
	}
	if (vmctl_cgroup_apply(path, &res, err, sizeof(err))) {
		fprintf(stderr, "vmctl set: %s\n", err);
		return VMCTL_ERR;
	}
	return VMCTL_OK;
}

const struct vmctl_cmd vmctl_cmd_set = {
	.name = "set",
	.summary = "change a running VM's share of CPU, memory and I/O",
	.run = set_run,
	.usage = set_usage,
};
