/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.2, 5.1) over the virtio-PCI transport, backed by a
 * tap: one tap queue (fd) per queue pair, each carrying frames prefixed by
 * a 12-byte struct virtio_net_hdr_v1 (the opener set TUNSETVNETHDRSZ), one
 * frame per read() or write().
 *
 * Data path: vmctl's own thread per queue pair, or the kernel's vhost-net
 * (virtio/vhost.h) when asked for and /dev/vhost-net opens, kicked by the
 * queues' ioeventfds and interrupting through irqfds. Queues: RX0, TX0,
 * RX1, TX1, ..., then the control queue when VIRTIO_NET_F_CTRL_VQ (always
 * offered with more than one pair, for VIRTIO_NET_CTRL_MQ).
 */
#ifndef VMCTL_VIRTIO_NET_H
#define VMCTL_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

struct vmctl_vm;
struct pci_host;
struct virtio_net;

#define VIRTIO_NET_MAX_QUEUE_PAIRS	8
#define VIRTIO_NET_HDR_LEN		12	/* virtio_net_hdr_v1 */

struct virtio_net_opts {
	uint8_t mac[6];
	uint16_t mtu;			/* offered as VIRTIO_NET_F_MTU; 0: none */
	unsigned int queue_pairs;	/* 1..VIRTIO_NET_MAX_QUEUE_PAIRS */
	/*
	 * queue_pairs fds, owned by the caller, open for the device's life;
	 * the device makes them O_NONBLOCK (its threads wait in poll()).
	 */
	const int *fds;
	/*
	 * The fds are tap queues: TUNSETOFFLOAD follows the offloads the
	 * driver accepts (checksum, TSO4/6, ECN, UFO off). false for a plain
	 * datagram socket (the unit tests): no offloads are offered.
	 */
	bool tap;
	bool vhost;			/* try /dev/vhost-net; else vmctl's threads */
};

/* What the device moved, for vmctl info: sums over the queue pairs. */
struct virtio_net_stats {
	uint64_t rx_packets, rx_bytes;	/* to the guest */
	uint64_t tx_packets, tx_bytes;	/* from the guest */
	uint64_t rx_dropped;		/* too big for the buffers the driver gave */
	uint64_t tx_dropped;		/* malformed by the driver, or refused */
	bool vhost;			/* the data path is vhost-net */
};

/* A virtio-net function on @host (class 0x020000). NULL with a message. */
struct virtio_net *virtio_net_create(struct vmctl_vm *vm, struct pci_host *host,
				     const struct virtio_net_opts *opts);
/* Stop the data path (as a reset), remove the function, free. */
void virtio_net_destroy(struct virtio_net *n);
/* Link status (VIRTIO_NET_S_LINK_UP) with a configuration interrupt. */
void virtio_net_set_link(struct virtio_net *n, bool up);
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st);

#endif /* VMCTL_VIRTIO_NET_H */
