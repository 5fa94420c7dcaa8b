// SPDX-License-Identifier: GPL-2.0
/*
 * Rules of the architecture that decide what the guest gets; see
 * arch_rules.h. No VMCS, no vCPU: inputs in, decision out.
 */
#include <linux/bits.h>
#include <linux/types.h>

#include "arch_rules.h"

enum { BENIGN, CONTRIBUTORY, PAGE_FAULT };

/* SDM Vol. 3A table 6-4: #DE, #TS, #NP, #SS and #GP are contributory. */
static int exception_class(u32 vector)
{
	switch (vector) {
	case 0:
	case 10:
	case 11:
	case 12:
	case 13:
		return CONTRIBUTORY;
	case 14:
		return PAGE_FAULT;
	}
	return BENIGN;
}

enum hvx_merge hvx_merge_events(u32 old, u32 new)
{
	int first, second;

	switch (HVX_EV_TYPE(old)) {
	case HVX_EV_EXT_INTR:
	case HVX_EV_NMI:
		/* Nothing would raise these again: they must not be lost. */
		return HVX_MERGE_NEW_THEN_OLD;
	case HVX_EV_HARD_EXCEPTION:
		break;
	default:
		/* INT n, INT3, INTO, INT1 run again when the guest resumes. */
		return HVX_MERGE_NEW;
	}
	/* As KVM does: anything during #DF delivery is a shutdown. */
	if (HVX_EV_VECTOR(old) == 8)
		return HVX_MERGE_TRIPLE_FAULT;
	first = exception_class(HVX_EV_VECTOR(old));
	second = exception_class(HVX_EV_VECTOR(new));
	if ((first == CONTRIBUTORY && second == CONTRIBUTORY) ||
	    (first == PAGE_FAULT && second != BENIGN))
		return HVX_MERGE_DOUBLE_FAULT;
	/* Handled serially: the faulting instruction raises the old again. */
	return HVX_MERGE_NEW;
}

bool hvx_is_machine_check(u32 info)
{
	return (info & HVX_EV_VALID) &&
	       HVX_EV_TYPE(info) == HVX_EV_HARD_EXCEPTION &&
	       HVX_EV_VECTOR(info) == 18;
}

/* XCR0 bits (SDM Vol. 1 13.1). */
#define XCR0_X87	BIT_ULL(0)
#define XCR0_SSE	BIT_ULL(1)
#define XCR0_YMM	BIT_ULL(2)
#define XCR0_MPX	GENMASK_ULL(4, 3)	/* BNDREGS, BNDCSR */
#define XCR0_AVX512	GENMASK_ULL(7, 5)	/* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_AMX	GENMASK_ULL(18, 17)	/* XTILECFG, XTILEDATA */
#define XCR0_RESERVED	BIT_ULL(63)		/* for XCR0 extensions */

/* Either every bit of @group or none. */
static bool all_or_none(u64 xcr0, u64 group)
{
	return (xcr0 & group) == 0 || (xcr0 & group) == group;
}

bool hvx_xcr0_valid(u64 xcr0, u64 supported)
{
	if ((xcr0 & (~supported | XCR0_RESERVED)) || !(xcr0 & XCR0_X87))
		return false;
	if ((xcr0 & XCR0_YMM) && !(xcr0 & XCR0_SSE))
		return false;
	if (!all_or_none(xcr0, XCR0_MPX) || !all_or_none(xcr0, XCR0_AVX512) ||
	    !all_or_none(xcr0, XCR0_AMX))
		return false;
	return !(xcr0 & XCR0_AVX512) || (xcr0 & XCR0_YMM);
}
