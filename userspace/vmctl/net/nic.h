/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A NIC of a VM, as vmctl run keeps it from before the first boot to the
 * end: its options, MAC, tap (net/tap.h) and anti-spoof filter
 * (net/spoof.h), which polices rate= too. Each boot's machine makes a virtio-net device on the
 * tap's queues (dev below); the tap and the filter outlive reboots, so a
 * guest that resets keeps its port, VLAN and counters.
 */
#ifndef VMCTL_NET_NIC_H
#define VMCTL_NET_NIC_H

#include <stdio.h>

#include "core/machine.h"
#include "net/opts.h"
#include "net/tap.h"
#include "virtio/net.h"

struct spoof;

struct vmctl_nic {
	unsigned int index;
	struct nic_opts opts;
	uint8_t mac[6];
	struct tap tap;
	struct spoof *spoof;		/* NULL with spoof=off and no rate= */
	struct virtio_net_opts dev;	/* what each boot's device gets */
};

/* Make NIC @index of VM @vm_name as @o says; 0, or -1 after a message. */
int vmctl_nic_create(struct vmctl_nic *n, const struct nic_opts *o,
		     const char *vm_name, unsigned int index);
void vmctl_nic_destroy(struct vmctl_nic *n);
/*
 * vmctl info's lines for the NIC: "nicN: ..." with its tap, bridge, MAC,
 * VLAN, data path, spoof=on|off and rate=MBIT (0: unlimited), then "nicN_rx_packets: ..." and the filter's
 * counters, "nicN_spoof_dropped_mac: ...". @dev is this boot's device, or
 * NULL between boots.
 */
void vmctl_nic_info(const struct vmctl_nic *n, struct virtio_net *dev,
		    FILE *out);

#endif /* VMCTL_NET_NIC_H */
