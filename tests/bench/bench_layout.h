/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The long-mode bench guest's memory, shared by the host side (C) and the
 * guest code (bench_guests64.S): where things are, the ports the guest
 * reports on, the words of its data page and its interrupt vectors.
 */
#ifndef BENCH_LAYOUT_H
#define BENCH_LAYOUT_H

#define LM_MEM_SIZE	0x20000		/* 128 KiB at GPA 0 */
#define LM_GDT		0x0000		/* null, code64, data, 64-bit TSS */
#define LM_IDT		0x1000		/* 256 interrupt gates */
#define LM_PML4		0x2000
#define LM_PDPT		0x3000
#define LM_PD0		0x4000		/* one 2 MiB page at 0 */
#define LM_PD3		0x5000		/* one 2 MiB page at the xAPIC */
#define LM_DATA		0x6000		/* the data page below */
#define LM_AP_STUB	0x7000		/* real mode, SIPI vector 7 */
#define LM_STACK_TOP(id) (0x9000 + 0x1000 * (id))	/* vCPU 0 and 1 */
#define LM_TSS		0xa000
#define LM_CODE		0x10000		/* bench_guests64.S */

#define LM_SEL_CODE	0x08
#define LM_SEL_DATA	0x10
#define LM_SEL_TSS	0x18

#define XAPIC_BASE	0xfee00000

/* OUT ports: the guest's reports to the host. */
#define PORT_DONE	0x10		/* the figure ran */
#define PORT_FAIL	0x11		/* EAX: an exception vector or FAIL_* */
#define PORT_AP_UP	0x12		/* the AP's real-mode stub ran */

/* Failure codes (exceptions report their vector, below 32). */
#define FAIL_TIMEOUT	0x101		/* the handler did not run in time */
#define FAIL_VMCALL	0x102		/* VMCALL returned RAX != -1000 */
#define FAIL_CR8	0x103		/* CR8 did not read back as written */
#define FAIL_TPR	0x104		/* the TPR did not read back */
#define FAIL_EARLY	0x105		/* the timer fired before its deadline */
#define FAIL_TSC	0x106		/* the handler's TSC is before the send */
#define FAIL_NOT_READY	0x107		/* the receiver vCPU did not report */
#define FAIL_VECTOR	0x1ff		/* an unexpected interrupt vector */

/* The data page: offsets from LM_DATA. The host zeroes it per figure. */
#define D_COUNT		0x00	/* u32: interrupt handler runs */
#define D_T_HANDLER	0x08	/* u64: the handler's RDTSC, last run */
#define D_T0		0x10	/* u64: TSC at the loop's start */
#define D_T1		0x18	/* u64: TSC at its end */
#define D_SUM		0x20	/* u64: sum of the per-op latencies */
#define D_READY		0x28	/* u32: the receiver's announcement */
#define D_STOP		0x2c	/* u32: the sender's "done" to the receiver */
#define D_DELAY		0x30	/* u64 in: TSC cycles between two sends */
#define D_TIMEOUT	0x38	/* u64 in: TSC cycles to wait for a handler */
#define D_FUTURE	0x40	/* u64 in: a future deadline, cycles ahead */

/* Vectors. */
#define VEC_TIMER	0xe0	/* LVT timer (TSC-deadline mode) */
#define VEC_SELF	0xf0	/* the self-IPI */
#define VEC_IPI		0xf1	/* the IPI from vCPU 0 to vCPU 1 */
#define VEC_SPURIOUS	0xff

/* A hypercall number neither hypervisor knows, and their answer. */
#define HC_UNKNOWN	0xdead0000
#define HC_ENOSYS	(-1000)

#endif
