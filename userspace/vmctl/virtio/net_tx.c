// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net's transmit path (net_internal.h): the driver's TX chains to
 * the tap queue, on the pair's thread. A transmitted chain goes to the fd
 * with writev() as the driver laid it out, behind our own copy of its
 * header (see below): the frame itself is not copied. Transmitting into
 * an fd that pushes back (a socket; a tap never does) gives the chain
 * back to the ring and waits for POLLOUT.
 *
 * Every chain comes from a possibly hostile guest. What it gets here:
 *  - a ring or descriptor breach (virtq_pop() fails: loops, buffers
 *    outside RAM...): the device breaks (DEVICE_NEEDS_RESET);
 *  - a transmit chain with a writable descriptor, shorter than the header,
 *    longer than a header and a 65550-byte frame, or whose header asks for
 *    an offload that was not negotiated: dropped (returned used, length 0,
 *    counted in tx_dropped), as blk.c answers IOERR to what it can answer.
 * The only header we look at (a transmitted one) is copied once into a
 * local, checked there, and that copy is what the fd gets: the guest
 * cannot change it between the check and the use.
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#include "virtio/net_internal.h"
#include "virtio/virtio.h"

/* struct virtio_net_hdr_v1's flags and gso_type (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

/*
 * The largest transmitted frame, the 12-byte header included: 65550 is
 * the largest frame a driver may hand over with TSO (5.1.6.2: 65535 of IP
 * plus an Ethernet header and a VLAN tag, rounded as Linux does).
 */
#define NET_TX_MAX			(VIRTIO_NET_HDR_LEN + 65550)
/* Frames per turn, so that one direction cannot starve the other. */
#define NET_TX_BUDGET			256

/* ---- iovec helpers ---- */

/*
 * Into @dst (room for @max): the part of @src[0, @n) from byte @skip on.
 * The number of entries.
 */
static unsigned int iov_tail(const struct iovec *src, unsigned int n,
			     size_t skip, struct iovec *dst, unsigned int max)
{
	unsigned int i, out = 0;

	for (i = 0; i < n && out < max; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		dst[out++] = (struct iovec){
			.iov_base = (char *)src[i].iov_base + skip,
			.iov_len = src[i].iov_len - skip,
		};
		skip = 0;
	}
	return out;
}

/* Whether header @h asks only for what the driver negotiated (5.1.6.2). */
static bool tx_header_ok(const struct virtio_dev *vdev,
			 const struct virtio_net_hdr_v1 *h)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !virtio_has_feature(vdev, VIRTIO_NET_F_CSUM))
		return false;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !virtio_has_feature(vdev, VIRTIO_NET_F_HOST_ECN))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return !(h->gso_type & VIRTIO_NET_HDR_GSO_ECN);
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO6);
	default:
		return false;	/* UFO, USO: not offered */
	}
}

/*
 * One frame out. Not inlined: GCC 12's -Wstringop-overread takes the
 * iovec array for the 8-byte pointer member it was inlined next to.
 */
static __attribute__((noinline)) ssize_t send_frame(int fd,
						    const struct iovec *iov,
						    unsigned int n)
{
	ssize_t sent;

	do {
		sent = writev(fd, iov, n);
	} while (sent < 0 && errno == EINTR);
	return sent;
}

enum tx_result { TX_SENT, TX_DROPPED, TX_FULL };

/* Send one chain. */
static enum tx_result tx_one(struct net_pair *p, const struct virtq_chain *c)
{
	struct virtio_net *n = p->n;
	struct virtio_net_hdr_v1 *h = &p->tx_hdr;
	unsigned int nout;
	ssize_t sent;

	if (c->nr_in || c->out_len < VIRTIO_NET_HDR_LEN ||
	    c->out_len > NET_TX_MAX)
		return TX_DROPPED;
	net_iov_read_head(c->iov, c->nr_out, h, sizeof(*h));
	if (!tx_header_ok(n->vdev, h))
		return TX_DROPPED;
	/* Our checked copy of the header, then the frame from guest memory. */
	p->tx_out[0] = (struct iovec){ h, sizeof(*h) };
	nout = 1 + iov_tail(c->iov, c->nr_out, sizeof(*h), p->tx_out + 1,
			    NET_QUEUE_SIZE);
	sent = send_frame(p->fd, p->tx_out, nout);
	if (sent < 0) {
		/*
		 * A full fd (a socket's buffer; a tap does not push back)
		 * holds the queue until it has room. EINVAL is the tap
		 * refusing what the guest built, ENOBUFS memory: dropped.
		 */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return TX_FULL;
		if (errno != ENOBUFS && errno != EINVAL)
			net_io_error(n, "transmit", errno);
		return TX_DROPPED;
	}
	atomic_fetch_add(&p->tx_packets, 1);
	atomic_fetch_add(&p->tx_bytes, c->out_len - VIRTIO_NET_HDR_LEN);
	return TX_SENT;
}

/* Send what the driver queued, until the ring is empty with kicks on. */
void net_tx_serve(struct net_pair *p)
{
	struct virtio_dev *vdev = p->n->vdev;
	struct virtq *q = &vdev->q[net_txq(p)].vq;
	struct virtq_chain c = { .iov = p->tx_iov, .max = NET_QUEUE_SIZE };
	unsigned int frames = 0;
	int r = 0;

	if (p->index >= p->n->usable_pairs || !vdev->q[net_txq(p)].enabled ||
	    p->tx_waiting)
		return;
	do {
		virtq_disable_notify(q);
		while (!net_stopping(p) && (r = virtq_pop(q, &c)) > 0) {
			enum tx_result res = tx_one(p, &c);

			if (res == TX_FULL) {
				/* Back to the ring; sent again on POLLOUT. */
				virtq_unpop(q, 1);
				p->tx_waiting = true;
				break;
			}
			if (res == TX_DROPPED)
				atomic_fetch_add(&p->tx_dropped, 1);
			virtq_push(q, c.head, 0);
			if (++frames == NET_TX_BUDGET) {
				/* Our turn is over: a kick of our own for the rest. */
				virtio_queue_notify(vdev, net_txq(p));
				eventfd_write(vdev->q[net_txq(p)].kick_fd, 1);
				return;
			}
		}
		if (r < 0)
			virtio_dev_broken(vdev, q->why);
		if (net_stopping(p))
			return;
		if (frames)
			virtio_queue_notify(vdev, net_txq(p));
		frames = 0;
	} while (!p->tx_waiting && virtq_enable_notify(q));
}
