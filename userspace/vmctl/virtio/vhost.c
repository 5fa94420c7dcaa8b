// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-net (vhost.h): the kernel serves one virtio-net queue pair, RX and
 * TX, straight between the guest's rings and a tap queue, so that a frame
 * costs no exit to vmctl and no copy through it.
 *
 * What vhost is given at DRIVER_OK, in the order its ioctls want it:
 *   - the features (VHOST_SET_FEATURES): only the ring's and VERSION_1 and
 *     MRG_RXBUF, the ones that change how vhost walks the rings and how
 *     long the header is. The offloads (CSUM, TSO...) are the tap's
 *     business (net.c sets TUNSETOFFLOAD); vhost passes the 12-byte
 *     header through. VHOST_NET_F_VIRTIO_NET_HDR stays off: the tap has
 *     TUNSETVNETHDRSZ 12, so the header is the tap's, not vhost's;
 *   - the memory table (VHOST_SET_MEM_TABLE): guest RAM is one region,
 *     guest-physical 0 at vm->mem, which vhost reads and writes as the
 *     vmctl process (it took ownership: VHOST_SET_OWNER at open);
 *   - per ring (vhost index 0 = RX, 1 = TX): size, base index (0: the
 *     driver starts every ring from 0 after a reset), the host addresses
 *     of the three parts (no dirty logging), the kick eventfd (the
 *     transport's ioeventfd, signalled by the guest's notify write) and a
 *     call eventfd of ours, which the transport routes to the queue's
 *     interrupt (set_queue_callfd: an irqfd of its MSI-X vector, or a
 *     relay thread while it cannot be one);
 *   - the backend last (VHOST_NET_SET_BACKEND): from here vhost runs.
 * With VIRTIO_RING_F_EVENT_IDX negotiated vhost keeps used_event and
 * avail_event itself.
 *
 * Stopping removes the backend first: when VHOST_NET_SET_BACKEND -1
 * returns, vhost has flushed its work and touches guest memory no more.
 * Then the rings are unbound and the call routes dropped.
 *
 * One thread at a time calls these (the device model, under the
 * transport's lock at DRIVER_OK and reset).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "core/vm.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"

#define VIRTIO_NET_F_MRG_RXBUF	15

/* What vmctl lets vhost see: the ring's layout and the header's length. */
#define VHOST_NET_KNOWN	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
			 VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | \
			 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
			 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX))

#define VHOST_RINGS	2	/* RX, TX */

struct vhost_net {
	int fd;
	uint64_t features;		/* VHOST_GET_FEATURES & VHOST_NET_KNOWN */
	/* While started: */
	struct virtio_dev *vdev;
	unsigned int rxq;
	int call_fd[VHOST_RINGS];
	bool routed[VHOST_RINGS];	/* the transport has call_fd[i] */
	bool kick_set[VHOST_RINGS];
	bool backend[VHOST_RINGS];
	bool started;
};

static int vhost_ioctl(struct vhost_net *v, unsigned long req, void *arg,
		       const char *name, int ring)
{
	if (ioctl(v->fd, req, arg) >= 0)
		return 0;
	if (ring >= 0)
		fprintf(stderr, "vmctl: vhost-net: %s (ring %d): %s\n", name,
			ring, strerror(errno));
	else
		fprintf(stderr, "vmctl: vhost-net: %s: %s\n", name,
			strerror(errno));
	return -1;
}

struct vhost_net *vhost_net_open(void)
{
	struct vhost_net *v;
	uint64_t f;
	int err, i;

	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (v->fd < 0)
		goto fail;
	if (ioctl(v->fd, VHOST_SET_OWNER) < 0 ||
	    ioctl(v->fd, VHOST_GET_FEATURES, &f) < 0)
		goto fail;
	v->features = f & VHOST_NET_KNOWN;
	for (i = 0; i < VHOST_RINGS; i++)
		v->call_fd[i] = -1;
	return v;

fail:
	err = errno;
	if (v->fd >= 0)
		close(v->fd);
	free(v);
	errno = err;
	return NULL;
}

uint64_t vhost_net_features(struct vhost_net *v)
{
	return v->features;
}

/* Undo whatever start (or a failed start) set up, in reverse. */
static void teardown(struct vhost_net *v)
{
	struct vhost_vring_file file;
	struct vhost_vring_state state;
	struct virtio_dev *vdev = v->vdev;
	int i;

	/* Backend off first: vhost is done with guest memory after it. */
	for (i = 0; i < VHOST_RINGS; i++) {
		if (!v->backend[i])
			continue;
		file = (struct vhost_vring_file){ .index = i, .fd = -1 };
		vhost_ioctl(v, VHOST_NET_SET_BACKEND, &file,
			    "VHOST_NET_SET_BACKEND -1", i);
		v->backend[i] = false;
	}
	for (i = 0; i < VHOST_RINGS; i++) {
		/* Also stops the ring; the index is of no use after a reset. */
		state = (struct vhost_vring_state){ .index = i };
		if (v->started)
			vhost_ioctl(v, VHOST_GET_VRING_BASE, &state,
				    "VHOST_GET_VRING_BASE", i);
		if (v->kick_set[i]) {
			file = (struct vhost_vring_file){
				.index = i, .fd = VHOST_FILE_UNBIND };
			vhost_ioctl(v, VHOST_SET_VRING_KICK, &file,
				    "VHOST_SET_VRING_KICK -1", i);
			v->kick_set[i] = false;
		}
		if (v->call_fd[i] < 0)
			continue;
		file = (struct vhost_vring_file){
			.index = i, .fd = VHOST_FILE_UNBIND };
		vhost_ioctl(v, VHOST_SET_VRING_CALL, &file,
			    "VHOST_SET_VRING_CALL -1", i);
		if (v->routed[i])
			vdev->tops->set_queue_callfd(vdev->transport,
						     v->rxq + i, -1);
		v->routed[i] = false;
		close(v->call_fd[i]);
		v->call_fd[i] = -1;
	}
	v->started = false;
	v->vdev = NULL;
}

static int set_ring(struct vhost_net *v, int i)
{
	struct virtio_dev *vdev = v->vdev;
	struct virtio_queue *q = &vdev->q[v->rxq + i];
	struct vmctl_vm *vm = vdev->vm;
	struct vhost_vring_state state = { .index = i, .num = q->size };
	struct vhost_vring_addr addr = { .index = i };
	struct vhost_vring_file file = { .index = i };
	void *desc, *avail, *used;

	desc = vmctl_vm_gpa(vm, q->desc, VIRTQ_DESC_BYTES(q->size));
	avail = vmctl_vm_gpa(vm, q->driver, VIRTQ_AVAIL_BYTES(q->size));
	used = vmctl_vm_gpa(vm, q->device, VIRTQ_USED_BYTES(q->size));
	if (!q->enabled || !desc || !avail || !used) {
		/* virtio_dev_queue_enable() checked them: a caller's bug. */
		fprintf(stderr, "vmctl: vhost-net: queue %u is not enabled and in RAM\n",
			v->rxq + i);
		return -1;
	}
	addr.desc_user_addr = (uintptr_t)desc;
	addr.avail_user_addr = (uintptr_t)avail;
	addr.used_user_addr = (uintptr_t)used;
	if (vhost_ioctl(v, VHOST_SET_VRING_NUM, &state, "VHOST_SET_VRING_NUM", i))
		return -1;
	state.num = 0;
	if (vhost_ioctl(v, VHOST_SET_VRING_BASE, &state, "VHOST_SET_VRING_BASE", i) ||
	    vhost_ioctl(v, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR", i))
		return -1;
	file.fd = q->kick_fd;
	if (vhost_ioctl(v, VHOST_SET_VRING_KICK, &file, "VHOST_SET_VRING_KICK", i))
		return -1;
	v->kick_set[i] = true;

	v->call_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->call_fd[i] < 0) {
		fprintf(stderr, "vmctl: vhost-net: eventfd: %s\n",
			strerror(errno));
		return -1;
	}
	/* Routed before vhost may signal it, so that no call is missed. */
	if (vdev->tops->set_queue_callfd(vdev->transport, v->rxq + i,
					 v->call_fd[i]))
		return -1;
	v->routed[i] = true;
	file.fd = v->call_fd[i];
	return vhost_ioctl(v, VHOST_SET_VRING_CALL, &file, "VHOST_SET_VRING_CALL", i);
}

int vhost_net_start(struct vhost_net *v, struct virtio_dev *vdev,
		    unsigned int rxq, uint64_t features, int tap_fd)
{
	struct vhost_memory *mem;
	struct vhost_vring_file file;
	uint64_t f = features & v->features;
	int i, ret;

	if (v->started || v->vdev)
		teardown(v);
	if (!vdev->tops->set_queue_callfd) {
		fprintf(stderr, "vmctl: vhost-net: the transport cannot route interrupts\n");
		return -1;
	}
	v->vdev = vdev;
	v->rxq = rxq;
	v->started = true;	/* from here teardown() asks for the bases */
	if (vhost_ioctl(v, VHOST_SET_FEATURES, &f, "VHOST_SET_FEATURES", -1))
		goto fail;
	mem = calloc(1, sizeof(*mem) + sizeof(mem->regions[0]));
	if (!mem) {
		fprintf(stderr, "vmctl: vhost-net: out of memory\n");
		goto fail;
	}
	mem->nregions = 1;
	mem->regions[0].guest_phys_addr = 0;
	mem->regions[0].memory_size = vdev->vm->mem_size;
	mem->regions[0].userspace_addr = (uintptr_t)vdev->vm->mem;
	ret = vhost_ioctl(v, VHOST_SET_MEM_TABLE, mem, "VHOST_SET_MEM_TABLE", -1);
	free(mem);
	if (ret)
		goto fail;
	for (i = 0; i < VHOST_RINGS; i++)
		if (set_ring(v, i))
			goto fail;
	for (i = 0; i < VHOST_RINGS; i++) {
		file = (struct vhost_vring_file){ .index = i, .fd = tap_fd };
		if (vhost_ioctl(v, VHOST_NET_SET_BACKEND, &file,
				"VHOST_NET_SET_BACKEND", i))
			goto fail;
		v->backend[i] = true;
	}
	return 0;

fail:
	teardown(v);
	return -1;
}

void vhost_net_stop(struct vhost_net *v)
{
	if (v && v->vdev)
		teardown(v);
}

void vhost_net_close(struct vhost_net *v)
{
	if (!v)
		return;
	vhost_net_stop(v);
	close(v->fd);
	free(v);
}
