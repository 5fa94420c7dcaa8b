// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's side of a virtio-PCI function (virtio_driver.h), as the
 * virtio tests play the guest: every access goes through the fake VM's
 * MMIO bus, as a vCPU's exit would, and the rings are in its RAM.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bus.h"
#include "core/vm.h"
#include "pci/pci.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio_driver.h"

static struct vmctl_vm *vdrv_vm;

void vdrv_use_vm(struct vmctl_vm *vm)
{
	vdrv_vm = vm;
}

void vdrv_mmio(uint64_t addr, bool write, void *v, unsigned int len)
{
	if (!vmctl_bus_access(&vdrv_vm->mmio, addr, write, v, len))
		abort();
}

void vdrv_w(struct vdrv *dr, uint64_t off, uint64_t v, unsigned int len)
{
	vdrv_mmio(dr->bar + off, true, &v, len);
}

uint64_t vdrv_r(struct vdrv *dr, uint64_t off, unsigned int len)
{
	uint64_t v = 0;

	vdrv_mmio(dr->bar + off, false, &v, len);
	return v;
}

uint32_t vdrv_cfg_r(struct pci_dev *d, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	vdrv_mmio(PCI_ECAM_BASE + ((uint64_t)d->slot << 15) + off, false, &v,
		  len);
	return v;
}

void vdrv_cfg_w(struct pci_dev *d, unsigned int off, uint32_t v,
		unsigned int len)
{
	vdrv_mmio(PCI_ECAM_BASE + ((uint64_t)d->slot << 15) + off, true, &v,
		  len);
}

void *vdrv_gpa(uint64_t a)
{
	return vdrv_vm->mem + a;
}

uint64_t vdrv_offered(struct vdrv *dr)
{
	uint64_t f;

	vdrv_w(dr, DFSELECT, 0, 4);
	f = vdrv_r(dr, DF, 4);
	vdrv_w(dr, DFSELECT, 1, 4);
	return f | vdrv_r(dr, DF, 4) << 32;
}

bool vdrv_negotiate(struct vdrv *dr, uint64_t want)
{
	vdrv_w(dr, STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	dr->features = vdrv_offered(dr) & want;
	vdrv_w(dr, GFSELECT, 0, 4);
	vdrv_w(dr, GF, (uint32_t)dr->features, 4);
	vdrv_w(dr, GFSELECT, 1, 4);
	vdrv_w(dr, GF, dr->features >> 32, 4);
	vdrv_w(dr, STATUS, 0xb, 1);
	return vdrv_r(dr, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK;
}

bool vdrv_queue_setup(struct vdrv *dr, unsigned int qi, struct vdrv_queue *q,
		      uint16_t vec)
{
	memset(vdrv_gpa(q->base), 0, 0x3000);
	q->avail_idx = q->next_desc = 0;
	vdrv_w(dr, Q_SELECT, qi, 2);
	if (vdrv_r(dr, Q_SIZE, 2) != VDRV_QSIZE)
		return false;
	if (!q->size)
		q->size = VDRV_QSIZE;
	vdrv_w(dr, Q_SIZE, q->size, 2);
	vdrv_w(dr, Q_DESC, VDRV_DESC(q), 8);
	vdrv_w(dr, Q_DRIVER, VDRV_AVAIL(q), 4);	/* halves, as Linux does */
	vdrv_w(dr, Q_DRIVER + 4, VDRV_AVAIL(q) >> 32, 4);
	vdrv_w(dr, Q_DEVICE, VDRV_USED(q), 8);
	vdrv_w(dr, Q_MSIX, vec, 2);
	vdrv_w(dr, Q_ENABLE, 1, 2);
	q->notify_off = vdrv_r(dr, Q_NOTIFY_OFF, 2);
	return true;
}

bool vdrv_wait_status(struct vdrv *dr, uint8_t bit, unsigned int ms)
{
	struct timespec ts = { 0, 1000000 };

	for (unsigned int i = 0; i < ms && !(vdrv_r(dr, STATUS, 1) & bit); i++)
		nanosleep(&ts, NULL);
	return vdrv_r(dr, STATUS, 1) & bit;
}

void vdrv_kick(struct vdrv *dr, unsigned int qi, uint16_t notify_off)
{
	vdrv_w(dr, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * notify_off,
	       qi, 2);
}

uint16_t vdrv_used_idx(struct vdrv_queue *q)
{
	return __atomic_load_n((uint16_t *)vdrv_gpa(VDRV_USED(q) + 2),
			       __ATOMIC_ACQUIRE);
}

uint32_t vdrv_used_id(struct vdrv_queue *q, uint16_t i)
{
	return ((uint32_t *)vdrv_gpa(VDRV_USED(q) + 4))[2 * (i % q->size)];
}

uint32_t vdrv_used_len(struct vdrv_queue *q, uint16_t i)
{
	return ((uint32_t *)vdrv_gpa(VDRV_USED(q) + 4))[2 * (i % q->size) + 1];
}

bool vdrv_wait_used(struct vdrv_queue *q, uint16_t n, unsigned int ms)
{
	struct timespec ts = { 0, 1000000 };

	for (unsigned int i = 0; i < ms; i++) {
		if (vdrv_used_idx(q) == n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

void vdrv_desc(struct vdrv_queue *q, uint16_t i, uint64_t addr, uint32_t len,
	       uint16_t flags, uint16_t next)
{
	struct virtq_desc *d = vdrv_gpa(VDRV_DESC(q));

	d[i] = (struct virtq_desc){ addr, len, flags, next };
}

void vdrv_publish(struct vdrv_queue *q, uint16_t head, uint16_t used_event)
{
	uint16_t *avail = vdrv_gpa(VDRV_AVAIL(q));

	__atomic_store_n(&avail[2 + q->size], used_event, __ATOMIC_RELAXED);
	avail[2 + q->avail_idx % q->size] = head;
	q->avail_idx++;
	__atomic_store_n(&avail[1], q->avail_idx, __ATOMIC_RELEASE);
}
