// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl ha: the cluster's HA VMs, through this host's hvxd (its control
 * socket; the protocol is in userspace/hvxd/control.c). vmctl only carries
 * the words over and prints the answer: the cluster decides, and a change
 * is answered once every member has applied it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmctl.h"

#define HVXD_SOCKET	"/run/hvx/hvxd.sock"
#define REQUEST_MAX	4096
#define REPLY_MAX	16384
#define RETRIES		10	/* a membership change in flight: try again */

static void ha_usage(void)
{
	printf("usage: vmctl ha add NAME -- RUN-OPTIONS...\n"
	       "       vmctl ha remove NAME\n"
	       "       vmctl ha relocate NAME NODE\n"
	       "       vmctl ha status\n\n"
	       "High availability, through hvxd on this host (its socket: $HVXD_SOCKET,\n"
	       "default %s).\n\n"
	       "  add       define the HA VM NAME by the options of vmctl run (not\n"
	       "            --name or --no-console: hvxd sets them; disk images on\n"
	       "            storage that every host reaches); the cluster places it\n"
	       "  remove    stop it and forget it\n"
	       "  relocate  stop it where it runs and start it on NODE (also starts a\n"
	       "            VM that failed or powered off)\n"
	       "  status    quorum, the nodes with their load, each HA VM with its\n"
	       "            node, state, generation and restarts\n\n"
	       "The guest's kernel command line gets hvx_ha.name=, hvx_ha.node= and\n"
	       "hvx_ha.gen= (the generation of this start).\n\n"
	       "Exit status: 0 done, 1 refused (the reason is printed), 2 bad command\n"
	       "line, 3 hvxd not reachable.\n", HVXD_SOCKET);
}

/* One request, one reply; the reply's first byte is its status. */
static int ask(const char *path, const char *req, size_t len, char *reply,
	       size_t max)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	n = recv(fd, reply, max - 1, 0);
	close(fd);
	if (n <= 0)
		return n ? -errno : -ECONNRESET;
	reply[n] = '\0';
	return (int)n;
}

static int ha_run(int argc, char **argv)
{
	const char *path = getenv("HVXD_SOCKET");
	char req[REQUEST_MAX], reply[REPLY_MAX];
	size_t len = 0, need;
	int i, n = 0, try, words;

	if (!path || !*path)
		path = HVXD_SOCKET;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		ha_usage();
		return argc < 2 ? VMCTL_USAGE : VMCTL_OK;
	}
	words = !strcmp(argv[1], "status") ? 1 :
		!strcmp(argv[1], "remove") ? 2 :
		!strcmp(argv[1], "relocate") ? 3 : 0;
	if (!strcmp(argv[1], "add")) {
		if (argc < 5 || strcmp(argv[3], "--")) {
			fprintf(stderr, "vmctl ha add: NAME -- RUN-OPTIONS...\n");
			return VMCTL_USAGE;
		}
	} else if (!words || argc != words + 1) {
		fprintf(stderr, "vmctl ha: bad command line (vmctl ha --help)\n");
		return VMCTL_USAGE;
	}
	for (i = 1; i < argc; i++) {
		if (i == 3 && !strcmp(argv[1], "add"))
			continue;	/* the "--" */
		need = strlen(argv[i]) + 1;
		if (need > sizeof(req) - len) {
			fprintf(stderr, "vmctl ha: the command is longer than %d bytes\n",
				REQUEST_MAX);
			return VMCTL_USAGE;
		}
		memcpy(req + len, argv[i], need);
		len += need;
	}
	for (try = 0; try < RETRIES; try++) {
		n = ask(path, req, len, reply, sizeof(reply));
		if (n < 0) {
			fprintf(stderr, "vmctl ha: cannot reach hvxd at %s: %s\n",
				path, strerror(-n));
			return VMCTL_NO_HVX;
		}
		if (reply[0] != '2')
			break;
		sleep(1);
	}
	if (reply[0] == '0') {
		fputs(reply + 1, stdout);
		return VMCTL_OK;
	}
	fprintf(stderr, "vmctl ha: %s\n", reply + 1);
	return VMCTL_ERR;
}

const struct vmctl_cmd vmctl_cmd_ha = {
	.name = "ha",
	.summary = "high availability: HA VMs of the cluster (hvxd)",
	.run = ha_run,
	.usage = ha_usage,
};
