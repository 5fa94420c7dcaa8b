// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT (pit.h), after Intel's 82C54 datasheet (order 231244) and
 * the PC's wiring: channel 0's OUT is ISA IRQ 0, channel 1 (DRAM refresh
 * once) only counts, channel 2's gate is port 0x61 bit 0 and its OUT reads
 * back in 0x61 bit 5 (the speaker's input, which is not emulated).
 *
 * Why in user space: a guest touches it while it boots (Linux calibrates
 * against channel 2 when nothing tells it the TSC's rate, and checks the
 * timer interrupt), then rarely: Linux moves to the local APIC timer, and
 * with the PIT as its tick (acpi=off, no APIC timer) programs channel 0's
 * periodic mode once and takes one interrupt per tick with no port access.
 * The exits it costs are few; the interrupt comes from a thread.
 *
 * Counting. The counters run at 1.193182 MHz on CLOCK_MONOTONIC: a
 * channel's count is worked out from the time since it was loaded, so
 * reads count down without anything running. A count of 0 is 65536.
 *   mode 0  interrupt on terminal count: OUT low from the control word,
 *           high when the count reaches 0, and stays high; the counter
 *           goes on down, wrapping.
 *   mode 1  hardware-retriggerable one-shot: started by a rising gate
 *           (channel 2 only: the others' gates are always high); OUT low
 *           until the count reaches 0.
 *   mode 2  rate generator: OUT low for the one clock in which the
 *           counter is 1, reloaded every @count clocks.
 *   mode 3  square wave: OUT high for (count + 1) / 2 clocks, low for
 *           count / 2; the counter reads as if decremented by two.
 *   mode 4, 5  software / hardware-triggered strobe: OUT low for the one
 *           clock at count 0, once.
 * The count is loaded at the write that completes it (a real 8254 loads
 * it at the next clock edge: 838 ns later), and a new count in modes 2
 * and 3 takes effect at once rather than at the end of the period. A low
 * gate holds the count in modes 0, 2, 3 and 4 (and OUT high in 2 and 3); a
 * rising gate restarts modes 1, 2, 3 and 5. BCD counting is not
 * emulated: the bit reads back in the status byte, the count is binary
 * (no PC OS programs BCD; QEMU does the same).
 *
 * Reads. LSB, MSB, or LSB then MSB (one flip-flop for reads, one for
 * writes), the counter latch command, and the read-back command with
 * status (bit 7 OUT, bit 6 null count, then the control word's bits);
 * latched status is read before a latched count.
 *
 * IRQ 0. Each rising edge of channel 0's OUT is a pulse of GSI 2 (1 then
 * 0): the PC's 8259 and the MADT's override take ISA IRQ 0 edge-triggered,
 * so the level between edges does not matter, and a pulse needs one
 * thread wake-up per period where following OUT would need two. The
 * thread sleeps until the next rise, or without a timeout when channel 0
 * will not rise again (mode 0 or 4 past its count, not programmed): an
 * idle VM costs nothing. A wake-up late by whole periods sends one pulse,
 * as the 8259's IRR would merge the edges of a CPU that did not take them.
 *
 * Port 0x61. Bits 0-3 read back as written (gate 2, speaker data, the
 * parity and I/O check enables, which check nothing here); bit 4 toggles
 * every 15.085 us as the refresh request did, which old delay loops count;
 * bit 5 is channel 2's OUT; bits 6-7 (parity and I/O check errors) read 0.
 */
#include <string.h>
#include <time.h>

#include "acpi/aml.h"
#include "core/clock.h"
#include "core/vm.h"
#include "hw/pit.h"

#define NSEC		1000000000LL
#define REFRESH_NS	15085

static int64_t ticks_of(int64_t ns)
{
	if (ns <= 0)
		return 0;
	return (int64_t)((unsigned __int128)ns * VMCTL_PIT_HZ / NSEC);
}

/* The first ns at which ticks_of() reaches @ticks. */
static int64_t ns_of(int64_t ticks)
{
	return (int64_t)(((unsigned __int128)ticks * NSEC + VMCTL_PIT_HZ - 1) /
			 VMCTL_PIT_HZ);
}

/* Clocks counted since the count was loaded. */
static int64_t elapsed(const struct vmctl_pit_channel *c, int64_t now)
{
	if (!c->armed)
		return 0;
	if (c->frozen >= 0)
		return c->frozen;
	return ticks_of(now - c->start);
}

static uint16_t counter(const struct vmctl_pit_channel *c, int64_t now)
{
	int64_t d = elapsed(c, now), n = c->count;

	if (!c->armed)
		return c->count;
	switch (c->mode) {
	case 2:
		return n - d % n;
	case 3:
		return n - (2 * d) % n;
	default:
		return n - d;
	}
}

static bool out(const struct vmctl_pit_channel *c, int64_t now)
{
	int64_t d = elapsed(c, now), n = c->count;

	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return !c->gate || n < 2 || d % n != n - 1;
	case 3:
		return !c->gate || d % n < (n + 1) / 2;
	default:
		return d != n;
	}
}

/* Rising edges of OUT in the first @d clocks after the load. */
static int64_t rises(const struct vmctl_pit_channel *c, int64_t d)
{
	int64_t n = c->count;

	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
	case 3:
		return d / n;
	default:
		return d >= n + 1;
	}
}

/* The clock of OUT's next rise after @d, or -1. */
static int64_t next_rise(const struct vmctl_pit_channel *c, int64_t d)
{
	int64_t n = c->count;

	switch (c->mode) {
	case 0:
	case 1:
		return d < n ? n : -1;
	case 2:
	case 3:
		return (d / n + 1) * n;
	default:
		return d < n + 1 ? n + 1 : -1;
	}
}

static int64_t poll_locked(void *opaque)
{
	struct vmctl_pit *pit = opaque;
	struct vmctl_pit_channel *c = &pit->ch[0];
	int64_t now = pit->now(pit->now_opaque), d, e, next;

	if (!c->armed || c->frozen >= 0)
		return INT64_MAX;
	d = elapsed(c, now);
	e = rises(c, d);
	if ((uint64_t)e > c->edges) {
		pit->irq_line(pit->irq_opaque, 1);
		pit->irq_line(pit->irq_opaque, 0);
		pit->pulses++;
		c->edges = e;
	}
	next = next_rise(c, d);
	return next < 0 ? INT64_MAX : c->start + ns_of(next);
}

int64_t vmctl_pit_poll(struct vmctl_pit *pit)
{
	int64_t next;

	pthread_mutex_lock(&pit->lock);
	next = poll_locked(pit);
	pthread_mutex_unlock(&pit->lock);
	return next;
}

void vmctl_pit_init(struct vmctl_pit *pit, int64_t (*now)(void *),
		    void *now_opaque, int (*irq_line)(void *, int),
		    void *irq_opaque)
{
	int i;

	memset(pit, 0, sizeof(*pit));
	pthread_mutex_init(&pit->lock, NULL);
	vmctl_timer_thread_init(&pit->timer, &pit->lock, poll_locked, pit);
	pit->now = now;
	pit->now_opaque = now_opaque;
	pit->irq_line = irq_line;
	pit->irq_opaque = irq_opaque;
	for (i = 0; i < 3; i++) {
		pit->ch[i] = (struct vmctl_pit_channel){
			.count = 65536, .rw = 3, .gate = i != 2, .frozen = -1,
		};
	}
}

void vmctl_pit_destroy(struct vmctl_pit *pit)
{
	vmctl_timer_thread_destroy(&pit->timer);
	pthread_mutex_destroy(&pit->lock);
}

static void load(struct vmctl_pit_channel *c, uint16_t v, int64_t now)
{
	c->count = v ? v : 65536;
	c->null_count = false;
	c->edges = 0;
	c->start = now;
	c->frozen = -1;
	/* Modes 1 and 5 wait for a trigger: a rising gate. */
	if (c->mode == 1 || c->mode == 5) {
		c->armed = false;
		return;
	}
	c->armed = true;
	if (!c->gate)
		c->frozen = 0;
}

static void set_gate(struct vmctl_pit_channel *c, bool gate, int64_t now)
{
	if (gate == c->gate)
		return;
	if (!gate) {
		if (c->armed && c->frozen < 0)
			c->frozen = elapsed(c, now);
		c->gate = false;
		return;
	}
	c->gate = true;
	switch (c->mode) {
	case 0:
	case 4:			/* counting resumes where it was held */
		if (c->armed && c->frozen >= 0) {
			c->start = now - ns_of(c->frozen);
			c->frozen = -1;
		}
		break;
	default:		/* 1, 2, 3, 5: the rise reloads the count */
		if (!c->null_count) {
			c->armed = true;
			c->start = now;
			c->frozen = -1;
			c->edges = 0;
		}
		break;
	}
}

static uint8_t status(const struct vmctl_pit_channel *c, int64_t now)
{
	return out(c, now) << 7 | c->null_count << 6 | c->rw << 4 |
	       c->mode << 1 | c->bcd;
}

static void latch_count(struct vmctl_pit_channel *c, int64_t now)
{
	if (c->count_latched)
		return;		/* a second latch is ignored until read */
	c->latch = counter(c, now);
	c->count_latched = true;
	c->latch_msb = false;
}

static void control(struct vmctl_pit *pit, uint8_t val, int64_t now)
{
	unsigned int sc = val >> 6, rw = (val >> 4) & 3, i;
	struct vmctl_pit_channel *c;

	if (sc == 3) {		/* read-back: bits 3-1 select, 5 and 4 are !COUNT, !STATUS */
		for (i = 0; i < 3; i++) {
			c = &pit->ch[i];
			if (!(val & (2 << i)))
				continue;
			if (!(val & 0x20))
				latch_count(c, now);
			if (!(val & 0x10) && !c->status_latched) {
				c->status = status(c, now);
				c->status_latched = true;
			}
		}
		return;
	}
	c = &pit->ch[sc];
	if (!rw) {
		latch_count(c, now);
		return;
	}
	c->rw = rw;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are 2 and 3 */
	c->bcd = val & 1;
	c->armed = false;
	c->null_count = true;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
	c->frozen = -1;
	c->edges = 0;
}

static uint8_t read_counter(struct vmctl_pit_channel *c, int64_t now)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
		msb = c->rw == 2 || (c->rw == 3 && c->latch_msb);
		if (c->rw == 3 && !c->latch_msb)
			c->latch_msb = true;
		else
			c->count_latched = false;
		return msb ? v >> 8 : v & 0xff;
	}
	v = counter(c, now);
	msb = c->rw == 2 || (c->rw == 3 && c->read_msb);
	if (c->rw == 3)
		c->read_msb = !c->read_msb;
	return msb ? v >> 8 : v & 0xff;
}

static void write_counter(struct vmctl_pit_channel *c, uint8_t val,
			  int64_t now)
{
	switch (c->rw) {
	case 1:
		load(c, val, now);
		break;
	case 2:
		load(c, val << 8, now);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = val;
			c->write_msb = true;
			/* Mode 0 stops counting at the first byte. */
			if (c->mode == 0)
				c->armed = false;
		} else {
			c->write_msb = false;
			load(c, c->write_lsb | val << 8, now);
		}
		break;
	}
}

uint8_t vmctl_pit_read(struct vmctl_pit *pit, unsigned int off)
{
	int64_t now;
	uint8_t v = 0xff;

	pthread_mutex_lock(&pit->lock);
	now = pit->now(pit->now_opaque);
	if (off < 3)
		v = read_counter(&pit->ch[off], now);
	else if (off == VMCTL_PIT_PORT61 - VMCTL_PIT_PORT)
		v = (pit->port61 & 0x0f) | ((now / REFRESH_NS) & 1) << 4 |
		    out(&pit->ch[2], now) << 5;
	/* 0x43 is write-only: 0xff, as QEMU. */
	pthread_mutex_unlock(&pit->lock);
	return v;
}

void vmctl_pit_write(struct vmctl_pit *pit, unsigned int off, uint8_t val)
{
	int64_t now;

	pthread_mutex_lock(&pit->lock);
	now = pit->now(pit->now_opaque);
	if (off < 3) {
		write_counter(&pit->ch[off], val, now);
	} else if (off == 3) {
		control(pit, val, now);
	} else if (off == VMCTL_PIT_PORT61 - VMCTL_PIT_PORT) {
		pit->port61 = val & 0x0f;
		set_gate(&pit->ch[2], val & 1, now);
	}
	/* Channel 0's next rise may have moved. */
	vmctl_timer_thread_kick(&pit->timer);
	pthread_mutex_unlock(&pit->lock);
}

/* --- glue to vm.c ------------------------------------------------------- */

static int64_t monotonic_ns(void *opaque)
{
	return vmctl_clock_ns(CLOCK_MONOTONIC);
}

static int pit_irq(void *opaque, int level)
{
	return vmctl_vm_irq_line(opaque, VMCTL_PIT_GSI, level);
}

/* Each byte of a wider access goes to its port, as the chipset splits it. */
static void pit_io_read(void *opaque, uint64_t off, void *data,
			unsigned int len)
{
	uint8_t *p = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = off + i < 4 ? vmctl_pit_read(opaque, off + i) : 0xff;
}

static void pit_io_write(void *opaque, uint64_t off, const void *data,
			 unsigned int len)
{
	const uint8_t *p = data;
	unsigned int i;

	for (i = 0; i < len && off + i < 4; i++)
		vmctl_pit_write(opaque, off + i, p[i]);
}

static void port61_read(void *opaque, uint64_t off, void *data,
			unsigned int len)
{
	memset(data, 0xff, len);
	*(uint8_t *)data = vmctl_pit_read(opaque, VMCTL_PIT_PORT61 -
					  VMCTL_PIT_PORT);
}

static void port61_write(void *opaque, uint64_t off, const void *data,
			 unsigned int len)
{
	vmctl_pit_write(opaque, VMCTL_PIT_PORT61 - VMCTL_PIT_PORT,
			*(const uint8_t *)data);
}

static const struct vmctl_io_ops pit_ops = {
	.read = pit_io_read, .write = pit_io_write,
};

static const struct vmctl_io_ops port61_ops = {
	.read = port61_read, .write = port61_write,
};

int vmctl_pit_attach(struct vmctl_vm *vm, struct vmctl_pit *pit)
{
	vmctl_pit_init(pit, monotonic_ns, NULL, pit_irq, vm);
	if (vmctl_bus_register(&vm->pio, VMCTL_PIT_PORT, 4, &pit_ops, pit,
			       "pit") ||
	    vmctl_bus_register(&vm->pio, VMCTL_PIT_PORT61, 1, &port61_ops, pit,
			       "port61"))
		return -1;
	return vmctl_timer_thread_start(&pit->timer, "PIT");
}

void vmctl_pit_dsdt(struct aml *aml)
{
	aml_scope_begin(aml, "\\_SB");
	aml_device_begin(aml, "TIMR");
	aml_name_eisaid(aml, "_HID", "PNP0100");	/* AT timer */
	aml_name_resources_begin(aml, "_CRS");
	aml_res_io(aml, VMCTL_PIT_PORT, 4);
	aml_res_irq(aml, 0);
	aml_end(aml);
	aml_end(aml);
	aml_device_begin(aml, "PIC");
	aml_name_eisaid(aml, "_HID", "PNP0000");	/* AT interrupt controller */
	aml_name_resources_begin(aml, "_CRS");
	aml_res_io(aml, 0x20, 2);
	aml_res_io(aml, 0xa0, 2);
	aml_res_io(aml, 0x4d0, 2);
	aml_res_irq(aml, 2);
	aml_end(aml);
	aml_end(aml);
	aml_end(aml);
}
