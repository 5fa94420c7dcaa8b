/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's CMOS real-time clock, a Motorola MC146818A at ports 0x70 (index)
 * and 0x71 (data), with its 114 bytes of CMOS RAM and its interrupt on
 * ISA IRQ 8. rtc.c describes the model and the choices made.
 */
#ifndef VMCTL_RTC_H
#define VMCTL_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/timer_thread.h"

struct vmctl_vm;
struct aml;

#define VMCTL_RTC_PORT		0x70	/* index at 0x70, data at 0x71 */
#define VMCTL_RTC_GSI		8	/* ISA IRQ 8, identity-mapped, edge */
#define VMCTL_RTC_CENTURY	0x32	/* the FADT's CENTURY: the CMOS byte */

/* The registers (MC146818A datasheet, "Address map"). */
#define RTC_SECONDS		0x00
#define RTC_SECONDS_ALARM	0x01
#define RTC_MINUTES		0x02
#define RTC_MINUTES_ALARM	0x03
#define RTC_HOURS		0x04
#define RTC_HOURS_ALARM		0x05
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d

#define RTC_A_UIP		0x80	/* update in progress (read-only) */
#define RTC_A_DV_MASK		0x70	/* divider: 010 runs, 11x resets */
#define RTC_A_DV_RESET		0x60
#define RTC_A_RS_MASK		0x0f	/* periodic rate select */
#define RTC_B_SET		0x80
#define RTC_B_PIE		0x40
#define RTC_B_AIE		0x20
#define RTC_B_UIE		0x10
#define RTC_B_SQWE		0x08
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_B_DSE		0x01
#define RTC_C_IRQF		0x80
#define RTC_C_PF		0x40
#define RTC_C_AF		0x20
#define RTC_C_UF		0x10
#define RTC_D_VRT		0x80
#define RTC_HOURS_PM		0x80	/* 12-hour mode */
#define RTC_ALARM_DONT_CARE	0xc0	/* 0xc0-0xff in an alarm register */

/* What the CMOS RAM describes: the machine's memory and CPUs. */
struct vmctl_rtc_config {
	uint64_t ram_below_4g, ram_above_4g;	/* bytes */
	unsigned int cpus;
	/* The guest's clock minus the host's UTC, in ns: 0 for a new VM. */
	int64_t delta_ns;
};

struct vmctl_rtc {
	/* The vCPU threads and the timer thread; the IRQ is driven under it. */
	pthread_mutex_t lock;
	struct vmctl_timer_thread timer;	/* the interrupts' (timer_thread.h) */
	/* The time base, CLOCK_MONOTONIC in ns (a fake one in tests). */
	int64_t (*now)(void *now_opaque);
	void *now_opaque;
	/* ISA IRQ 8: 0 on success, called with @lock held. */
	int (*irq_line)(void *irq_opaque, int level);
	void *irq_opaque;
	/*
	 * Guest time, UTC seconds since 1970 and ns, is now() + offset: the
	 * offset in whole seconds and 0..999999999 ns, so that any year the
	 * registers can hold (0-9999) fits.
	 */
	int64_t off_sec;
	int64_t off_nsec;
	int64_t last;		/* now() up to which events are accounted */
	int64_t utc_at_init;	/* host UTC (ns) when now() read mono_at_init */
	int64_t mono_at_init;
	uint8_t index;		/* 0x70 bits 6:0 */
	bool nmi_masked;	/* 0x70 bit 7: kept, there is no NMI source */
	uint8_t cmos[128];	/* registers 0x00-0x0d and the RAM after */
	uint64_t wakeups, pulses;	/* for tests and curiosity */
};

/*
 * The register logic without a VM or a thread (tests call these): @now
 * gives CLOCK_MONOTONIC-like ns, @utc_ns is the host's UTC at the moment
 * now() first returns, @irq_line drives IRQ 8.
 */
void vmctl_rtc_init(struct vmctl_rtc *rtc, const struct vmctl_rtc_config *cfg,
		    int64_t (*now)(void *), void *now_opaque, int64_t utc_ns,
		    int (*irq_line)(void *, int), void *irq_opaque);
/* Stop the timer thread if it runs; free what init made. */
void vmctl_rtc_destroy(struct vmctl_rtc *rtc);
/* A byte access at port 0x70 + @off (0 or 1), as the guest does it. */
uint8_t vmctl_rtc_read(struct vmctl_rtc *rtc, unsigned int off);
void vmctl_rtc_write(struct vmctl_rtc *rtc, unsigned int off, uint8_t val);
/*
 * What the timer thread does when it wakes: account the events up to
 * now() (flags, the IRQ pulse) and return the now() at which the next
 * interrupt is due, or INT64_MAX if none is (nothing enabled, or IRQF
 * still set: the guest has not read register C).
 */
int64_t vmctl_rtc_poll(struct vmctl_rtc *rtc);
/* The guest's clock minus the host's UTC now, for the next boot's config. */
int64_t vmctl_rtc_delta_ns(struct vmctl_rtc *rtc);

/*
 * The timer thread: sleeps on CLOCK_MONOTONIC until vmctl_rtc_poll()'s
 * deadline, or for ever while no interrupt is enabled. Only with the real
 * clock (vmctl_rtc_attach() uses it). 0, or -1 with a message.
 */
int vmctl_rtc_start(struct vmctl_rtc *rtc);

/*
 * Initialize @rtc on the host's clock, register ports 0x70-0x71 on @vm,
 * IRQ 8 going to vmctl_vm_irq_line(vm, VMCTL_RTC_GSI), and start the
 * timer thread. 0, or -1 with a message (then vmctl_rtc_destroy()).
 */
int vmctl_rtc_attach(struct vmctl_vm *vm, struct vmctl_rtc *rtc,
		     const struct vmctl_rtc_config *cfg);

/* The DSDT's part: \_SB.RTC, PNP0B00 with its ports and IRQ 8. */
void vmctl_rtc_dsdt(struct aml *aml);

#endif /* VMCTL_RTC_H */
