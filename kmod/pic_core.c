// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair (pic_core.h), after the 8259A datasheet and the PIIX's
 * ELCR, as QEMU's and KVM's models read it where the datasheet leaves
 * room:
 *
 *  - Inputs. An edge-triggered input sets its IRR bit on a rising edge
 *    and the bit stays until the acknowledge; a level-triggered one (ELCR
 *    bit set, or ICW1 LTIM) requests while the line is high, and its IRR
 *    bit follows the line. The slave's INT is the master's input 2,
 *    edge-triggered through the master (its ELCR bit does not exist).
 *  - Priority. Fully nested: input 0 highest, 7 lowest, then rotated by
 *    OCW2 (rotate on non-specific EOI, set priority, rotate on auto-EOI).
 *    A request reaches INT if it is unmasked and of higher priority than
 *    every bit in service (with special mask mode, every unmasked bit in
 *    service; with the master in special fully nested mode, the cascade's
 *    own ISR bit does not hold the slave's higher requests back).
 *  - INTA: the highest request goes from IRR to ISR (nothing in ISR with
 *    auto-EOI) and its vector is ICW2's base + input; through the
 *    cascade both chips acknowledge. A request gone by then (a level
 *    dropped) gives the spurious vector of input 7, nothing in service on
 *    that chip: what the datasheet's "default IR7" says and what Linux's
 *    spurious IRQ 7/15 handling expects (for 15 the master has the
 *    cascade in service).
 *  - ICW1 starts the initialization: IMR, ISR, IRR of edges, special
 *    mask and rotation clear, IRR is selected for reading; ICW2 (base),
 *    ICW3 unless SNGL (the cascade wiring is fixed, the value ignored),
 *    ICW4 if IC4 (AEOI, SFNM; uPM and buffered mode ignored: only x86
 *    mode exists here). OCW1 (mask) at the data port, OCW2 (EOIs, rotation)
 *    and OCW3 (read IRR/ISR, poll, special mask) at the command port.
 *  - Poll (OCW3 P): the next read of either port returns 0x80 | input of
 *    the highest request, acknowledged as by INTA, or 0 if none.
 */
#include <linux/types.h>

#include "pic_core.h"

#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW1_LTIM	0x08
#define ICW1		0x10
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define OCW3		0x08
#define OCW3_POLL	0x04
#define OCW3_RR		0x02
#define OCW3_RIS	0x01
#define OCW3_ESMM	0x40
#define OCW3_SMM	0x20
#define NO_IRQ		8

/* PIIX: IRQs 0, 1, 2, 8 and 13 are always edge-triggered. */
#define ELCR_MASK_MASTER	0xf8
#define ELCR_MASK_SLAVE		0xde

static u8 level_mask(const struct hvx_pic_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* The priority (0 highest) of the highest input in @mask, or NO_IRQ. */
static int priority(const struct hvx_pic_chip *c, u8 mask)
{
	int p;

	for (p = 0; p < 8; p++)
		if (mask & (1u << ((p + c->lowest + 1) & 7)))
			return p;
	return NO_IRQ;
}

static int input_of(const struct hvx_pic_chip *c, int p)
{
	return (p + c->lowest + 1) & 7;
}

/* The input that the chip would present at INTA now, or -1. */
static int chip_request(const struct hvx_pic_chip *c, bool master)
{
	int want = priority(c, c->irr & ~c->imr), cur;
	u8 in_service = c->isr;

	if (want == NO_IRQ)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (master && c->sfnm)
		in_service &= ~(1u << HVX_PIC_CASCADE_IRQ);
	cur = priority(c, in_service);
	return want < cur ? input_of(c, want) : -1;
}

static void chip_set_input(struct hvx_pic_chip *c, int irq, bool level)
{
	u8 bit = 1u << irq;

	if (level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/* The slave's INT drives the master's input 2. */
static void update_cascade(struct hvx_pic_core *pic)
{
	chip_set_input(&pic->chip[0], HVX_PIC_CASCADE_IRQ,
		       chip_request(&pic->chip[1], false) >= 0);
}

static void chip_ack(struct hvx_pic_chip *c, int irq)
{
	u8 bit = 1u << irq;

	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->lowest = irq;
	} else {
		c->isr |= bit;
	}
	/* A level input requests again while its line stays high. */
	if (!(level_mask(c) & bit))
		c->irr &= ~bit;
}

static void chip_reset(struct hvx_pic_chip *c, u8 elcr_mask)
{
	*c = (struct hvx_pic_chip){ .elcr_mask = elcr_mask, .lowest = 7 };
}

void hvx_pic_core_reset(struct hvx_pic_core *pic)
{
	chip_reset(&pic->chip[0], ELCR_MASK_MASTER);
	chip_reset(&pic->chip[1], ELCR_MASK_SLAVE);
}

void hvx_pic_core_set_irq(struct hvx_pic_core *pic, unsigned int irq,
			  bool level)
{
	if (irq >= HVX_PIC_IRQS || irq == HVX_PIC_CASCADE_IRQ)
		return;
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
	update_cascade(pic);
}

bool hvx_pic_core_output(struct hvx_pic_core *pic)
{
	return chip_request(&pic->chip[0], true) >= 0;
}

/* Returns the input acknowledged on @c, or 7 if none asked (spurious). */
static int chip_inta(struct hvx_pic_chip *c, bool master)
{
	int irq = chip_request(c, master);

	if (irq < 0)
		return 7;
	chip_ack(c, irq);
	return irq;
}

u8 hvx_pic_core_ack(struct hvx_pic_core *pic)
{
	struct hvx_pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int irq = chip_request(m, true);
	u8 vector;

	if (irq == HVX_PIC_CASCADE_IRQ) {
		vector = s->vector_base + chip_inta(s, false);
		chip_ack(m, irq);
		/*
		 * The slave's INT falls during the acknowledge: a request it
		 * still has (auto-EOI) is a new edge at the master's input 2.
		 */
		m->lines &= ~(1u << HVX_PIC_CASCADE_IRQ);
	} else {
		vector = m->vector_base + chip_inta(m, true);
	}
	update_cascade(pic);
	return vector;
}

static u8 poll(struct hvx_pic_core *pic, int chip)
{
	struct hvx_pic_chip *c = &pic->chip[chip];
	int irq = chip_request(c, !chip);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, irq);
	if (chip)	/* as at INTA: the slave's INT falls */
		pic->chip[0].lines &= ~(1u << HVX_PIC_CASCADE_IRQ);
	update_cascade(pic);
	return 0x80 | irq;
}

static void write_icw1(struct hvx_pic_chip *c, u8 val)
{
	c->isr = 0;
	c->imr = 0;
	c->irr &= level_mask(c);	/* edges are forgotten */
	c->lowest = 7;
	c->special_mask = false;
	c->poll = false;
	c->read_isr = false;
	c->rotate_aeoi = false;
	c->icw4 = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->ltim = val & ICW1_LTIM;
	/* Without ICW4, its bits are 0 (datasheet: "ICW4 ... all 0"). */
	if (!c->icw4) {
		c->auto_eoi = false;
		c->sfnm = false;
	}
	/* The inputs' present levels are what the next edges compare with. */
	c->irr |= c->lines & level_mask(c);
	c->init_state = 2;
}

static void write_ocw2(struct hvx_pic_chip *c, u8 val)
{
	int irq, p;

	switch (val >> 5) {
	case 0:			/* rotate in auto-EOI mode: clear */
	case 4:			/* rotate in auto-EOI mode: set */
		c->rotate_aeoi = val & 0x80;
		break;
	case 1:			/* non-specific EOI */
	case 5:			/* rotate on non-specific EOI */
		p = priority(c, c->isr);
		if (p == NO_IRQ)
			break;
		irq = input_of(c, p);
		c->isr &= ~(1u << irq);
		if (val & 0x80)
			c->lowest = irq;
		break;
	case 3:			/* specific EOI */
		c->isr &= ~(1u << (val & 7));
		break;
	case 6:			/* set priority */
		c->lowest = val & 7;
		break;
	case 7:			/* rotate on specific EOI */
		c->isr &= ~(1u << (val & 7));
		c->lowest = val & 7;
		break;
	default:		/* 2: no operation */
		break;
	}
}

static void write_ocw3(struct hvx_pic_chip *c, u8 val)
{
	if (val & OCW3_POLL)
		c->poll = true;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
}

static void write_data(struct hvx_pic_chip *c, u8 val)
{
	switch (c->init_state) {
	case 2:			/* ICW2 */
		c->vector_base = val & 0xf8;
		c->init_state = c->single ? (c->icw4 ? 4 : 0) : 3;
		break;
	case 3:			/* ICW3: the wiring is fixed */
		c->init_state = c->icw4 ? 4 : 0;
		break;
	case 4:			/* ICW4 */
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_state = 0;
		break;
	default:		/* OCW1 */
		c->imr = val;
		break;
	}
}

u8 hvx_pic_core_read(struct hvx_pic_core *pic, u16 port)
{
	int chip = port == HVX_PIC_SLAVE_PORT || port == HVX_PIC_SLAVE_PORT + 1;
	struct hvx_pic_chip *c = &pic->chip[chip];

	switch (port) {
	case HVX_PIC_ELCR_PORT:
	case HVX_PIC_ELCR_PORT + 1:
		return pic->chip[port & 1].elcr;
	case HVX_PIC_MASTER_PORT:
	case HVX_PIC_SLAVE_PORT:
		if (c->poll)
			return poll(pic, chip);
		return c->read_isr ? c->isr : c->irr;
	case HVX_PIC_MASTER_PORT + 1:
	case HVX_PIC_SLAVE_PORT + 1:
		if (c->poll)
			return poll(pic, chip);
		return c->imr;
	}
	return 0xff;
}

void hvx_pic_core_write(struct hvx_pic_core *pic, u16 port, u8 val)
{
	int chip = port == HVX_PIC_SLAVE_PORT || port == HVX_PIC_SLAVE_PORT + 1;
	struct hvx_pic_chip *c = &pic->chip[chip];

	switch (port) {
	case HVX_PIC_ELCR_PORT:
	case HVX_PIC_ELCR_PORT + 1:
		c = &pic->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		/* A level input that is high requests at once. */
		c->irr |= c->lines & c->elcr;
		break;
	case HVX_PIC_MASTER_PORT:
	case HVX_PIC_SLAVE_PORT:
		if (val & ICW1)
			write_icw1(c, val);
		else if (val & OCW3)
			write_ocw3(c, val);
		else
			write_ocw2(c, val);
		break;
	case HVX_PIC_MASTER_PORT + 1:
	case HVX_PIC_SLAVE_PORT + 1:
		write_data(c, val);
		break;
	default:
		return;
	}
	update_cascade(pic);
}
