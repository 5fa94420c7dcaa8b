// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of each vCPU (SDM Vol. 3A chapter 10). See lapic.h for
 * who may touch what.
 *
 * The timer counts at HVX_APIC_TIMER_KHZ before the divide configuration,
 * which is also the crystal clock user space announces in CPUID leaf 0x15,
 * so a guest that reads it never calibrates. TSC-deadline mode compares
 * with the host's TSC, which the guest reads unscaled.
 */
#include <linux/bitfield.h>
#include <linux/math64.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "ioapic.h"
#include "lapic.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx.h"

#define APIC_VERSION		0x14	/* an integrated APIC */
#define APIC_LVT_ENTRIES	7	/* CMCI, timer, thermal, PMC, LINT0/1, error */
#define APIC_SVR_MASK		0x3ff	/* vector, software enable, focus */
#define APIC_LVT_TIMER_MODE	(3u << 17)
/* Below this period a guest's periodic timer would only load the host. */
#define APIC_MIN_PERIOD_NS	(100 * NSEC_PER_USEC)
#define APIC_TICK_NS		(NSEC_PER_MSEC / HVX_APIC_TIMER_KHZ)
#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR_LAST		0x8ff

/* @off is guest-chosen: bounded for speculation too (callers check it). */
static u32 *reg(struct hvx_lapic *apic, u32 off)
{
	return apic->page + (array_index_nospec(off >> 4, HVX_APIC_REGS) << 4);
}

/* Software disable and reset mask every LVT entry (SDM Vol. 3A 10.4.7.2). */
static void mask_lvts(struct hvx_lapic *apic)
{
	static const u16 lvts[APIC_LVT_ENTRIES] = {
		APIC_LVTCMCI, APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC,
		APIC_LVT0, APIC_LVT1, APIC_LVTERR,
	};
	int i;

	for (i = 0; i < APIC_LVT_ENTRIES; i++)
		*reg(apic, lvts[i]) |= APIC_LVT_MASKED;
}

static bool x2apic_mode(const struct hvx_lapic *apic)
{
	return apic->vcpu->apic_base & X2APIC_ENABLE;
}

static bool hw_enabled(const struct hvx_lapic *apic)
{
	return apic->vcpu->apic_base & MSR_IA32_APICBASE_ENABLE;
}

static bool sw_enabled(struct hvx_lapic *apic)
{
	return READ_ONCE(*reg(apic, APIC_SPIV)) & APIC_SPIV_APIC_ENABLED;
}

static u32 apic_id(struct hvx_lapic *apic)
{
	return x2apic_mode(apic) ? apic->vcpu->id : *reg(apic, APIC_ID) >> 24;
}

/* x2APIC logical IDs are fixed: cluster in 31:16, one bit of 16 below. */
static u32 x2apic_ldr(struct hvx_lapic *apic)
{
	u32 id = apic->vcpu->id;

	return ((id >> 4) << 16) | BIT(id & 0xf);
}

static u32 bitmap_word(const unsigned long *map, unsigned int word)
{
	return map[word / 2] >> (32 * (word % 2));
}

static int highest(const unsigned long *map)
{
	int bit = find_last_bit(map, 256);

	return bit == 256 ? -1 : bit;
}

static u32 apic_ppr(struct hvx_lapic *apic)
{
	u32 tpr = *reg(apic, APIC_TASKPRI) & 0xff;
	int isrv = highest(apic->isr);

	if (isrv < 0 || (tpr & 0xf0) >= (isrv & 0xf0))
		return tpr;
	return isrv & 0xf0;
}

int hvx_lapic_pending_vector(struct hvx_lapic *apic)
{
	int vector = highest(apic->irr);

	if (vector < 0 || !hw_enabled(apic))
		return -1;
	if ((vector & 0xf0) <= (apic_ppr(apic) & 0xf0))
		return -1;
	return vector;
}

/*
 * A software-disabled APIC masks LINT0 like every LVT (SDM 10.4.7.2), so
 * it passes nothing; a globally disabled one makes LINT0 the INTR pin.
 */
bool hvx_lapic_accepts_extint(struct hvx_lapic *apic)
{
	u32 lvt0 = READ_ONCE(*reg(apic, APIC_LVT0));

	if (!(READ_ONCE(apic->vcpu->apic_base) & MSR_IA32_APICBASE_ENABLE))
		return true;
	return (lvt0 & (APIC_LVT_MASKED | APIC_MODE_MASK)) == APIC_DM_EXTINT;
}

void hvx_lapic_accept(struct hvx_lapic *apic, int vector)
{
	clear_bit(vector, apic->irr);
	set_bit(vector, apic->isr);
}

u8 hvx_lapic_get_cr8(struct hvx_lapic *apic)
{
	return (*reg(apic, APIC_TASKPRI) >> 4) & 0xf;
}

void hvx_lapic_set_cr8(struct hvx_lapic *apic, u8 cr8)
{
	*reg(apic, APIC_TASKPRI) = (cr8 & 0xf) << 4;
}

/*
 * Only the TPR's hold matters: an interrupt that the ISR holds back is let
 * through by an EOI, which exits. The threshold never exceeds the TPR's
 * class, as VM entry requires (SDM Vol. 3C, "Checks on VMX Controls").
 */
u32 hvx_lapic_tpr_threshold(struct hvx_lapic *apic)
{
	int vector = highest(apic->irr);
	u32 tpr_class = (*reg(apic, APIC_TASKPRI) >> 4) & 0xf;

	if (vector < 0 || !hw_enabled(apic) || (u32)vector >> 4 > tpr_class)
		return 0;
	return (u32)vector >> 4;
}

/* ---- Accepting interrupts and events ----------------------------------- */

bool hvx_lapic_set_irq(struct hvx_lapic *apic, const struct hvx_apic_irq *irq)
{
	switch (irq->delivery_mode) {
	case APIC_DM_FIXED >> 8:
	case APIC_DM_LOWEST >> 8:
		/* Vectors 0-15 are illegal (SDM 10.5.2); a disabled APIC drops. */
		if (irq->vector < 16 || !sw_enabled(apic))
			return false;
		if (irq->level)
			set_bit(irq->vector, apic->tmr);
		else
			clear_bit(irq->vector, apic->tmr);
		set_bit(irq->vector, apic->irr);
		break;
	case APIC_DM_NMI >> 8:
		set_bit(HVX_APIC_EV_NMI, &apic->events);
		break;
	case APIC_DM_INIT >> 8:
		set_bit(HVX_APIC_EV_INIT, &apic->events);
		break;
	case APIC_DM_STARTUP >> 8:
		WRITE_ONCE(apic->sipi_vector, irq->vector);
		/* The vector before the bit; take_apic_events() reads after. */
		smp_mb__before_atomic();
		set_bit(HVX_APIC_EV_SIPI, &apic->events);
		break;
	default:	/* SMI, ExtINT: nothing here delivers them */
		return false;
	}
	/* Order the bit before the kick's look at the vCPU's mode. */
	smp_mb__after_atomic();
	hvx_vcpu_kick(apic->vcpu);
	return true;
}

static bool logical_match(struct hvx_lapic *apic, const struct hvx_apic_irq *irq)
{
	u32 ldr, dfr;

	if (x2apic_mode(apic) && irq->x2apic_dest) {
		ldr = x2apic_ldr(apic);
		return irq->dest == 0xffffffff ||
		       ((irq->dest >> 16) == (ldr >> 16) &&
			(irq->dest & ldr & 0xffff));
	}
	ldr = *reg(apic, APIC_LDR) >> 24;
	dfr = *reg(apic, APIC_DFR) >> 28;
	if ((irq->dest & 0xff) == 0xff)
		return true;
	if (dfr == 0xf)		/* flat model: a bit per APIC */
		return ldr & irq->dest;
	/* Cluster model: cluster in the high nibble, members below. */
	return (ldr >> 4) == ((irq->dest >> 4) & 0xf) &&
	       (ldr & irq->dest & 0xf);
}

static bool addressed(struct hvx_lapic *apic, struct hvx_lapic *src,
		      const struct hvx_apic_irq *irq)
{
	u32 broadcast = irq->x2apic_dest ? 0xffffffff : 0xff;

	if (!hw_enabled(apic))
		return false;
	switch (irq->shorthand) {
	case APIC_DEST_SELF >> 18:
		return apic == src;
	case APIC_DEST_ALLINC >> 18:
		return true;
	case APIC_DEST_ALLBUT >> 18:
		return apic != src;
	}
	if (irq->logical)
		return logical_match(apic, irq);
	return irq->dest == broadcast || irq->dest == apic_id(apic);
}

int hvx_apic_deliver(struct hvx_vm *vm, struct hvx_lapic *src,
		     const struct hvx_apic_irq *irq)
{
	struct hvx_vcpu *v;
	int i, n = 0;

	spin_lock(&vm->irq_lock);
	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		v = vm->vcpus[i];
		if (!v || !v->apic || !addressed(v->apic, src, irq))
			continue;
		n += hvx_lapic_set_irq(v->apic, irq);
		/* Lowest priority: any one of them will do; the first. */
		if (irq->delivery_mode == APIC_DM_LOWEST >> 8)
			break;
	}
	spin_unlock(&vm->irq_lock);
	return n;
}

#define MSI_ADDR_BASE		0xfee00000ull
#define MSI_ADDR_BASE_MASK	GENMASK_ULL(63, 20)
#define MSI_ADDR_DEST		GENMASK_ULL(19, 12)
#define MSI_ADDR_RH		BIT_ULL(3)
#define MSI_ADDR_DM		BIT_ULL(2)
#define MSI_DATA_VECTOR		GENMASK(7, 0)
#define MSI_DATA_DM		GENMASK(10, 8)
#define MSI_DATA_LEVEL		BIT(14)
#define MSI_DATA_TRIGGER	BIT(15)

int hvx_msi_to_irq(u64 address, u32 data, struct hvx_apic_irq *irq)
{
	u8 mode = FIELD_GET(MSI_DATA_DM, data);

	/*
	 * Bits 11:4 are reserved and 1:0 "don't care" (SDM figure 11-24):
	 * refused both, so that neither can take a meaning later behind a
	 * caller's back. No extended destination IDs above bit 31.
	 */
	if ((address & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE ||
	    (address & ~(MSI_ADDR_BASE_MASK | MSI_ADDR_DEST | MSI_ADDR_RH |
			 MSI_ADDR_DM)))
		return -EINVAL;
	if (data & ~(MSI_DATA_VECTOR | MSI_DATA_DM | MSI_DATA_LEVEL |
		     MSI_DATA_TRIGGER))
		return -EINVAL;
	switch (mode) {
	case APIC_DM_FIXED >> 8:
	case APIC_DM_LOWEST >> 8:
		/* An APIC would only log an illegal-vector error. */
		if (FIELD_GET(MSI_DATA_VECTOR, data) < 16)
			return -EINVAL;
		break;
	case APIC_DM_NMI >> 8:
		break;
	default:	/* SMI, INIT, ExtINT and the reserved modes */
		return -EINVAL;
	}
	*irq = (struct hvx_apic_irq){
		.dest = FIELD_GET(MSI_ADDR_DEST, address),
		.vector = FIELD_GET(MSI_DATA_VECTOR, data),
		.delivery_mode = mode,
		.logical = address & MSI_ADDR_DM,
		/*
		 * The trigger mode sets TMR, so that the EOI is broadcast to
		 * the IOAPIC; the level bit (assert) is not looked at, as
		 * KVM does: a message is always an assertion.
		 */
		.level = data & MSI_DATA_TRIGGER,
	};
	/*
	 * The redirection hint with logical destination mode: one of the
	 * addressed APICs takes it, which is what lowest priority does.
	 */
	if ((address & MSI_ADDR_RH) && irq->logical &&
	    mode == APIC_DM_FIXED >> 8)
		irq->delivery_mode = APIC_DM_LOWEST >> 8;
	return 0;
}

static void send_ipi(struct hvx_lapic *apic, u32 icr, u32 dest)
{
	struct hvx_apic_irq irq = {
		.dest = dest,
		.vector = icr & APIC_VECTOR_MASK,
		.delivery_mode = (icr >> 8) & 7,
		.logical = icr & APIC_DEST_LOGICAL,
		.level = icr & APIC_INT_LEVELTRIG,
		.shorthand = (icr >> 18) & 3,
		.x2apic_dest = x2apic_mode(apic),
	};

	/* INIT level de-assert only synchronizes arbitration IDs. */
	if (irq.delivery_mode == APIC_DM_INIT >> 8 && irq.level &&
	    !(icr & APIC_INT_ASSERT))
		return;
	/* IPIs are edge-triggered, whatever the trigger bit says. */
	irq.level = false;
	hvx_apic_deliver(apic->vcpu->vm, apic, &irq);
}

static void apic_eoi(struct hvx_lapic *apic)
{
	int vector = highest(apic->isr);

	if (vector < 0)
		return;
	clear_bit(vector, apic->isr);
	if (test_and_clear_bit(vector, apic->tmr))
		hvx_ioapic_eoi(apic->vcpu->vm, vector);
}

/* ---- Timer ------------------------------------------------------------- */

static u32 timer_mode(struct hvx_lapic *apic)
{
	return READ_ONCE(*reg(apic, APIC_LVTT)) & APIC_LVT_TIMER_MODE;
}

static u32 timer_divisor(struct hvx_lapic *apic)
{
	u32 tdcr = *reg(apic, APIC_TDCR);
	u32 shift = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	return shift == 8 ? 1 : 1u << shift;	/* 0b111: divide by 1 */
}

static void timer_fire(struct hvx_lapic *apic)
{
	u32 lvtt = READ_ONCE(*reg(apic, APIC_LVTT));
	struct hvx_apic_irq irq = {
		.vector = lvtt & APIC_VECTOR_MASK,
		.delivery_mode = APIC_DM_FIXED >> 8,
	};

	if (!(lvtt & APIC_LVT_MASKED))
		hvx_lapic_set_irq(apic, &irq);
}

static enum hrtimer_restart timer_expired(struct hrtimer *t)
{
	struct hvx_lapic *apic = container_of(t, struct hvx_lapic, timer);
	u64 period = READ_ONCE(apic->period_ns);

	if (period) {
		timer_fire(apic);
		hrtimer_forward_now(t, ns_to_ktime(period));
		return HRTIMER_RESTART;
	}
	/* The deadline MSR reads 0 once the timer fired (SDM 10.5.4.1). */
	if (timer_mode(apic) != APIC_LVT_TIMER_TSCDEADLINE ||
	    xchg(&apic->tsc_deadline, 0))
		timer_fire(apic);
	return HRTIMER_NORESTART;
}

static void timer_stop(struct hvx_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
	apic->period_ns = 0;
}

/* A write to the initial count starts one-shot and periodic modes. */
static void timer_start_count(struct hvx_lapic *apic)
{
	u64 ns = (u64)*reg(apic, APIC_TMICT) * timer_divisor(apic) *
		 APIC_TICK_NS;

	timer_stop(apic);
	if (!ns || timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	if (timer_mode(apic) == APIC_LVT_TIMER_PERIODIC) {
		ns = max_t(u64, ns, APIC_MIN_PERIOD_NS);
		apic->period_ns = ns;
	}
	hrtimer_start(&apic->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

static u32 timer_current_count(struct hvx_lapic *apic)
{
	ktime_t left;

	if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE ||
	    !hrtimer_active(&apic->timer))
		return 0;
	left = hrtimer_get_remaining(&apic->timer);
	if (ktime_to_ns(left) <= 0)
		return 0;
	return div_u64(ktime_to_ns(left), timer_divisor(apic) * APIC_TICK_NS);
}

/* The hrtimer for a deadline of the guest's TSC, @now being its TSC. */
static void timer_start_deadline(struct hvx_lapic *apic, u64 deadline, u64 now)
{
	hrtimer_start(&apic->timer,
		      ns_to_ktime(mul_u64_u32_div(deadline - now, USEC_PER_SEC,
						  tsc_khz)),
		      HRTIMER_MODE_REL_HARD);
}

static void timer_set_deadline(struct hvx_lapic *apic, u64 deadline)
{
	u64 now = hvx_guest_tsc(apic->vcpu);

	timer_stop(apic);
	apic->tsc_deadline = deadline;
	if (!deadline || timer_mode(apic) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	if (deadline <= now) {
		apic->tsc_deadline = 0;
		timer_fire(apic);
		return;
	}
	/* Else the VMX-preemption timer takes it, from the next entry. */
	if (!hvx_vmx_preemption_deadline())
		timer_start_deadline(apic, deadline, now);
}

u64 hvx_lapic_deadline(struct hvx_lapic *apic)
{
	return timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE ?
	       READ_ONCE(apic->tsc_deadline) : 0;
}

void hvx_lapic_check_deadline(struct hvx_lapic *apic)
{
	u64 deadline = hvx_lapic_deadline(apic);

	if (deadline && hvx_guest_tsc(apic->vcpu) >= deadline &&
	    cmpxchg(&apic->tsc_deadline, deadline, 0) == deadline)
		timer_fire(apic);
}

void hvx_lapic_block_begin(struct hvx_lapic *apic)
{
	u64 deadline = hvx_lapic_deadline(apic), now;

	if (!deadline || !hvx_vmx_preemption_deadline())
		return;
	now = hvx_guest_tsc(apic->vcpu);
	if (deadline <= now) {
		hvx_lapic_check_deadline(apic);
		return;
	}
	timer_start_deadline(apic, deadline, now);
	apic->sleep_timer = true;
}

void hvx_lapic_block_end(struct hvx_lapic *apic)
{
	if (!apic->sleep_timer)
		return;
	apic->sleep_timer = false;
	/* If it fired meanwhile, the deadline is 0 and this is a no-op. */
	hrtimer_cancel(&apic->timer);
}

/* The vCPU's TSC moved (IA32_TSC, IA32_TSC_ADJUST): so did the deadline. */
void hvx_lapic_tsc_changed(struct hvx_lapic *apic)
{
	u64 deadline;

	if (timer_mode(apic) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	timer_stop(apic);	/* a firing timer has cleared the deadline */
	deadline = READ_ONCE(apic->tsc_deadline);
	if (deadline)
		timer_set_deadline(apic, deadline);
}

/* ---- Registers --------------------------------------------------------- */

static u32 reg_read(struct hvx_lapic *apic, u32 off)
{
	switch (off) {
	case APIC_ID:
		return x2apic_mode(apic) ? apic_id(apic) : *reg(apic, APIC_ID);
	case APIC_LDR:
		return x2apic_mode(apic) ? x2apic_ldr(apic) : *reg(apic, off);
	case APIC_PROCPRI:
		return apic_ppr(apic);
	case APIC_ISR ... APIC_ISR + 0x70:
		return bitmap_word(apic->isr, (off - APIC_ISR) >> 4);
	case APIC_TMR ... APIC_TMR + 0x70:
		return bitmap_word(apic->tmr, (off - APIC_TMR) >> 4);
	case APIC_IRR ... APIC_IRR + 0x70:
		return bitmap_word(apic->irr, (off - APIC_IRR) >> 4);
	case APIC_TMCCT:
		return timer_current_count(apic);
	case APIC_EOI:
	case APIC_SELF_IPI:
		return 0;	/* write-only */
	}
	return off < HVX_APIC_REGS << 4 ? *reg(apic, off) : 0;
}

static void write_lvt(struct hvx_lapic *apic, u32 off, u32 val, u32 mask)
{
	if (!sw_enabled(apic))
		val |= APIC_LVT_MASKED;	/* SDM 10.4.7.2 */
	WRITE_ONCE(*reg(apic, off), val & mask);
}

static void write_timer_lvt(struct hvx_lapic *apic, u32 val)
{
	u32 old_mode = timer_mode(apic);

	if ((val & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_MODE)
		val &= ~APIC_LVT_TIMER_MODE;	/* reserved: one-shot */
	write_lvt(apic, APIC_LVTT, val, APIC_VECTOR_MASK | APIC_LVT_MASKED |
		  APIC_LVT_TIMER_MODE);
	if (timer_mode(apic) != old_mode) {
		timer_stop(apic);
		apic->tsc_deadline = 0;
	}
}

/* 0, or -EINVAL where x2APIC mode says #GP. */
static int reg_write(struct hvx_lapic *apic, u32 off, u32 val)
{
	bool x2 = x2apic_mode(apic);

	switch (off) {
	case APIC_ID:
		if (x2)
			return -EINVAL;
		*reg(apic, off) = val & 0xff000000;
		break;
	case APIC_TASKPRI:
		*reg(apic, off) = val & 0xff;
		break;
	case APIC_EOI:
		if (x2 && val)
			return -EINVAL;
		apic_eoi(apic);
		break;
	case APIC_LDR:
		if (x2)
			return -EINVAL;
		*reg(apic, off) = val & 0xff000000;
		break;
	case APIC_DFR:
		if (x2)
			return -EINVAL;
		*reg(apic, off) = val | 0x0fffffff;
		break;
	case APIC_SPIV:
		WRITE_ONCE(*reg(apic, off), val & APIC_SVR_MASK);
		if (!(val & APIC_SPIV_APIC_ENABLED))
			mask_lvts(apic);
		break;
	case APIC_ESR:
		*reg(apic, off) = 0;
		break;
	case APIC_ICR:
		*reg(apic, off) = val & ~APIC_ICR_BUSY;
		send_ipi(apic, val, *reg(apic, APIC_ICR2) >> 24);
		break;
	case APIC_ICR2:
		if (x2)
			return -EINVAL;
		*reg(apic, off) = val & 0xff000000;
		break;
	case APIC_LVTT:
		write_timer_lvt(apic, val);
		break;
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVTCMCI:
		write_lvt(apic, off, val, APIC_VECTOR_MASK | APIC_MODE_MASK |
			  APIC_LVT_MASKED);
		break;
	case APIC_LVT0:
	case APIC_LVT1:
		write_lvt(apic, off, val, APIC_VECTOR_MASK | APIC_MODE_MASK |
			  APIC_INPUT_POLARITY | APIC_LVT_LEVEL_TRIGGER |
			  APIC_LVT_MASKED);
		break;
	case APIC_LVTERR:
		write_lvt(apic, off, val, APIC_VECTOR_MASK | APIC_LVT_MASKED);
		break;
	case APIC_TMICT:
		*reg(apic, off) = val;
		timer_start_count(apic);
		break;
	case APIC_TDCR:
		*reg(apic, off) = val & 0xb;
		break;
	case APIC_SELF_IPI:
		if (!x2)
			return 0;
		send_ipi(apic, APIC_DEST_SELF | (val & APIC_VECTOR_MASK), 0);
		break;
	default:
		/* Read-only and reserved registers: #GP in x2APIC mode. */
		return x2 ? -EINVAL : 0;
	}
	return 0;
}

/*
 * The xAPIC page, on the MMIO bus for its own vCPU only (iobus.h): an
 * access elsewhere, or while the APIC is off or in x2APIC mode (where the
 * page is no APIC), is not this device's.
 */
static bool page_access(struct hvx_vcpu *v, u64 gpa)
{
	struct hvx_lapic *apic = v->apic;
	u64 base = v->apic_base & PAGE_MASK;

	return hw_enabled(apic) && !x2apic_mode(apic) && gpa >= base &&
	       gpa < base + PAGE_SIZE;
}

static int lapic_mmio_read(struct hvx_io_device *dev, struct hvx_vcpu *v,
			   u64 gpa, unsigned int len, void *data)
{
	struct hvx_lapic *apic = container_of(dev, struct hvx_lapic, dev);
	u32 off = gpa - (v->apic_base & PAGE_MASK), val;

	if (apic != v->apic || !page_access(v, gpa))
		return -EOPNOTSUPP;
	val = reg_read(apic, off & ~0xf) >> (8 * (off & 3));
	memset(data, 0, len);
	memcpy(data, &val, min(len, 4 - (off & 3)));
	return 0;
}

static int lapic_mmio_write(struct hvx_io_device *dev, struct hvx_vcpu *v,
			    u64 gpa, unsigned int len, const void *data)
{
	struct hvx_lapic *apic = container_of(dev, struct hvx_lapic, dev);
	u32 off = gpa - (v->apic_base & PAGE_MASK), val;

	if (apic != v->apic || !page_access(v, gpa))
		return -EOPNOTSUPP;
	/* Registers are 32 bits wide, 16-byte aligned; the rest is void. */
	if (len == 4 && !(off & 0xf)) {
		memcpy(&val, data, 4);
		reg_write(apic, off, val);
	}
	return 0;
}

static const struct hvx_io_device_ops lapic_mmio_ops = {
	.read = lapic_mmio_read,
	.write = lapic_mmio_write,
};

static int apic_base_write(struct hvx_vcpu *v, u64 value)
{
	u64 reserved = ~(GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 12) |
			 MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE |
			 MSR_IA32_APICBASE_BSP);
	u64 old = v->apic_base, mode = X2APIC_ENABLE | MSR_IA32_APICBASE_ENABLE;

	if (value & reserved)
		return -EINVAL;
	/* Legal moves (SDM 10.12.5): x2APIC only from xAPIC, out only to off. */
	if ((value & mode) == X2APIC_ENABLE)
		return -EINVAL;
	if ((old & mode) == mode && (value & mode) == MSR_IA32_APICBASE_ENABLE)
		return -EINVAL;
	if ((old & mode) == 0 && (value & mode) == mode)
		return -EINVAL;
	/* The BSP flag is the platform's, not the guest's. */
	value = (value & ~MSR_IA32_APICBASE_BSP) | (old & MSR_IA32_APICBASE_BSP);
	v->apic_base = value;
	if ((old ^ value) & mode && !(value & X2APIC_ENABLE))
		*reg(v->apic, APIC_ID) = v->id << 24;
	hvx_vm_apic_base_changed(v);
	return 0;
}

int hvx_lapic_msr_read(struct hvx_vcpu *v, u32 index, u64 *value)
{
	struct hvx_lapic *apic = v->apic;
	u32 off = (index - X2APIC_MSR_BASE) << 4;

	switch (index) {
	case MSR_IA32_APICBASE:
		*value = v->apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		/* A deadline that passed reads 0: it fires now, if not yet. */
		hvx_lapic_check_deadline(apic);
		*value = hvx_lapic_deadline(apic);
		return 0;
	case X2APIC_MSR_BASE ... X2APIC_MSR_LAST:
		if (!x2apic_mode(apic) || off == APIC_DFR || off == APIC_ICR2 ||
		    off == APIC_EOI || off == APIC_SELF_IPI ||
		    off >= HVX_APIC_REGS << 4)
			return -EINVAL;
		*value = reg_read(apic, off);
		if (off == APIC_ICR)
			*value |= (u64)*reg(apic, APIC_ICR2) << 32;
		return 0;
	}
	return 1;
}

int hvx_lapic_msr_write(struct hvx_vcpu *v, u32 index, u64 value)
{
	struct hvx_lapic *apic = v->apic;
	u32 off = (index - X2APIC_MSR_BASE) << 4;

	switch (index) {
	case MSR_IA32_APICBASE:
		return apic_base_write(v, value);
	case MSR_IA32_TSC_DEADLINE:
		if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
			timer_set_deadline(apic, value);
		return 0;
	case X2APIC_MSR_BASE ... X2APIC_MSR_LAST:
		if (!x2apic_mode(apic) || off >= HVX_APIC_REGS << 4)
			return -EINVAL;
		if (off == APIC_ICR) {
			/* One 64-bit register: the destination is 63:32. */
			*reg(apic, APIC_ICR2) = value >> 32;
			*reg(apic, off) = (u32)value & ~APIC_ICR_BUSY;
			send_ipi(apic, value, value >> 32);
			return 0;
		}
		if (value >> 32)
			return -EINVAL;
		return reg_write(apic, off, value);
	}
	return 1;
}

/* ---- Life -------------------------------------------------------------- */

/* Power-up and INIT state (SDM 10.4.7.1); INIT keeps ID and base. */
void hvx_lapic_reset(struct hvx_lapic *apic, bool init)
{
	u32 id = init ? *reg(apic, APIC_ID) : apic->vcpu->id << 24;

	timer_stop(apic);
	apic->tsc_deadline = 0;
	memset(apic->page, 0, PAGE_SIZE);
	bitmap_zero(apic->irr, 256);
	bitmap_zero(apic->isr, 256);
	bitmap_zero(apic->tmr, 256);
	*reg(apic, APIC_ID) = id;
	*reg(apic, APIC_LVR) = APIC_VERSION | (APIC_LVT_ENTRIES - 1) << 16;
	*reg(apic, APIC_DFR) = 0xffffffff;
	*reg(apic, APIC_SPIV) = 0xff;
	mask_lvts(apic);
}

int hvx_lapic_create(struct hvx_vcpu *v)
{
	struct hvx_lapic *apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);

	if (!apic)
		return -ENOMEM;
	apic->page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!apic->page) {
		kfree(apic);
		return -ENOMEM;
	}
	apic->vcpu = v;
	apic->dev.ops = &lapic_mmio_ops;
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	apic->timer.function = timer_expired;
	v->apic = apic;
	hvx_lapic_reset(apic, false);
	return 0;
}

void hvx_lapic_free(struct hvx_vcpu *v)
{
	if (!v->apic)
		return;
	hrtimer_cancel(&v->apic->timer);
	free_page((unsigned long)v->apic->page);
	kfree(v->apic);
	v->apic = NULL;
}
