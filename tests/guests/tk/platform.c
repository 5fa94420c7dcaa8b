// SPDX-License-Identifier: GPL-2.0
/*
 * tk_platform: the PC's clocks and firmware interface as a kernel finds
 * them. The CMOS RTC against the MC146818A datasheet (BCD and binary,
 * 12-hour mode, UIP before each update, register C read-to-clear, the
 * update-ended, periodic and alarm interrupts on ISA IRQ 8, routed through
 * the IOAPIC), the CMOS bytes of the memory size and the century, the
 * ACPI PM timer that the FADT names (3.579545 MHz, measured against the
 * RTC's seconds), and QEMU's fw_cfg (signature, CPU count, RAM size).
 * tk_test.sh passes "cpus=N mib=M" on the command line.
 */
#include "tk.h"

#define IOAPIC		0xfec00000u
#define RTC_VEC		0x60

#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511

static volatile u32 rtc_irqs, rtc_pf, rtc_af, rtc_uf;
static volatile u32 uf_at[2];	/* PM_TMR at the first two UF interrupts */
static u16 pm_port;
static bool pm_32bit;

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_set(u8 reg, u8 v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static u32 bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static u32 pm_read(void)
{
	return inl(pm_port) & (pm_32bit ? 0xffffffff : 0xffffff);
}

/*
 * Interrupts on for @ticks of the PM timer (below 2^24: a 24-bit one
 * wraps once), or until *@until is non-zero.
 */
static void pm_spin(u32 ticks, volatile u32 *until)
{
	u32 start = pm_read();

	sti();
	while (!(until && *until) && ((pm_read() - start) & 0xffffff) < ticks)
		pause();
	cli();
}

/* The RTC's interrupt: register C says why, and reading it re-arms. */
static void rtc_isr(struct tk_frame *f)
{
	u8 c = cmos(0x0c);

	rtc_irqs++;
	rtc_pf += !!(c & 0x40);
	rtc_af += !!(c & 0x20);
	if (c & 0x10) {
		if (rtc_uf < 2)
			uf_at[rtc_uf] = pm_read();
		rtc_uf++;
	}
	apic_eoi();
}

static void ioapic_route(u32 pin, u32 vector)
{
	mw32(IOAPIC, 0x10 + 2 * pin + 1);
	mw32(IOAPIC + 0x10, 0);			/* to APIC ID 0 */
	mw32(IOAPIC, 0x10 + 2 * pin);
	mw32(IOAPIC + 0x10, vector);		/* fixed, edge, high */
}

/* N of "KEY=N" on the Multiboot command line; 0 without it. */
static u32 arg(u32 mb_info, const char *key)
{
	const char *c, *k;
	u32 v = 0;

	if (!(rd32(mb_info) & BIT(2)))
		return 0;
	for (c = (const char *)rd32(mb_info + 16); *c; c++) {
		for (k = key; *k && *k == c[k - key]; k++)
			;
		if (*k || c[k - key] != '=')
			continue;
		for (c += k - key + 1; *c >= '0' && *c <= '9'; c++)
			v = v * 10 + *c - '0';
		return v;
	}
	return 0;
}

/* Wait out an update in progress, then the time, in binary. */
static void rtc_time(u32 t[3])
{
	bool binary = cmos(0x0b) & 0x04;
	u8 h;

	while (cmos(0x0a) & 0x80)
		pause();
	t[0] = cmos(0x00);
	t[1] = cmos(0x02);
	h = cmos(0x04);
	t[2] = h & 0x7f;
	if (!binary) {
		t[0] = bcd(t[0]);
		t[1] = bcd(t[1]);
		t[2] = bcd(t[2]);
	}
	if (!(cmos(0x0b) & 0x02))	/* 12-hour: 12 AM is 0, PM adds 12 */
		t[2] = t[2] % 12 + (h & 0x80 ? 12 : 0);
}

/*
 * Register C's flags are set by their events whether or not the
 * interrupt is enabled, and a read clears them. With no periodic rate
 * (RS 0) and an alarm that cannot match, right after an update the first
 * read has UF and the second nothing: the next event is a second away.
 */
static void rtc_register_c(void)
{
	u8 a = cmos(0x0a), first, second;

	cmos_set(0x0a, a & 0xf0);
	cmos_set(0x01, 0x7f);
	while (!(cmos(0x0a) & 0x80))
		pause();
	while (cmos(0x0a) & 0x80)
		pause();
	first = cmos(0x0c);
	second = cmos(0x0c);
	cmos_set(0x0a, a);
	tk_check((first & 0x10) && !(first & 0x80) && second == 0,
		 "rtc_register_c_flags_and_read_to_clear",
		 "after an update with UIE off: %x, then %x", first, second);
}

static void rtc(void)
{
	u32 t[3], u[3], s;
	u8 b0 = cmos(0x0b);

	tk_check(cmos(0x0d) & 0x80, "rtc_valid_ram_and_time", "register D %x",
		 cmos(0x0d));
	rtc_time(t);
	tk_check(t[0] < 60 && t[1] < 60 && t[2] < 24, "rtc_time_is_a_time",
		 "%u:%u:%u (register B %x)", t[2], t[1], t[0], b0);

	/* The same time in binary mode, then in 12-hour BCD mode. */
	cmos_set(0x0b, (b0 | 0x04) & ~0x70);
	rtc_time(u);
	s = (u[2] * 3600 + u[1] * 60 + u[0]) - (t[2] * 3600 + t[1] * 60 + t[0]);
	tk_check(cmos(0x0b) & 0x04 && (s <= 2 || s + 86400 <= 86402),
		 "rtc_binary_mode", "%u:%u:%u after %u:%u:%u", u[2], u[1], u[0],
		 t[2], t[1], t[0]);
	cmos_set(0x0b, b0 & ~0x76);
	rtc_time(u);
	s = (u[2] * 3600 + u[1] * 60 + u[0]) - (t[2] * 3600 + t[1] * 60 + t[0]);
	tk_check(!(cmos(0x0b) & 0x02) && (cmos(0x04) & 0x7f) >= 1 &&
		 bcd(cmos(0x04) & 0x7f) <= 12 && (s <= 4 || s + 86400 <= 86404),
		 "rtc_12_hour_mode", "hours byte %x, %u:%u:%u", cmos(0x04),
		 u[2], u[1], u[0]);
	cmos_set(0x0b, (b0 | 0x02) & ~0x74);

	/* Century: BCD 0x20 for this century, at the FADT's CENTURY byte. */
	tk_check(cmos(0x32) == 0x20, "cmos_century", "byte 0x32 is %x",
		 cmos(0x32));
	rtc_register_c();
}

static void rtc_interrupts(void)
{
	u8 b = cmos(0x0b) & ~0x70;
	u32 pf, uf;
	u32 t[3];

	tk_set_handler(RTC_VEC, rtc_isr);
	ioapic_route(8, RTC_VEC);
	cmos(0x0c);

	/* Periodic at rate 6: 1024 Hz; for 1/4 s of the PM timer. */
	cmos_set(0x0a, (cmos(0x0a) & 0xf0) | 6);
	cmos_set(0x0b, b | 0x40);
	pm_spin(3579545 / 4, NULL);
	cmos_set(0x0b, b);
	pf = rtc_pf;
	tk_check(pf >= 230 && pf <= 282, "rtc_periodic_1024_hz_on_irq_8",
		 "%u periodic interrupts in 1/4 s (%u in all)", pf, rtc_irqs);

	/*
	 * Update-ended: once a second. The PM timer's count between the
	 * first two is its rate: 3.579545 MHz, within 1% (both clocks follow
	 * the same host clock).
	 */
	cmos(0x0c);
	rtc_uf = 0;
	cmos_set(0x0b, b | 0x10);
	tk_wait_for(&rtc_uf, 2, tk_ms(5000));
	pm_spin(3579545 / 2, NULL);
	cmos_set(0x0b, b);
	uf = rtc_uf;
	tk_check(uf == 2, "rtc_update_ended_once_a_second",
		 "%u in the half second after the second one", uf);
	uf = (uf_at[1] - uf_at[0]) & (pm_32bit ? 0xffffffff : 0xffffff);
	tk_check(uf > 3579545 / 100 * 99 && uf < 3579545 / 100 * 101,
		 "pm_timer_is_3_579545_mhz", "%u ticks in an RTC second", uf);

	/* Alarm a second ahead, hours and minutes "don't care". */
	rtc_time(t);
	cmos(0x0c);
	rtc_af = 0;
	cmos_set(0x01, (b & 0x04) ? (t[0] + 1) % 60 :
		 (((t[0] + 1) % 60 / 10) << 4) | ((t[0] + 1) % 60 % 10));
	cmos_set(0x03, 0xc0);
	cmos_set(0x05, 0xc0);
	cmos_set(0x0b, b | 0x20);
	pm_spin(3579545 * 3, &rtc_af);
	cmos_set(0x0b, b);
	tk_check(rtc_af == 1, "rtc_alarm_interrupt", "%u alarms", rtc_af);
}

static void cmos_memory(u32 mib)
{
	u32 ext = cmos(0x17) | cmos(0x18) << 8;
	u32 above16 = cmos(0x34) | cmos(0x35) << 8;

	if (!mib) {
		tk_skip("cmos_memory_size", "no mib= on the command line");
		return;
	}
	/* KiB above 1 MiB (to 64 MiB); 64 KiB units above 16 MiB. */
	tk_check(ext == (mib < 64 ? mib - 1 : 63) * 1024 &&
		 above16 == (mib > 16 ? (mib - 16) * 16 : 0),
		 "cmos_memory_size", "extended %u KiB, above 16 MiB %u x 64 KiB, for %u MiB",
		 ext, above16, mib);
}

static void pm_timer(void)
{
	const struct tk_sdt *fadt = tk_acpi_table("FACP");
	u32 n;

	if (!tk_check(fadt && rd32((u32)fadt + 76), "fadt_names_the_pm_timer",
		      "FADT %x", (u32)fadt))
		return;
	pm_port = rd32((u32)fadt + 76);
	pm_32bit = rd32((u32)fadt + 112) & BIT(8);	/* TMR_VAL_EXT */
	n = pm_read();
	tk_check(pm_32bit || !(inl(pm_port) >> 24), "pm_timer_width_as_the_fadt_says",
		 "32-bit %u, read %x", pm_32bit, inl(pm_port));
	tk_check(pm_read() != n || pm_read() != n, "pm_timer_counts",
		 "stuck at %x", n);
}

static void fw_cfg_read(u16 key, void *buf, u32 len)
{
	u8 *p = buf;

	outw(FW_CFG_SEL, key);
	while (len--)
		*p++ = inb(FW_CFG_DATA);
}

static void fw_cfg(u32 cpus, u32 mib)
{
	char sig[4];
	u16 n = 0;
	u64 ram = 0;

	fw_cfg_read(0, sig, 4);
	if (!tk_check(sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' &&
		      sig[3] == 'U', "fw_cfg_signature", "%x %x %x %x",
		      sig[0], sig[1], sig[2], sig[3]))
		return;
	fw_cfg_read(5, &n, 2);
	tk_check(!cpus || n == cpus, "fw_cfg_cpu_count", "%u, %u given", n,
		 cpus);
	fw_cfg_read(3, &ram, 8);
	tk_check(!mib || ram == (u64)mib << 20, "fw_cfg_ram_size",
		 "%llx bytes, %u MiB given", ram, mib);
}

void tk_main(u32 mb_info)
{
	tk_apic_enable();
	rtc();
	cmos_memory(arg(mb_info, "mib"));
	pm_timer();
	if (pm_port)
		rtc_interrupts();
	fw_cfg(arg(mb_info, "cpus"), arg(mb_info, "mib"));
}
