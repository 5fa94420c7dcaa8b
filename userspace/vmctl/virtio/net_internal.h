/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net's private header: the device and queue-pair state that
 * net.c (creation, config space, features, start/stop, the pairs'
 * threads), net_rx.c (receive), net_tx.c (transmit) and net_ctrl.c (the
 * control queue) share, and the functions one of them calls in another.
 * Not for the rest of vmctl: virtio/net.h is the device's interface.
 */
#ifndef VMCTL_VIRTIO_NET_INTERNAL_H
#define VMCTL_VIRTIO_NET_INTERNAL_H

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/net.h"
#include "virtio/virtio.h"

struct vhost_net;
struct virtio_pci;

#define NET_QUEUE_SIZE		256

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_F_CTRL_VQ		17
#define VIRTIO_NET_F_MQ			22

/*
 * The largest received frame with GUEST_TSO*, the 12-byte header
 * included: 65550 is the largest frame a driver may hand over with TSO
 * (5.1.6.2: 65535 of IP plus an Ethernet header and a VLAN tag, rounded
 * as Linux does).
 */
#define NET_RX_MAX_GSO			(VIRTIO_NET_HDR_LEN + 65550)

/*
 * The receive scratch: readv() takes IOV_MAX iovecs, the last of which is
 * the discard buffer; a chain is popped only while room for the longest
 * legal chain (the queue's size) remains, so that a chain the driver was
 * allowed to make never fails for want of room.
 */
#define NET_RX_IOV			1024
static_assert(NET_RX_IOV <= IOV_MAX, "one readv()");
#define NET_RX_DISCARD			(NET_RX_MAX_GSO + 1)

/* struct virtio_net_hdr_v1 (5.1.6). */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
static_assert(sizeof(struct virtio_net_hdr_v1) == VIRTIO_NET_HDR_LEN,
	      "5.1.6 layout");

/* struct virtio_net_config (5.1.4), through mtu: 12 bytes. */
struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
};
static_assert(sizeof(struct virtio_net_config) == 12, "5.1.4 layout");

/* One receive chain taken for the frame being read. */
struct rx_chain {
	uint16_t head;
	uint32_t len;			/* its writable bytes */
};

struct virtio_net;

struct net_pair {
	struct virtio_net *n;
	unsigned int index;
	int fd;				/* the tap queue, the caller's */
	int wake_fd;			/* eventfd: the pairs in use changed */
	struct vhost_net *vhost;	/* opened at create, or NULL */
	pthread_t thread;
	bool running;
	bool attached;			/* tap queue attached (TUNSETQUEUE) */
	/* The thread's: */
	bool rx_waiting;		/* for buffers: the tap is not polled */
	bool tx_waiting;		/* for room in the fd: POLLOUT */
	bool fd_gone;			/* EOF or an error: not polled again */
	_Atomic uint64_t rx_packets, rx_bytes, rx_dropped;
	_Atomic uint64_t tx_packets, tx_bytes, tx_dropped;
	/* Scratch of the thread's. */
	struct iovec rx_iov[NET_RX_IOV];
	struct rx_chain rx_chains[NET_RX_IOV];
	uint8_t *discard;		/* NET_RX_DISCARD bytes */
	struct iovec tx_iov[NET_QUEUE_SIZE];
	struct iovec tx_out[NET_QUEUE_SIZE + 1];
	struct virtio_net_hdr_v1 tx_hdr;	/* checked: what the fd gets */
	struct iovec ctrl_iov[NET_QUEUE_SIZE];
};

struct virtio_net {
	struct virtio_pci *pci;
	unsigned int npairs, nqueues;
	bool tap;
	uint16_t mtu;			/* 0: not offered */
	uint64_t features;		/* offered, before the core's */
	pthread_mutex_t config_lock;	/* vCPU threads vs virtio_net_set_link */
	struct virtio_net_config config;
	_Atomic bool use_vhost;		/* until vhost fails to start */
	_Atomic bool io_told;		/* a host-side I/O error was reported */
	/* Between start and stop: */
	struct virtio_dev *vdev;
	int stop_fd;
	_Atomic bool stopping;
	bool vhost_running;
	unsigned int usable_pairs;	/* the pairs the driver's layout has */
	int ctrl_q;			/* control queue index, or -1 */
	uint32_t rx_need;		/* the largest frame, header included */
	bool mrg_rxbuf;
	_Atomic unsigned int active_pairs;	/* VQ_PAIRS_SET; RX read below */
	struct net_pair *pair[VIRTIO_NET_MAX_QUEUE_PAIRS];
	/* Ours, as the queue count is the device's: the transport keeps it. */
	struct virtio_dev_ops ops;
};

static inline unsigned int net_rxq(const struct net_pair *p)
{
	return 2 * p->index;
}

static inline unsigned int net_txq(const struct net_pair *p)
{
	return 2 * p->index + 1;
}

static inline bool net_stopping(const struct net_pair *p)
{
	return atomic_load(&p->n->stopping) || virtio_dev_is_broken(p->n->vdev);
}

/* net.c */
/* A host-side failure is worth one line per device, not one per frame. */
void net_io_error(struct virtio_net *n, const char *what, int err);
/* Copy the first @len bytes of @iov out, reading guest memory once. */
void net_iov_read_head(const struct iovec *iov, unsigned int n, void *dst,
		       size_t len);
/* Attach the tap queues of the first @pairs pairs, detach the others. */
void net_tap_attach_pairs(struct virtio_net *n, unsigned int pairs);

/* net_rx.c */
/* Whether pair @p's RX is in use and its tap queue readable. */
bool net_rx_active(const struct net_pair *p);
/* Read frames while the tap has them and the ring has room. */
void net_rx_serve(struct net_pair *p);

/* net_tx.c */
/* Send what the driver queued, until the ring is empty with kicks on. */
void net_tx_serve(struct net_pair *p);

/* net_ctrl.c */
/* Serve the control queue (from pair 0's thread, @p0's scratch). */
void net_ctrl_serve(struct virtio_net *n, struct net_pair *p0);

#endif
