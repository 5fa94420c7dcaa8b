// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel interrupt controllers (HVX_CREATE_IRQCHIP): the local
 * APIC timer in its three modes waking a halted vCPU, xAPIC and x2APIC
 * register access and self-IPIs, IOAPIC edge- and level-triggered pins
 * driven by HVX_IRQ_LINE (Remote IRR, EOI, re-delivery), INIT-SIPI
 * starting a second vCPU, and HLT with interrupts off sleeping in the
 * kernel until a signal. Guests count interrupts in small IDT handlers
 * written in assembly below and report through ucalls.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define APIC_GPA		0xfee00000ull
#define APIC_ID			0x020
#define APIC_LVR		0x030
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_ISR		0x100
#define APIC_IRR		0x200
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define LVTT_PERIODIC		(1u << 17)
#define LVTT_TSC_DEADLINE	(2u << 17)
#define LVT_MASKED		(1u << 16)

#define MSR_APIC_BASE		0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define MSR_TSC_ADJUST		0x3b
#define MSR_X2APIC(reg)		(0x800 + ((reg) >> 4))
#define APIC_BASE_X2APIC	(1ull << 10)

#define IOAPIC_GPA		0xfec00000ull
#define REDIR_LEVEL		(1u << 15)
#define REDIR_REMOTE_IRR	(1u << 14)
#define REDIR_MASKED		(1u << 16)

#define VEC_TIMER		0x40
#define VEC_SELF		0x43
#define VEC_EDGE		0x45
#define VEC_LEVEL		0x46
#define PIN_EDGE		4
#define PIN_LEVEL		9

#define APIC_LVT0		0x350
#define LVT_EXTINT		(7u << 8)
#define VEC_PIC			0x50		/* ICW2 of the master */
#define PIC_IRQ			4

#define AP_CODE_GPA		0x10000ull	/* SIPI vector 0x10 */
#define AP_PORT			0x80

/* ---- Guest side --------------------------------------------------------- */

volatile uint64_t irq_count;

/*
 * Interrupt handlers: count, then EOI through the xAPIC page, the x2APIC
 * MSR, or not at all (the level-triggered test sends the EOI itself).
 */
extern char isr_xapic_eoi[], isr_x2apic_eoi[], isr_no_eoi[], isr_pic_eoi[];
asm(".pushsection .text\n"
    ".globl isr_xapic_eoi\n"
    "isr_xapic_eoi:\n"
    "	push %rax\n"
    "	lock incq irq_count(%rip)\n"
    "	movl $0xfee000b0, %eax\n"
    "	movl $0, (%rax)\n"
    "	pop %rax\n"
    "	iretq\n"
    ".globl isr_x2apic_eoi\n"
    "isr_x2apic_eoi:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rdx\n"
    "	lock incq irq_count(%rip)\n"
    "	movl $0x80b, %ecx\n"
    "	xorl %eax, %eax\n"
    "	xorl %edx, %edx\n"
    "	wrmsr\n"
    "	pop %rdx\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    ".globl isr_pic_eoi\n"
    "isr_pic_eoi:\n"
    "	push %rax\n"
    "	lock incq irq_count(%rip)\n"
    "	movb $0x20, %al\n"
    "	outb %al, $0x20\n"
    "	pop %rax\n"
    "	iretq\n"
    ".globl isr_no_eoi\n"
    "isr_no_eoi:\n"
    "	lock incq irq_count(%rip)\n"
    "	iretq\n"
    ".popsection\n");

static uint32_t __guest_code apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_GPA + reg);
}

static void __guest_code apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = val;
}

static uint32_t __guest_code ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	return *(volatile uint32_t *)(IOAPIC_GPA + 0x10);
}

static void __guest_code ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	*(volatile uint32_t *)(IOAPIC_GPA + 0x10) = val;
}

static uint64_t __guest_code rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Halt with interrupts on until @n interrupts have been counted. */
static void __guest_code wait_irqs(uint64_t n)
{
	while (irq_count < n)
		asm volatile("sti; hlt; cli" : : : "memory");
}

/* The ISR bit of @vector, as the APIC shows it. */
static bool __guest_code in_service(uint8_t vector)
{
	return apic_read(APIC_ISR + (vector / 32) * 0x10) &
	       (1u << (vector % 32));
}

static void __guest_code guest_timer_oneshot(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);			/* divide by 1 */
	apic_write(APIC_LVTT, VEC_TIMER);		/* one-shot */
	apic_write(APIC_TMICT, 2 * HVX_APIC_TIMER_KHZ);	/* 2 ms */
	GUEST_ASSERT(apic_read(APIC_TMCCT) <= 2 * HVX_APIC_TIMER_KHZ);
	wait_irqs(1);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	GUEST_ASSERT(!in_service(VEC_TIMER));
	/* A one-shot timer fires once. */
	for (volatile int i = 0; i < 100000; i++)
		;
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_DONE();
}

/* @arg: TSC ticks per millisecond. */
static void __guest_code guest_timer_periodic(uint64_t tsc_per_ms)
{
	uint64_t start;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, VEC_TIMER | LVTT_PERIODIC);
	start = rdtsc();
	apic_write(APIC_TMICT, HVX_APIC_TIMER_KHZ / 2);	/* 0.5 ms */
	wait_irqs(5);
	apic_write(APIC_LVTT, VEC_TIMER | LVT_MASKED);
	/* Five periods cannot end before 2.5 ms. */
	GUEST_SYNC_ARGS(1, rdtsc() - start, tsc_per_ms * 5 / 2, 0);
	GUEST_DONE();
}

static void __guest_code guest_timer_deadline(uint64_t tsc_per_ms)
{
	uint64_t deadline, start;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, VEC_TIMER | LVTT_TSC_DEADLINE);
	deadline = rdtsc() + 2 * tsc_per_ms;
	guest_wrmsr(MSR_TSC_DEADLINE, deadline);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_TSC_DEADLINE), deadline);
	wait_irqs(1);
	GUEST_ASSERT(rdtsc() >= deadline);
	/* The MSR reads 0 once the timer has fired. */
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_TSC_DEADLINE), 0);
	/* A deadline in the past fires at once. */
	guest_wrmsr(MSR_TSC_DEADLINE, 1);
	wait_irqs(2);
	/* So does one that the TSC jumps past (TSC_ADJUST moves the TSC). */
	guest_wrmsr(MSR_TSC_DEADLINE, rdtsc() + 1000 * tsc_per_ms);
	guest_wrmsr(MSR_TSC_ADJUST, 2000 * tsc_per_ms);
	start = rdtsc();
	wait_irqs(3);
	GUEST_SYNC_ARGS(1, rdtsc() - start, 100 * tsc_per_ms, 0);
	GUEST_DONE();
}

static void __guest_code guest_xapic_regs(uint64_t arg)
{
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_LVR) & 0xff, 0x14);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_APIC_BASE) & ~0xfffull, APIC_GPA);
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x50);
	/* A self-IPI below the task priority waits in IRR... */
	apic_write(APIC_ICR, 0x40000 | VEC_SELF);
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 0);
	GUEST_ASSERT(apic_read(APIC_IRR + 0x20) & (1u << (VEC_SELF % 32)));
	/* ...and comes in when the priority drops (CR8 is the TPR). */
	asm volatile("mov %0, %%cr8" : : "r"(0ull));
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0);
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_DONE();
}

/*
 * The task priority, through CR8 (SDM Vol. 3A 10.8.6.1) and through the
 * xAPIC's TPR. Lowering it lets a held-back interrupt in before the next
 * instruction with nothing else to exit on: with the TPR shadowed, only
 * the TPR threshold's exit does. Then 1000 writes and reads of each, which
 * the host counts the exits of.
 */
static void __guest_code guest_task_priority(uint64_t arg)
{
	volatile uint32_t *tpr = (volatile uint32_t *)(APIC_GPA + APIC_TPR);
	uint64_t i, cr8;

	apic_write(APIC_SVR, 0x1ff);
	asm volatile("mov %0, %%cr8" : : "r"(5ull));
	apic_write(APIC_ICR, 0x40000 | VEC_SELF);	/* class 4: held back */
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 0);
	asm volatile("mov %0, %%cr8; sti; nop; nop; cli" : : "r"(4ull));
	GUEST_ASSERT_EQ(irq_count, 0);			/* 4 still holds class 4 */
	asm volatile("mov %0, %%cr8; sti; nop; nop; cli" : : "r"(3ull));
	GUEST_ASSERT_EQ(irq_count, 1);

	*tpr = 0x50;
	apic_write(APIC_ICR, 0x40000 | VEC_SELF);
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	asm volatile("movl %0, (%1); sti; nop; nop; cli" : : "r"(0x40), "r"(tpr) : "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	asm volatile("movl %0, (%1); sti; nop; nop; cli" : : "r"(0x3f), "r"(tpr) : "memory");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_SYNC(1);

	for (i = 0; i < 1000; i++) {
		asm volatile("mov %1, %%cr8; mov %%cr8, %0" : "=r"(cr8) : "r"(i & 15));
		GUEST_ASSERT_EQ(cr8, i & 15);
	}
	GUEST_SYNC(2);
	for (i = 0; i < 1000; i++) {
		*tpr = (i & 15) << 4;
		GUEST_ASSERT_EQ(*tpr, (i & 15) << 4);
	}
	GUEST_SYNC(3);
	asm volatile("mov %%cr8, %0" : "=r"(cr8));
	GUEST_ASSERT_EQ(cr8, 999 & 15);
	GUEST_DONE();
}

/*
 * TSC deadlines 200 µs ahead while the vCPU spins with interrupts on (the
 * VMX-preemption timer's case, where nothing else makes it exit): each
 * comes, never before its deadline; the latest one's lateness is reported.
 */
static void __guest_code guest_deadline_spinning(uint64_t tsc_per_ms)
{
	uint64_t i, deadline, late = 0, t;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, VEC_TIMER | LVTT_TSC_DEADLINE);
	asm volatile("sti");
	for (i = 1; i <= 20; i++) {
		deadline = rdtsc() + tsc_per_ms / 5;
		guest_wrmsr(MSR_TSC_DEADLINE, deadline);
		while (irq_count < i)
			GUEST_ASSERT(rdtsc() < deadline + 100 * tsc_per_ms);
		t = rdtsc();
		GUEST_ASSERT(t >= deadline);
		if (t - deadline > late)
			late = t - deadline;
	}
	asm volatile("cli");
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_TSC_DEADLINE), 0);
	GUEST_SYNC_ARGS(1, late, 0, 0);
	GUEST_DONE();
}

/* @n one-shot timers of 20 µs, each waited for in HLT. */
static void __guest_code guest_short_halts(uint64_t n)
{
	uint64_t i;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);			/* divide by 1 */
	apic_write(APIC_LVTT, VEC_TIMER);		/* one-shot */
	for (i = 1; i <= n; i++) {
		apic_write(APIC_TMICT, HVX_APIC_TIMER_KHZ / 50);	/* 20 µs */
		wait_irqs(i);
	}
	GUEST_DONE();
}

static void __guest_code guest_x2apic(uint64_t arg)
{
	uint64_t base = guest_rdmsr(MSR_APIC_BASE);

	guest_wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_X2APIC(APIC_ID)), 0);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_X2APIC(APIC_LVR)) & 0xff, 0x14);
	/* The logical ID is fixed: cluster 0, bit 0. */
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_X2APIC(0x0d0)), 1);
	guest_wrmsr(MSR_X2APIC(APIC_SVR), 0x1ff);
	guest_wrmsr(0x83f, VEC_SELF);				/* SELF IPI */
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	guest_wrmsr(MSR_X2APIC(APIC_ICR), 0x40000 | VEC_SELF);
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 2);
	/* In x2APIC mode the MMIO page is no APIC: this goes to user space. */
	GUEST_SYNC_ARGS(1, apic_read(APIC_ID), 0, 0);
	GUEST_DONE();
}

static void __guest_code guest_ioapic_edge(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	GUEST_ASSERT_EQ(ioapic_read(1) & 0xff, 0x11);
	GUEST_ASSERT_EQ((ioapic_read(1) >> 16) & 0xff, HVX_IOAPIC_PINS - 1);
	GUEST_ASSERT(ioapic_read(0x10 + 2 * PIN_EDGE) & REDIR_MASKED);
	ioapic_write(0x11 + 2 * PIN_EDGE, 0);		/* to APIC 0 */
	ioapic_write(0x10 + 2 * PIN_EDGE, VEC_EDGE);	/* edge, unmasked */
	GUEST_SYNC(1);				/* host: 0 -> 1 */
	wait_irqs(1);
	GUEST_SYNC(2);				/* host: 1 -> 1, no edge */
	asm volatile("sti; nop; nop; cli");
	for (volatile int i = 0; i < 100000; i++)
		;
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_SYNC(3);				/* host: 1 -> 0 -> 1 */
	wait_irqs(2);
	GUEST_DONE();
}

static void __guest_code outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static uint8_t __guest_code inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

/*
 * The 8259s as Linux's init_8259A() programs them, IRQ 4 alone unmasked,
 * LINT0 in ExtINT mode: IRQ 4 arrives with the master's vector, bypassing
 * the local APIC (nothing in its ISR), and the handler's EOI is the PIC's.
 */
static void __guest_code guest_pic_extint(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, LVT_EXTINT);
	outb(0x20, 0x11);
	outb(0x21, VEC_PIC);
	outb(0x21, 1 << 2);
	outb(0x21, 0x01);
	outb(0xa0, 0x11);
	outb(0xa1, VEC_PIC + 8);
	outb(0xa1, 2);
	outb(0xa1, 0x01);
	outb(0x21, (uint8_t)~(1u << PIC_IRQ));
	outb(0xa1, 0xff);
	GUEST_ASSERT_EQ(inb(0x21), (uint8_t)~(1u << PIC_IRQ));
	GUEST_ASSERT_EQ(inb(0xa1), 0xff);
	GUEST_SYNC(1);				/* host: IRQ 4 up */
	wait_irqs(1);
	GUEST_ASSERT(!in_service(VEC_PIC + PIC_IRQ));
	outb(0x20, 0x0b);			/* OCW3: read ISR */
	GUEST_ASSERT_EQ(inb(0x20), 0);
	GUEST_SYNC(2);		/* host: 4 down, 16 up: the IOAPIC's only */
	asm volatile("sti; nop; nop; cli");
	for (volatile int i = 0; i < 100000; i++)
		;
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	/* Masked in LINT0: a request stays in the PIC. */
	apic_write(APIC_LVT0, LVT_EXTINT | LVT_MASKED);
	GUEST_SYNC(3);				/* host: IRQ 4 up again */
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	outb(0x20, 0x0a);			/* read IRR */
	GUEST_ASSERT_EQ(inb(0x20), 1u << PIC_IRQ);
	apic_write(APIC_LVT0, LVT_EXTINT);
	wait_irqs(2);
	GUEST_DONE();
}

/* Without HVX_CREATE_PIC, or wider than a byte: user space's ports. */
static void __guest_code guest_pic_ports(uint64_t arg)
{
	uint16_t w;

	outb(0x21, 0x55);
	asm volatile("inw %1, %0" : "=a"(w) : "Nd"((uint16_t)0x20));
	GUEST_DONE();
}

static void __guest_code guest_ioapic_level(uint64_t arg)
{
	uint32_t redir = 0x10 + 2 * PIN_LEVEL;

	apic_write(APIC_SVR, 0x1ff);
	ioapic_write(redir + 1, 0);
	ioapic_write(redir, VEC_LEVEL | REDIR_LEVEL);
	GUEST_SYNC(1);				/* host: line up */
	wait_irqs(1);
	/* Taken but not EOIed: Remote IRR and ISR hold it. */
	GUEST_ASSERT(ioapic_read(redir) & REDIR_REMOTE_IRR);
	GUEST_ASSERT(in_service(VEC_LEVEL));
	GUEST_SYNC(2);				/* host: line down */
	apic_write(APIC_EOI, 0);
	GUEST_ASSERT(!(ioapic_read(redir) & REDIR_REMOTE_IRR));
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);		/* the line is down */
	GUEST_SYNC(3);				/* host: line up again */
	wait_irqs(2);
	/* EOI with the line still up: the IOAPIC sends it again. */
	apic_write(APIC_EOI, 0);
	wait_irqs(3);
	ioapic_write(redir, VEC_LEVEL | REDIR_LEVEL | REDIR_MASKED);
	apic_write(APIC_EOI, 0);
	GUEST_DONE();
}

static void __guest_code guest_start_ap(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_ICR2, 1u << 24);		/* APIC ID 1 */
	apic_write(APIC_ICR, 0x4500);			/* INIT, assert */
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4600 | (AP_CODE_GPA >> 12)); /* SIPI */
	GUEST_DONE();
}

static void __guest_code guest_cli_hlt(uint64_t arg)
{
	asm volatile("cli; hlt");
	GUEST_FAIL(0);
}

/*
 * The guest's own value in XMM2 (written with raw encodings: guest code
 * is built without SSE), checked after each wakeup from a timer-woken HLT.
 */
#define FPU_ROUNDS		300
#define GUEST_XMM_PATTERN	0x6765737400000000ull	/* "gest" */
#define HOST_XMM_PATTERN	0x686f737400000000ull	/* "host" */

static void __guest_code set_xmm2(uint64_t v)
{
	/* movq %rax, %xmm2 */
	asm volatile(".byte 0x66, 0x48, 0x0f, 0x6e, 0xd0" : : "a"(v));
}

static uint64_t __guest_code get_xmm2(void)
{
	uint64_t v;

	/* movq %xmm2, %rax */
	asm volatile(".byte 0x66, 0x48, 0x0f, 0x7e, 0xd0" : "=a"(v));
	return v;
}

static void __guest_code guest_fpu_across_hlt(uint64_t arg)
{
	uint64_t i, stale = 0, first_stale = 0, v;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, VEC_TIMER);		/* one-shot */
	for (i = 1; i <= FPU_ROUNDS; i++) {
		set_xmm2(GUEST_XMM_PATTERN | i);
		apic_write(APIC_TMICT, HVX_APIC_TIMER_KHZ / 5);	/* 200 us */
		wait_irqs(i);
		v = get_xmm2();
		if (v != (GUEST_XMM_PATTERN | i)) {
			if (!stale)
				first_stale = v;
			stale++;
		}
	}
	GUEST_SYNC_ARGS(1, stale, first_stale, 0);
	GUEST_DONE();
}

/* ---- Host side ---------------------------------------------------------- */

/* Load hvx if this boot has not: 1 if loaded here, 0 if there, -1 if not. */
static int need_hvx(void)
{
	if (!hvx_loaded() && access(hvx_ko_path(), F_OK) == 0)
		return hvx_load(NULL) ? -1 : 1;
	return access("/dev/hvx", F_OK) ? -1 : 0;
}

FIXTURE(irqchip) {
	int loaded_here;
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	uint64_t tsc_per_ms;
	bool ready;
};

FIXTURE_SETUP(irqchip)
{
	struct hvx_capability cap = { .cap = HVX_CAP_TSC_KHZ };

	self->loaded_here = need_hvx();
	if (self->loaded_here < 0)
		SKIP(return, "hvx is not loaded and hvx.ko does not load here");
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	ASSERT_EQ(0, ioctl(self->vm->fd, HVX_CREATE_IRQCHIP, 0));
	vm_load_self(self->vm);
	self->vcpu = vcpu_add(self->vm, 0);
	ASSERT_EQ(0, ioctl(self->vm->sys_fd, HVX_CHECK_CAPABILITY, &cap));
	ASSERT_LT(0, cap.value);
	self->tsc_per_ms = cap.value;
	vm_set_idt_handler(self->vm, VEC_TIMER, isr_xapic_eoi);
	vm_set_idt_handler(self->vm, VEC_SELF, isr_xapic_eoi);
	vm_set_idt_handler(self->vm, VEC_EDGE, isr_xapic_eoi);
	vm_set_idt_handler(self->vm, VEC_LEVEL, isr_no_eoi);
	self->ready = true;
}

FIXTURE_TEARDOWN(irqchip)
{
	if (self->vm)
		vm_free(self->vm);
	if (self->loaded_here > 0)
		EXPECT_EQ(0, hvx_unload());
}

#define NEED_VM()							\
	do {								\
		if (!self->ready)					\
			return;						\
	} while (0)

static void irq_line(struct hvx_vm *vm, uint32_t gsi, uint32_t level)
{
	struct hvx_irq_line line = { .gsi = gsi, .level = level };

	TEST_ASSERT(!ioctl(vm->fd, HVX_IRQ_LINE, &line),
		    "HVX_IRQ_LINE %u %u: %s", gsi, level, strerror(errno));
}

static void run_to_done(struct hvx_vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE,
		    "guest: %s", ucall_cmd_str(uc.cmd));
}

TEST(api)
{
	struct hvx_capability cap = { .cap = HVX_CAP_IRQCHIP };
	struct hvx_irq_line line = { 0 };
	struct hvx_vm *vm;
	int loaded_here = need_hvx();

	if (loaded_here < 0)
		SKIP(return, "hvx is not loaded and hvx.ko does not load here");
	vm = vm_create(HVX_VM_DEFAULT_MEM);
	ASSERT_EQ(0, ioctl(vm->sys_fd, HVX_CHECK_CAPABILITY, &cap));
	EXPECT_EQ(HVX_IOAPIC_PINS, cap.value);
	/* No IOAPIC yet: nothing to drive. */
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_IRQ_LINE, &line));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_IRQCHIP, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EEXIST, errno);
	line.gsi = HVX_IOAPIC_PINS;
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_IRQ_LINE, &line));
	EXPECT_EQ(EINVAL, errno);
	line.gsi = 0;
	line.level = 2;
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_IRQ_LINE, &line));
	EXPECT_EQ(EINVAL, errno);
	line.level = 1;
	line.flags = 1;
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_IRQ_LINE, &line));
	EXPECT_EQ(EINVAL, errno);
	line.flags = 0;
	EXPECT_EQ(0, ioctl(vm->fd, HVX_IRQ_LINE, &line));
	vm_free(vm);

	/* Too late once a vCPU exists: it would have no APIC. */
	vm = vm_create(HVX_VM_DEFAULT_MEM);
	vcpu_add(vm, 0);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EBUSY, errno);
	vm_free(vm);
	if (loaded_here > 0)
		EXPECT_EQ(0, hvx_unload());
}

TEST_F(irqchip, timer_oneshot_wakes_halted_vcpu)
{
	struct hvx_vcpu_stats st;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_timer_oneshot, 0);
	run_to_done(self->vcpu);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &st));
	/* HLT slept in the kernel; only the final ucall came out. */
	EXPECT_LE(1, st.exit_reason[12]);
	EXPECT_LT(0, st.halt_ns);
	EXPECT_EQ(1, st.exits_to_user);
}

TEST_F(irqchip, timer_periodic)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_timer_periodic,
			     self->tsc_per_ms);
	expect_sync(self->vcpu, 1, &uc);
	EXPECT_LE(uc.args[2], uc.args[1])
		TH_LOG("5 periods of 0.5 ms took %llu TSC ticks, under %llu",
		       (unsigned long long)uc.args[1],
		       (unsigned long long)uc.args[2]);
	run_to_done(self->vcpu);
}

TEST_F(irqchip, timer_tsc_deadline)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_timer_deadline,
			     self->tsc_per_ms);
	expect_sync(self->vcpu, 1, &uc);
	/* Not the 1000 ms that the deadline was ahead before the jump. */
	EXPECT_GT(uc.args[2], uc.args[1])
		TH_LOG("a deadline the TSC jumped past took %llu TSC ticks, not under %llu",
		       (unsigned long long)uc.args[1],
		       (unsigned long long)uc.args[2]);
	run_to_done(self->vcpu);
}

TEST_F(irqchip, timer_tsc_deadline_while_running)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_deadline_spinning,
			     self->tsc_per_ms);
	expect_sync(self->vcpu, 1, &uc);
	TH_LOG("20 deadlines 200 us ahead, the vCPU spinning: the latest came %llu TSC ticks late (%llu us)",
	       (unsigned long long)uc.args[1],
	       (unsigned long long)(uc.args[1] * 1000 / self->tsc_per_ms));
	run_to_done(self->vcpu);
}

TEST_F(irqchip, xapic_registers_tpr_and_self_ipi)
{
	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_xapic_regs, 0);
	run_to_done(self->vcpu);
}

#define EXIT_CR_ACCESS		28
#define EXIT_TPR_BELOW_THRESHOLD 43
#define EXIT_APIC_ACCESS	44
#define EXIT_EPT_VIOLATION	48

static uint64_t mmio_exits(const struct hvx_vcpu_stats *st)
{
	return st->exit_reason[EXIT_APIC_ACCESS] + st->exit_reason[EXIT_EPT_VIOLATION];
}

/*
 * HVX_CAP_TPR_SHADOW says which way the task priority goes: bit 0 CR8
 * without exits, bit 1 the xAPIC TPR too. Each way either takes no exit
 * at all or exactly one per access; each TPR lowering that lets the
 * interrupt through exits once where it is shadowed (the threshold).
 */
TEST_F(irqchip, task_priority_lets_interrupt_in_and_is_shadowed)
{
	struct hvx_capability cap = { .cap = HVX_CAP_TPR_SHADOW };
	struct hvx_vcpu_stats s1, s2, s3;
	bool cr8_shadow, xapic_shadow;
	uint64_t cr, mmio;
	struct ucall uc;

	NEED_VM();
	ASSERT_EQ(0, ioctl(self->vm->sys_fd, HVX_CHECK_CAPABILITY, &cap));
	cr8_shadow = cap.value & 1;
	xapic_shadow = cap.value & 2;
	vcpu_setup_long_mode(self->vcpu, guest_task_priority, 0);
	expect_sync(self->vcpu, 1, &uc);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &s1));
	expect_sync(self->vcpu, 2, &uc);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &s2));
	expect_sync(self->vcpu, 3, &uc);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &s3));
	run_to_done(self->vcpu);
	cr = s2.exit_reason[EXIT_CR_ACCESS] - s1.exit_reason[EXIT_CR_ACCESS];
	mmio = mmio_exits(&s3) - mmio_exits(&s2);
	TH_LOG("HVX_CAP_TPR_SHADOW %#llx: %llu CR exits for 1000 CR8 writes and reads, %llu MMIO exits for 1000 TPR writes and reads, %llu TPR-threshold exits",
	       (unsigned long long)cap.value, (unsigned long long)cr,
	       (unsigned long long)mmio,
	       (unsigned long long)s1.exit_reason[EXIT_TPR_BELOW_THRESHOLD]);
	EXPECT_EQ(cr8_shadow ? 0 : 2000, cr);
	EXPECT_EQ(xapic_shadow ? 0 : 2000, mmio);
	/* The CR8 write of 3 and the TPR write of 0x3f, not those of class 4. */
	EXPECT_EQ(cr8_shadow + xapic_shadow, s1.exit_reason[EXIT_TPR_BELOW_THRESHOLD]);
	EXPECT_TRUE(cr8_shadow || !xapic_shadow);
}

/*
 * Halt polling: HLTs that the timer ends within microseconds end while the
 * vCPU still polls, once its window has grown (10, 20, 40 µs...), so that
 * most of them never sleep; with hvx.halt_poll_ns=0 every one sleeps.
 */
TEST_F(irqchip, halt_polling_catches_quick_wakeups)
{
	struct hvx_vcpu_stats st;
	unsigned int max_ns = 0;
	FILE *f = fopen("/sys/module/hvx/parameters/halt_poll_ns", "r");

	NEED_VM();
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%u", &max_ns));
	fclose(f);
	vcpu_setup_long_mode(self->vcpu, guest_short_halts, 100);
	run_to_done(self->vcpu);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &st));
	TH_LOG("halt_poll_ns %u: %llu of 100 short HLTs ended while polling, %llu HLT exits",
	       max_ns, (unsigned long long)st.halt_poll_wakes,
	       (unsigned long long)st.exit_reason[12]);
	EXPECT_LE(100, st.exit_reason[12]);
	if (max_ns >= 100000) {
		EXPECT_LE(50, st.halt_poll_wakes);
	} else if (!max_ns) {
		EXPECT_EQ(0, st.halt_poll_wakes);
	}
}

TEST_F(irqchip, x2apic_msrs_and_self_ipi)
{
	struct ucall uc;

	NEED_VM();
	vm_set_idt_handler(self->vm, VEC_SELF, isr_x2apic_eoi);
	vcpu_setup_long_mode(self->vcpu, guest_x2apic, 0);
	ASSERT_EQ(0, __vcpu_run(self->vcpu));
	vcpu_assert_exit(self->vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(APIC_GPA + APIC_ID, self->vcpu->run->mmio.phys_addr);
	EXPECT_EQ(0, self->vcpu->run->mmio.is_write);
	memset(self->vcpu->run->mmio.data, 0x77, 4);
	expect_sync(self->vcpu, 1, &uc);
	EXPECT_EQ(0x77777777, uc.args[1]);
	run_to_done(self->vcpu);
}

TEST_F(irqchip, ioapic_edge_pin)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_ioapic_edge, 0);
	expect_sync(self->vcpu, 1, &uc);
	irq_line(self->vm, PIN_EDGE, 1);
	expect_sync(self->vcpu, 2, &uc);
	irq_line(self->vm, PIN_EDGE, 1);	/* no edge: nothing */
	expect_sync(self->vcpu, 3, &uc);
	irq_line(self->vm, PIN_EDGE, 0);
	irq_line(self->vm, PIN_EDGE, 1);
	run_to_done(self->vcpu);
}

static bool has_pic(struct hvx_vm *vm)
{
	struct hvx_capability cap = { .cap = HVX_CAP_PIC };

	return !ioctl(vm->sys_fd, HVX_CHECK_CAPABILITY, &cap) && cap.value;
}

TEST_F(irqchip, pic_extint_through_lint0)
{
	struct ucall uc;

	NEED_VM();
	if (!has_pic(self->vm))
		SKIP(return, "no HVX_CAP_PIC");
	ASSERT_EQ(0, ioctl(self->vm->fd, HVX_CREATE_PIC, 0));
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_CREATE_PIC, 0));
	EXPECT_EQ(EEXIST, errno);
	vm_set_idt_handler(self->vm, VEC_PIC + PIC_IRQ, isr_pic_eoi);
	vcpu_setup_long_mode(self->vcpu, guest_pic_extint, 0);
	expect_sync(self->vcpu, 1, &uc);
	irq_line(self->vm, PIC_IRQ, 1);
	expect_sync(self->vcpu, 2, &uc);
	irq_line(self->vm, PIC_IRQ, 0);
	irq_line(self->vm, 16, 1);	/* no PIC input: nothing comes */
	irq_line(self->vm, 0, 1);	/* IOAPIC pin 0: no PIC input either */
	expect_sync(self->vcpu, 3, &uc);
	irq_line(self->vm, PIC_IRQ, 1);
	run_to_done(self->vcpu);
}

/* The guest's port accesses the PIC does not take reach user space. */
static void expect_io_exit(struct hvx_vcpu *vcpu, uint16_t port, uint8_t size)
{
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == HVX_EXIT_IO &&
		    vcpu->run->io.port == port && vcpu->run->io.size == size,
		    "exit %u port %#x size %u, want I/O at %#x size %u",
		    vcpu->run->exit_reason, vcpu->run->io.port,
		    vcpu->run->io.size, port, size);
}

TEST_F(irqchip, pic_ports_unclaimed_without_pic_or_as_words)
{
	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_pic_ports, 0);
	expect_io_exit(self->vcpu, 0x21, 1);	/* no PIC: as before */
	expect_io_exit(self->vcpu, 0x20, 2);
	run_to_done(self->vcpu);
}

TEST(pic_api)
{
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	int loaded_here = need_hvx();

	if (loaded_here < 0)
		SKIP(return, "hvx is not loaded and hvx.ko does not load here");
	vm = vm_create(HVX_VM_DEFAULT_MEM);
	if (!has_pic(vm)) {
		vm_free(vm);
		SKIP(return, "no HVX_CAP_PIC");
	}
	/* Not without the irqchip; not with an argument. */
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_PIC, 0));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(0, ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_PIC, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(vm->fd, HVX_CREATE_PIC, 0));
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	/* A word at the PIC's ports is not its: user space sees it. */
	vcpu_setup_long_mode(vcpu, guest_pic_ports, 0);
	expect_io_exit(vcpu, 0x20, 2);
	run_to_done(vcpu);
	vm_free(vm);
	if (loaded_here > 0)
		EXPECT_EQ(0, hvx_unload());
}

TEST_F(irqchip, ioapic_level_pin_remote_irr)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_ioapic_level, 0);
	expect_sync(self->vcpu, 1, &uc);
	irq_line(self->vm, PIN_LEVEL, 1);
	expect_sync(self->vcpu, 2, &uc);
	irq_line(self->vm, PIN_LEVEL, 0);
	expect_sync(self->vcpu, 3, &uc);
	irq_line(self->vm, PIN_LEVEL, 1);
	run_to_done(self->vcpu);
}

struct ap_run {
	struct hvx_vcpu *vcpu;
	volatile int done;
	int ret;
};

static void *ap_thread(void *arg)
{
	struct ap_run *ap = arg;

	ap->ret = __vcpu_run(ap->vcpu);
	ap->done = 1;
	return NULL;
}

TEST_F(irqchip, init_sipi_starts_second_vcpu)
{
	/* mov $0x5a, %al; out %al, $0x80; cli; hlt */
	static const uint8_t ap_code[] = { 0xb0, 0x5a, 0xe6, AP_PORT, 0xfa, 0xf4 };
	struct ap_run ap = { 0 };
	struct hvx_sregs sregs;
	struct timespec until;
	pthread_t thread;
	int i;

	NEED_VM();
	ap.vcpu = vcpu_add(self->vm, 1);
	vm_write(self->vm, AP_CODE_GPA, ap_code, sizeof(ap_code));
	ASSERT_EQ(0, pthread_create(&thread, NULL, ap_thread, &ap));
	/* The AP waits for its SIPI inside HVX_RUN. */
	usleep(200000);
	EXPECT_EQ(0, ap.done);

	vcpu_setup_long_mode(self->vcpu, guest_start_ap, 0);
	run_to_done(self->vcpu);
	for (i = 0; i < 100 && !ap.done; i++)
		usleep(100000);
	if (!ap.done) {
		pthread_kill(thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		pthread_timedjoin_np(thread, NULL, &until);
		ASSERT_TRUE(ap.done) TH_LOG("the AP did not start in 10 s");
	}
	pthread_join(thread, NULL);
	ASSERT_EQ(0, ap.ret);
	vcpu_assert_exit(ap.vcpu, HVX_EXIT_IO);
	EXPECT_EQ(AP_PORT, ap.vcpu->run->io.port);
	EXPECT_EQ(0x5a, *((uint8_t *)ap.vcpu->run + ap.vcpu->run->io.data_offset));
	vcpu_sregs_get(ap.vcpu, &sregs);
	EXPECT_EQ(AP_CODE_GPA >> 4, sregs.cs.selector);
	EXPECT_EQ(AP_CODE_GPA, sregs.cs.base);
}

/* A host task that keeps its own pattern in XMM2 and checks it. */
struct xmm_task {
	volatile int stop;
	volatile uint64_t checks, stale, first_stale;
};

static void xmm_task_loop(struct xmm_task *t)
{
	uint64_t want, got;
	unsigned int n;

	for (n = 1; !t->stop; n++) {
		want = HOST_XMM_PATTERN | n;
		asm volatile("movq %0, %%xmm2" : : "r"(want) : "xmm2");
		/* Give the vCPU thread every chance to run in between. */
		sched_yield();
		asm volatile("movq %%xmm2, %0" : "=r"(got));
		if (got != want) {
			if (!t->stale)
				t->first_stale = got;
			t->stale++;
		}
		t->checks++;
	}
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "pin to CPU%d: %s", cpu, strerror(errno));
}

/*
 * The guest sleeps in HLT 300 times, woken by its timer, while a host
 * process on the same CPU keeps another value in the same register:
 * neither may ever see the other's, nor a third task's. A sleep, a
 * preemption or a softirq's kernel_fpu_begin() all leave another state
 * in the registers; hvx must load the guest's before every entry.
 */
TEST_F(irqchip, fpu_state_survives_hlt_beside_a_host_task)
{
	struct xmm_task *t;
	struct ucall uc;
	pid_t pid;
	int status;

	NEED_VM();
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t);
	memset(t, 0, sizeof(*t));
	pin_to_cpu(0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		xmm_task_loop(t);
		_exit(0);
	}
	vcpu_setup_long_mode(self->vcpu, guest_fpu_across_hlt, 0);
	expect_sync(self->vcpu, 1, &uc);
	t->stop = 1;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, uc.args[1])
		TH_LOG("the guest found XMM2 changed after %llu of %d wakeups, first %#llx",
		       (unsigned long long)uc.args[1], FPU_ROUNDS,
		       (unsigned long long)uc.args[2]);
	EXPECT_EQ(0, t->stale)
		TH_LOG("the host task found XMM2 changed in %llu of %llu checks, first %#llx",
		       (unsigned long long)t->stale,
		       (unsigned long long)t->checks,
		       (unsigned long long)t->first_stale);
	/* The task really ran beside the vCPU. */
	EXPECT_LT(FPU_ROUNDS / 10, t->checks);
	run_to_done(self->vcpu);
	munmap(t, sizeof(*t));
}

static void on_alarm(int sig)
{
}

TEST_F(irqchip, hlt_with_interrupts_off_sleeps_until_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct hvx_vcpu_stats st;

	NEED_VM();
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	vcpu_setup_long_mode(self->vcpu, guest_cli_hlt, 0);
	alarm(1);
	EXPECT_EQ(-1, __vcpu_run(self->vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, self->vcpu->run->exit_reason);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &st));
	/* It slept: most of that second is halt time, not guest time. */
	EXPECT_LT(500000000ull, st.halt_ns);
	EXPECT_GT(100000000ull, st.guest_ns);
}

TEST_HARNESS_MAIN
