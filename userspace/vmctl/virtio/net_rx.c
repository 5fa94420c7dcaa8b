// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net's receive path (net_internal.h): frames from the tap queue
 * into the driver's RX buffers, on the pair's thread. A received frame is
 * readv() straight into the driver's receive buffers, its 12-byte
 * struct virtio_net_hdr_v1 as the tap wrote it but for num_buffers, which
 * is the device's to set.
 *
 * Receiving never stalls the tap nor loses a kick: when the RX ring has
 * too few buffers for the largest frame the driver may be given, the
 * thread stops polling the tap (frames wait in the tap's queue, where the
 * kernel drops what overflows, as a NIC would), asks for RX kicks and
 * looks at the ring again (virtq_enable_notify), and reads again when the
 * driver kicks.
 *
 * Every chain comes from a possibly hostile guest. What it gets here:
 *  - a ring or descriptor breach (virtq_pop() fails), a receive buffer
 *    the device cannot write (a readable descriptor, or no bytes at all):
 *    the device breaks (DEVICE_NEEDS_RESET);
 *  - a received frame larger than the buffers the driver gave: dropped
 *    and counted (rx_dropped), the buffers reused for the next frame.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio/net_internal.h"
#include "virtio/virtio.h"

/* Frames per turn, so that one direction cannot starve the other. */
#define NET_RX_BUDGET			64

enum rx_result {
	RX_FRAME,			/* a frame delivered or dropped */
	RX_EMPTY,			/* the tap has nothing */
	RX_NO_BUFFERS,			/* waiting for the driver's kick */
	RX_STOP,			/* broken, stopping or the fd is gone */
};

/* Store @len bytes at byte @off of @iov (where the driver will look). */
static void iov_store(const struct iovec *iov, unsigned int n, size_t off,
		      const void *src, size_t len)
{
	const char *s = src;
	unsigned int i;

	for (i = 0; i < n && len; i++) {
		size_t take;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - off;
		if (take > len)
			take = len;
		memcpy((char *)iov[i].iov_base + off, s, take);
		s += take;
		len -= take;
		off = 0;
	}
}

/*
 * Take chain after chain until they hold @need bytes (one chain without
 * MRG_RXBUF). The number taken (*@nchains, their iovecs in p->rx_iov,
 * *@niov of them), or RX_NO_BUFFERS with none kept, or RX_STOP.
 */
static enum rx_result rx_take_buffers(struct net_pair *p, unsigned int *nchains,
				      unsigned int *niov, uint64_t *cap)
{
	struct virtio_net *n = p->n;
	struct virtq *q = &n->vdev->q[net_rxq(p)].vq;
	unsigned int max_chains = n->mrg_rxbuf ? q->size : 1;

	*nchains = *niov = 0;
	*cap = 0;
	while (*cap < n->rx_need && *nchains < max_chains &&
	       *niov + q->size < NET_RX_IOV) {
		struct virtq_chain c = {
			.iov = p->rx_iov + *niov,
			.max = NET_RX_IOV - 1 - *niov,
		};
		int r = virtq_pop(q, &c);

		if (r < 0) {
			virtio_dev_broken(n->vdev, q->why);
			return RX_STOP;
		}
		if (!r) {
			/* Ask for a kick, then look once more (no lost kick). */
			if (virtq_enable_notify(q)) {
				virtq_disable_notify(q);
				continue;
			}
			virtq_unpop(q, *nchains);
			return RX_NO_BUFFERS;
		}
		if (c.nr_out || !c.in_len) {
			virtio_dev_broken(n->vdev, c.nr_out ?
				"virtio-net receive buffer with a readable descriptor" :
				"virtio-net receive buffer of no bytes");
			return RX_STOP;
		}
		p->rx_chains[(*nchains)++] = (struct rx_chain){ c.head, c.in_len };
		*niov += c.nr_in;
		*cap += c.in_len;
	}
	/*
	 * Short of @need only when the device cannot take more at once (the
	 * whole ring, or the iovecs): then what the driver gave is all it can
	 * give, and a frame that fits is better than a queue that never moves.
	 */
	return RX_FRAME;
}

/* Give the first chains @len bytes of frame, in order; how many it took. */
static unsigned int rx_push_frame(struct net_pair *p, unsigned int nchains,
				  uint64_t len)
{
	struct virtq *q = &p->n->vdev->q[net_rxq(p)].vq;
	unsigned int i;

	for (i = 0; i < nchains && len; i++) {
		uint32_t take = len < p->rx_chains[i].len ? len : p->rx_chains[i].len;

		virtq_push(q, p->rx_chains[i].head, take);
		len -= take;
	}
	return i;
}

/* Read one frame from the tap into the driver's buffers. */
static enum rx_result rx_one(struct net_pair *p)
{
	struct virtio_net *n = p->n;
	struct virtq *q = &n->vdev->q[net_rxq(p)].vq;
	unsigned int nchains, niov, used;
	enum rx_result res;
	uint64_t cap;
	uint16_t num_buffers;
	ssize_t len;

	res = rx_take_buffers(p, &nchains, &niov, &cap);
	if (res != RX_FRAME)
		return res;
	/*
	 * The discard buffer after the chains: a frame longer than they hold
	 * is read whole (the tap and sockets would truncate it silently) and
	 * recognised by its length.
	 */
	p->rx_iov[niov] = (struct iovec){ p->discard, NET_RX_DISCARD };
	len = readv(p->fd, p->rx_iov, niov + 1);
	if (len <= 0) {
		virtq_unpop(q, nchains);
		/* EBADFD: a queue detached under us (set_active_pairs). */
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR || errno == EBADFD))
			return RX_EMPTY;
		net_io_error(n, "receive", len ? errno : EPIPE);
		p->fd_gone = true;
		return RX_STOP;
	}
	if ((uint64_t)len > cap || len < VIRTIO_NET_HDR_LEN) {
		/* Too big for the buffers given, or no header: dropped. */
		virtq_unpop(q, nchains);
		atomic_fetch_add(&p->rx_dropped, 1);
		return RX_FRAME;
	}
	/*
	 * 5.1.6.4: num_buffers is the device's to set, 1 without MRG_RXBUF;
	 * the tap leaves those two bytes as they were.
	 */
	for (used = 0, cap = 0; cap < (uint64_t)len; used++)
		cap += p->rx_chains[used].len;
	num_buffers = used;
	iov_store(p->rx_iov, niov,
		  offsetof(struct virtio_net_hdr_v1, num_buffers),
		  &num_buffers, sizeof(num_buffers));
	used = rx_push_frame(p, nchains, len);
	virtq_unpop(q, nchains - used);
	atomic_fetch_add(&p->rx_packets, 1);
	atomic_fetch_add(&p->rx_bytes, len - VIRTIO_NET_HDR_LEN);
	return RX_FRAME;
}

bool net_rx_active(const struct net_pair *p)
{
	struct virtio_net *n = p->n;

	return p->index < atomic_load(&n->active_pairs) && !p->fd_gone &&
	       n->vdev->q[net_rxq(p)].enabled;
}

/* Read frames while the tap has them and the ring has room. */
void net_rx_serve(struct net_pair *p)
{
	unsigned int i, frames = 0;
	enum rx_result r = RX_FRAME;

	if (!net_rx_active(p) || p->rx_waiting || net_stopping(p))
		return;
	/* While the tap is polled, RX kicks are of no use. */
	virtq_disable_notify(&p->n->vdev->q[net_rxq(p)].vq);
	for (i = 0; i < NET_RX_BUDGET && !net_stopping(p); i++) {
		r = rx_one(p);
		if (r != RX_FRAME)
			break;
		frames++;
	}
	if (r == RX_NO_BUFFERS)
		p->rx_waiting = true;
	if (frames && !virtio_dev_is_broken(p->n->vdev))
		virtio_queue_notify(p->n->vdev, net_rxq(p));
}
