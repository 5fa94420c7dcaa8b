// SPDX-License-Identifier: GPL-2.0
/*
 * A NIC's tap (tap.h): made with the tun driver's ioctls (the only way to
 * make a tap whose queues a process holds), then given its MAC, MTU,
 * bridge, VLAN, rate limit and link state over rtnetlink with
 * libnl-route-3.
 *
 * The tap is not persistent (no TUNSETPERSIST): when vmctl ends, however
 * it ends, the kernel closes its fds and removes the tap with its clsact
 * qdisc, the filter and the BPF program's last reference, and its TBF. So there is no
 * orphan for a later vmctl to collect.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "net/bridge.h"
#include "net/opts.h"
#include "net/tap.h"

#define WHO "vmctl run"

static int tap_open_queue(const char *name, unsigned int nqueues)
{
	struct ifreq ifr = { 0 };
	int hdr = VIRTIO_NET_HDR_LEN, fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, WHO ": /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (nqueues > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, WHO ": making tap %s: %s%s\n", name,
			strerror(errno), errno == EPERM ?
			" (it takes CAP_NET_ADMIN)" : "");
		goto fail;
	}
	/* virtio 1.x: the 12-byte header, num_buffers included, always. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) || ioctl(fd, TUNSETOFFLOAD, 0)) {
		fprintf(stderr, WHO ": tap %s: %s\n", name, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* The tap's own MAC: the guest's with fe: first, as libvirt does, so that
 * the bridge (which takes its ports' lowest MAC) never takes the tap's. */
static void host_side_mac(uint8_t out[6], const uint8_t guest[6])
{
	memcpy(out, guest, 6);
	out[0] = 0xfe;
}

/*
 * The TBF's queue: what waits for tokens, 50 ms at the rate on top of the
 * bucket (tc's "latency 50ms"); beyond it, frames to the guest are
 * dropped as a slower link would. At rate=100000, 675 MB: fits an int.
 */
#define TAP_TBF_LATENCY_MS	50

static uint32_t tbf_limit(uint64_t rate, uint32_t burst)
{
	return rate * TAP_TBF_LATENCY_MS / 1000 + burst;
}

/*
 * Above INT_MAX bytes/s (rate=17180 and up) libnl 3.7 cannot say the
 * rate: rtnl_qdisc_tbf_set_rate() takes an int, and it sends no
 * TCA_TBF_RATE64. So the request is built with its message API, as
 * bridge.c builds those libnl has no setters for: as tc does, the 32-bit
 * rate saturated at 4 GB/s, and TCA_TBF_RATE64 (the kernel takes the
 * larger of the two, so the 32-bit one must not exceed the rate), the
 * bucket in bytes (TCA_TBF_BURST) rather than as a time in ticks.
 */
static int tbf_add_rate64(struct nl_sock *sk, const struct tap *t,
			  uint64_t rate, uint32_t burst)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = t->ifindex,
		.tcm_parent = TC_H_ROOT,
	};
	struct tc_tbf_qopt qopt = {
		.rate = {
			.rate = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate,
			.linklayer = TC_LINKLAYER_ETHERNET,
		},
		.limit = tbf_limit(rate, burst),
	};
	struct nlattr *opts;
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "tbf") < 0 ||
	    !(opts = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put(msg, TCA_TBF_PARMS, sizeof(qopt), &qopt) < 0 ||
	    nla_put_u64(msg, TCA_TBF_RATE64, rate) < 0 ||
	    nla_put_u32(msg, TCA_TBF_BURST, burst) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, opts);
	/* Frees the message, and waits for the kernel's acknowledgement. */
	return nl_send_sync(sk, msg);
}

/*
 * rate=: a TBF as the tap's root qdisc, which limits the frames to the
 * guest (the tap's transmit side) to @rate_mbit; the policer in the
 * filter does the other way (spoof.bpf.c). It replaces the tap's default
 * root (mq on a multi-queue tap): one qdisc, one lock, for all queues,
 * which is what a rate shared by the queues takes. It goes with the tap.
 */
static int tbf_add(struct nl_sock *sk, const struct tap *t,
		   unsigned int rate_mbit)
{
	uint64_t rate = nic_rate_bytes(rate_mbit);
	uint32_t burst = nic_rate_burst(rate_mbit);
	struct rtnl_qdisc *q;
	int err;

	if (rate > INT_MAX)
		return tbf_add_rate64(sk, t, rate, burst);
	q = rtnl_qdisc_alloc();
	if (!q)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), t->ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	err = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (!err) {
		/* Cell 0: libnl picks the rate table's cell for the MTU. */
		rtnl_qdisc_tbf_set_rate(q, (int)rate, (int)burst, 0);
		rtnl_qdisc_tbf_set_limit(q, (int)tbf_limit(rate, burst));
		err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_qdisc_put(q);
	return err;
}

static int plumb(struct nl_sock *sk, struct tap *t,
		 const struct bridge_info *br, const struct nic_opts *o,
		 const uint8_t mac[6])
{
	struct rtnl_link *link = rtnl_link_alloc(), *change = rtnl_link_alloc();
	struct nl_addr *addr = NULL;
	uint8_t hmac[6];
	int err = -NLE_NOMEM;

	host_side_mac(hmac, mac);
	if (link && change)
		addr = nl_addr_build(AF_LLC, hmac, 6);
	if (!addr)
		goto out;
	rtnl_link_set_ifindex(link, t->ifindex);
	rtnl_link_set_addr(change, addr);
	rtnl_link_set_mtu(change, br->mtu);
	rtnl_link_set_master(change, br->ifindex);
	err = rtnl_link_change(sk, link, change, 0);
	if (err < 0)
		goto out;
	if (o->vlan && bridge_port_set_vlan(sk, WHO, t->name, t->ifindex,
					    o->vlan)) {
		err = 1;
		goto out;
	}
	if (o->rate_mbit) {
		err = tbf_add(sk, t, o->rate_mbit);
		if (err < 0) {
			fprintf(stderr, WHO ": tap %s: a TBF of %u Mbit/s: %s\n",
				t->name, o->rate_mbit, nl_geterror(err));
			err = 1;
			goto out;
		}
	}
	/*
	 * Up last: no frame crosses the port before its VLAN is right, nor
	 * reaches the guest faster than its rate.
	 */
	rtnl_link_put(change);
	change = rtnl_link_alloc();
	err = -NLE_NOMEM;
	if (!change)
		goto out;
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, link, change, 0);
out:
	if (err < 0)
		fprintf(stderr, WHO ": tap %s into bridge %s: %s\n", t->name,
			br->name, nl_geterror(err));
	if (addr)
		nl_addr_put(addr);
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	return err ? -1 : 0;
}

int tap_create(struct tap *t, const char *name, const char *bridge,
	       const struct nic_opts *o, const uint8_t mac[6])
{
	struct bridge_info br;
	struct nl_sock *sk;
	unsigned int i;
	int err;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < VIRTIO_NET_MAX_QUEUE_PAIRS; i++)
		t->fds[i] = -1;
	snprintf(t->name, sizeof(t->name), "%s", name);
	sk = bridge_netlink(WHO);
	if (!sk)
		return -1;
	err = bridge_lookup(sk, WHO, bridge, &br);
	if (err) {
		if (err > 0)
			fprintf(stderr, WHO ": no bridge %s%s\n", bridge,
				if_nametoindex(bridge) ? " (not a bridge)" : "");
		goto fail;
	}
	if (o->vlan && !br.vlan_filtering) {
		fprintf(stderr, WHO ": bridge %s does not filter VLANs: make it with 'vmctl net create %s --vlan-filtering', or turn vlan_filtering on\n",
			bridge, bridge);
		goto fail;
	}
	/* A tap of this name belongs to a live VM (or is not ours at all). */
	if (if_nametoindex(name)) {
		fprintf(stderr, WHO ": %s exists already: is a VM of the same name running?\n",
			name);
		goto fail;
	}
	for (i = 0; i < o->queues; i++) {
		t->fds[i] = tap_open_queue(name, o->queues);
		if (t->fds[i] < 0)
			goto fail;
		t->nqueues++;
	}
	t->ifindex = if_nametoindex(name);
	t->mtu = br.mtu;
	if (!t->ifindex || plumb(sk, t, &br, o, mac))
		goto fail;
	bridge_netlink_close(sk);
	return 0;
fail:
	bridge_netlink_close(sk);
	tap_destroy(t);
	return -1;
}

int tap_get_stats(const struct tap *t, struct tap_stats *st)
{
	struct rtnl_link *link;
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -1;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_get_kernel(sk, t->ifindex, NULL, &link);
	nl_socket_free(sk);
	if (err)
		return -1;
	st->rx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	st->rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
	st->tx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	st->tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	rtnl_link_put(link);
	return 0;
}

void tap_destroy(struct tap *t)
{
	unsigned int i;

	for (i = 0; i < VIRTIO_NET_MAX_QUEUE_PAIRS; i++) {
		if (t->fds[i] >= 0)
			close(t->fds[i]);
		t->fds[i] = -1;
	}
	t->nqueues = 0;
}
