/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tk: the library of hvx's test kernels, small Multiboot 1 kernels that
 * check one part of the virtual PC each against what the SDM and the
 * datasheets say, and report in TAP on COM1:
 *
 *   ok 1 - vmcall_unknown_number_returns_enosys
 *   not ok 2 - rdtscp_returns_tsc_aux # ecx 0 want 0x1234
 *   1..2
 *
 * then end their VM through QEMU's isa-debug-exit at port 0xf4 (vmctl run
 * --exit-port; QEMU -device isa-debug-exit): 0 when every check passed,
 * so the VM's exit status is 1, and 1 (status 3) when one failed. The same
 * ELF file runs under vmctl and under QEMU+KVM, and the testbed compares
 * the two transcripts line by line (tests/testbed/tk_test.sh).
 *
 * A kernel provides tk_main(); the library (entry.S, lib.c) gives it a
 * GDT, an IDT whose every vector reaches tk_trap(), exceptions caught
 * around the instructions that are expected to fault (TK_SAFE), and the
 * second CPU started on request (tk_start_ap).
 */
#ifndef TK_H
#define TK_H

#include "../guest.h"

/* What tk_trap() got, as entry.S pushed it (PUSHA, vector, error code). */
struct tk_frame {
	u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
	u32 vector, error;
	u32 eip, cs, eflags;
};

typedef void (*tk_handler)(struct tk_frame *f);

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* The kernel under test; @cmdline is Multiboot's, "" if none. */
void tk_main(u32 mb_info);

int tk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * One TAP result: "ok N - NAME", or "not ok N - NAME # " and the detail
 * made from @fmt. Returns @cond.
 */
bool tk_check(bool cond, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A check that cannot be made here: "ok N - NAME # SKIP why". */
void tk_skip(const char *name, const char *why);
/* The plan, the verdict on the exit port; never returns. */
void __noreturn tk_done(void);

/* Run @fn on each interrupt or exception @vector (it sends any EOI). */
void tk_set_handler(unsigned int vector, tk_handler fn);

/*
 * TK_SAFE(insn): the instruction at label 1 may fault; tk_trap() then
 * resumes at label 2 and records the vector. tk_fault() returns and
 * clears it: 0 for none, else vector + 1, with the error code in
 * tk_fault_error.
 */
#define TK_SAFE(insn)						\
	"1: " insn "\n2:\n"					\
	".pushsection .tk_fixup, \"a\"\n"			\
	".long 1b, 2b\n"					\
	".popsection\n"
extern volatile u32 tk_fault_error;
u32 tk_fault(void);

/* Vectors of faults, plus one, as tk_fault() returns them. */
#define TK_UD	(6 + 1)
#define TK_GP	(13 + 1)

static inline void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* RDMSR and WRMSR that may fault: 0, or tk_fault()'s vector + 1. */
u32 tk_rdmsr(u32 msr, u64 *val);
u32 tk_wrmsr(u32 msr, u64 val);

static inline void sti(void)
{
	asm volatile("sti" ::: "memory");
}

static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}

/*
 * Wait until *@flag is at least @want or @cycles of TSC passed, with
 * interrupts on; returns whether it got there.
 */
bool tk_wait_for(volatile u32 *flag, u32 want, u64 cycles);

/*
 * The TSC's rate in kHz, for timeouts only: CPUID 0x16's base frequency
 * where the CPU reports it, else 3 GHz (a timeout then lasts longer or
 * shorter; no result depends on it).
 */
extern u64 tk_tsc_khz;

static inline u64 tk_ms(u32 ms)
{
	return tk_tsc_khz * ms;
}

/* An ACPI table's header (ACPI 6.3 5.2.6). */
struct tk_sdt {
	char sig[4];
	u32 len;
	u8 rev, sum;
	char oem[6], table[8];
	u32 oem_rev, creator, creator_rev;
} __packed;

/*
 * The ACPI table with signature @sig, through the RSDP that the 16-byte
 * scan of 0xE0000-0xFFFFF finds (5.2.5.1) and its RSDT, checksums
 * checked; NULL if there is none.
 */
const struct tk_sdt *tk_acpi_table(const char *sig);

/* xAPIC registers (SDM Vol. 3A table 10-1), at the default base. */
#define APIC_BASE	0xfee00000u
#define APIC_ID		0x020
#define APIC_VERSION	0x030
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

#define APIC_DM_FIXED	0x000
#define APIC_DM_NMI	0x400
#define APIC_LVT_MASKED	BIT(16)
#define APIC_TIMER_PERIODIC	(1u << 17)
#define APIC_TIMER_DEADLINE	(2u << 17)

static inline u32 apic_read(u32 reg)
{
	return mr32(APIC_BASE + reg);
}

static inline void apic_write(u32 reg, u32 v)
{
	mw32(APIC_BASE + reg, v);
}

static inline void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* Software-enable the local APIC, spurious vector 0xff. */
void tk_apic_enable(void);
/* Send vector | delivery mode @lo to the APIC whose ID is @dest. */
void tk_apic_send(u32 dest, u32 lo);
/* This CPU's APIC ID (xAPIC: bits 31:24 of the ID register). */
u32 tk_apic_id(void);

/*
 * Start the CPU with APIC ID 1 at @fn, on a stack of its own, with the
 * same GDT and IDT; returns whether it reported in. @fn must not return.
 */
bool tk_start_ap(void (*fn)(void));

#endif /* TK_H */
