// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux watchdog (/dev/watchdog; softdog where the host has no
 * hardware one), armed while this host runs HA VMs. hvxd feeds it from its
 * main loop, and only while the node is quorate: a hung hvxd, a hung host
 * or a node that lost quorum and could not kill its VMs is reset within
 * the fence timeout F, which is what lets the survivors start those VMs
 * after cluster_fence_delay(). Once no HA VM runs here it is disarmed
 * with the magic close ('V'), so that a node that fenced itself by
 * killing its VMs is not reset too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvxd.h"

static int watchdog_open(struct hvxd *d)
{
	int timeout = (int)ceil(d->cfg.fence_s);

	d->watchdog_fd = open(d->cfg.watchdog, O_WRONLY | O_CLOEXEC);
	if (d->watchdog_fd < 0) {
		logmsg("cannot open the watchdog %s: %s (modprobe softdog?)",
		       d->cfg.watchdog, strerror(errno));
		return -1;
	}
	if (timeout < 1)
		timeout = 1;
	if (ioctl(d->watchdog_fd, WDIOC_SETTIMEOUT, &timeout)) {
		logmsg("%s: cannot set its timeout to %d s: %s", d->cfg.watchdog,
		       timeout, strerror(errno));
		watchdog_close(d);
		return -1;
	}
	audit(d, d->my_nodeid, "watchdog-armed", "-", "device=%s timeout=%d",
	      d->cfg.watchdog, timeout);
	return 0;
}

void watchdog_close(struct hvxd *d)
{
	if (d->watchdog_fd < 0)
		return;
	if (write(d->watchdog_fd, "V", 1) != 1)
		logmsg("%s: magic close failed: %s", d->cfg.watchdog, strerror(errno));
	close(d->watchdog_fd);
	d->watchdog_fd = -1;
	audit(d, d->my_nodeid, "watchdog-disarmed", "-", "no HA VM runs here");
}

/* Before a VM starts here: 0 if the watchdog is armed (or not used). */
int watchdog_arm(struct hvxd *d)
{
	if (!d->cfg.watchdog || d->watchdog_fd >= 0)
		return 0;
	return watchdog_open(d);
}

/* Called from the main loop: arm, feed or disarm as the situation says. */
void watchdog_update(struct hvxd *d)
{
	if (!d->cfg.watchdog)
		return;
	if (!local_count(d)) {
		watchdog_close(d);
		return;
	}
	if (watchdog_arm(d))
		return;
	if (d->quorate)
		ioctl(d->watchdog_fd, WDIOC_KEEPALIVE, 0);
}
