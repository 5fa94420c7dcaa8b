/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM's IOAPIC (82093AA): HVX_IOAPIC_PINS pins, each a GSI, routed to
 * the local APICs by its redirection entry. User space drives the pins
 * with HVX_IRQ_LINE; the guest programs the entries through the
 * IOREGSEL/IOWIN window at HVX_IOAPIC_ADDR.
 */
#ifndef HVX_IOAPIC_H
#define HVX_IOAPIC_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/hvx.h>

#include "iobus.h"

struct hvx_vm;

struct hvx_ioapic {
	struct hvx_vm *vm;
	struct hvx_io_device dev;	/* the window, on the MMIO bus */
	spinlock_t lock;		/* before vm->irq_lock */
	u32 ioregsel;
	u32 id;
	u64 redir[HVX_IOAPIC_PINS];
	unsigned long lines;		/* pin levels as last driven */
};

/* Under vm->lock: the IOAPIC, its window registered on the MMIO bus. */
int hvx_ioapic_create(struct hvx_vm *vm);
void hvx_ioapic_free(struct hvx_vm *vm);
/* Drive pin @gsi; -ENXIO without an IOAPIC. Process context. */
int hvx_ioapic_set_line(struct hvx_vm *vm, u32 gsi, bool level);
/*
 * A local APIC's EOI for a level-triggered @vector: the resample irqfds
 * of the pins it ends are told first (eventfds.c), then Remote IRR goes.
 */
void hvx_ioapic_eoi(struct hvx_vm *vm, u8 vector);

#endif /* HVX_IOAPIC_H */
