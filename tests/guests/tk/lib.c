// SPDX-License-Identifier: GPL-2.0
/*
 * The test kernels' library (tk.h): COM1 output, TAP results, the IDT and
 * its dispatch, faults expected around single instructions, the local
 * APIC, and the start of a second CPU.
 */
#include <stdarg.h>

#include "tk.h"

#define COM1		0x3f8
#define COM_LSR		5
#define COM_LSR_THRE	BIT(5)
#define EXIT_PORT	0xf4

/* Where the second CPU's real-mode start is copied: page 0x70. */
#define TK_TRAMPOLINE	0x70000u

struct idt_gate {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
} __packed;

struct fixup {
	u32 insn, resume;
};

extern const u8 tk_stubs[];
extern const u8 tk_trampoline[], tk_trampoline_end[];
extern const struct fixup __tk_fixup_start[], __tk_fixup_end[];

static struct idt_gate idt[256] __aligned(8);
static tk_handler handlers[256];
static unsigned int tests, failures;
static volatile u32 fault;
volatile u32 tk_fault_error;
u64 tk_tsc_khz = 3000000;

static void (*ap_fn)(void);
static volatile u32 ap_alive;

static void putc(char c)
{
	unsigned int spins = 100000;

	/* A UART that never drains (none there) must not hang the test. */
	while (!(inb(COM1 + COM_LSR) & COM_LSR_THRE) && --spins)
		pause();
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

/* @v / @d, remainder in *@r, by shift and subtract: no libgcc here. */
static u64 divmod(u64 v, u32 d, u32 *r)
{
	u64 q = 0, rem = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		rem = rem << 1 | (v >> i & 1);
		if (rem >= d) {
			rem -= d;
			q |= 1ull << i;
		}
	}
	*r = rem;
	return q;
}

static char *put_num(char *p, char *end, u64 v, unsigned int base,
		     unsigned int width, char pad)
{
	char tmp[24];
	unsigned int n = 0;

	do {
		u32 digit;

		v = divmod(v, base, &digit);
		tmp[n++] = "0123456789abcdef"[digit];
	} while (v);
	while (width > n && p < end) {
		*p++ = pad;
		width--;
	}
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

/* %s %c %d %u %x %llu %lld %llx, a width and 0 padding: what tests use. */
static int format(char *buf, unsigned int size, const char *fmt, va_list ap)
{
	char *p = buf, *end = buf + size - 1;

	for (; *fmt && p < end; fmt++) {
		unsigned int width = 0, longs = 0;
		char pad = ' ';
		long long sv;

		if (*fmt != '%') {
			*p++ = *fmt;
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s && p < end)
				*p++ = *s++;
			break;
		}
		case 'c':
			*p++ = (char)va_arg(ap, int);
			break;
		case 'd':
			sv = longs > 1 ? va_arg(ap, long long) : va_arg(ap, int);
			if (sv < 0) {
				*p++ = '-';
				sv = -sv;
			}
			p = put_num(p, end, (u64)sv, 10, width, pad);
			break;
		case 'u':
		case 'x':
			p = put_num(p, end, longs > 1 ? va_arg(ap, u64) :
				    va_arg(ap, u32), *fmt == 'u' ? 10 : 16,
				    width, pad);
			break;
		case '%':
			*p++ = '%';
			break;
		default:
			*p++ = '?';
			break;
		}
		if (!*fmt)
			break;
	}
	*p = '\0';
	return p - buf;
}

int tk_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	puts(buf);
	return n;
}

bool tk_check(bool cond, const char *name, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	tests++;
	if (cond) {
		tk_printf("ok %u - %s\n", tests, name);
		return true;
	}
	failures++;
	va_start(ap, fmt);
	format(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tk_printf("not ok %u - %s # %s\n", tests, name, buf);
	return false;
}

void tk_skip(const char *name, const char *why)
{
	tk_printf("ok %u - %s # SKIP %s\n", ++tests, name, why);
}

void tk_done(void)
{
	tk_printf("1..%u\n", tests);
	tk_printf("TK: %s, %u of %u failed\n", failures ? "FAIL" : "PASS",
		  failures, tests);
	outb(EXIT_PORT, failures ? 1 : 0);
	/* No exit port (a VM without one): stop here. */
	for (;;)
		asm volatile("cli; hlt");
}

void tk_set_handler(unsigned int vector, tk_handler fn)
{
	handlers[vector & 0xff] = fn;
}

u32 tk_fault(void)
{
	u32 f = fault;

	fault = 0;
	return f;
}

u32 tk_rdmsr(u32 msr, u64 *val)
{
	u32 lo = 0, hi = 0;

	asm volatile(TK_SAFE("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr)
		     : "memory");
	*val = (u64)hi << 32 | lo;
	return tk_fault();
}

u32 tk_wrmsr(u32 msr, u64 val)
{
	asm volatile(TK_SAFE("wrmsr")
		     :: "a"((u32)val), "d"((u32)(val >> 32)), "c"(msr)
		     : "memory");
	return tk_fault();
}

bool tk_wait_for(volatile u32 *flag, u32 want, u64 cycles)
{
	u64 start = rdtsc();

	sti();
	while (*flag < want && rdtsc() - start < cycles)
		pause();
	cli();
	return *flag >= want;
}

/* Every interrupt and exception, from entry.S's stubs. */
void tk_trap(struct tk_frame *f);
void tk_trap(struct tk_frame *f)
{
	const struct fixup *x;

	if (f->vector < 32) {
		for (x = __tk_fixup_start; x < __tk_fixup_end; x++) {
			if (x->insn == f->eip) {
				fault = f->vector + 1;
				tk_fault_error = f->error;
				f->eip = x->resume;
				return;
			}
		}
	}
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (f->vector == 0xff)		/* spurious: no EOI (SDM 10.9) */
		return;
	tests++;
	failures++;
	tk_printf("not ok %u - unexpected_vector # vector %u error %x at eip %x\n",
		  tests, f->vector, f->error, f->eip);
	tk_done();
}

static void load_idt(void)
{
	struct {
		u16 limit;
		u32 base;
	} __packed desc = { sizeof(idt) - 1, (u32)idt };

	asm volatile("lidt %0" :: "m"(desc));
}

static void idt_init(void)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		u32 a = (u32)tk_stubs + 16 * i;

		/* A 32-bit interrupt gate, DPL 0: IF is cleared on entry. */
		idt[i] = (struct idt_gate) {
			.off_lo = a & 0xffff, .sel = 0x08,
			.type = 0x8e, .off_hi = a >> 16,
		};
	}
	load_idt();
}

static bool same(const void *a, const char *b, unsigned int n)
{
	const char *p = a;

	while (n--)
		if (*p++ != *b++)
			return false;
	return true;
}

static bool sum_ok(const void *p, u32 len)
{
	const u8 *b = p;
	u8 s = 0;

	while (len--)
		s += *b++;
	return !s;
}

const struct tk_sdt *tk_acpi_table(const char *sig)
{
	const struct tk_sdt *rsdt = NULL, *t;
	u32 a, i, n;

	for (a = 0xe0000; a < 0x100000; a += 16) {
		if (same((const void *)a, "RSD PTR ", 8) &&
		    sum_ok((const void *)a, 20)) {
			rsdt = (const struct tk_sdt *)rd32(a + 16);
			break;
		}
	}
	if (!rsdt || !same(rsdt->sig, "RSDT", 4) || !sum_ok(rsdt, rsdt->len))
		return NULL;
	n = (rsdt->len - sizeof(*rsdt)) / 4;
	for (i = 0; i < n; i++) {
		t = (const struct tk_sdt *)rd32((u32)(rsdt + 1) + 4 * i);
		if (same(t->sig, sig, 4) && sum_ok(t, t->len))
			return t;
	}
	return NULL;
}

u32 tk_apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void tk_apic_enable(void)
{
	apic_write(APIC_SVR, BIT(8) | 0xff);
}

void tk_apic_send(u32 dest, u32 lo)
{
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, lo);
	/* Delivery status (bit 12) clears once the APIC has sent it. */
	while (apic_read(APIC_ICR_LO) & BIT(12))
		pause();
}

void tk_ap_start(void);
void tk_ap_start(void)
{
	load_idt();
	tk_apic_enable();
	ap_alive = 1;
	ap_fn();
}

bool tk_start_ap(void (*fn)(void))
{
	const u8 *s;
	u8 *d = (u8 *)TK_TRAMPOLINE;
	int i;

	ap_fn = fn;
	for (s = tk_trampoline; s < tk_trampoline_end; s++)
		*d++ = *s;
	/* INIT, then SIPI twice (SDM Vol. 3A 8.4.4.1), to APIC ID 1. */
	tk_apic_send(1, 0x4500);
	for (i = 0; i < 2 && !ap_alive; i++) {
		tk_apic_send(1, 0x4600 | (TK_TRAMPOLINE >> 12));
		tk_wait_for(&ap_alive, 1, tk_ms(100));
	}
	return ap_alive;
}

void tk_start(u32 magic, u32 info);
void tk_start(u32 magic, u32 info)
{
	u32 r[4];

	idt_init();
	/*
	 * A PC with 8259s (QEMU's) has the BIOS's timer on IRQ 0 and vector
	 * 8, which is #DF's: mask them all. vmctl's PC has none to mask.
	 */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	cpuid(0, 0, r);
	if (r[0] >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0] & 0xffff)
			tk_tsc_khz = (u64)(r[0] & 0xffff) * 1000;
	}
	tk_printf("TK: start\n");
	if (magic != 0x2badb002) {
		tk_check(false, "multiboot_magic", "eax %x", magic);
		tk_done();
	}
	tk_main(info);
	tk_done();
}
