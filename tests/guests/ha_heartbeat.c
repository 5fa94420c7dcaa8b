// SPDX-License-Identifier: GPL-2.0
/*
 * ha_heartbeat: the guest of the high-availability tests, a Multiboot 1
 * kernel that says on COM1 who it is and that it is alive:
 *
 *   vmctl run --kernel ha_heartbeat.elf --memory 8 --no-console \
 *	[--disk IMAGE] --append "hvx_ha.name=S hvx_ha.node=S hvx_ha.gen=S \
 *	hb_ms=N crash_after=N hb_disk=N"
 *
 * The command line is split at spaces; these tokens are read, any other
 * (console=ttyS0, ...) is ignored, and the last of a repeated one wins:
 *   hvx_ha.name=S, hvx_ha.node=S, hvx_ha.gen=S
 *	printed as given, cut to 32 characters; "?" if missing or empty;
 *   hb_ms=N	the heartbeat period in ms: default 200, clamped to 10..10000;
 *   crash_after=N
 *	triple-fault after heartbeat N; 0 (the default) never does;
 *   hb_disk=N	1: keep a log on the first virtio-blk disk (ha_disk.c);
 *	0 (the default) or any other value: look for no disk.
 * A malformed number (empty, not decimal) leaves the value as it was.
 *
 * What it prints, each line ending in a bare "\n":
 *   HB-START name=NAME node=NODE gen=GEN
 *   HB name=NAME node=NODE gen=GEN seq=K	every hb_ms, K = 1, 2, 3, ...
 *   HB-CRASH name=NAME node=NODE gen=GEN	after seq=crash_after, if set
 * and with hb_disk=1, after HB-START, one of
 *   HB-DISK name=NAME node=NODE gen=GEN last_gen=G last_seq=K next=N sectors=S
 *   HB-DISK-ERROR name=NAME node=NODE gen=GEN why=WORD
 * then each HB line only once its record is on the disk, and
 * HB-DISK-FULL or HB-DISK-ERROR if the log stops; ha_disk.c has the
 * details and the disk's format.
 * It never powers off: it runs until killed, or until the crash, which
 * vmctl reports with exit status 1 (the guest triple-faulted).
 *
 * Time is the local APIC timer (xAPIC page at 0xfee00000) in periodic
 * mode, one interrupt per heartbeat, and the kernel sleeps in HLT between
 * them: several of these VMs share a small host with the cluster engine
 * whose own timers must not starve, so nothing here polls for time. A
 * tick that comes while a line is still going out (a slow console) gets
 * its line right after, late: seq never skips a number. It can lag the
 * time elapsed only where the APIC merged ticks the vCPU did not take.
 *
 * The IDT has gates for the timer and the spurious vector only: any other
 * interrupt or exception finds a not-present gate and escalates to a triple
 * fault, which is the crash path's way out as well, and is loud.
 */

#include "ha_disk.h"

#define MB_BOOT_MAGIC	0x2badb002
#define MB_INFO_CMDLINE	BIT(2)

struct mb_info {
	u32 flags;
	u32 mem_lower;
	u32 mem_upper;
	u32 boot_device;
	u32 cmdline;		/* a C string, if MB_INFO_CMDLINE */
};

#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define LSR_THRE	0x20		/* transmitter holding register empty */

/*
 * The xAPIC registers used (SDM Vol. 3A 10.4.1, 10.5). hvx's timer counts
 * at HVX_APIC_TIMER_KHZ (uapi/linux/hvx.h, not included: it needs the
 * host's kernel headers) before the divide configuration.
 */
#define APIC_BASE	0xfee00000
#define APIC_SVR	0x0f0
#define  APIC_SVR_ENABLE	BIT(8)
#define APIC_LVTT	0x320
#define  APIC_LVTT_PERIODIC	BIT(17)
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0
#define  APIC_TDCR_DIV1		0xb
#define APIC_TIMER_KHZ	1000		/* HVX_APIC_TIMER_KHZ */

#define TIMER_VECTOR	0x40
#define SPURIOUS_VECTOR	0xff
#define KERNEL_CS	0x08		/* ha_heartbeat_entry.S's GDT */

#define HB_MS_DEFAULT	200
#define HB_MS_MIN	10
#define HB_MS_MAX	10000

/* Written by hb_timer_isr (ha_heartbeat_entry.S), read by the main loop. */
volatile u32 hb_ticks;

void hb_timer_isr(void);
void hb_spurious_isr(void);
void hb_main(u32 magic, const struct mb_info *info);

static char name[ID_MAX + 1] = "?";
static char node[ID_MAX + 1] = "?";
static char gen[ID_MAX + 1] = "?";
static u32 hb_ms = HB_MS_DEFAULT;
static u32 crash_after;
static u32 hb_disk;

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 zero;
	u8 type;		/* present, DPL 0, 32-bit interrupt gate: 0x8e */
	u16 offset_hi;
} __packed;

struct idt_desc {
	u16 limit;
	u32 base;
} __packed;

static struct idt_gate idt[256];

static inline void apic_write(u32 reg, u32 val)
{
	mw32(APIC_BASE + reg, val);
}

void putc(char c)
{
	unsigned int i;

	/* Bounded: a stuck UART must not stop the heartbeats for good. */
	for (i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THRE); i++)
		pause();
	outb(COM1, (u8)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

/* @v in decimal at @buf (10 bytes will do), no NUL; returns the length. */
u32 fmt_u32(char *buf, u32 v)
{
	u32 n = 0, i;
	char c;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n / 2; i++) {
		c = buf[i];
		buf[i] = buf[n - 1 - i];
		buf[n - 1 - i] = c;
	}
	return n;
}

void putu(u32 v)
{
	char buf[10];
	u32 n = fmt_u32(buf, v), i;

	for (i = 0; i < n; i++)
		putc(buf[i]);
}

/* "TAG name=NAME node=NODE gen=GEN", the start of every line. */
void put_id(const char *tag)
{
	puts(tag);
	puts(" name=");
	puts(name);
	puts(" node=");
	puts(node);
	puts(" gen=");
	puts(gen);
}

/* If token [tok, tok + len) is KEY=VALUE, point *val at VALUE. */
bool match(const char *tok, u32 len, const char *key, const char **val)
{
	u32 i;

	for (i = 0; key[i]; i++)
		if (i >= len || tok[i] != key[i])
			return false;
	*val = tok + i;
	return true;
}

static void set_id(char *dst, const char *val, u32 len)
{
	u32 i;

	if (!len)
		return;		/* "KEY=" is as good as missing: keep "?" */
	if (len > ID_MAX)
		len = ID_MAX;
	for (i = 0; i < len; i++)
		dst[i] = val[i];
	dst[len] = 0;
}

/* A decimal number, saturating at 2^32 - 1; false if malformed. */
bool parse_u32(const char *s, u32 len, u32 *out)
{
	u64 v = 0;
	u32 i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (u32)(s[i] - '0');
		if (v > 0xffffffffu)
			v = 0xffffffffu;
	}
	*out = (u32)v;
	return true;
}

static void parse_token(const char *tok, u32 len)
{
	const char *val;
	u32 vlen;

	if (match(tok, len, "hvx_ha.name=", &val)) {
		set_id(name, val, len - (u32)(val - tok));
	} else if (match(tok, len, "hvx_ha.node=", &val)) {
		set_id(node, val, len - (u32)(val - tok));
	} else if (match(tok, len, "hvx_ha.gen=", &val)) {
		set_id(gen, val, len - (u32)(val - tok));
	} else if (match(tok, len, "hb_ms=", &val)) {
		vlen = len - (u32)(val - tok);
		if (parse_u32(val, vlen, &hb_ms)) {
			if (hb_ms < HB_MS_MIN)
				hb_ms = HB_MS_MIN;
			if (hb_ms > HB_MS_MAX)
				hb_ms = HB_MS_MAX;
		}
	} else if (match(tok, len, "crash_after=", &val)) {
		parse_u32(val, len - (u32)(val - tok), &crash_after);
	} else if (match(tok, len, "hb_disk=", &val)) {
		parse_u32(val, len - (u32)(val - tok), &hb_disk);
	}
}

static void parse_cmdline(const char *s)
{
	u32 len;

	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return;
		for (len = 0; s[len] && s[len] != ' '; len++)
			;
		parse_token(s, len);
		s += len;
	}
}

static void set_gate(u8 vector, void (*handler)(void))
{
	u32 addr = (u32)handler;

	idt[vector] = (struct idt_gate) {
		.offset_lo = (u16)addr,
		.selector = KERNEL_CS,
		.type = 0x8e,
		.offset_hi = (u16)(addr >> 16),
	};
}

static void load_idt(const void *base, u16 limit)
{
	struct idt_desc d = { .limit = limit, .base = (u32)base };

	asm volatile("lidt %0" :: "m"(d));
}

/*
 * Software-enable the APIC first: while it is disabled, LVT writes keep
 * the mask bit set (SDM Vol. 3A 10.4.7.2). Then divide by 1 and a period
 * of hb_ms; the write to the initial count starts the timer.
 */
static void start_timer(void)
{
	apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_TDCR, APIC_TDCR_DIV1);
	apic_write(APIC_LVTT, APIC_LVTT_PERIODIC | TIMER_VECTOR);
	apic_write(APIC_TMICT, hb_ms * APIC_TIMER_KHZ);
}

/*
 * On purpose, and the way vmctl tells apart from a power-off: with an IDT
 * limit of 0, the #UD finds no gate, nor does the #GP that follows, nor
 * the double fault: the CPU shuts down.
 */
static void __noreturn crash(void)
{
	put_id("HB-CRASH");
	putc('\n');
	asm volatile("cli");
	load_idt(0, 0);
	for (;;)
		asm volatile("ud2");
}

void __noreturn hb_main(u32 magic, const struct mb_info *info)
{
	u32 seq = 0, ticks;

	if (magic == MB_BOOT_MAGIC && (info->flags & MB_INFO_CMDLINE))
		parse_cmdline((const char *)info->cmdline);

	set_gate(TIMER_VECTOR, hb_timer_isr);
	set_gate(SPURIOUS_VECTOR, hb_spurious_isr);
	load_idt(idt, sizeof(idt) - 1);

	put_id("HB-START");
	putc('\n');
	if (hb_disk == 1)
		hb_disk_open(name, node, gen);
	start_timer();

	for (;;) {
		/*
		 * STI's one-instruction shadow makes "sti; hlt" atomic: a tick
		 * that comes after the check wakes the HLT instead of being
		 * taken before it and leaving the kernel asleep a period late.
		 */
		asm volatile("cli" ::: "memory");
		while ((ticks = hb_ticks) == seq)
			asm volatile("sti; hlt; cli" ::: "memory");
		asm volatile("sti" ::: "memory");

		while (seq != ticks) {
			seq++;
			hb_disk_beat(seq);	/* on the disk before it is said */
			put_id("HB");
			puts(" seq=");
			putu(seq);
			putc('\n');
			if (crash_after && seq == crash_after)
				crash();
		}
	}
}
