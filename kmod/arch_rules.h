/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rules of the architecture that decide what a guest gets: what the CPU
 * delivers when an exception arises while it delivers an earlier event
 * (SDM Vol. 3A 6.15, table 6-5), which exits report a machine check, and
 * which XCR0 values XSETBV takes. Plain C over <linux/types.h>, so that
 * tests/unit/ builds it in user space.
 *
 * Events are in the VMX interruption-information format (SDM Vol. 3C
 * 25.8.3): vector in 7:0, type in 10:8, error code valid in 11, valid in 31.
 */
#ifndef HVX_ARCH_RULES_H
#define HVX_ARCH_RULES_H

#include <linux/types.h>

#define HVX_EV_VECTOR(info)	((info) & 0xff)
#define HVX_EV_TYPE(info)	(((info) >> 8) & 7)
#define HVX_EV_VALID		0x80000000u

/* Interruption types, bits 10:8. */
enum {
	HVX_EV_EXT_INTR		= 0,
	HVX_EV_NMI		= 2,
	HVX_EV_HARD_EXCEPTION	= 3,
	HVX_EV_SOFT_INTR	= 4,
	HVX_EV_PRIV_SOFT_EXC	= 5,
	HVX_EV_SOFT_EXCEPTION	= 6,
};

enum hvx_merge {
	HVX_MERGE_NEW,		/* deliver the new exception; the old recurs */
	HVX_MERGE_NEW_THEN_OLD,	/* the new now, the old (not recurring) next */
	HVX_MERGE_DOUBLE_FAULT,	/* deliver #DF(0) instead of both */
	HVX_MERGE_TRIPLE_FAULT,	/* shutdown */
};

/*
 * The CPU was delivering @old when the exit came and a handler raises the
 * exception @new for the same instruction boundary.
 */
enum hvx_merge hvx_merge_events(u32 old, u32 new);

/* The exit's interruption information reports a machine check. */
bool hvx_is_machine_check(u32 exit_intr_info);

/*
 * XCR0 as XSETBV accepts it (SDM Vol. 1 13.3): x87 always; AVX with SSE;
 * the MPX pair together; the three AVX-512 components together and with
 * AVX; the AMX pair together; nothing outside @supported.
 */
bool hvx_xcr0_valid(u64 xcr0, u64 supported);

#endif /* HVX_ARCH_RULES_H */
