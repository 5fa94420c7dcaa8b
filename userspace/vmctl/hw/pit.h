/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's 8254 programmable interval timer at ports 0x40-0x43, and port
 * 0x61 (NMI status and control: channel 2's gate and OUT). Channel 0's OUT
 * is ISA IRQ 0. pit.c describes the model and the choices made.
 */
#ifndef VMCTL_PIT_H
#define VMCTL_PIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/timer_thread.h"

struct vmctl_vm;
struct aml;

#define VMCTL_PIT_PORT		0x40	/* counters 0x40-0x42, control 0x43 */
#define VMCTL_PIT_PORT61	0x61
#define VMCTL_PIT_HZ		1193182	/* the PC's 14.31818 MHz / 12 */
/* ISA IRQ 0 is GSI 2 (the MADT's override; HVX_IRQ_LINE's numbering). */
#define VMCTL_PIT_GSI		2

struct vmctl_pit_channel {
	uint32_t count;		/* the initial count, 1-65536 */
	uint8_t mode;		/* 0-5 */
	uint8_t rw;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;		/* kept for the status byte only */
	bool gate;
	bool armed;		/* a count was written and counting runs */
	bool null_count;	/* written but not loaded: status bit 6 */
	bool write_msb;		/* the next write is the MSB (rw 3) */
	bool read_msb;		/* the next read is the MSB (rw 3) */
	uint8_t write_lsb;
	int64_t start;		/* now() at which count was loaded */
	int64_t frozen;		/* ticks counted when the gate fell, or -1 */
	/* Latched count (2 bytes) and status, read out in that order. */
	bool count_latched, status_latched, latch_msb;
	uint16_t latch;
	uint8_t status;
	uint64_t edges;		/* rising edges of OUT accounted (channel 0) */
};

struct vmctl_pit {
	pthread_mutex_t lock;	/* vCPU threads and the timer thread */
	struct vmctl_timer_thread timer;
	int64_t (*now)(void *now_opaque);	/* CLOCK_MONOTONIC ns, or a fake */
	void *now_opaque;
	/* ISA IRQ 0: called with @lock held. */
	int (*irq_line)(void *irq_opaque, int level);
	void *irq_opaque;
	struct vmctl_pit_channel ch[3];
	uint8_t port61;		/* bits 0-3 as written */
	uint64_t pulses;	/* IRQ 0 pulses sent, for tests */
};

/* The logic without a VM or a thread: the tests call these. */
void vmctl_pit_init(struct vmctl_pit *pit, int64_t (*now)(void *),
		    void *now_opaque, int (*irq_line)(void *, int),
		    void *irq_opaque);
void vmctl_pit_destroy(struct vmctl_pit *pit);
/* A byte access at 0x40 + @off (0-3), or at 0x61 with @off 0x21. */
uint8_t vmctl_pit_read(struct vmctl_pit *pit, unsigned int off);
void vmctl_pit_write(struct vmctl_pit *pit, unsigned int off, uint8_t val);
/*
 * What the timer thread does: pulse IRQ 0 if channel 0's OUT rose since
 * the last call, and return the now() of its next rise, or INT64_MAX.
 */
int64_t vmctl_pit_poll(struct vmctl_pit *pit);

/*
 * Initialize @pit on the host's clock, IRQ 0 going to
 * vmctl_vm_irq_line(vm, VMCTL_PIT_GSI), register 0x40-0x43 and 0x61 and
 * start the timer thread. 0, or -1 with a message (then destroy).
 */
int vmctl_pit_attach(struct vmctl_vm *vm, struct vmctl_pit *pit);
/* The DSDT's part: \_SB.TIMR, PNP0100, and the 8259s, PNP0000. */
void vmctl_pit_dsdt(struct aml *aml);

#endif /* VMCTL_PIT_H */
