/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC of a vCPU, emulated in the module: xAPIC (MMIO at the
 * page of IA32_APIC_BASE) and x2APIC (MSRs 0x800-0x8ff), the timer in
 * one-shot, periodic and TSC-deadline modes, IPIs, INIT and SIPI.
 *
 * Concurrency: the IRR and the pending INIT/SIPI/NMI events are set from
 * any context (other vCPUs, the IOAPIC, the timer's hrtimer) with atomic
 * bit operations, then the vCPU is kicked. Everything else is touched by
 * the vCPU's own thread only, under vcpu->mutex.
 */
#ifndef HVX_LAPIC_H
#define HVX_LAPIC_H

#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/types.h>

#include "iobus.h"

struct hvx_vcpu;
struct hvx_vm;

#define HVX_APIC_REGS		64	/* 16-byte registers in the 4 KiB page */

/* Events for the vCPU's own thread, in hvx_lapic.events. */
enum {
	HVX_APIC_EV_INIT,
	HVX_APIC_EV_SIPI,
	HVX_APIC_EV_NMI,
};

struct hvx_lapic {
	struct hvx_vcpu *vcpu;
	struct hvx_io_device dev;	/* the xAPIC page, see iobus.h */
	u64 base;			/* IA32_APIC_BASE */
	/*
	 * The registers, each at its offset in a page of its own (the
	 * low 32 bits of every 16-byte slot; IRR/ISR/TMR are kept apart):
	 * the layout of the VMCS's virtual-APIC page, which this is when
	 * the TPR is shadowed, so that the CPU reads and writes the guest's
	 * task priority here without an exit.
	 */
	void *page;
	DECLARE_BITMAP(irr, 256);
	DECLARE_BITMAP(isr, 256);
	DECLARE_BITMAP(tmr, 256);
	unsigned long events;
	u8 sipi_vector;

	struct hrtimer timer;
	u64 period_ns;			/* periodic mode; 0 otherwise */
	/*
	 * Armed, in TSC-deadline mode; 0 once fired. Whoever swaps it to 0
	 * fires it: the hrtimer, or the vCPU's own check.
	 */
	u64 tsc_deadline;
	bool sleep_timer;		/* the hrtimer armed by block_begin */
};

/* An interrupt message, as the IOAPIC or an ICR write describes it. */
struct hvx_apic_irq {
	u32 dest;
	u8 vector;
	u8 delivery_mode;		/* APIC_DM_* >> 8 */
	bool logical;
	bool level;			/* level-triggered: TMR set, EOI to IOAPIC */
	u8 shorthand;			/* APIC_DEST_* >> 18 */
	bool x2apic_dest;		/* 32-bit destination (x2APIC ICR) */
};

int hvx_lapic_create(struct hvx_vcpu *vcpu);
void hvx_lapic_free(struct hvx_vcpu *vcpu);
void hvx_lapic_reset(struct hvx_lapic *apic, bool init);

/* MSRs: IA32_APIC_BASE, TSC_DEADLINE, x2APIC; 1 = not ours, <0 = #GP. */
int hvx_lapic_msr_read(struct hvx_vcpu *vcpu, u32 index, u64 *value);
int hvx_lapic_msr_write(struct hvx_vcpu *vcpu, u32 index, u64 value);
void hvx_lapic_tsc_changed(struct hvx_lapic *apic);
u8 hvx_lapic_get_cr8(struct hvx_lapic *apic);
void hvx_lapic_set_cr8(struct hvx_lapic *apic, u8 cr8);
/*
 * With the TPR shadowed: the priority class that a lower task priority
 * would let an interrupt of the IRR through, for the VMCS's TPR
 * threshold (SDM Vol. 3C, "TPR Virtualization"); 0 if no interrupt waits
 * on the TPR.
 */
u32 hvx_lapic_tpr_threshold(struct hvx_lapic *apic);
/*
 * The TSC-deadline timer on the VMX-preemption timer (vmx.c's
 * preemption_deadline): while the vCPU runs, the CPU exits at the
 * deadline and no hrtimer is armed; hvx_lapic_check_deadline(), before
 * each entry, fires a deadline that has passed. A vCPU that blocks arms
 * the hrtimer for its sleep (block_begin) and disarms it on waking.
 */
u64 hvx_lapic_deadline(struct hvx_lapic *apic);
void hvx_lapic_check_deadline(struct hvx_lapic *apic);
void hvx_lapic_block_begin(struct hvx_lapic *apic);
void hvx_lapic_block_end(struct hvx_lapic *apic);

/*
 * LINT0 passes the 8259's INT through to the CPU: unmasked in ExtINT
 * mode, or the APIC globally disabled (pic.c). Any context: a hint.
 */
bool hvx_lapic_accepts_extint(struct hvx_lapic *apic);
/* The vector to deliver now (IRR above the processor priority), or -1. */
int hvx_lapic_pending_vector(struct hvx_lapic *apic);
/* The CPU took @vector: IRR -> ISR. */
void hvx_lapic_accept(struct hvx_lapic *apic, int vector);

/*
 * Deliver a fixed interrupt or an event to one APIC and kick its vCPU;
 * false if the APIC dropped it (software-disabled, illegal vector).
 */
bool hvx_lapic_set_irq(struct hvx_lapic *apic, const struct hvx_apic_irq *irq);
/*
 * Deliver @irq to every APIC of @vm it addresses; @src sends an IPI.
 * Returns the number of APICs that took it.
 */
int hvx_apic_deliver(struct hvx_vm *vm, struct hvx_lapic *src,
		     const struct hvx_apic_irq *irq);
/*
 * Decode a message signalled interrupt (struct hvx_msi's @address and
 * @data, SDM Vol. 3A 11.11): 0, or -EINVAL for a reserved bit or a
 * delivery mode other than fixed, lowest priority and NMI.
 */
int hvx_msi_to_irq(u64 address, u32 data, struct hvx_apic_irq *irq);

#endif /* HVX_LAPIC_H */
