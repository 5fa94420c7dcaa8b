// SPDX-License-Identifier: GPL-2.0
/* A VM's NIC from its options to a tap with a filter (nic.h). */
#include <stdio.h>
#include <string.h>

#include "net/nic.h"
#include "net/spoof.h"

static struct spoof *load_filter(const struct vmctl_nic *n)
{
	struct spoof_config cfg = { 0 };
	struct spoof *s;

	memcpy(cfg.mac, n->mac, sizeof(cfg.mac));
	cfg.nipv4 = n->opts.nipv4;
	cfg.nipv6 = n->opts.nipv6;
	memcpy(cfg.ipv4, n->opts.ipv4, sizeof(cfg.ipv4));
	memcpy(cfg.ipv6, n->opts.ipv6, sizeof(cfg.ipv6));
	/* spoof=off with a rate: the program still runs, for the policer. */
	cfg.no_rules = !n->opts.spoof;
	cfg.rate = nic_rate_bytes(n->opts.rate_mbit);
	cfg.burst = nic_rate_burst(n->opts.rate_mbit);
	s = spoof_load(&cfg);
	if (!s)
		return NULL;
	if (spoof_attach(s, n->tap.ifindex)) {
		spoof_destroy(s);
		return NULL;
	}
	return s;
}

int vmctl_nic_create(struct vmctl_nic *n, const struct nic_opts *o,
		     const char *vm_name, unsigned int index)
{
	char name[IFNAMSIZ];

	memset(n, 0, sizeof(*n));
	n->index = index;
	n->opts = *o;
	if (o->mac_set)
		memcpy(n->mac, o->mac, sizeof(n->mac));
	else
		nic_default_mac(n->mac, vm_name, index);
	nic_tap_name(name, vm_name, index);
	if (tap_create(&n->tap, name, o->bridge, o, n->mac))
		return -1;
	/*
	 * Before the guest runs: no frame of it ever passes unfiltered, or
	 * unpoliced. rate= alone needs the program too (for the frames from
	 * the guest), with its rules off.
	 */
	if (o->spoof || o->rate_mbit) {
		n->spoof = load_filter(n);
		if (!n->spoof) {
			tap_destroy(&n->tap);
			return -1;
		}
	}
	memcpy(n->dev.mac, n->mac, sizeof(n->dev.mac));
	n->dev.mtu = n->tap.mtu;
	n->dev.queue_pairs = n->tap.nqueues;
	n->dev.fds = n->tap.fds;
	n->dev.tap = true;
	n->dev.vhost = o->vhost;
	return 0;
}

void vmctl_nic_destroy(struct vmctl_nic *n)
{
	/* The program goes with the tap anyway; detaching first is tidier. */
	if (n->spoof)
		spoof_destroy(n->spoof);
	n->spoof = NULL;
	tap_destroy(&n->tap);
}

void vmctl_nic_info(const struct vmctl_nic *n, struct virtio_net *dev,
		    FILE *out)
{
	struct virtio_net_stats st = { 0 };
	struct spoof_stats ss;
	struct tap_stats ts;
	const uint8_t *m = n->mac;
	unsigned int r;

	if (dev)
		virtio_net_get_stats(dev, &st);
	fprintf(out, "nic%u: tap=%s bridge=%s mac=%02x:%02x:%02x:%02x:%02x:%02x vlan=%u queues=%u datapath=%s spoof=%s rate=%u\n",
		n->index, n->tap.name, n->opts.bridge, m[0], m[1], m[2], m[3],
		m[4], m[5], n->opts.vlan, n->tap.nqueues,
		!dev ? "-" : st.vhost ? "vhost" : "vmctl",
		n->spoof && n->opts.spoof ? "on" : "off", n->opts.rate_mbit);
	/* The tap's counts: vhost-net keeps none that vmctl can read. */
	if (!tap_get_stats(&n->tap, &ts)) {
		fprintf(out, "nic%u_rx_packets: %llu\n", n->index,
			(unsigned long long)ts.rx_packets);
		fprintf(out, "nic%u_rx_bytes: %llu\n", n->index,
			(unsigned long long)ts.rx_bytes);
		fprintf(out, "nic%u_tx_packets: %llu\n", n->index,
			(unsigned long long)ts.tx_packets);
		fprintf(out, "nic%u_tx_bytes: %llu\n", n->index,
			(unsigned long long)ts.tx_bytes);
	}
	fprintf(out, "nic%u_rx_dropped: %llu\n", n->index,
		(unsigned long long)st.rx_dropped);
	fprintf(out, "nic%u_tx_dropped: %llu\n", n->index,
		(unsigned long long)st.tx_dropped);
	if (!n->spoof || spoof_get_stats(n->spoof, &ss))
		return;
	fprintf(out, "nic%u_spoof_passed: %llu\n", n->index,
		(unsigned long long)ss.passed);
	for (r = 0; r < SPOOF_NR_REASONS; r++)
		fprintf(out, "nic%u_spoof_dropped_%s: %llu\n", n->index,
			spoof_reason_name(r), (unsigned long long)ss.dropped[r]);
}
