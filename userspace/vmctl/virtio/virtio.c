// SPDX-License-Identifier: GPL-2.0
/*
 * The transport-independent part of a virtio device (virtio.h): feature
 * checks, queue enabling, start, reset and the broken state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/vm.h"
#include "virtio/virtio.h"

/* The ring features every device gets from virtqueue.c. */
#define VIRTIO_CORE_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
				 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
				 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

static void queue_clear(struct virtio_queue *vq, uint16_t max_size)
{
	vq->size = max_size;
	vq->desc = vq->driver = vq->device = 0;
	vq->enabled = false;
	memset(&vq->vq, 0, sizeof(vq->vq));
}

int virtio_dev_init(struct virtio_dev *vdev, struct vmctl_vm *vm,
		    const struct virtio_dev_ops *ops, void *dev,
		    const struct virtio_transport_ops *tops, void *transport)
{
	unsigned int i;

	memset(vdev, 0, sizeof(*vdev));
	vdev->ops = ops;
	vdev->dev = dev;
	vdev->tops = tops;
	vdev->transport = transport;
	vdev->vm = vm;
	vdev->host_features = ops->features(dev) | VIRTIO_CORE_FEATURES;
	vdev->q = calloc(ops->nqueues, sizeof(*vdev->q));
	if (!vdev->q)
		goto err;
	for (i = 0; i < ops->nqueues; i++)
		vdev->q[i].kick_fd = -1;
	for (i = 0; i < ops->nqueues; i++) {
		queue_clear(&vdev->q[i], ops->queue_max_size);
		vdev->q[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->q[i].kick_fd < 0)
			goto err_fds;
	}
	return 0;

err_fds:
	fprintf(stderr, "vmctl: %s: eventfd: %s\n", ops->name, strerror(errno));
	for (i = 0; i < ops->nqueues; i++)
		if (vdev->q[i].kick_fd >= 0)
			close(vdev->q[i].kick_fd);
	free(vdev->q);
	vdev->q = NULL;
	return -1;
err:
	fprintf(stderr, "vmctl: %s: out of memory\n", ops->name);
	return -1;
}

void virtio_dev_destroy(struct virtio_dev *vdev)
{
	unsigned int i;

	if (!vdev->q)
		return;
	virtio_dev_reset(vdev);
	for (i = 0; i < vdev->ops->nqueues; i++)
		close(vdev->q[i].kick_fd);
	free(vdev->q);
	vdev->q = NULL;
}

bool virtio_dev_features_ok(struct virtio_dev *vdev)
{
	/* 6.1: no legacy interface, so VERSION_1 is a must. */
	return !(vdev->guest_features & ~vdev->host_features) &&
	       virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
}

int virtio_dev_queue_enable(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_queue *vq = &vdev->q[q];

	if (virtq_init(&vq->vq, vdev->vm, vq->size, vdev->ops->queue_max_size,
		       vq->desc, vq->driver, vq->device,
		       virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX),
		       virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC))) {
		virtio_dev_broken(vdev, vq->vq.why);
		return -1;
	}
	vq->enabled = true;
	return 0;
}

int virtio_dev_driver_ok(struct virtio_dev *vdev)
{
	if (vdev->started || virtio_dev_is_broken(vdev))
		return 0;
	if (vdev->ops->start(vdev->dev, vdev)) {
		virtio_dev_broken(vdev, "the device could not start");
		return -1;
	}
	vdev->started = true;
	return 0;
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

void virtio_dev_reset(struct virtio_dev *vdev)
{
	unsigned int i;

	/* First: after this, nothing touches the rings or buffers. */
	if (vdev->started)
		vdev->ops->stop(vdev->dev);
	vdev->started = false;
	for (i = 0; i < vdev->ops->nqueues; i++) {
		queue_clear(&vdev->q[i], vdev->ops->queue_max_size);
		drain(vdev->q[i].kick_fd);	/* no stale kick for the next driver */
	}
	vdev->guest_features = 0;
	atomic_store(&vdev->status, 0);
	atomic_store(&vdev->broken, false);
}

void virtio_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	if (virtq_should_notify(&vdev->q[q].vq))
		vdev->tops->signal_queue(vdev->transport, q);
}

void virtio_dev_broken(struct virtio_dev *vdev, const char *why)
{
	if (atomic_exchange(&vdev->broken, true))
		return;
	/* A hostile guest could break and reset forever: one line in all. */
	if (!atomic_exchange(&vdev->told, true))
		fprintf(stderr, "vmctl: %s: the driver broke the virtio rules (%s); the device needs a reset\n",
			vdev->ops->name, why);
	atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET);
	/* 4.1.5.1.4: a configuration change interrupt tells the driver. */
	vdev->tops->signal_config(vdev->transport);
}
