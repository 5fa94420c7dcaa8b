// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl: the hvx command-line tool. Each verb lives in its own cmd_<verb>.c
 * and registers itself in the table below; main() only dispatches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmctl.h"

static const struct vmctl_cmd *const commands[] = {
	&vmctl_cmd_host,
	&vmctl_cmd_run,
	&vmctl_cmd_list,
	&vmctl_cmd_info,
	&vmctl_cmd_stop,
	&vmctl_cmd_set,
	&vmctl_cmd_top,
	&vmctl_cmd_stats,
	&vmctl_cmd_balloon,
	&vmctl_cmd_net,
	&vmctl_cmd_ha,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: vmctl COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(out, "\n'vmctl COMMAND --help' describes a command.\n");
}

int vmctl_open_hvx(void)
{
	int fd = open("/dev/hvx", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		fprintf(stderr,
			"vmctl: /dev/hvx not found: load the module first (insmod hvx.ko)\n");
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"vmctl: /dev/hvx: permission denied: run as root, or load hvx with group=GID and join that group\n");
		break;
	default:
		fprintf(stderr, "vmctl: /dev/hvx: %s\n", strerror(errno));
	}
	return -VMCTL_NO_HVX;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return VMCTL_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		for (i = 0; i < NR_COMMANDS; i++)
			if (!strcmp(argv[2], commands[i]->name)) {
				commands[i]->usage();
				return VMCTL_OK;
			}
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return VMCTL_OK;
	}
	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->run(argc - 1, argv + 1);

	fprintf(stderr, "vmctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return VMCTL_USAGE;
}
