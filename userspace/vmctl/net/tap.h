/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A NIC's host side: a tap in a bridge, made and plumbed over netlink
 * (libnl-route-3). The tap is not persistent, so the kernel removes it,
 * with its qdiscs (the TBF of rate= among them), filters and BPF program, when the last of its fds
 * closes: however vmctl ends, kill -9 included, nothing is left.
 */
#ifndef VMCTL_NET_TAP_H
#define VMCTL_NET_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/net.h"

struct nic_opts;

struct tap {
	char name[IFNAMSIZ];
	int ifindex;
	unsigned int nqueues;
	int fds[VIRTIO_NET_MAX_QUEUE_PAIRS];	/* frames with a 12-byte vnet header */
	uint16_t mtu;				/* the bridge's */
};

/*
 * Make tap @name (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, IFF_MULTI_QUEUE with
 * more than one queue) with @nqueues queues, and plumb it into bridge
 * @bridge as @opts say: MAC, MTU of the bridge, VLAN, with rate_mbit a
 * TBF root qdisc of that rate (the frames to the guest; the other way is
 * the filter's, net/spoof.h), up. 0, or -1 after a message naming what
 * failed, with nothing left behind.
 */
int tap_create(struct tap *t, const char *name, const char *bridge,
	       const struct nic_opts *opts, const uint8_t mac[6]);
/*
 * The tap's counters (rtnetlink), from the guest's side: what it received
 * is what the tap sent, and the other way round. Whichever data path moves
 * the frames (vmctl's threads or vhost-net), the tap sees them all. 0, or
 * -1 (nothing said: vmctl info shows what it can).
 */
struct tap_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};
int tap_get_stats(const struct tap *t, struct tap_stats *st);
/* Close the queues: the kernel removes the tap and what hangs on it. */
void tap_destroy(struct tap *t);

#endif /* VMCTL_NET_TAP_H */
