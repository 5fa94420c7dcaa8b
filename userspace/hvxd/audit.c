// SPDX-License-Identifier: GPL-2.0
/*
 * The audit log: one line per decision or event, what, why, when and by
 * which node, appended (O_APPEND) so that lines are never torn:
 *
 *   2026-12-01T19:30:00.123Z node=n2 by=n1 what=place vm=web gen=4 on=n3 why="..."
 *
 * Every node logs every change it applies, with the node that made it
 * (by=), so each node's log tells the whole cluster's history as far as
 * that node saw it, plus what happened to its own VMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvxd.h"

int audit_open(struct hvxd *d)
{
	d->audit_fd = open(d->cfg.audit_path,
			   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (d->audit_fd < 0) {
		logmsg("cannot open the audit log %s: %s", d->cfg.audit_path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

void audit(struct hvxd *d, uint32_t by, const char *what, const char *vm,
	   const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ node=%s by=%s what=%s vm=%s ",
		     stamp, ts.tv_nsec / 1000000, cluster_node_name(d, d->my_nodeid),
		     cluster_node_name(d, by), what, vm);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (d->audit_fd >= 0 && write(d->audit_fd, line, strlen(line)) < 0)
		logmsg("audit log: %s", strerror(errno));
	logmsg("%.*s", (int)strlen(line) - 26, line + 25);
}
