// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's CMOS RTC (userspace/vmctl/hw/rtc.c) against
 * the MC146818A datasheet, without /dev/hvx.
 *
 * The register logic runs on a fake monotonic clock that the test moves;
 * the timer thread is played by run_until(), which calls vmctl_rtc_poll()
 * at each deadline it returns, as the thread wakes, and reads register C
 * after each interrupt, as a guest's handler does. So the timing cases are
 * exact, and the count of wake-ups is the thread's. IRQ 8 is a recorder of
 * the line's levels. Then the glue: vmctl_rtc_attach() on a real bus map,
 * the real clock and timer thread, vm.c's vmctl_vm_irq_line() replaced by
 * a recorder of GSI 8's edges.
 *
 * Prints TAP and exits non-zero if any case failed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/vm.h"
#include "hw/rtc.h"
#include "unit.h"

#define NSEC		1000000000LL
#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
/* Thursday 2024-02-29 23:59:58 UTC: a leap day, two seconds from March. */
#define T0		1709251198LL

/* --- the fake clock and IRQ line ---------------------------------------- */

static int64_t fake_now = 1000 * NSEC;	/* an arbitrary monotonic start */
static unsigned int rises, falls, irq_errors;
static int level;

static int64_t fake_clock(void *opaque)
{
	return fake_now;
}

static int fake_irq(void *opaque, int l)
{
	if (l == level)
		irq_errors++;	/* a pulse is 1 then 0, never repeated */
	if (l)
		rises++;
	else
		falls++;
	level = l;
	return 0;
}

static struct vmctl_rtc rtc;

static void rtc_new(int64_t utc_ns, const struct vmctl_rtc_config *cfg)
{
	static const struct vmctl_rtc_config dflt = {
		.ram_below_4g = 256 * MIB, .cpus = 1,
	};

	rises = falls = irq_errors = 0;
	level = 0;
	vmctl_rtc_init(&rtc, cfg ? cfg : &dflt, fake_clock, NULL, utc_ns,
		       fake_irq, NULL);
}

static void wr(uint8_t reg, uint8_t val);

/* No periodic rate and an alarm no time matches: only what a case enables. */
static void quiet(void)
{
	wr(RTC_REG_A, 0x20);
	wr(RTC_SECONDS_ALARM, 0x61);
}

static uint8_t rd(uint8_t reg)
{
	vmctl_rtc_write(&rtc, 0, reg);
	return vmctl_rtc_read(&rtc, 1);
}

static void wr(uint8_t reg, uint8_t val)
{
	vmctl_rtc_write(&rtc, 0, reg);
	vmctl_rtc_write(&rtc, 1, val);
}

/*
 * The timer thread and the guest's handler until @t: wake at each deadline,
 * and read C after each pulse (only then can another come). Returns the
 * number of wake-ups; @c_or collects what the reads of C returned.
 */
static unsigned int run_until(int64_t t, uint8_t *c_or)
{
	unsigned int wakes = 0, seen = rises;
	int64_t next = vmctl_rtc_poll(&rtc);

	while (next <= t) {
		if (next > fake_now)
			fake_now = next;
		next = vmctl_rtc_poll(&rtc);
		wakes++;
		if (rises != seen) {
			uint8_t c = rd(RTC_REG_C);

			if (c_or)
				*c_or |= c;
			seen = rises;
			next = vmctl_rtc_poll(&rtc);
		}
	}
	fake_now = t;
	return wakes;
}

static unsigned int bcd(unsigned int v)
{
	return (v >> 4) * 10 + (v & 15);
}

/* --- the clock registers ------------------------------------------------ */

static void time_tests(void)
{
	struct tcase tc;
	uint8_t r[10];
	unsigned int i;

	case_begin(&tc);
	rtc_new(T0 * NSEC + NSEC / 2, NULL);
	check(&tc, rd(RTC_REG_A) == 0x26 && rd(RTC_REG_B) == 0x02 &&
	      rd(RTC_REG_C) == 0 && rd(RTC_REG_D) == 0x80,
	      "A %#x B %#x C %#x D %#x at start", rd(RTC_REG_A),
	      rd(RTC_REG_B), rd(RTC_REG_C), rd(RTC_REG_D));
	for (i = 0; i < 10; i++)
		r[i] = rd(i);
	check(&tc, r[0] == 0x58 && r[2] == 0x59 && r[4] == 0x23 && r[6] == 5 &&
	      r[7] == 0x29 && r[8] == 0x02 && r[9] == 0x24 &&
	      rd(VMCTL_RTC_CENTURY) == 0x20,
	      "BCD: %02x:%02x:%02x wday %x %02x-%02x-%02x century %02x",
	      r[4], r[2], r[0], r[6], r[7], r[8], r[9], rd(VMCTL_RTC_CENTURY));
	fake_now += 2 * NSEC;
	check(&tc, rd(0) == 0x00 && rd(2) == 0 && rd(4) == 0 && rd(6) == 6 &&
	      rd(7) == 1 && rd(8) == 3 && rd(9) == 0x24,
	      "2 s later, BCD: %02x:%02x:%02x wday %x %02x-%02x-%02x",
	      rd(4), rd(2), rd(0), rd(6), rd(7), rd(8), rd(9));
	case_end(&tc, "rtc: BCD 24 h time from the host's UTC, leap day into March");

	case_begin(&tc);
	fake_now -= 2 * NSEC;
	wr(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	check(&tc, rd(0) == 58 && rd(2) == 59 && rd(4) == 23 && rd(6) == 5 &&
	      rd(7) == 29 && rd(8) == 2 && rd(9) == 24 &&
	      rd(VMCTL_RTC_CENTURY) == 20,
	      "binary: %u:%u:%u wday %u %u-%u-%u century %u", rd(4), rd(2),
	      rd(0), rd(6), rd(7), rd(8), rd(9), rd(VMCTL_RTC_CENTURY));
	wr(RTC_REG_B, RTC_B_DM_BINARY);
	check(&tc, rd(RTC_HOURS) == (0x80 | 11), "binary 12 h, 23:59: %#x",
	      rd(RTC_HOURS));
	wr(RTC_REG_B, 0);
	check(&tc, rd(RTC_HOURS) == 0x91, "BCD 12 h, 23:59: %#x",
	      rd(RTC_HOURS));
	fake_now += 2 * NSEC;
	check(&tc, rd(RTC_HOURS) == 0x12, "BCD 12 h, 00:00 is 12 AM: %#x",
	      rd(RTC_HOURS));
	fake_now += 12 * 3600 * NSEC;
	check(&tc, rd(RTC_HOURS) == 0x92, "BCD 12 h, 12:00 is 12 PM: %#x",
	      rd(RTC_HOURS));
	fake_now += 3600 * NSEC;
	check(&tc, rd(RTC_HOURS) == 0x81, "BCD 12 h, 13:00: %#x",
	      rd(RTC_HOURS));
	/* 12 h writes: 12 AM is hour 0. */
	wr(RTC_HOURS, 0x12);
	wr(RTC_REG_B, RTC_B_24H);
	check(&tc, rd(RTC_HOURS) == 0x00, "12 AM written in 12 h mode reads %#x in 24 h",
	      rd(RTC_HOURS));
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: binary and BCD, 12 h (bit 7 PM, 12 AM/PM) and 24 h hours");

	case_begin(&tc);
	rtc_new(T0 * NSEC, NULL);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE);
	check(&tc, rd(RTC_REG_B) == (RTC_B_24H | RTC_B_SET),
	      "SET did not clear UIE: B %#x", rd(RTC_REG_B));
	fake_now += 5 * NSEC;
	check(&tc, rd(RTC_SECONDS) == 0x58, "SET: seconds went on to %#x",
	      rd(RTC_SECONDS));
	check(&tc, !(rd(RTC_REG_C) & RTC_C_UF), "an update under SET");
	/* Saturday 2030-06-15 10:20:30, as Linux's mc146818_set_time() does. */
	wr(RTC_SECONDS, 0x30);
	wr(RTC_MINUTES, 0x20);
	wr(RTC_HOURS, 0x10);
	wr(RTC_DAY_OF_MONTH, 0x15);
	wr(RTC_MONTH, 0x06);
	wr(RTC_YEAR, 0x30);
	wr(VMCTL_RTC_CENTURY, 0x20);
	fake_now += 3 * NSEC;
	check(&tc, rd(RTC_SECONDS) == 0x30, "a held write changed: %#x",
	      rd(RTC_SECONDS));
	wr(RTC_REG_B, RTC_B_24H);
	check(&tc, rd(RTC_SECONDS) == 0x30 && rd(RTC_MINUTES) == 0x20 &&
	      rd(RTC_HOURS) == 0x10 && rd(RTC_DAY_OF_WEEK) == 7 &&
	      rd(RTC_DAY_OF_MONTH) == 0x15 && rd(RTC_MONTH) == 0x06 &&
	      rd(RTC_YEAR) == 0x30, "after SET: %02x:%02x:%02x wday %x %02x-%02x-%02x",
	      rd(4), rd(2), rd(0), rd(6), rd(7), rd(8), rd(9));
	fake_now += NSEC;
	check(&tc, rd(RTC_SECONDS) == 0x31, "a second later: %#x",
	      rd(RTC_SECONDS));
	/* The delta for the next boot: 2030-06-15 10:20:31 minus host UTC. */
	check(&tc, vmctl_rtc_delta_ns(&rtc) ==
	      (1907749231LL - T0 - 9) * NSEC,
	      "delta %lld ns", (long long)vmctl_rtc_delta_ns(&rtc));
	vmctl_rtc_destroy(&rtc);

	{
		struct vmctl_rtc_config cfg = {
			.ram_below_4g = 256 * MIB, .cpus = 1,
			.delta_ns = (1907749231LL - T0 - 9) * NSEC,
		};

		rtc_new((T0 + 9) * NSEC, &cfg);
		check(&tc, rd(RTC_SECONDS) == 0x31 && rd(RTC_YEAR) == 0x30 &&
		      rd(RTC_HOURS) == 0x10,
		      "next boot, with the delta: %02x:%02x:%02x year %02x",
		      rd(4), rd(2), rd(0), rd(9));
		vmctl_rtc_destroy(&rtc);
	}
	case_end(&tc, "rtc: SET stops updates; the time written under it counts from its clearing, and is kept (delta)");

	case_begin(&tc);
	rtc_new(T0 * NSEC + NSEC / 4, NULL);
	wr(RTC_MINUTES, 0x10);		/* running: takes effect at once */
	check(&tc, rd(RTC_MINUTES) == 0x10 && rd(RTC_SECONDS) == 0x58 &&
	      rd(RTC_HOURS) == 0x23, "minutes written while running: %02x:%02x:%02x",
	      rd(4), rd(2), rd(0));
	fake_now += NSEC * 3 / 4;
	check(&tc, rd(RTC_SECONDS) == 0x59, "phase lost: %#x", rd(RTC_SECONDS));
	/* Divider reset: time stops; the first update is 500 ms after. */
	wr(RTC_REG_A, 0x66);
	fake_now += 10 * NSEC;
	check(&tc, rd(RTC_SECONDS) == 0x59 && !(rd(RTC_REG_A) & RTC_A_UIP),
	      "divider in reset: seconds %#x", rd(RTC_SECONDS));
	wr(RTC_REG_A, 0x26);
	fake_now += NSEC / 2 - 1;
	check(&tc, rd(RTC_SECONDS) == 0x59, "updated before 500 ms");
	fake_now += 1;
	check(&tc, rd(RTC_SECONDS) == 0x00 && rd(RTC_MINUTES) == 0x11,
	      "no update at 500 ms: %02x:%02x", rd(RTC_MINUTES),
	      rd(RTC_SECONDS));
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: a time written while running counts at once; divider reset holds the time, 500 ms to the first update");
}

/* --- UIP, C, and the interrupts ----------------------------------------- */

static void uip_tests(void)
{
	/* 8 cycles of 32768 Hz: 244140.625 ns. */
	const int64_t window = 244141;
	struct tcase tc;
	uint8_t c;

	case_begin(&tc);
	rtc_new(T0 * NSEC, NULL);
	fake_now += NSEC / 2;
	check(&tc, !(rd(RTC_REG_A) & RTC_A_UIP), "UIP mid-second");
	fake_now += NSEC / 2 - window - 1;
	check(&tc, !(rd(RTC_REG_A) & RTC_A_UIP), "UIP %lld ns before the update",
	      (long long)window + 1);
	fake_now += 2;
	check(&tc, rd(RTC_REG_A) & RTC_A_UIP && rd(RTC_SECONDS) == 0x58,
	      "no UIP %lld ns before the update (seconds %#x)",
	      (long long)window - 1, rd(RTC_SECONDS));
	fake_now += window - 2;
	check(&tc, rd(RTC_REG_A) & RTC_A_UIP, "no UIP 1 ns before the update");
	fake_now += 1;
	check(&tc, !(rd(RTC_REG_A) & RTC_A_UIP) && rd(RTC_SECONDS) == 0x59,
	      "at the update: UIP %#x seconds %#x", rd(RTC_REG_A),
	      rd(RTC_SECONDS));
	wr(RTC_REG_A, 0xa6);
	check(&tc, rd(RTC_REG_A) == 0x26, "UIP written: A %#x", rd(RTC_REG_A));
	fake_now += NSEC - 1000;
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
	check(&tc, !(rd(RTC_REG_A) & RTC_A_UIP), "UIP under SET");
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: UIP reads 1 for the 244 us before each update, 0 under SET");

	case_begin(&tc);
	rtc_new(T0 * NSEC + NSEC / 2, NULL);
	quiet();
	fake_now += NSEC;
	check(&tc, rd(RTC_REG_C) == RTC_C_UF, "UF without UIE");
	check(&tc, rd(RTC_REG_C) == 0, "C not cleared by its read");
	check(&tc, rises == 0, "IRQ 8 pulsed with no enable bit set");
	check(&tc, vmctl_rtc_poll(&rtc) == INT64_MAX,
	      "a wake-up due with no interrupt enabled");
	fake_now += NSEC;
	wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);	/* UF pending: IRQF now */
	check(&tc, rises == 1 && falls == 1 && level == 0,
	      "enabling a pending UF: %u rises %u falls", rises, falls);
	check(&tc, vmctl_rtc_poll(&rtc) == INT64_MAX,
	      "a wake-up due while IRQF waits for the guest");
	fake_now += 5 * NSEC;
	c = rd(RTC_REG_C);	/* once: a read clears it */
	check(&tc, c == (RTC_C_IRQF | RTC_C_UF), "C %#x", c);
	check(&tc, rises == 1, "a pulse while IRQF was set");
	check(&tc, rd(RTC_REG_C) == 0, "C after its read");
	wr(RTC_REG_C, 0xff);
	wr(RTC_REG_D, 0x00);
	c = rd(RTC_REG_C);
	check(&tc, c == 0 && rd(RTC_REG_D) == RTC_D_VRT,
	      "C and D took writes: %#x %#x", c, rd(RTC_REG_D));
	check(&tc, !irq_errors, "the line driven to the level it had");
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: C's flags regardless of enables, IRQF = flag & enable, read clears, one pulse per IRQF");

	case_begin(&tc);
	rtc_new(T0 * NSEC + NSEC / 3, NULL);
	quiet();
	{
		uint8_t c = 0;
		unsigned int wakes;

		wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
		wakes = run_until(fake_now + 10 * NSEC, &c);
		check(&tc, rises == 10 && c == (RTC_C_IRQF | RTC_C_UF),
		      "10 s of UIE: %u pulses, C %#x", rises, c);
		check(&tc, wakes == 10, "%u wake-ups for 10 updates", wakes);
		wr(RTC_REG_B, RTC_B_24H);
		rd(RTC_REG_C);
		wakes = run_until(fake_now + 10 * NSEC, NULL);
		check(&tc, wakes == 0 && rises == 10,
		      "UIE off: %u wake-ups, %u pulses", wakes, rises);
	}
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: UF and a pulse of IRQ 8 each second with UIE, no wake-up without");
}

static void periodic_tests(void)
{
	static const struct { unsigned int rate, hz; } rates[] = {
		{ 1, 256 }, { 2, 128 }, { 3, 8192 }, { 6, 1024 }, { 7, 512 },
		{ 8, 256 }, { 9, 128 }, { 12, 16 }, { 15, 2 },
	};
	struct tcase tc;
	unsigned int i, wakes;
	uint8_t c;

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(rates); i++) {
		rtc_new(T0 * NSEC, NULL);	/* on a second boundary */
		wr(RTC_REG_A, 0x20 | rates[i].rate);
		wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
		c = 0;
		wakes = run_until(fake_now + NSEC, &c);
		c &= ~RTC_C_UF;		/* an update came too */
		check(&tc, rises == rates[i].hz && wakes == rates[i].hz &&
		      c == (RTC_C_IRQF | RTC_C_PF),
		      "rate %u: %u pulses, %u wake-ups in 1 s, C %#x; want %u Hz",
		      rates[i].rate, rises, wakes, c, rates[i].hz);
		vmctl_rtc_destroy(&rtc);
	}
	rtc_new(T0 * NSEC, NULL);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	wr(RTC_REG_A, 0x20);
	check(&tc, run_until(fake_now + NSEC, NULL) == 0 && rises == 0,
	      "rate 0: %u pulses", rises);
	wr(RTC_REG_A, 0x26);
	wr(RTC_REG_B, RTC_B_24H);
	fake_now += NSEC / 1024 + 1;
	check(&tc, (rd(RTC_REG_C) & RTC_C_PF) && rises == 0,
	      "PF without PIE: %u pulses", rises);
	check(&tc, vmctl_rtc_poll(&rtc) == INT64_MAX, "woken for PF without PIE");
	wr(RTC_REG_A, 0x66);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	rd(RTC_REG_C);
	check(&tc, run_until(fake_now + NSEC, NULL) == 0 && rises == 0,
	      "divider reset: %u periodic pulses", rises);
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: PF at 32768 >> (rate - 1) Hz, rates 1 and 2 as 8 and 9, none at rate 0 or in divider reset");
}

static void alarm_tests(void)
{
	struct tcase tc;
	uint8_t c;

	case_begin(&tc);
	rtc_new(T0 * NSEC, NULL);	/* 23:59:58 */
	quiet();
	wr(RTC_HOURS_ALARM, 0x00);
	wr(RTC_MINUTES_ALARM, 0x00);
	wr(RTC_SECONDS_ALARM, 0x05);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	c = 0;
	check(&tc, run_until(fake_now + 6 * NSEC, &c) == 0 && rises == 0,
	      "alarm before 00:00:05");
	check(&tc, run_until(fake_now + NSEC, &c) == 1 && rises == 1 &&
	      c == (RTC_C_IRQF | RTC_C_AF | RTC_C_UF),
	      "at 00:00:05: %u pulses, C %#x", rises, c);
	check(&tc, run_until(fake_now + 3600 * NSEC, NULL) == 0 && rises == 1,
	      "an hour on: %u pulses", rises);

	/* Don't care: 0xc0-0xff in hours and minutes, once a minute. */
	wr(RTC_HOURS_ALARM, 0xff);
	wr(RTC_MINUTES_ALARM, 0xc0);
	wr(RTC_SECONDS_ALARM, 0x30);
	rises = 0;
	check(&tc, run_until(fake_now + 180 * NSEC, NULL) == 3 && rises == 3,
	      "xx:xx:30 over 3 minutes: %u pulses", rises);
	wr(RTC_SECONDS_ALARM, 0xd5);
	rises = 0;
	check(&tc, run_until(fake_now + 10 * NSEC, NULL) == 10 && rises == 10,
	      "all don't care over 10 s: %u pulses", rises);
	/* A value no time has never goes off, and costs no wake-up. */
	wr(RTC_SECONDS_ALARM, 0x61);
	rd(RTC_REG_C);
	rises = 0;
	check(&tc, run_until(fake_now + 2 * 86400 * NSEC, NULL) == 0 && !rises,
	      "seconds 0x61 went off: %u", rises);

	/* The flag alone, found lazily after a long time without a look. */
	wr(RTC_REG_B, RTC_B_24H);
	wr(RTC_SECONDS_ALARM, 0x12);
	wr(RTC_MINUTES_ALARM, 0x34);
	wr(RTC_HOURS_ALARM, 0x05);
	rd(RTC_REG_C);
	fake_now += 20 * 3600 * NSEC;
	c = rd(RTC_REG_C);
	check(&tc, c == (RTC_C_AF | RTC_C_UF) && !rises,
	      "20 h later, C %#x (AF without AIE), %u pulses", c, rises);
	/* 12 h mode: the alarm compares in the mode's encoding. */
	wr(RTC_REG_B, RTC_B_AIE);
	wr(RTC_HOURS_ALARM, 0x81);		/* 1 PM */
	wr(RTC_MINUTES_ALARM, 0x00);
	wr(RTC_SECONDS_ALARM, 0x00);
	c = 0;
	run_until(fake_now + 86400 * NSEC, &c);
	check(&tc, rises == 1 && (c & RTC_C_AF), "12 h alarm at 1 PM: %u pulses",
	      rises);
	check(&tc, !irq_errors, "the line driven to the level it had");
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: alarm match with don't-care values, AF, one wake-up per interrupt");
}

/* --- CMOS RAM ----------------------------------------------------------- */

static void ram_tests(void)
{
	static const struct {
		uint64_t below, above;
		unsigned int cpus;
		uint16_t ext, m16;
		uint32_t m4g;
	} sizes[] = {
		{ 2 * MIB, 0, 1, 1024, 0, 0 },
		{ 16 * MIB, 0, 2, 15 * 1024, 0, 0 },
		{ 64 * MIB, 0, 4, 0xfc00, 0x300, 0 },
		{ 65 * MIB, 0, 4, 0xffff, 0x310, 0 },
		{ 256 * MIB, 0, 64, 0xffff, 0xf00, 0 },
		{ 3 * GIB, 0, 8, 0xffff, 0xbf00, 0 },
		{ 3 * GIB, 5 * GIB, 8, 0xffff, 0xbf00, 0x14000 },
		{ 4 * GIB + 64 * MIB, 0, 1, 0xffff, 0xffff, 0 },
	};
	struct tcase tc;
	unsigned int i, sum, b;
	uint8_t m[128];

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct vmctl_rtc_config cfg = {
			.ram_below_4g = sizes[i].below,
			.ram_above_4g = sizes[i].above, .cpus = sizes[i].cpus,
		};

		rtc_new(T0 * NSEC, &cfg);
		for (b = 0; b < 128; b++)
			m[b] = rd(b);
		check(&tc, m[0x10] == 0 && m[0x14] == 0x02,
		      "floppy %#x equipment %#x", m[0x10], m[0x14]);
		check(&tc, m[0x15] == 0x80 && m[0x16] == 0x02,
		      "base memory %#x", m[0x15] | m[0x16] << 8);
		check(&tc, (m[0x17] | m[0x18] << 8) == sizes[i].ext &&
		      (m[0x30] | m[0x31] << 8) == sizes[i].ext,
		      "%llu MiB: extended memory %#x/%#x KiB, want %#x",
		      (unsigned long long)(sizes[i].below >> 20),
		      m[0x17] | m[0x18] << 8, m[0x30] | m[0x31] << 8,
		      sizes[i].ext);
		check(&tc, (m[0x34] | m[0x35] << 8) == sizes[i].m16,
		      "%llu MiB: above 16 MiB %#x x 64 KiB, want %#x",
		      (unsigned long long)(sizes[i].below >> 20),
		      m[0x34] | m[0x35] << 8, sizes[i].m16);
		check(&tc, (m[0x5b] | m[0x5c] << 8 | (uint32_t)m[0x5d] << 16) ==
		      sizes[i].m4g, "above 4 GiB %#x x 64 KiB, want %#x",
		      m[0x5b] | m[0x5c] << 8 | (uint32_t)m[0x5d] << 16,
		      sizes[i].m4g);
		check(&tc, m[0x5f] == sizes[i].cpus - 1, "CPUs - 1: %u",
		      m[0x5f]);
		for (sum = 0, b = 0x10; b < 0x2e; b++)
			sum += m[b];
		check(&tc, (unsigned int)(m[0x2e] << 8 | m[0x2f]) == sum,
		      "checksum %#x, sum %#x", m[0x2e] << 8 | m[0x2f], sum);
		check(&tc, m[0x32] == 0x20, "century %#x", m[0x32]);
		vmctl_rtc_destroy(&rtc);
	}
	case_end(&tc, "rtc: CMOS memory sizes (base, extended, 16 MiB-4 GiB, above 4 GiB), CPUs, checksum");

	case_begin(&tc);
	rtc_new(T0 * NSEC, NULL);
	for (b = 0x0e; b < 128; b++)
		if (b != VMCTL_RTC_CENTURY)
			wr(b, b ^ 0xa5);
	for (b = 0x0e; b < 128; b++)
		if (b != VMCTL_RTC_CENTURY && rd(b) != (b ^ 0xa5))
			break;
	check(&tc, b == 128, "byte %#x reads %#x, written %#x", b, rd(b),
	      b ^ 0xa5);
	check(&tc, vmctl_rtc_read(&rtc, 0) == 0xff, "0x70 reads %#x",
	      vmctl_rtc_read(&rtc, 0));
	vmctl_rtc_write(&rtc, 0, 0x80 | RTC_REG_D);	/* NMI masked */
	check(&tc, vmctl_rtc_read(&rtc, 1) == RTC_D_VRT && rtc.nmi_masked,
	      "index with bit 7 (NMI mask) set selected %#x", rtc.index);
	vmctl_rtc_write(&rtc, 0, 0x80 | 0x40);
	vmctl_rtc_write(&rtc, 1, 0x5a);
	check(&tc, rd(0x40) == 0x5a, "0xc0 did not select byte 0x40");
	vmctl_rtc_destroy(&rtc);
	case_end(&tc, "rtc: CMOS RAM 0x0e-0x7f keeps what is written; 0x70 write-only, bit 7 the NMI mask");
}

/* --- the glue: bus map, real clock, timer thread ------------------------ */

static atomic_uint gsi8_rises, bad_gsi;

int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int l)
{
	if (gsi != VMCTL_RTC_GSI)
		bad_gsi++;
	else if (l)
		gsi8_rises++;
	return 0;
}

static uint8_t pio(struct vmctl_vm *vm, uint16_t port, bool write,
		   uint32_t val, unsigned int len)
{
	vmctl_bus_access(&vm->pio, port, write, &val, len);
	return val;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

static void glue_tests(void)
{
	static struct vmctl_vm vm;
	static struct vmctl_rtc r;
	struct vmctl_rtc_config cfg = { .ram_below_4g = 256 * MIB, .cpus = 2 };
	struct timespec ts;
	struct tcase tc;
	uint64_t wakes;
	unsigned int i, sec, min, hour;
	uint32_t v;

	case_begin(&tc);
	vm.fd = -1;
	vmctl_bus_init(&vm.pio, "port");
	if (vmctl_rtc_attach(&vm, &r, &cfg)) {
		check(&tc, false, "vmctl_rtc_attach failed");
		goto out;
	}
	v = 0;
	check(&tc, vmctl_bus_access(&vm.pio, 0x70, false, &v, 1) &&
	      vmctl_bus_access(&vm.pio, 0x71, false, &v, 1) &&
	      !vmctl_bus_access(&vm.pio, 0x6f, false, &v, 1) &&
	      !vmctl_bus_access(&vm.pio, 0x72, false, &v, 1),
	      "ports: not 0x70-0x71");
	/* The host's UTC, as the guest reads it (wait out UIP). */
	while (pio(&vm, 0x70, true, RTC_REG_A, 1), pio(&vm, 0x71, false, 0, 1) & RTC_A_UIP)
		;
	clock_gettime(CLOCK_REALTIME, &ts);
	pio(&vm, 0x70, true, RTC_SECONDS, 1);
	sec = bcd(pio(&vm, 0x71, false, 0, 1));
	pio(&vm, 0x70, true, RTC_MINUTES, 1);
	min = bcd(pio(&vm, 0x71, false, 0, 1));
	pio(&vm, 0x70, true, RTC_HOURS, 1);
	hour = bcd(pio(&vm, 0x71, false, 0, 1));
	v = (hour * 3600 + min * 60 + sec + 86400 - ts.tv_sec % 86400) % 86400;
	check(&tc, v <= 1 || v == 86399, "guest %02u:%02u:%02u, host %02ld:%02ld:%02ld UTC",
	      hour, min, sec, ts.tv_sec % 86400 / 3600, ts.tv_sec % 3600 / 60,
	      ts.tv_sec % 60);
	/* outw 0x70: the index in the low byte, the data in the high. */
	pio(&vm, 0x70, true, 0x40 | 0x77 << 8, 2);
	pio(&vm, 0x70, true, 0x40, 1);
	check(&tc, pio(&vm, 0x71, false, 0, 1) == 0x77, "a word write at 0x70");

	/* 16 Hz for half a second; the guest acknowledges by reading C. */
	pio(&vm, 0x70, true, RTC_REG_A, 1);
	pio(&vm, 0x71, true, 0x20 | 12, 1);
	pio(&vm, 0x70, true, RTC_REG_B, 1);
	pio(&vm, 0x71, true, RTC_B_24H | RTC_B_PIE, 1);
	pio(&vm, 0x70, true, RTC_REG_C, 1);
	for (i = 0; i < 100; i++) {
		sleep_ms(5);
		pio(&vm, 0x71, false, 0, 1);
	}
	check(&tc, gsi8_rises >= 7 && gsi8_rises <= 9 && !bad_gsi,
	      "16 Hz for 0.5 s: %u edges on GSI 8, %u on others",
	      (unsigned int)gsi8_rises, (unsigned int)bad_gsi);
	/* Nothing enabled: the thread sleeps. */
	pio(&vm, 0x70, true, RTC_REG_B, 1);
	pio(&vm, 0x71, true, RTC_B_24H, 1);
	sleep_ms(20);
	pthread_mutex_lock(&r.lock);
	wakes = r.wakeups;
	pthread_mutex_unlock(&r.lock);
	sleep_ms(300);
	pthread_mutex_lock(&r.lock);
	wakes = r.wakeups - wakes;
	pthread_mutex_unlock(&r.lock);
	check(&tc, wakes == 0, "%llu wake-ups of an idle RTC in 300 ms",
	      (unsigned long long)wakes);
out:
	vmctl_rtc_destroy(&r);		/* joins the thread */
	vmctl_bus_destroy(&vm.pio);
	case_end(&tc, "rtc: vmctl_rtc_attach: ports 0x70-0x71, host UTC, IRQ 8 on GSI 8 from the timer thread, idle without wake-ups");
}

int main(void)
{
	time_tests();
	uip_tests();
	periodic_tests();
	alarm_tests();
	ram_tests();
	glue_tests();
	return tap_finish();
}
