// SPDX-License-Identifier: GPL-2.0
/*
 * The CMOS RTC (rtc.h), after the Motorola MC146818A datasheet, with what
 * PC chipsets and QEMU's mc146818rtc add:
 *
 *   0x70  write: bits 6:0 select a register, bit 7 is the NMI mask. It is
 *         kept but masks nothing: the machine has no NMI source. Reads
 *         return 0xff: the index register is write-only on the PC (Intel's
 *         PCHs read it back only in their "alternate access mode"), and
 *         QEMU returns 0xff too.
 *   0x71  the selected register.
 *
 * The clock. Guest time is the host's UTC when the machine is made (PCs
 * under Linux keep the RTC in UTC by default: hwclock, timedatectl's "RTC
 * in local TZ: no"; guests that want local time would have to set it), plus
 * the delta the guest set in an earlier boot of the same VM, then counts on
 * CLOCK_MONOTONIC as a real RTC counts its crystal: a host clock step does
 * not move it, NTP's frequency corrections do. A guest write to the time
 * registers moves the clock for the VM's life (vmctl_rtc_delta_ns() gives
 * the delta to the next boot), as the battery-backed chip keeps the time an
 * OS sets.
 *
 * The registers. 0x00-0x09 in BCD or binary (B.DM), hours in 24- or
 * 12-hour mode (B.24/12; bit 7 = PM, 12 is 12 AM/PM). Day of week 1-7,
 * Sunday 1, is worked out from the date, as QEMU does: a written value does
 * not stick. The alarm registers match any value with their two top bits
 * set (0xc0-0xff, "don't care"). The century byte 0x32 (the FADT's CENTURY)
 * is part of the clock: it reads 20 in the mode B.DM says, BCD 0x20 as IBM's
 * AT defined it when the RTC runs in BCD (what firmware sets), binary 20 in
 * binary mode, as Linux's mc146818_get_time() reads it and QEMU writes it.
 *
 *   A  bit 7 UIP reads 1 for the 244 us (8 cycles of 32768 Hz) before each
 *      update; the update itself is instantaneous at the second boundary,
 *      which keeps the datasheet's promise that UIP 0 leaves 244 us to read
 *      the time. Bits 6:4 (divider) read back; 11x holds the divider chain
 *      in reset: time stops, no update or periodic interrupt, and the first
 *      update comes 500 ms after leaving reset. Other values run at 32768
 *      Hz, the PC's crystal. Bits 3:0 (rate) read back and select the
 *      periodic interrupt: 32768 >> (rate - 1) Hz, rates 1 and 2 being
 *      rates 8 and 9 (256 and 128 Hz) with a 32.768 kHz time base, 0 none.
 *   B  read/write. SET stops updates (UIP reads 0) and, by the datasheet,
 *      clears UIE; the time written meanwhile starts counting when SET is
 *      cleared, at the phase of the running divider chain.
 *   C  IRQF PF AF UF, read-only, cleared by a read. PF, AF and UF are set
 *      whatever the enable bits say; IRQF = PF.PIE | AF.AIE | UF.UIE.
 *   D  VRT (bit 7) always 1: the battery is good.
 *
 * IRQ 8. On the chip IRQ# is a level held until C is read; the PC's
 * interrupt controller takes it edge-triggered, so each 0-to-1 change of
 * IRQF is a pulse of GSI 8 (1 then 0), edge and active high as the MADT's
 * default for an ISA IRQ without an override. No new pulse comes until the
 * guest has read C, as on hardware.
 *
 * Timing is lazy: flags are worked out from the clock whenever the guest
 * looks (any register access) and by one timer thread per VM, which sleeps
 * until the next event only when an enabled interrupt needs it delivered
 * and IRQF is clear; otherwise it waits on a condition variable that the
 * register writes and the reads of C signal. An idle guest costs nothing.
 *
 * CMOS RAM 0x0e-0x7f reads back what the guest writes, starting with what
 * PC firmware leaves there (QEMU's pc_cmos_init() and SeaBIOS conventions):
 *   0x10 floppy types 0 (none); 0x14 equipment 0x02 (FPU, no floppy,
 *   EGA/VGA-class display); 0x15-0x16 base memory 640 KiB; 0x17-0x18 and
 *   0x30-0x31 memory above 1 MiB in KiB, at most 0xffff; 0x2e-0x2f the AT
 *   checksum of 0x10-0x2d (big-endian); 0x34-0x35 memory between 16 MiB
 *   and 4 GiB in 64 KiB units, at most 0xffff; 0x5b-0x5d memory above
 *   4 GiB in 64 KiB units; 0x5f the number of CPUs minus 1.
 * The RAM starts afresh at each boot; only the clock's delta carries over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acpi/aml.h"
#include "core/clock.h"
#include "core/vm.h"
#include "hw/rtc.h"

#define NSEC		1000000000LL
#define DAY		86400
#define HZ		32768			/* the time base */
#define UIP_CYCLES	8			/* 244 us of it */

#define CMOS_FLOPPY	0x10
#define CMOS_EQUIPMENT	0x14
#define CMOS_BASE_MEM	0x15
#define CMOS_EXT_MEM	0x17
#define CMOS_CHECKSUM	0x2e
#define CMOS_EXT_MEM2	0x30
#define CMOS_MEM_16M	0x34
#define CMOS_MEM_4G	0x5b
#define CMOS_NR_CPUS	0x5f

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b && (a < 0) != (b < 0));
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct fields {
	int sec, min, hour, wday, mday, mon, year;	/* binary, year full */
};

static struct fields fields_of(int64_t t)
{
	int64_t z = floor_div(t, DAY) + 719468, sod = floor_mod(t, DAY);
	int64_t era = floor_div(z, 146097), doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct fields f;

	f.sec = sod % 60;
	f.min = sod / 60 % 60;
	f.hour = sod / 3600;
	f.wday = floor_mod(z - 719468 + 4, 7);	/* 1970-01-01: a Thursday */
	f.mday = doy - (153 * mp + 2) / 5 + 1;
	f.mon = mp < 10 ? mp + 3 : mp - 9;
	f.year = yoe + era * 400 + (f.mon <= 2);
	return f;
}

static bool binary(const struct vmctl_rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t enc(const struct vmctl_rtc *rtc, int v)
{
	return binary(rtc) ? v : (v / 10 % 10) << 4 | v % 10;
}

static int dec(const struct vmctl_rtc *rtc, uint8_t v)
{
	return binary(rtc) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t enc_hour(const struct vmctl_rtc *rtc, int h)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return enc(rtc, h);
	return enc(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOURS_PM : 0);
}

static int dec_hour(const struct vmctl_rtc *rtc, uint8_t v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return dec(rtc, v);
	return dec(rtc, v & ~RTC_HOURS_PM) % 12 + (v & RTC_HOURS_PM ? 12 : 0);
}

/* Guest UTC time at monotonic @mono: seconds, and ns in *@nsec. */
static int64_t guest_sec(const struct vmctl_rtc *rtc, int64_t mono,
			 int64_t *nsec)
{
	int64_t ns = floor_mod(mono, NSEC) + rtc->off_nsec;
	int64_t sec = floor_div(mono, NSEC) + rtc->off_sec + ns / NSEC;

	if (nsec)
		*nsec = ns % NSEC;
	return sec;
}

/* The monotonic time at which the guest clock reads @sec + @nsec. */
static int64_t mono_of(const struct vmctl_rtc *rtc, int64_t sec, int64_t nsec)
{
	return (sec - rtc->off_sec) * NSEC + nsec - rtc->off_nsec;
}

/* Make the guest clock read @sec + @nsec at monotonic @mono. */
static void set_clock(struct vmctl_rtc *rtc, int64_t mono, int64_t sec,
		      int64_t nsec)
{
	int64_t ns = nsec - floor_mod(mono, NSEC);

	rtc->off_sec = sec - floor_div(mono, NSEC) + floor_div(ns, NSEC);
	rtc->off_nsec = floor_mod(ns, NSEC);
}

/* Guest time in cycles of the 32768 Hz time base. */
static int64_t cycles(const struct vmctl_rtc *rtc, int64_t mono)
{
	int64_t nsec, sec = guest_sec(rtc, mono, &nsec);

	return sec * HZ + nsec * HZ / NSEC;
}

static bool divider_on(const struct vmctl_rtc *rtc)
{
	return (rtc->cmos[RTC_REG_A] & RTC_A_DV_RESET) != RTC_A_DV_RESET;
}

/* The clock counts and updates the registers. */
static bool running(const struct vmctl_rtc *rtc)
{
	return divider_on(rtc) && !(rtc->cmos[RTC_REG_B] & RTC_B_SET);
}

/* The periodic interrupt's period in cycles; 0: none. */
static int64_t period(const struct vmctl_rtc *rtc)
{
	unsigned int rate = rtc->cmos[RTC_REG_A] & RTC_A_RS_MASK;

	if (!rate || !divider_on(rtc))
		return 0;
	if (rate <= 2)
		rate += 7;
	return 1LL << (rate - 1);	/* HZ >> (rate - 1) Hz */
}

/* The registers of the time @t, in the current mode, into cmos[]. */
static void store_time(struct vmctl_rtc *rtc, int64_t t)
{
	struct fields f = fields_of(t);

	rtc->cmos[RTC_SECONDS] = enc(rtc, f.sec);
	rtc->cmos[RTC_MINUTES] = enc(rtc, f.min);
	rtc->cmos[RTC_HOURS] = enc_hour(rtc, f.hour);
	rtc->cmos[RTC_DAY_OF_WEEK] = enc(rtc, f.wday + 1);
	rtc->cmos[RTC_DAY_OF_MONTH] = enc(rtc, f.mday);
	rtc->cmos[RTC_MONTH] = enc(rtc, f.mon);
	rtc->cmos[RTC_YEAR] = enc(rtc, f.year % 100);
	rtc->cmos[VMCTL_RTC_CENTURY] = enc(rtc, f.year / 100);
}

/* The time cmos[] says, leniently: out-of-range fields carry over. */
static int64_t load_time(const struct vmctl_rtc *rtc)
{
	const uint8_t *c = rtc->cmos;
	int64_t year = dec(rtc, c[VMCTL_RTC_CENTURY]) * 100 +
		       dec(rtc, c[RTC_YEAR]);

	return days_from_civil(year, dec(rtc, c[RTC_MONTH]),
			       dec(rtc, c[RTC_DAY_OF_MONTH])) * DAY +
	       dec_hour(rtc, c[RTC_HOURS]) * 3600LL +
	       dec(rtc, c[RTC_MINUTES]) * 60LL + dec(rtc, c[RTC_SECONDS]);
}

static bool field_match(uint8_t alarm, uint8_t now)
{
	return (alarm & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE ||
	       alarm == now;
}

/* Does the alarm go off at the update that makes the time @t? */
static bool alarm_at(const struct vmctl_rtc *rtc, int64_t t)
{
	int64_t sod = floor_mod(t, DAY);

	return field_match(rtc->cmos[RTC_SECONDS_ALARM], enc(rtc, sod % 60)) &&
	       field_match(rtc->cmos[RTC_MINUTES_ALARM],
			   enc(rtc, sod / 60 % 60)) &&
	       field_match(rtc->cmos[RTC_HOURS_ALARM],
			   enc_hour(rtc, sod / 3600));
}

/* IRQF from the flags and enables; a pulse when it becomes set. */
static void update_irq(struct vmctl_rtc *rtc)
{
	uint8_t *c = &rtc->cmos[RTC_REG_C];
	/* PF/PIE, AF/AIE and UF/UIE are the same bits of C and B. */
	bool irqf = *c & rtc->cmos[RTC_REG_B] &
		    (RTC_C_PF | RTC_C_AF | RTC_C_UF);

	if (!irqf) {
		*c &= ~RTC_C_IRQF;
		return;
	}
	if (*c & RTC_C_IRQF)
		return;
	*c |= RTC_C_IRQF;
	rtc->pulses++;
	if (rtc->irq_line) {
		rtc->irq_line(rtc->irq_opaque, 1);
		rtc->irq_line(rtc->irq_opaque, 0);
	}
}

/* Set the flags of what happened between rtc->last and @now. */
static void advance(struct vmctl_rtc *rtc, int64_t now)
{
	int64_t p = period(rtc), s0, s1, s;

	if (now <= rtc->last)
		return;
	if (p && floor_div(cycles(rtc, now), p) >
		 floor_div(cycles(rtc, rtc->last), p))
		rtc->cmos[RTC_REG_C] |= RTC_C_PF;
	if (running(rtc)) {
		s0 = guest_sec(rtc, rtc->last, NULL);
		s1 = guest_sec(rtc, now, NULL);
		if (s1 > s0)
			rtc->cmos[RTC_REG_C] |= RTC_C_UF;
		/* The alarm's times of day all come within a day. */
		for (s = s1 - s0 > DAY ? s1 - DAY + 1 : s0 + 1; s <= s1; s++)
			if (alarm_at(rtc, s)) {
				rtc->cmos[RTC_REG_C] |= RTC_C_AF;
				break;
			}
	}
	rtc->last = now;
	update_irq(rtc);
}

/* After advance(rtc, now): when the next interrupt is due. */
static int64_t next_event(const struct vmctl_rtc *rtc, int64_t now)
{
	uint8_t b = rtc->cmos[RTC_REG_B];
	int64_t next = INT64_MAX, p = period(rtc), t, sec, i;

	if (rtc->cmos[RTC_REG_C] & RTC_C_IRQF)
		return next;	/* no new edge until the guest reads C */
	if (b & RTC_B_PIE && p) {
		t = (floor_div(cycles(rtc, now), p) + 1) * p;
		next = mono_of(rtc, floor_div(t, HZ),
			       (floor_mod(t, HZ) * NSEC + HZ - 1) / HZ);
	}
	if (!running(rtc) || !(b & (RTC_B_UIE | RTC_B_AIE)))
		return next;
	sec = guest_sec(rtc, now, NULL);
	for (i = 1; i <= DAY; i++) {
		if (b & RTC_B_UIE || alarm_at(rtc, sec + i)) {
			t = mono_of(rtc, sec + i, 0);
			return t < next ? t : next;
		}
	}
	return next;		/* an alarm no time matches */
}

static void fill_nvram(struct vmctl_rtc *rtc, const struct vmctl_rtc_config *cfg)
{
	uint8_t *c = rtc->cmos;
	uint64_t below = cfg->ram_below_4g, v;
	unsigned int i, sum = 0;

	c[CMOS_FLOPPY] = 0;
	c[CMOS_EQUIPMENT] = 0x02;		/* math coprocessor */
	c[CMOS_BASE_MEM] = 640 & 0xff;
	c[CMOS_BASE_MEM + 1] = 640 >> 8;
	v = below > (1 << 20) ? (below >> 10) - 1024 : 0;
	v = v > 0xffff ? 0xffff : v;
	c[CMOS_EXT_MEM] = c[CMOS_EXT_MEM2] = v;
	c[CMOS_EXT_MEM + 1] = c[CMOS_EXT_MEM2 + 1] = v >> 8;
	v = below > (16 << 20) ? (below - (16 << 20)) >> 16 : 0;
	v = v > 0xffff ? 0xffff : v;
	c[CMOS_MEM_16M] = v;
	c[CMOS_MEM_16M + 1] = v >> 8;
	v = cfg->ram_above_4g >> 16;
	c[CMOS_MEM_4G] = v;
	c[CMOS_MEM_4G + 1] = v >> 8;
	c[CMOS_MEM_4G + 2] = v >> 16;
	c[CMOS_NR_CPUS] = cfg->cpus ? cfg->cpus - 1 : 0;
	for (i = 0x10; i < CMOS_CHECKSUM; i++)
		sum += c[i];
	c[CMOS_CHECKSUM] = sum >> 8;
	c[CMOS_CHECKSUM + 1] = sum;
}

static int64_t poll_cb(void *opaque);

void vmctl_rtc_init(struct vmctl_rtc *rtc, const struct vmctl_rtc_config *cfg,
		    int64_t (*now)(void *), void *now_opaque, int64_t utc_ns,
		    int (*irq_line)(void *, int), void *irq_opaque)
{
	int64_t t;

	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	vmctl_timer_thread_init(&rtc->timer, &rtc->lock, poll_cb, rtc);
	rtc->now = now;
	rtc->now_opaque = now_opaque;
	rtc->irq_line = irq_line;
	rtc->irq_opaque = irq_opaque;
	rtc->last = rtc->mono_at_init = now(now_opaque);
	rtc->utc_at_init = utc_ns;
	t = utc_ns + cfg->delta_ns;
	set_clock(rtc, rtc->last, floor_div(t, NSEC), floor_mod(t, NSEC));
	/* What firmware leaves: 32768 Hz divider, 1024 Hz rate, BCD, 24 h. */
	rtc->cmos[RTC_REG_A] = 0x26;
	rtc->cmos[RTC_REG_B] = RTC_B_24H;
	rtc->cmos[RTC_REG_D] = RTC_D_VRT;
	fill_nvram(rtc, cfg);
}

void vmctl_rtc_destroy(struct vmctl_rtc *rtc)
{
	vmctl_timer_thread_destroy(&rtc->timer);
	pthread_mutex_destroy(&rtc->lock);
}

/* The registers that hold the time (not the alarms). */
static bool is_clock_reg(unsigned int reg)
{
	return (reg <= RTC_YEAR && reg != RTC_SECONDS_ALARM &&
		reg != RTC_MINUTES_ALARM && reg != RTC_HOURS_ALARM) ||
	       reg == VMCTL_RTC_CENTURY;
}

static uint8_t read_reg(struct vmctl_rtc *rtc, unsigned int reg, int64_t now)
{
	int64_t nsec, sec = guest_sec(rtc, now, &nsec);
	uint8_t v;

	switch (reg) {
	case RTC_REG_A:
		v = rtc->cmos[RTC_REG_A];
		if (running(rtc) && nsec * HZ >= (HZ - UIP_CYCLES) * NSEC)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		v = rtc->cmos[RTC_REG_C];
		rtc->cmos[RTC_REG_C] = 0;	/* IRQ# goes high: the line is 0 */
		vmctl_timer_thread_kick(&rtc->timer);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	}
	if (is_clock_reg(reg) && running(rtc))
		store_time(rtc, sec);
	return rtc->cmos[reg];
}

static void write_reg(struct vmctl_rtc *rtc, unsigned int reg, uint8_t val,
		      int64_t now)
{
	bool was_running = running(rtc), was_reset = !divider_on(rtc);
	int64_t nsec, sec = guest_sec(rtc, now, &nsec);

	switch (reg) {
	case RTC_REG_C:
	case RTC_REG_D:
		return;			/* read-only */
	case RTC_REG_A:
	case RTC_REG_B:
		if (reg == RTC_REG_A)
			val &= ~RTC_A_UIP;
		else if (val & RTC_B_SET)
			val &= ~RTC_B_UIE;
		rtc->cmos[reg] = val;
		if (was_running && !running(rtc)) {
			/* Stopped: the registers hold the time, in the new mode. */
			store_time(rtc, sec);
		} else if (!was_running && running(rtc)) {
			/*
			 * Counting again from what the registers say: at the
			 * phase of the divider chain, which ran on under SET;
			 * out of a divider reset the first update comes 500 ms
			 * later.
			 */
			if (was_reset)
				nsec = NSEC / 2;
			set_clock(rtc, now, load_time(rtc), nsec);
		}
		break;
	default:
		if (!is_clock_reg(reg)) {
			rtc->cmos[reg] = val;	/* alarms and RAM */
			break;
		}
		/* Written while running: the new time counts at once. */
		if (was_running)
			store_time(rtc, sec);
		rtc->cmos[reg] = val;
		if (was_running)
			set_clock(rtc, now, load_time(rtc), nsec);
	}
	if (reg <= RTC_REG_B || reg == VMCTL_RTC_CENTURY) {
		update_irq(rtc);
		vmctl_timer_thread_kick(&rtc->timer);	/* the next event moved */
	}
}

uint8_t vmctl_rtc_read(struct vmctl_rtc *rtc, unsigned int off)
{
	int64_t now;
	uint8_t v;

	if (off != 1)
		return 0xff;		/* the index port is write-only */
	pthread_mutex_lock(&rtc->lock);
	now = rtc->now(rtc->now_opaque);
	advance(rtc, now);
	v = read_reg(rtc, rtc->index, now);
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

void vmctl_rtc_write(struct vmctl_rtc *rtc, unsigned int off, uint8_t val)
{
	int64_t now;

	pthread_mutex_lock(&rtc->lock);
	if (off == 0) {
		rtc->index = val & 0x7f;
		rtc->nmi_masked = val & 0x80;
	} else {
		now = rtc->now(rtc->now_opaque);
		advance(rtc, now);
		write_reg(rtc, rtc->index, val, now);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static int64_t poll_locked(struct vmctl_rtc *rtc)
{
	int64_t now = rtc->now(rtc->now_opaque);

	rtc->wakeups++;
	advance(rtc, now);
	return next_event(rtc, now);
}

/* The timer thread's: the next interrupt's time, or INT64_MAX for none. */
static int64_t poll_cb(void *opaque)
{
	return poll_locked(opaque);
}

int64_t vmctl_rtc_poll(struct vmctl_rtc *rtc)
{
	int64_t next;

	pthread_mutex_lock(&rtc->lock);
	next = poll_locked(rtc);
	pthread_mutex_unlock(&rtc->lock);
	return next;
}

int64_t vmctl_rtc_delta_ns(struct vmctl_rtc *rtc)
{
	int64_t now, nsec, sec, utc;

	pthread_mutex_lock(&rtc->lock);
	now = rtc->now(rtc->now_opaque);
	if (running(rtc))
		sec = guest_sec(rtc, now, &nsec);
	else
		sec = load_time(rtc), nsec = 0;	/* the time being set */
	utc = rtc->utc_at_init + (now - rtc->mono_at_init);
	pthread_mutex_unlock(&rtc->lock);
	return (sec - floor_div(utc, NSEC)) * NSEC + nsec - floor_mod(utc, NSEC);
}

int vmctl_rtc_start(struct vmctl_rtc *rtc)
{
	return vmctl_timer_thread_start(&rtc->timer, "RTC");
}

/* --- glue to vm.c ------------------------------------------------------- */

static int64_t monotonic_ns(void *opaque)
{
	return vmctl_clock_ns(CLOCK_MONOTONIC);
}

static int rtc_irq(void *opaque, int level)
{
	return vmctl_vm_irq_line(opaque, VMCTL_RTC_GSI, level);
}

static void rtc_io_read(void *opaque, uint64_t off, void *data,
			unsigned int len)
{
	uint8_t *p = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = off + i < 2 ? vmctl_rtc_read(opaque, off + i) : 0xff;
}

static void rtc_io_write(void *opaque, uint64_t off, const void *data,
			 unsigned int len)
{
	const uint8_t *p = data;
	unsigned int i;

	/* outw 0x70: index, then data, as two byte accesses would. */
	for (i = 0; i < len && off + i < 2; i++)
		vmctl_rtc_write(opaque, off + i, p[i]);
}

static const struct vmctl_io_ops rtc_ops = {
	.read = rtc_io_read, .write = rtc_io_write,
};

int vmctl_rtc_attach(struct vmctl_vm *vm, struct vmctl_rtc *rtc,
		     const struct vmctl_rtc_config *cfg)
{
	vmctl_rtc_init(rtc, cfg, monotonic_ns, NULL, vmctl_clock_ns(CLOCK_REALTIME),
		       rtc_irq, vm);
	if (vmctl_bus_register(&vm->pio, VMCTL_RTC_PORT, 2, &rtc_ops, rtc,
			       "cmos-rtc"))
		return -1;
	return vmctl_rtc_start(rtc);
}

void vmctl_rtc_dsdt(struct aml *aml)
{
	aml_scope_begin(aml, "\\_SB");
	aml_device_begin(aml, "RTC");
	aml_name_eisaid(aml, "_HID", "PNP0B00");	/* AT real-time clock */
	aml_name_resources_begin(aml, "_CRS");
	aml_res_io(aml, VMCTL_RTC_PORT, 2);
	aml_res_irq(aml, VMCTL_RTC_GSI);
	aml_end(aml);
	aml_end(aml);
	aml_end(aml);
}
