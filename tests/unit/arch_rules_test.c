// SPDX-License-Identifier: GPL-2.0
/*
 * Cases for kmod/arch_rules.c: events that meet during delivery (SDM Vol.
 * 3A 6.15, table 6-5), machine-check exits, and the XCR0 values XSETBV and
 * HVX_SET_FPU accept (SDM Vol. 1 13.3). Machine checks and AVX-512, MPX or
 * AMX cannot be produced in the Bochs testbed: these cases are where the
 * decisions are tested.
 */
#include <linux/bits.h>
#include <linux/types.h>

#include "arch_rules.h"
#include "unit.h"

#define EV(type, vector)	(HVX_EV_VALID | (type) << 8 | (vector))
#define EXC(vector)		EV(HVX_EV_HARD_EXCEPTION, vector)

static void expect_merge(u32 old, u32 new, enum hvx_merge want,
			 const char *name)
{
	struct tcase tc;
	enum hvx_merge got;

	case_begin(&tc);
	got = hvx_merge_events(old, new);
	check(&tc, got == want, "got %d, want %d", got, want);
	case_end(&tc, "events: %s", name);
}

static void merge_cases(void)
{
	expect_merge(EV(HVX_EV_EXT_INTR, 0x40), EXC(1), HVX_MERGE_NEW_THEN_OLD,
		     "an interrupt under a reflected #DB is kept for later");
	expect_merge(EV(HVX_EV_NMI, 2), EXC(17), HVX_MERGE_NEW_THEN_OLD,
		     "an NMI under a reflected #AC is kept for later");
	expect_merge(EV(HVX_EV_SOFT_EXCEPTION, 3), EXC(13), HVX_MERGE_NEW,
		     "INT3 recurs: the new #GP alone");
	expect_merge(EV(HVX_EV_SOFT_INTR, 0x80), EXC(14), HVX_MERGE_NEW,
		     "INT n recurs: the new #PF alone");
	expect_merge(EXC(14), EXC(14), HVX_MERGE_DOUBLE_FAULT,
		     "#PF during #PF delivery: #DF");
	expect_merge(EXC(14), EXC(13), HVX_MERGE_DOUBLE_FAULT,
		     "#GP during #PF delivery: #DF");
	expect_merge(EXC(13), EXC(11), HVX_MERGE_DOUBLE_FAULT,
		     "#NP during #GP delivery: #DF (contributory pair)");
	expect_merge(EXC(13), EXC(14), HVX_MERGE_NEW,
		     "#PF during #GP delivery: serial");
	expect_merge(EXC(0), EXC(1), HVX_MERGE_NEW,
		     "#DB during #DE delivery: benign, serial");
	expect_merge(EXC(6), EXC(13), HVX_MERGE_NEW,
		     "#GP during #UD delivery: serial");
	expect_merge(EXC(8), EXC(13), HVX_MERGE_TRIPLE_FAULT,
		     "#GP during #DF delivery: shutdown");
	expect_merge(EXC(8), EXC(1), HVX_MERGE_TRIPLE_FAULT,
		     "#DB during #DF delivery: shutdown");
}

static void expect_true(bool cond, const char *name)
{
	struct tcase tc;

	case_begin(&tc);
	check(&tc, cond, "wrong");
	case_end(&tc, "%s", name);
}

static void machine_check_cases(void)
{
	expect_true(hvx_is_machine_check(EXC(18)), "mce: #MC exit");
	expect_true(!hvx_is_machine_check(EXC(18) & ~HVX_EV_VALID),
		    "mce: not without the valid bit");
	expect_true(!hvx_is_machine_check(EV(HVX_EV_NMI, 18)),
		    "mce: vector 18 as an NMI is no #MC");
	expect_true(!hvx_is_machine_check(EV(HVX_EV_SOFT_INTR, 18)),
		    "mce: INT 18 is no #MC");
	expect_true(!hvx_is_machine_check(EXC(13)), "mce: #GP is none");
}

/* XCR0 components (SDM Vol. 1 13.1). */
#define X87		BIT_ULL(0)
#define SSE		BIT_ULL(1)
#define YMM		BIT_ULL(2)
#define BNDREGS		BIT_ULL(3)
#define BNDCSR		BIT_ULL(4)
#define OPMASK		BIT_ULL(5)
#define ZMM_HI256	BIT_ULL(6)
#define HI16_ZMM	BIT_ULL(7)
#define PKRU		BIT_ULL(9)
#define XTILECFG	BIT_ULL(17)
#define XTILEDATA	BIT_ULL(18)
#define AVX512		(OPMASK | ZMM_HI256 | HI16_ZMM)
#define ALL		(X87 | SSE | YMM | BNDREGS | BNDCSR | AVX512 | PKRU | \
			 XTILECFG | XTILEDATA)

static void xcr0_cases(void)
{
	expect_true(hvx_xcr0_valid(X87, ALL), "xcr0: x87 alone");
	expect_true(hvx_xcr0_valid(ALL, ALL), "xcr0: everything there is");
	expect_true(!hvx_xcr0_valid(SSE, ALL), "xcr0: x87 may not be off");
	expect_true(!hvx_xcr0_valid(X87 | YMM, ALL), "xcr0: AVX needs SSE");
	expect_true(hvx_xcr0_valid(X87 | SSE | YMM, ALL), "xcr0: AVX");
	expect_true(!hvx_xcr0_valid(X87 | SSE | YMM, X87 | SSE),
		    "xcr0: nothing the host lacks");
	expect_true(!hvx_xcr0_valid(X87 | SSE | YMM | OPMASK, ALL),
		    "xcr0: opmask without the ZMM state");
	expect_true(!hvx_xcr0_valid(X87 | SSE | YMM | OPMASK | ZMM_HI256, ALL),
		    "xcr0: AVX-512 without Hi16_ZMM");
	expect_true(!hvx_xcr0_valid(X87 | SSE | AVX512, ALL),
		    "xcr0: AVX-512 without AVX");
	expect_true(hvx_xcr0_valid(X87 | SSE | YMM | AVX512, ALL),
		    "xcr0: AVX-512, all three");
	expect_true(!hvx_xcr0_valid(X87 | BNDREGS, ALL),
		    "xcr0: BNDREGS without BNDCSR");
	expect_true(!hvx_xcr0_valid(X87 | BNDCSR, ALL),
		    "xcr0: BNDCSR without BNDREGS");
	expect_true(hvx_xcr0_valid(X87 | BNDREGS | BNDCSR, ALL), "xcr0: MPX");
	expect_true(!hvx_xcr0_valid(X87 | SSE | XTILEDATA, ALL),
		    "xcr0: XTILEDATA without XTILECFG");
	expect_true(!hvx_xcr0_valid(X87 | SSE | XTILECFG, ALL),
		    "xcr0: XTILECFG without XTILEDATA");
	expect_true(hvx_xcr0_valid(X87 | SSE | XTILECFG | XTILEDATA, ALL),
		    "xcr0: AMX");
	expect_true(!hvx_xcr0_valid(X87 | BIT_ULL(63), ~0ull),
		    "xcr0: bit 63 is reserved, whatever the host says");
}

void arch_rules_tests(void)
{
	merge_cases();
	machine_check_cases();
	xcr0_cases();
}
