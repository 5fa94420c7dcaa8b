// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl list: every running VM, found as a live NAME.sock in the run
 * directory and asked for its "info". Sockets that nobody serves any more
 * (a VM that was killed) are removed on the way.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/control.h"
#include "vmctl.h"

static void list_usage(void)
{
	printf("usage: vmctl list\n\n"
	       "List the running VMs: name, state, vCPUs and memory. The VMs are\n"
	       "the control sockets in %s (or $HVX_RUN_DIR).\n\n"
	       "  -h, --help   show this help\n\n"
	       "Exit status: 0 done (also when no VM runs), 1 the run directory\n"
	       "cannot be read, 2 bad command line.\n", VMCTL_RUN_DIR_DEFAULT);
}

static int list_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dir = vmctl_run_dir();
	enum vmctl_call_status status;
	char state[32], vcpus[16], mem[24], err[256], *reply;
	char **names;
	size_t count, i;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			list_usage();
			return VMCTL_OK;
		default:
			list_usage();
			return VMCTL_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vmctl list: unexpected argument '%s'\n",
			argv[optind]);
		return VMCTL_USAGE;
	}
	if (vmctl_vm_names(dir, &names, &count)) {
		fprintf(stderr, "vmctl list: cannot read %s: %s%s\n", dir,
			strerror(errno),
			errno == EACCES ? " (VMs started by root are listed for root only)" : "");
		return VMCTL_ERR;
	}

	printf("%-16s %-10s %5s %10s\n", "NAME", "STATE", "VCPUS", "MEMORY");
	for (i = 0; i < count; i++) {
		status = vmctl_control_call(names[i], "info", &reply, err,
					    sizeof(err));
		if (status == VMCTL_CALL_NO_VM) {
			/* Stale, and now removed: not a VM. */
		} else if (status != VMCTL_CALL_OK) {
			/* Still list it: it exists, it just won't say more. */
			fprintf(stderr, "vmctl list: %s\n", err);
			printf("%-16s %-10s %5s %10s\n", names[i], "?", "?", "?");
		} else {
			if (!vmctl_reply_get(reply, "state", state, sizeof(state)))
				strcpy(state, "?");
			if (!vmctl_reply_get(reply, "vcpus", vcpus, sizeof(vcpus)))
				strcpy(vcpus, "?");
			if (vmctl_reply_get(reply, "memory_mib", mem, sizeof(mem) - 4))
				strcat(mem, " MiB");
			else
				strcpy(mem, "?");
			printf("%-16s %-10s %5s %10s\n", names[i], state, vcpus,
			       mem);
			free(reply);
		}
		free(names[i]);
	}
	free(names);
	return VMCTL_OK;
}

const struct vmctl_cmd vmctl_cmd_list = {
	.name = "list",
	.summary = "list the running VMs",
	.run = list_run,
	.usage = list_usage,
};
