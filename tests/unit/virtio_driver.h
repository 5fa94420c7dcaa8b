/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver's side of a virtio-PCI function, for the tests that drive
 * vmctl's devices as a guest would (virtio_blk_test, virtio_net_test,
 * virtio_callfd_test): config space and BAR accesses through the fake
 * VM's MMIO bus (the accesses a vCPU's exits make), feature negotiation,
 * split queues in the fake VM's RAM, kicks, and waiting for used entries.
 */
#ifndef VIRTIO_DRIVER_H
#define VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

struct vmctl_vm;
struct pci_dev;

/* Common configuration offsets (virtio 1.2, 4.1.4.3). */
#define DFSELECT	0
#define DF		4
#define GFSELECT	8
#define GF		12
#define MSIX_CONFIG	16
#define NUM_QUEUES	18
#define STATUS		20
#define Q_SELECT	22
#define Q_SIZE		24
#define Q_MSIX		26
#define Q_ENABLE	28
#define Q_NOTIFY_OFF	30
#define Q_DESC		32
#define Q_DRIVER	40
#define Q_DEVICE	48

/* The queue size the test devices offer, and the drivers use. */
#define VDRV_QSIZE	256

/* A function: its config space, BAR 0 and the features negotiated. */
struct vdrv {
	struct pci_dev *d;
	uint64_t bar, features;
};

/* A driver's view of one queue: rings at @base in guest RAM. */
struct vdrv_queue {
	uint64_t base;
	uint16_t size;			/* VDRV_QSIZE unless a case wants less */
	uint16_t avail_idx, notify_off, next_desc;
};

#define VDRV_DESC(q)	((q)->base)
#define VDRV_AVAIL(q)	((q)->base + 0x1000)
#define VDRV_USED(q)	((q)->base + 0x2000)

/* The VM whose MMIO bus and RAM the helpers use: first, once. */
void vdrv_use_vm(struct vmctl_vm *vm);

/* An MMIO access; aborts where nothing answers. */
void vdrv_mmio(uint64_t addr, bool write, void *v, unsigned int len);
/* BAR 0 at @off. */
void vdrv_w(struct vdrv *dr, uint64_t off, uint64_t v, unsigned int len);
uint64_t vdrv_r(struct vdrv *dr, uint64_t off, unsigned int len);
/* @d's config space (ECAM). */
uint32_t vdrv_cfg_r(struct pci_dev *d, unsigned int off, unsigned int len);
void vdrv_cfg_w(struct pci_dev *d, unsigned int off, uint32_t v,
		unsigned int len);
/* Guest physical @a in the test's memory. */
void *vdrv_gpa(uint64_t a);

/* The 64 feature bits the device offers. */
uint64_t vdrv_offered(struct vdrv *dr);
/*
 * ACKNOWLEDGE | DRIVER, then the features offered & @want (kept in
 * dr->features), FEATURES_OK: whether the device kept it.
 */
bool vdrv_negotiate(struct vdrv *dr, uint64_t want);
/*
 * Queue @qi on empty rings at q->base (q->size entries, VDRV_QSIZE if 0;
 * false unless the device offers VDRV_QSIZE), vector @vec, enabled.
 */
bool vdrv_queue_setup(struct vdrv *dr, unsigned int qi, struct vdrv_queue *q,
		      uint16_t vec);
/* Wait up to about @ms for the status bit @bit. */
bool vdrv_wait_status(struct vdrv *dr, uint8_t bit, unsigned int ms);
/* Notify queue @qi, whose notify offset is @notify_off. */
void vdrv_kick(struct vdrv *dr, unsigned int qi, uint16_t notify_off);

/* The used ring: its index, and entry @i's id and length. */
uint16_t vdrv_used_idx(struct vdrv_queue *q);
uint32_t vdrv_used_id(struct vdrv_queue *q, uint16_t i);
uint32_t vdrv_used_len(struct vdrv_queue *q, uint16_t i);
/* Wait up to about @ms for the used index to be @n. */
bool vdrv_wait_used(struct vdrv_queue *q, uint16_t n, unsigned int ms);

/* Descriptor @i. */
void vdrv_desc(struct vdrv_queue *q, uint16_t i, uint64_t addr, uint32_t len,
	       uint16_t flags, uint16_t next);
/* Make chain @head available, asking (EVENT_IDX) for used entry @used_event. */
void vdrv_publish(struct vdrv_queue *q, uint16_t head, uint16_t used_event);

#endif
