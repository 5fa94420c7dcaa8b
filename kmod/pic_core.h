/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's pair of 8259A programmable interrupt controllers, as a state
 * machine (Intel 8259A datasheet, order 231468; the PIIX/ICH ELCR). The
 * master takes ISA IRQs 0-7, the slave IRQs 8-15, and the slave's INT
 * output is the master's input 2 (the cascade). pic.c puts it on the port
 * bus, locks it and wires the master's INT to the local APICs' LINT0.
 *
 * This file and pic_core.c use nothing but <linux/types.h>, so that
 * tests/unit/ can build them in user space. The caller serializes every
 * call on one struct hvx_pic_core.
 */
#ifndef HVX_PIC_CORE_H
#define HVX_PIC_CORE_H

#include <linux/types.h>

#define HVX_PIC_MASTER_PORT	0x20	/* command 0x20, data 0x21 */
#define HVX_PIC_SLAVE_PORT	0xa0	/* command 0xa0, data 0xa1 */
#define HVX_PIC_ELCR_PORT	0x4d0	/* master 0x4d0, slave 0x4d1 */
#define HVX_PIC_CASCADE_IRQ	2
#define HVX_PIC_IRQS		16

/* One 8259A. */
struct hvx_pic_chip {
	u8 irr;			/* interrupt request register */
	u8 isr;			/* in-service register */
	u8 imr;			/* interrupt mask register (OCW1) */
	u8 lines;		/* input levels, for edge detection */
	u8 elcr;		/* 1: level-triggered input (ELCR) */
	u8 elcr_mask;		/* the ELCR bits that exist */
	u8 vector_base;		/* ICW2, bits 7:3 */
	u8 lowest;		/* the input with the lowest priority (rotation) */
	u8 init_state;		/* the next ICW expected at the data port: 0 none */
	bool icw4;		/* ICW1 IC4: an ICW4 follows */
	bool single;		/* ICW1 SNGL: no ICW3 */
	bool ltim;		/* ICW1 LTIM: every input level-triggered */
	bool auto_eoi;		/* ICW4 AEOI */
	bool rotate_aeoi;	/* OCW2 R with AEOI: rotate on auto-EOI */
	bool sfnm;		/* ICW4 SFNM: special fully nested mode */
	bool special_mask;	/* OCW3 SMM */
	bool poll;		/* OCW3 P: the next read is the poll byte */
	bool read_isr;		/* OCW3 RR/RIS: the command port reads ISR */
};

struct hvx_pic_core {
	struct hvx_pic_chip chip[2];	/* [0] master, [1] slave */
};

/* The state at power-on: uninitialized, everything unmasked, edge. */
void hvx_pic_core_reset(struct hvx_pic_core *pic);
/* Drive ISA IRQ @irq (0-15 but 2, the cascade) to @level. */
void hvx_pic_core_set_irq(struct hvx_pic_core *pic, unsigned int irq,
			  bool level);
/*
 * A byte access at @port: 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 (others
 * read 0xff and take no write).
 */
u8 hvx_pic_core_read(struct hvx_pic_core *pic, u16 port);
void hvx_pic_core_write(struct hvx_pic_core *pic, u16 port, u8 val);
/* The master's INT output: an unmasked request above the one in service. */
bool hvx_pic_core_output(struct hvx_pic_core *pic);
/*
 * The CPU's interrupt acknowledge cycle (INTA): the vector of the
 * highest-priority request, moved from IRR to ISR (unless auto-EOI), or
 * the spurious IRQ 7 (15) vector if the request went away meanwhile.
 */
u8 hvx_pic_core_ack(struct hvx_pic_core *pic);

#endif /* HVX_PIC_CORE_H */
