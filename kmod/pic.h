/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM's 8259A pair (HVX_CREATE_PIC): pic_core.c's state machine on the
 * port bus at 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1 (ELCR), its inputs the
 * ISA IRQs that HVX_IRQ_LINE drives, its INT output every local APIC's
 * LINT0.
 *
 * Why in the kernel: a guest that takes its interrupts from the 8259s
 * writes an EOI, and usually a mask or two, for every interrupt; each one
 * a round trip to user space would cost more than the handler it serves.
 *
 * Locking: lock (a raw spinlock: the acknowledge is taken in
 * hvx_vmx_enter() with interrupts off, PREEMPT_RT included) covers the
 * core. It is never taken in hard-interrupt context, and nothing is taken
 * inside it; vCPUs are kicked after it is dropped. output mirrors the
 * core's INT for lock-free looks from the entry path and the halt wait.
 */
#ifndef HVX_PIC_H
#define HVX_PIC_H

#include <linux/spinlock.h>
#include <linux/types.h>

#include "iobus.h"
#include "pic_core.h"

struct hvx_vcpu;
struct hvx_vm;

struct hvx_pic {
	struct hvx_vm *vm;
	struct hvx_io_device dev;	/* three port ranges, see pic.c */
	raw_spinlock_t lock;
	struct hvx_pic_core core;
	bool output;			/* core's INT; written under lock */
};

/* HVX_CREATE_PIC, under vm->lock: needs the irqchip, once per VM. */
int hvx_pic_create(struct hvx_vm *vm);
void hvx_pic_free(struct hvx_vm *vm);
/*
 * HVX_IRQ_LINE's @gsi < 16 as an ISA IRQ: GSI 2 is ISA IRQ 0 (the
 * MADT's override), GSI 0 none (IOAPIC pin 0 is the 8259's INT on a PC),
 * others their own number. No-op without the PIC. Process context.
 */
void hvx_pic_set_gsi(struct hvx_vm *vm, u32 gsi, bool level);
/*
 * The vCPU would take the PIC's interrupt now if RFLAGS.IF allowed:
 * INT is up and its APIC passes LINT0 through (ExtINT, or hardware
 * disabled). Any context; a hint, re-checked by the acknowledge.
 */
bool hvx_pic_extint_pending(struct hvx_vcpu *vcpu);
/* INTA for @vcpu's injection: the vector (spurious 7/15 if none). */
u8 hvx_pic_ack(struct hvx_vcpu *vcpu);

#endif /* HVX_PIC_H */
