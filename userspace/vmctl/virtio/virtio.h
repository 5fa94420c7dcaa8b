/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio 1.x device, apart from its transport (as kvmtool's struct
 * virtio_ops): a device model (blk.c, later net and balloon) fills a
 * struct virtio_dev_ops and serves its queues; a transport (pci.c, maybe
 * mmio.c one day) owns the registers and interrupts and drives the
 * device's lifecycle through the struct virtio_dev between them. Neither
 * knows the other's internals.
 *
 * Lifecycle (virtio 1.2, 3.1): the driver negotiates features (the
 * transport checks them with virtio_dev_features_ok()), enables queues
 * (virtio_dev_queue_enable()), and sets DRIVER_OK: the core calls
 * ops->start(). A reset (status 0) or the device's destruction calls
 * ops->stop(), which returns only when the device will not read or write
 * guest memory again; then the queues are forgotten.
 *
 * Kicks: each queue has an eventfd, @kick_fd. The transport makes the
 * driver's notification signal it (an ioeventfd in the module, or a write
 * from the vCPU thread that took the MMIO exit), and the device's I/O
 * thread waits on it. So a device never sees a vCPU thread.
 */
#ifndef VMCTL_VIRTIO_H
#define VMCTL_VIRTIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

struct vmctl_vm;

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* Device-independent feature bits (6). */
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

#define VIRTIO_BIT(b)			(1ull << (b))

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;		/* for messages: "virtio-blk" */
	uint16_t device_id;		/* 5: 2 for a block device */
	unsigned int nqueues;
	uint16_t queue_max_size;	/* a power of two */
	uint32_t config_size;		/* bytes of device configuration */
	/* Device-specific feature bits; the core adds the ring's and VERSION_1. */
	uint64_t (*features)(void *dev);
	/*
	 * Device configuration at @off (< config_size, @len bytes, within
	 * it): from vCPU threads, so under the device's own locking.
	 */
	void (*config_read)(void *dev, uint32_t off, void *data,
			    unsigned int len);
	void (*config_write)(void *dev, uint32_t off, const void *data,
			     unsigned int len);
	/* DRIVER_OK: the enabled queues are live; start serving. 0 or -1. */
	int (*start)(void *dev, struct virtio_dev *vdev);
	/* Stop serving; on return no request is in flight or will be. */
	void (*stop)(void *dev);
};

/* What a device asks of its transport; safe from any thread. */
struct virtio_transport_ops {
	void (*signal_queue)(void *transport, unsigned int q);
	void (*signal_config)(void *transport);
	/*
	 * Route eventfd @fd to queue @q's interrupt, for a device whose
	 * queues the kernel serves (vhost): each signal of @fd is then a
	 * signal_queue(), in the kernel where the transport can (an irqfd of
	 * the queue's MSI-X message) or by a thread of the transport. The
	 * transport makes @fd non-blocking; @fd stays open until its route
	 * is removed or replaced. -1 removes the route; on return
	 * no signal of the old fd is being or will be delivered. 0 or -1 (a
	 * message said why). Not with the transport's or the PCI device's
	 * interrupt locks held (a reset's p->lock is fine).
	 */
	int (*set_queue_callfd)(void *transport, unsigned int q, int fd);
};

struct virtio_queue {
	/* Driver's setup, under the transport's lock until enabled. */
	uint16_t size;
	uint64_t desc, driver, device;
	bool enabled;
	struct virtq vq;		/* the I/O thread's, once started */
	int kick_fd;			/* eventfd, for the queue's life */
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *dev;
	const struct virtio_transport_ops *tops;
	void *transport;
	struct vmctl_vm *vm;
	uint64_t host_features;		/* offered */
	uint64_t guest_features;	/* accepted by the driver */
	/* Written by the transport; the I/O thread only ORs NEEDS_RESET in. */
	_Atomic uint8_t status;
	bool started;			/* ops->start() succeeded */
	_Atomic bool broken;		/* until the driver resets it */
	_Atomic bool told;		/* said so once, for the device's life */
	struct virtio_queue *q;		/* ops->nqueues of them */
};

/* For transports. */
int virtio_dev_init(struct virtio_dev *vdev, struct vmctl_vm *vm,
		    const struct virtio_dev_ops *ops, void *dev,
		    const struct virtio_transport_ops *tops, void *transport);
/* Stops the device (as a reset) and frees what init made. */
void virtio_dev_destroy(struct virtio_dev *vdev);
/* Whether the driver's features may be accepted (FEATURES_OK). */
bool virtio_dev_features_ok(struct virtio_dev *vdev);
/* queue_enable = 1: check and map the rings. 0 or -1 (logged). */
int virtio_dev_queue_enable(struct virtio_dev *vdev, unsigned int q);
/* DRIVER_OK was set: start the device. 0 or -1 (it is then broken). */
int virtio_dev_driver_ok(struct virtio_dev *vdev);
/* Status 0: stop the device, forget features and queues. */
void virtio_dev_reset(struct virtio_dev *vdev);

/* For devices. */
static inline bool virtio_has_feature(const struct virtio_dev *vdev,
				      unsigned int bit)
{
	return vdev->guest_features & VIRTIO_BIT(bit);
}
/* Interrupt the driver for queue @q if virtq_should_notify() says so. */
void virtio_queue_notify(struct virtio_dev *vdev, unsigned int q);
/*
 * The driver broke the rules (@why): set DEVICE_NEEDS_RESET, raise a
 * configuration interrupt, say it once. The device stops serving its
 * queues until the driver resets it (2.1.2).
 */
void virtio_dev_broken(struct virtio_dev *vdev, const char *why);
static inline bool virtio_dev_is_broken(struct virtio_dev *vdev)
{
	return atomic_load(&vdev->broken);
}

#endif /* VMCTL_VIRTIO_H */
