/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's vhost-net as virtio-net's data path: one /dev/vhost-net
 * per queue pair, given guest memory (one region: guest-physical 0 at
 * vm->mem), the rings the driver set up, the queues' kick eventfds (the
 * transport's ioeventfds) and call eventfds that the transport routes to
 * the queues' MSI-X vectors as irqfds. The tap queue is the backend.
 */
#ifndef VMCTL_VIRTIO_VHOST_H
#define VMCTL_VIRTIO_VHOST_H

#include <stdint.h>

struct virtio_dev;
struct vhost_net;

/*
 * Open /dev/vhost-net for one queue pair and take ownership (VHOST_SET_OWNER).
 * NULL with errno set (ENOENT: no vhost_net module) and nothing printed.
 */
struct vhost_net *vhost_net_open(void);
/* VHOST_GET_FEATURES: the virtio-net features the kernel can serve. */
uint64_t vhost_net_features(struct vhost_net *v);
/*
 * DRIVER_OK: features @features (the driver's, minus what the device
 * model serves itself), the memory table, then RX queue @rxq and TX queue
 * @rxq + 1 of @vdev (enabled, mapped) with their kick and call eventfds,
 * and @tap_fd as backend. 0, or -1 with a message (nothing left running).
 */
int vhost_net_start(struct vhost_net *v, struct virtio_dev *vdev,
		    unsigned int rxq, uint64_t features, int tap_fd);
/* Detach the backend and the rings; the device serves nothing after it. */
void vhost_net_stop(struct vhost_net *v);
void vhost_net_close(struct vhost_net *v);

#endif /* VMCTL_VIRTIO_VHOST_H */
