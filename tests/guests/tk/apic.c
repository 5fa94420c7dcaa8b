// SPDX-License-Identifier: GPL-2.0
/*
 * tk_apic: the local APIC timer and x2APIC as SDM Vol. 3A chapter 10
 * says: one-shot and periodic counting (10.5.4), the divide configuration
 * register, a masked LVT that counts without interrupting, writes to the
 * initial count while counting, TSC-deadline mode (10.5.4.1), and the
 * x2APIC's MSR interface and mode transitions (10.12).
 */
#include "tk.h"

#define MSR_IA32_APICBASE	0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define X2APIC_MSR(reg)		(0x800 + ((reg) >> 4))
#define APICBASE_EN		BIT(11)
#define APICBASE_EXTD		BIT(10)

#define TIMER_VEC		0x40
#define SELF_VEC		0x41

/* TDCR values (SDM figure 10-10): bits 3, 1:0. */
#define DIV_1			0xb
#define DIV_16			0x3
#define DIV_128			0xa

static volatile u32 ticks, selfs;
static bool x2apic_on;		/* then EOI is an MSR: no MMIO page */

static void timer_isr(struct tk_frame *f)
{
	ticks++;
	apic_eoi();
}

static void self_isr(struct tk_frame *f)
{
	selfs++;
	if (x2apic_on)
		tk_wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		apic_eoi();
}

/* Spin with interrupts on for @ms of TSC time. */
static void spin_ms(u32 ms)
{
	u64 start = rdtsc();

	sti();
	while (rdtsc() - start < tk_ms(ms))
		pause();
	cli();
}

static void arm(u32 lvt, u32 div, u32 count)
{
	ticks = 0;
	apic_write(APIC_TDCR, div);
	apic_write(APIC_LVT_TIMER, lvt);
	apic_write(APIC_TMICT, count);
}

static void oneshot(void)
{
	u32 cur;

	arm(TIMER_VEC, DIV_1, 2000000);
	cur = apic_read(APIC_TMCCT);
	tk_check(cur > 0 && cur < 2000000, "timer_oneshot_counts_down",
		 "current count %u of 2000000", cur);
	tk_wait_for(&ticks, 1, tk_ms(2000));
	spin_ms(20);
	tk_check(ticks == 1 && apic_read(APIC_TMCCT) == 0,
		 "timer_oneshot_fires_once_and_stops_at_zero",
		 "%u interrupts, current count %u", ticks,
		 apic_read(APIC_TMCCT));

	/* Masked: it counts down to 0, and no interrupt comes (10.5.1). */
	arm(TIMER_VEC | APIC_LVT_MASKED, DIV_1, 20000);
	spin_ms(20);
	tk_check(ticks == 0 && apic_read(APIC_TMCCT) == 0,
		 "timer_masked_counts_without_interrupting",
		 "%u interrupts, current count %u", ticks,
		 apic_read(APIC_TMCCT));
	/* The expiry is an edge that was not sent: unmasking sends none. */
	apic_write(APIC_LVT_TIMER, TIMER_VEC);
	spin_ms(10);
	tk_check(ticks == 0, "timer_unmasked_after_expiry_stays_quiet",
		 "%u interrupts", ticks);
}

static void rewrite(void)
{
	u32 before, after;

	arm(TIMER_VEC | APIC_LVT_MASKED, DIV_1, 0x7fffffff);
	spin_ms(5);
	before = apic_read(APIC_TMCCT);
	apic_write(APIC_TMICT, 0x7fffffff);
	after = apic_read(APIC_TMCCT);
	tk_check(after > before, "timer_initial_count_write_restarts",
		 "current count %u before the write, %u after", before, after);
	apic_write(APIC_TMICT, 0);
	tk_check(apic_read(APIC_TMCCT) == 0, "timer_initial_count_zero_stops",
		 "current count %u", apic_read(APIC_TMCCT));
}

static void periodic(void)
{
	u32 cur;

	arm(TIMER_VEC | APIC_TIMER_PERIODIC, DIV_1, 200000);
	tk_wait_for(&ticks, 5, tk_ms(5000));
	cur = apic_read(APIC_TMCCT);
	tk_check(ticks >= 5 && cur > 0 && cur <= 200000,
		 "timer_periodic_rearms", "%u interrupts, current count %u",
		 ticks, cur);
	apic_write(APIC_TMICT, 0);
	spin_ms(1);
	cur = ticks;
	spin_ms(20);
	tk_check(ticks == cur, "timer_periodic_stops_on_zero_count",
		 "%u interrupts after the stop", ticks - cur);
}

/* How far the counter goes in @ms with divide value @div. */
static u32 counted(u32 div, u32 ms)
{
	u32 left;

	arm(TIMER_VEC | APIC_LVT_MASKED, div, 0xffffffff);
	spin_ms(ms);
	left = apic_read(APIC_TMCCT);
	apic_write(APIC_TMICT, 0);
	return 0xffffffff - left;
}

static void divide(void)
{
	u32 d1 = counted(DIV_1, 20), d16 = counted(DIV_16, 20);
	u32 d128 = counted(DIV_128, 20);

	/* Within 20%: the spins are measured on the TSC, not exactly. */
	tk_check(d16 && d1 / d16 >= 13 && d1 / d16 <= 19,
		 "timer_divide_by_16", "%u counts at 1, %u at 16", d1, d16);
	tk_check(d128 && d1 / d128 >= 102 && d1 / d128 <= 154,
		 "timer_divide_by_128", "%u counts at 1, %u at 128", d1, d128);
}

static void deadline(void)
{
	u32 r[4], f;
	u64 v = 1;

	cpuid(1, 0, r);
	if (!(r[2] & BIT(24))) {
		tk_skip("tsc_deadline_fires_once", "no TSC-deadline timer");
		return;
	}
	arm(TIMER_VEC | APIC_TIMER_DEADLINE, DIV_1, 0);
	f = tk_wrmsr(MSR_TSC_DEADLINE, rdtsc() + tk_ms(2));
	tk_wait_for(&ticks, 1, tk_ms(2000));
	spin_ms(5);
	tk_rdmsr(MSR_TSC_DEADLINE, &v);
	tk_check(!f && ticks == 1 && v == 0, "tsc_deadline_fires_once",
		 "fault %u, %u interrupts, deadline reads %llx after", f, ticks,
		 v);

	ticks = 0;
	tk_wrmsr(MSR_TSC_DEADLINE, rdtsc() - 1);
	tk_wait_for(&ticks, 1, tk_ms(100));
	tk_check(ticks == 1, "tsc_deadline_in_the_past_fires_at_once",
		 "%u interrupts", ticks);

	/* The initial count is ignored in this mode (10.5.4.1). */
	ticks = 0;
	apic_write(APIC_TMICT, 1000);
	spin_ms(5);
	tk_check(ticks == 0 && apic_read(APIC_TMCCT) == 0,
		 "tsc_deadline_mode_ignores_initial_count",
		 "%u interrupts, current count %u", ticks,
		 apic_read(APIC_TMCCT));

	tk_wrmsr(MSR_TSC_DEADLINE, rdtsc() + tk_ms(5));
	tk_wrmsr(MSR_TSC_DEADLINE, 0);
	spin_ms(20);
	tk_rdmsr(MSR_TSC_DEADLINE, &v);
	tk_check(ticks == 0 && v == 0, "tsc_deadline_zero_disarms",
		 "%u interrupts, deadline %llx", ticks, v);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
}

static void x2apic(void)
{
	u64 base = 0, id = 0, ver = 0;
	u32 r[4], f, xapic_version;

	cpuid(1, 0, r);
	if (!(r[2] & BIT(21))) {
		tk_skip("x2apic_msrs_follow_the_mode", "no x2APIC");
		return;
	}
	xapic_version = apic_read(APIC_VERSION);
	f = tk_rdmsr(X2APIC_MSR(APIC_ID), &id);
	tk_check(f == TK_GP, "x2apic_msrs_gp_in_xapic_mode", "fault %u", f);

	tk_rdmsr(MSR_IA32_APICBASE, &base);
	f = tk_wrmsr(MSR_IA32_APICBASE, base | APICBASE_EXTD);
	x2apic_on = !f;
	tk_rdmsr(X2APIC_MSR(APIC_ID), &id);
	tk_rdmsr(X2APIC_MSR(APIC_VERSION), &ver);
	tk_check(!f && id == 0 && (u32)ver == xapic_version,
		 "x2apic_id_and_version_by_msr", "fault %u id %llx version %llx",
		 f, id, ver);

	tk_set_handler(SELF_VEC, self_isr);
	f = tk_wrmsr(0x83f, SELF_VEC);		/* SELF IPI */
	tk_wait_for(&selfs, 1, tk_ms(100));
	tk_check(!f && selfs == 1, "x2apic_self_ipi", "fault %u, %u interrupts",
		 f, selfs);
	f = tk_wrmsr(X2APIC_MSR(APIC_ICR_LO), (u64)0 << 32 | SELF_VEC);
	tk_wait_for(&selfs, 2, tk_ms(100));
	tk_check(!f && selfs == 2, "x2apic_icr_is_one_msr",
		 "fault %u, %u interrupts", f, selfs);

	/* x2APIC to xAPIC directly is not allowed (SDM figure 10-27). */
	f = tk_wrmsr(MSR_IA32_APICBASE, base & ~APICBASE_EXTD);
	tk_check(f == TK_GP, "x2apic_to_xapic_directly_is_gp", "fault %u", f);
	f = tk_wrmsr(MSR_IA32_APICBASE, base & ~(APICBASE_EXTD | APICBASE_EN));
	x2apic_on = false;
	f |= tk_wrmsr(MSR_IA32_APICBASE, base);
	tk_apic_enable();
	tk_check(!f && tk_apic_id() == 0, "x2apic_off_then_xapic_again",
		 "fault %u id %u", f, tk_apic_id());
}

void tk_main(u32 mb_info)
{
	tk_apic_enable();
	tk_set_handler(TIMER_VEC, timer_isr);
	oneshot();
	rewrite();
	periodic();
	divide();
	deadline();
	x2apic();
}
