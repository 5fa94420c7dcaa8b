// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net's control queue (5.1.6.5; net_internal.h), served by pair
 * 0's thread (with vhost, the only thread). The one command known is
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: the pairs in use change, the tap's
 * queues are attached or detached to match, and the other pairs' threads
 * are woken to read or stop reading RX.
 *
 * Every chain comes from a possibly hostile guest. What it gets here:
 *  - a ring or descriptor breach (virtq_pop() fails), a control command
 *    without room for its ack: the device breaks (DEVICE_NEEDS_RESET);
 *  - a control command we do not know, or bad pairs: VIRTIO_NET_ERR.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>

#include "virtio/net_internal.h"
#include "virtio/virtio.h"

#define VIRTIO_NET_OK			0
#define VIRTIO_NET_ERR			1
#define VIRTIO_NET_CTRL_MQ		4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET	0

/* Use a new number of queue pairs: RX is read, and the tap steers, below. */
static void set_active_pairs(struct virtio_net *n, unsigned int pairs)
{
	unsigned int i;

	/* A pair is read only while its tap queue is attached. */
	if (pairs > atomic_load(&n->active_pairs)) {
		net_tap_attach_pairs(n, pairs);
		atomic_store(&n->active_pairs, pairs);
	} else {
		atomic_store(&n->active_pairs, pairs);
		net_tap_attach_pairs(n, pairs);
	}
	if (n->vhost_running)
		return;
	for (i = 1; i < n->npairs; i++)
		eventfd_write(n->pair[i]->wake_fd, 1);
}

/* One command: its ack (5.1.6.5). */
static uint8_t ctrl_command(struct virtio_net *n, const struct virtq_chain *c)
{
	uint8_t cmd[4];
	uint16_t pairs;

	if (c->out_len < 2)
		return VIRTIO_NET_ERR;
	net_iov_read_head(c->iov, c->nr_out, cmd,
			  c->out_len < sizeof(cmd) ? c->out_len : sizeof(cmd));
	if (cmd[0] != VIRTIO_NET_CTRL_MQ ||
	    cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    !virtio_has_feature(n->vdev, VIRTIO_NET_F_MQ) ||
	    c->out_len != sizeof(cmd))
		return VIRTIO_NET_ERR;
	memcpy(&pairs, cmd + 2, sizeof(pairs));
	if (pairs < 1 || pairs > n->npairs)
		return VIRTIO_NET_ERR;
	set_active_pairs(n, pairs);
	return VIRTIO_NET_OK;
}

void net_ctrl_serve(struct virtio_net *n, struct net_pair *p0)
{
	struct virtio_dev *vdev = n->vdev;
	struct virtq *q;
	struct virtq_chain c = { .iov = p0->ctrl_iov, .max = NET_QUEUE_SIZE };
	int r = 0;

	if (n->ctrl_q < 0 || !vdev->q[n->ctrl_q].enabled)
		return;
	q = &vdev->q[n->ctrl_q].vq;
	do {
		virtq_disable_notify(q);
		while (!atomic_load(&n->stopping) && !virtio_dev_is_broken(vdev) &&
		       (r = virtq_pop(q, &c)) > 0) {
			uint8_t ack;

			if (!c.in_len) {
				virtio_dev_broken(vdev, "virtio-net control command without an ack byte");
				return;
			}
			ack = ctrl_command(n, &c);
			/* The ack is the writable part's first (only) byte. */
			*(uint8_t *)c.iov[c.nr_out].iov_base = ack;
			virtq_push(q, c.head, 1);
			virtio_queue_notify(vdev, n->ctrl_q);
		}
		if (r < 0)
			virtio_dev_broken(vdev, q->why);
		if (atomic_load(&n->stopping) || virtio_dev_is_broken(vdev))
			return;
	} while (virtq_enable_notify(q));
}
