// SPDX-License-Identifier: GPL-2.0
/*
 * Cases for vmctl's 8254 PIT (hw/pit.c), on a fake CLOCK_MONOTONIC: the
 * 1.193182 MHz count, modes 0, 2, 3 and 4, the counter latch and the
 * read-back command, port 0x61's gate and OUT2 as Linux's TSC calibration
 * polls them, and IRQ 0's pulses on a fake line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "hw/pit.h"
#include "unit.h"

#define NSEC		1000000000LL
#define P61		(VMCTL_PIT_PORT61 - VMCTL_PIT_PORT)

static int64_t fake_now;
static int level, rises;

static int64_t now_fn(void *opaque)
{
	return fake_now;
}

static int irq_fn(void *opaque, int l)
{
	if (l && !level)
		rises++;
	level = l;
	return 0;
}

/* vm.c's, for the glue in pit.c that the cases do not use. */
int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int l)
{
	return 0;
}

/* Ticks of the 1.193182 MHz clock as ns, rounded up. */
static int64_t ticks(int64_t n)
{
	return (n * NSEC + VMCTL_PIT_HZ - 1) / VMCTL_PIT_HZ;
}

static void setup(struct vmctl_pit *pit)
{
	fake_now = 1000 * NSEC;
	level = rises = 0;
	vmctl_pit_init(pit, now_fn, NULL, irq_fn, NULL);
}

static void program(struct vmctl_pit *pit, unsigned int ch, unsigned int mode,
		    uint16_t count)
{
	vmctl_pit_write(pit, 3, ch << 6 | 3 << 4 | mode << 1);
	vmctl_pit_write(pit, ch, count & 0xff);
	vmctl_pit_write(pit, ch, count >> 8);
}

static uint16_t read16(struct vmctl_pit *pit, unsigned int ch)
{
	uint16_t lo = vmctl_pit_read(pit, ch);

	return lo | vmctl_pit_read(pit, ch) << 8;
}

static void rate_case(void)
{
	struct vmctl_pit pit;
	struct tcase tc;
	uint16_t v;

	case_begin(&tc);
	setup(&pit);
	program(&pit, 0, 0, 60000);
	check(&tc, read16(&pit, 0) == 60000, "at load");
	fake_now += 10 * 1000 * 1000;		/* 10 ms: 11931.82 ticks */
	v = read16(&pit, 0);
	check(&tc, v == 60000 - 11931, "after 10 ms: %u", v);
	fake_now += ticks(48069) + 1000;	/* past the terminal count */
	v = read16(&pit, 0);
	check(&tc, v > 65000, "wraps: %u", v);
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: counts down at 1.193182 MHz, wraps in mode 0");
}

static void mode_cases(void)
{
	struct vmctl_pit pit;
	struct tcase tc;
	int64_t next, t0;
	int i;

	case_begin(&tc);
	setup(&pit);
	vmctl_pit_write(&pit, 3, 0x30);		/* ch 0, LSB/MSB, mode 0 */
	vmctl_pit_write(&pit, 3, 0xe2);		/* read-back status of 0 */
	check(&tc, !(vmctl_pit_read(&pit, 0) & 0x80), "mode 0 OUT high");
	t0 = fake_now;
	program(&pit, 0, 0, 1000);
	next = vmctl_pit_poll(&pit);
	check(&tc, next == t0 + ticks(1000), "deadline %lld",
	      (long long)(next - t0));
	check(&tc, rises == 0, "early IRQ");
	fake_now = next;
	check(&tc, vmctl_pit_poll(&pit) == INT64_MAX, "mode 0 rearms");
	check(&tc, rises == 1 && level == 0, "IRQ 0 pulse: %d rises", rises);
	fake_now += NSEC;
	vmctl_pit_poll(&pit);
	check(&tc, rises == 1, "mode 0 fired again");
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: mode 0 interrupts once on terminal count");

	case_begin(&tc);
	setup(&pit);
	t0 = fake_now;
	program(&pit, 0, 2, 11932);		/* ~100 Hz, Linux's HZ=100 */
	for (i = 1; i <= 5; i++) {
		next = vmctl_pit_poll(&pit);
		check(&tc, next == t0 + ticks(11932LL * i), "period %d at %lld",
		      i, (long long)(next - t0));
		fake_now = next;
	}
	vmctl_pit_poll(&pit);
	check(&tc, rises == 5, "%d IRQs in 5 periods", rises);
	fake_now += ticks(11932) * 3;		/* a late thread: one pulse */
	vmctl_pit_poll(&pit);
	check(&tc, rises == 6, "late periods gave %d", rises - 5);
	/* The counter: N .. 1, OUT low at 1. */
	program(&pit, 0, 2, 100);
	fake_now += ticks(99);
	vmctl_pit_write(&pit, 3, 0xe2);
	check(&tc, !(vmctl_pit_read(&pit, 0) & 0x80), "mode 2 OUT not low at 1");
	check(&tc, read16(&pit, 0) == 1, "mode 2 count at the end");
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: mode 2 rate generator, one IRQ per period");

	case_begin(&tc);
	setup(&pit);
	t0 = fake_now;
	program(&pit, 0, 3, 1000);
	fake_now += ticks(250);
	vmctl_pit_write(&pit, 3, 0xe2);
	check(&tc, vmctl_pit_read(&pit, 0) & 0x80, "mode 3 OUT low at 1/4");
	check(&tc, read16(&pit, 0) == 500, "mode 3 counts by 2");
	fake_now = t0 + ticks(750);
	vmctl_pit_write(&pit, 3, 0xe2);
	check(&tc, !(vmctl_pit_read(&pit, 0) & 0x80), "mode 3 OUT high at 3/4");
	next = vmctl_pit_poll(&pit);
	check(&tc, next == t0 + ticks(1000), "mode 3 rise");
	fake_now = t0 + ticks(10000);
	vmctl_pit_poll(&pit);
	check(&tc, rises == 1, "mode 3 %d IRQs", rises);
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: mode 3 square wave");

	case_begin(&tc);
	setup(&pit);
	t0 = fake_now;
	program(&pit, 0, 4, 500);
	next = vmctl_pit_poll(&pit);
	check(&tc, next == t0 + ticks(501), "mode 4 strobe end");
	fake_now = next;
	check(&tc, vmctl_pit_poll(&pit) == INT64_MAX && rises == 1,
	      "mode 4 strobe: %d", rises);
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: mode 4 software strobe, once");
}

static void latch_cases(void)
{
	struct vmctl_pit pit;
	struct tcase tc;
	uint8_t st;

	case_begin(&tc);
	setup(&pit);
	program(&pit, 0, 2, 5000);
	fake_now += ticks(1000);
	vmctl_pit_write(&pit, 3, 0x00);		/* latch channel 0 */
	fake_now += ticks(1000);
	check(&tc, read16(&pit, 0) == 4000, "latched count");
	check(&tc, read16(&pit, 0) == 3000, "after the latch is read");
	vmctl_pit_write(&pit, 3, 0x00);
	fake_now += ticks(10);
	vmctl_pit_write(&pit, 3, 0x00);		/* ignored until read */
	check(&tc, read16(&pit, 0) == 3000, "second latch");
	/* Read-back: status and count of channel 0. */
	vmctl_pit_write(&pit, 3, 0xc2);
	st = vmctl_pit_read(&pit, 0);
	check(&tc, (st & 0x3f) == 0x34, "status %#x", st);
	check(&tc, read16(&pit, 0) == 2990, "read-back count");
	/* LSB-only and MSB-only channels. */
	vmctl_pit_write(&pit, 3, 0x50);		/* ch 1, LSB, mode 0 */
	vmctl_pit_write(&pit, 1, 0x80);
	check(&tc, vmctl_pit_read(&pit, 1) == 0x80, "LSB only");
	vmctl_pit_write(&pit, 3, 0x60);		/* ch 1, MSB, mode 0 */
	vmctl_pit_write(&pit, 1, 0x12);
	check(&tc, vmctl_pit_read(&pit, 1) == 0x12, "MSB only");
	vmctl_pit_write(&pit, 3, 0x31);		/* BCD: status only */
	vmctl_pit_write(&pit, 3, 0xe2);
	check(&tc, vmctl_pit_read(&pit, 0) & 1, "BCD bit in status");
	check(&tc, vmctl_pit_read(&pit, 3) == 0xff, "0x43 reads");
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: counter latch, read-back, access modes");
}

/* As Linux's pit_calibrate_tsc(): gate 2 up, mode 0, poll OUT2. */
static void port61_case(void)
{
	struct vmctl_pit pit;
	struct tcase tc;
	uint8_t v, refresh;

	case_begin(&tc);
	setup(&pit);
	check(&tc, !(vmctl_pit_read(&pit, P61) & 1), "gate 2 up at reset");
	vmctl_pit_write(&pit, 3, 0xb0);		/* ch 2, LSB/MSB, mode 0 */
	vmctl_pit_write(&pit, 2, 11932 & 0xff);
	vmctl_pit_write(&pit, 2, 11932 >> 8);	/* gate low: held */
	fake_now += NSEC;
	check(&tc, read16(&pit, 2) == 11932, "counted with the gate low");
	v = vmctl_pit_read(&pit, P61);
	vmctl_pit_write(&pit, P61, (v & ~0x02) | 0x01);
	check(&tc, (vmctl_pit_read(&pit, P61) & 0x0f) == 0x01, "61 bits 0-3");
	fake_now += ticks(11931);
	check(&tc, !(vmctl_pit_read(&pit, P61) & 0x20), "OUT2 early");
	fake_now += ticks(1);
	check(&tc, vmctl_pit_read(&pit, P61) & 0x20, "OUT2 not up at 10 ms");
	vmctl_pit_write(&pit, P61, 0);		/* gate down: held */
	fake_now += NSEC;
	check(&tc, vmctl_pit_read(&pit, P61) & 0x20, "OUT2 stays high");
	refresh = vmctl_pit_read(&pit, P61) & 0x10;
	fake_now += 15085;
	check(&tc, (vmctl_pit_read(&pit, P61) & 0x10) != refresh,
	      "refresh bit does not toggle");
	check(&tc, rises == 0, "channel 2 raised IRQ 0");
	vmctl_pit_destroy(&pit);
	case_end(&tc, "pit: port 0x61 gate 2 and OUT2 for TSC calibration");
}

/* The thread: 100 Hz for 1 s of the fake clock, moved in 100 ms steps. */
static void thread_case(void)
{
	struct vmctl_pit pit;
	struct tcase tc;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int n;

	case_begin(&tc);
	level = rises = 0;
	/* The fake clock starts at CLOCK_MONOTONIC's now: the thread sleeps on it. */
	vmctl_pit_init(&pit, now_fn, NULL, irq_fn, NULL);
	{
		struct timespec m;

		clock_gettime(CLOCK_MONOTONIC, &m);
		fake_now = m.tv_sec * NSEC + m.tv_nsec;
	}
	check(&tc, !vmctl_timer_thread_start(&pit.timer, "test"), "start");
	program(&pit, 0, 2, 11932);
	for (n = 0; n < 10; n++) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&pit.lock);
		fake_now += 100 * 1000 * 1000;
		pthread_mutex_unlock(&pit.lock);
	}
	vmctl_pit_destroy(&pit);
	check(&tc, rises > 0, "the thread sent no IRQ");
	case_end(&tc, "pit: the timer thread pulses IRQ 0 and stops");
}

int main(void)
{
	rate_case();
	mode_cases();
	latch_cases();
	port61_case();
	thread_case();
	return tap_finish();
}
