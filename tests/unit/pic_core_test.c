// SPDX-License-Identifier: GPL-2.0
/*
 * Cases for kmod/pic_core.c, the 8259A pair: programmed as Linux's
 * init_8259A() does (ICW1 0x11, ICW2 0x30/0x38, ICW3 4/2, ICW4 1), then
 * masks, priorities and rotation, the EOIs, auto-EOI, the cascade, edge
 * and level (ELCR) inputs, poll, the spurious IRQ 7 and 15 vectors.
 */
#include <linux/types.h>

#include "pic_core.h"
#include "unit.h"

#define M	HVX_PIC_MASTER_PORT
#define S	HVX_PIC_SLAVE_PORT
#define ELCR	HVX_PIC_ELCR_PORT

static void init(struct hvx_pic_core *p, u8 icw4)
{
	hvx_pic_core_reset(p);
	hvx_pic_core_write(p, M, 0x11);
	hvx_pic_core_write(p, M + 1, 0x30);
	hvx_pic_core_write(p, M + 1, 1 << 2);
	hvx_pic_core_write(p, M + 1, icw4);
	hvx_pic_core_write(p, S, 0x11);
	hvx_pic_core_write(p, S + 1, 0x38);
	hvx_pic_core_write(p, S + 1, 2);
	hvx_pic_core_write(p, S + 1, icw4);
}

static void pulse(struct hvx_pic_core *p, unsigned int irq)
{
	hvx_pic_core_set_irq(p, irq, true);
	hvx_pic_core_set_irq(p, irq, false);
}

static void eoi(struct hvx_pic_core *p, unsigned int irq)
{
	if (irq >= 8) {
		hvx_pic_core_write(p, S, 0x60 | (irq & 7));
		irq = 2;
	}
	hvx_pic_core_write(p, M, 0x60 | irq);
}

static void init_cases(void)
{
	struct hvx_pic_core p;
	struct tcase tc;

	case_begin(&tc);
	init(&p, 1);
	check(&tc, hvx_pic_core_read(&p, M + 1) == 0, "imr %#x",
	      hvx_pic_core_read(&p, M + 1));
	check(&tc, !hvx_pic_core_output(&p), "INT up after init");
	hvx_pic_core_write(&p, M + 1, 0xff);
	hvx_pic_core_write(&p, S + 1, 0xff);
	check(&tc, hvx_pic_core_read(&p, M + 1) == 0xff &&
	      hvx_pic_core_read(&p, S + 1) == 0xff, "masks do not read back");
	pulse(&p, 4);
	check(&tc, !hvx_pic_core_output(&p), "masked IRQ 4 raises INT");
	check(&tc, hvx_pic_core_read(&p, M) == 0x10, "IRR %#x",
	      hvx_pic_core_read(&p, M));
	hvx_pic_core_write(&p, M + 1, 0xef);
	check(&tc, hvx_pic_core_output(&p), "unmasking a latched edge");
	check(&tc, hvx_pic_core_ack(&p) == 0x34, "vector != base + 4");
	check(&tc, !hvx_pic_core_output(&p), "INT up after the ack");
	hvx_pic_core_write(&p, M, 0x0b);	/* OCW3: read ISR */
	check(&tc, hvx_pic_core_read(&p, M) == 0x10, "ISR %#x",
	      hvx_pic_core_read(&p, M));
	hvx_pic_core_write(&p, M, 0x20);	/* non-specific EOI */
	check(&tc, hvx_pic_core_read(&p, M) == 0, "ISR after EOI");
	hvx_pic_core_write(&p, M, 0x0a);	/* read IRR */
	check(&tc, hvx_pic_core_read(&p, M) == 0, "IRR after ack");
	case_end(&tc, "pic: ICW1-4, mask, ack, ISR/IRR reads, EOI");

	case_begin(&tc);
	init(&p, 1);
	hvx_pic_core_set_irq(&p, 3, true);
	hvx_pic_core_write(&p, M, 0x11);	/* re-init: edge forgotten */
	hvx_pic_core_write(&p, M + 1, 0x50);
	hvx_pic_core_write(&p, M + 1, 4);
	hvx_pic_core_write(&p, M + 1, 1);
	check(&tc, !hvx_pic_core_output(&p), "edge kept across ICW1");
	hvx_pic_core_set_irq(&p, 3, true);
	check(&tc, !hvx_pic_core_output(&p), "a held line is a new edge");
	hvx_pic_core_set_irq(&p, 3, false);
	pulse(&p, 3);
	check(&tc, hvx_pic_core_ack(&p) == 0x53, "ICW2 base not taken");
	case_end(&tc, "pic: ICW1 resets the edge sense; a new ICW2 base");

	case_begin(&tc);
	hvx_pic_core_reset(&p);
	hvx_pic_core_write(&p, M, 0x13);	/* single, ICW4: no ICW3 */
	hvx_pic_core_write(&p, M + 1, 0x08);
	hvx_pic_core_write(&p, M + 1, 0x01);	/* ICW4 */
	hvx_pic_core_write(&p, M + 1, 0xfe);	/* OCW1, not an ICW */
	check(&tc, hvx_pic_core_read(&p, M + 1) == 0xfe, "imr %#x",
	      hvx_pic_core_read(&p, M + 1));
	case_end(&tc, "pic: single mode skips ICW3");
}

static void priority_cases(void)
{
	struct hvx_pic_core p;
	struct tcase tc;

	case_begin(&tc);
	init(&p, 1);
	pulse(&p, 6);
	pulse(&p, 3);
	check(&tc, hvx_pic_core_ack(&p) == 0x33, "3 before 6");
	check(&tc, !hvx_pic_core_output(&p), "6 interrupts 3");
	pulse(&p, 1);
	check(&tc, hvx_pic_core_output(&p), "1 does not preempt 3");
	check(&tc, hvx_pic_core_ack(&p) == 0x31, "not 1");
	eoi(&p, 1);
	check(&tc, !hvx_pic_core_output(&p), "6 before 3's EOI");
	hvx_pic_core_write(&p, M, 0x20);	/* non-specific: 3 */
	check(&tc, hvx_pic_core_ack(&p) == 0x36, "6 after 3's EOI");
	eoi(&p, 6);
	case_end(&tc, "pic: fully nested priorities, specific and non-specific EOI");

	case_begin(&tc);
	init(&p, 1);
	hvx_pic_core_write(&p, M, 0xc4);	/* set priority: 4 lowest */
	pulse(&p, 4);
	pulse(&p, 5);
	check(&tc, hvx_pic_core_ack(&p) == 0x35, "5 not highest");
	hvx_pic_core_write(&p, M, 0xa0);	/* rotate on non-specific EOI */
	/* 5 is now the lowest: 6, 7, 0, ... 4, 5. */
	pulse(&p, 5);
	check(&tc, hvx_pic_core_ack(&p) == 0x34, "4 not before 5");
	hvx_pic_core_write(&p, M, 0xe4);	/* rotate on specific EOI 4 */
	check(&tc, hvx_pic_core_ack(&p) == 0x35, "5 lost");
	hvx_pic_core_write(&p, M, 0x20);
	pulse(&p, 4);
	pulse(&p, 5);
	check(&tc, hvx_pic_core_ack(&p) == 0x35, "after 4 lowest, 5 first");
	case_end(&tc, "pic: set priority, rotate on EOI");

	case_begin(&tc);
	init(&p, 1);
	pulse(&p, 3);
	hvx_pic_core_write(&p, M + 1, 0x08);	/* mask 3 */
	check(&tc, !hvx_pic_core_output(&p), "masked 3 requests");
	pulse(&p, 5);
	check(&tc, hvx_pic_core_ack(&p) == 0x35, "not 5");
	pulse(&p, 7);
	check(&tc, !hvx_pic_core_output(&p), "7 under 5");
	hvx_pic_core_write(&p, M + 1, 0x28);	/* mask 5, in service */
	hvx_pic_core_write(&p, M, 0x68);	/* special mask on */
	check(&tc, hvx_pic_core_output(&p), "special mask: 7 held back");
	check(&tc, hvx_pic_core_ack(&p) == 0x37, "not 7");
	hvx_pic_core_write(&p, M, 0x48);	/* special mask off */
	case_end(&tc, "pic: special mask mode lets lower priorities in");
}

static void mode_cases(void)
{
	struct hvx_pic_core p;
	struct tcase tc;
	u8 v;

	case_begin(&tc);
	init(&p, 3);				/* ICW4: 8086, AEOI */
	pulse(&p, 0);
	check(&tc, hvx_pic_core_ack(&p) == 0x30, "not 0");
	hvx_pic_core_write(&p, M, 0x0b);
	check(&tc, hvx_pic_core_read(&p, M) == 0, "AEOI sets ISR");
	pulse(&p, 1);
	pulse(&p, 0);
	check(&tc, hvx_pic_core_ack(&p) == 0x30 && hvx_pic_core_ack(&p) == 0x31,
	      "AEOI order");
	hvx_pic_core_write(&p, M, 0x80);	/* rotate in AEOI */
	pulse(&p, 0);
	pulse(&p, 1);
	check(&tc, hvx_pic_core_ack(&p) == 0x30, "not 0 first");
	pulse(&p, 0);
	check(&tc, hvx_pic_core_ack(&p) == 0x31, "0 not rotated to lowest");
	case_end(&tc, "pic: auto-EOI, with rotation");

	case_begin(&tc);
	init(&p, 1);
	hvx_pic_core_write(&p, ELCR + 1, 0xff);
	hvx_pic_core_write(&p, ELCR, 0xff);
	check(&tc, hvx_pic_core_read(&p, ELCR) == 0xf8 &&
	      hvx_pic_core_read(&p, ELCR + 1) == 0xde, "ELCR %#x %#x",
	      hvx_pic_core_read(&p, ELCR), hvx_pic_core_read(&p, ELCR + 1));
	hvx_pic_core_set_irq(&p, 9, true);	/* the SCI, level */
	check(&tc, hvx_pic_core_ack(&p) == 0x39, "not 9");
	eoi(&p, 9);
	check(&tc, hvx_pic_core_output(&p), "a held level does not request again");
	check(&tc, hvx_pic_core_ack(&p) == 0x39, "not 9 again");
	hvx_pic_core_set_irq(&p, 9, false);
	eoi(&p, 9);
	check(&tc, !hvx_pic_core_output(&p), "a dropped level requests");
	hvx_pic_core_set_irq(&p, 5, true);
	hvx_pic_core_set_irq(&p, 5, false);
	check(&tc, !hvx_pic_core_output(&p), "level 5 latched like an edge");
	hvx_pic_core_set_irq(&p, 1, true);	/* IRQ 1: always an edge */
	check(&tc, hvx_pic_core_ack(&p) == 0x31, "edge 1");
	eoi(&p, 1);
	check(&tc, !hvx_pic_core_output(&p), "edge 1 again without an edge");
	case_end(&tc, "pic: ELCR level inputs, edge inputs, ELCR masks");

	case_begin(&tc);
	init(&p, 1);
	hvx_pic_core_set_irq(&p, 10, true);
	hvx_pic_core_set_irq(&p, 10, false);
	check(&tc, hvx_pic_core_output(&p), "slave request not cascaded");
	hvx_pic_core_write(&p, M, 0x0a);
	check(&tc, hvx_pic_core_read(&p, M) == 0x04, "master IRR %#x",
	      hvx_pic_core_read(&p, M));
	pulse(&p, 3);
	check(&tc, hvx_pic_core_ack(&p) == 0x3a, "10 (via 2) before 3");
	hvx_pic_core_write(&p, M, 0x0b);
	hvx_pic_core_write(&p, S, 0x0b);
	check(&tc, hvx_pic_core_read(&p, M) == 0x04 &&
	      hvx_pic_core_read(&p, S) == 0x04, "ISRs %#x %#x",
	      hvx_pic_core_read(&p, M), hvx_pic_core_read(&p, S));
	pulse(&p, 8);
	check(&tc, !hvx_pic_core_output(&p), "8 through the cascade in service");
	eoi(&p, 10);
	check(&tc, hvx_pic_core_ack(&p) == 0x38, "8 after 10's EOIs");
	eoi(&p, 8);
	check(&tc, hvx_pic_core_ack(&p) == 0x33, "3 after");
	hvx_pic_core_write(&p, S + 1, 0x10);	/* mask 12 */
	pulse(&p, 12);
	check(&tc, !hvx_pic_core_output(&p), "masked slave input requests");
	case_end(&tc, "pic: the cascade on input 2, both chips in service");

	case_begin(&tc);
	init(&p, 1);
	hvx_pic_core_write(&p, ELCR, 0x20);
	hvx_pic_core_set_irq(&p, 5, true);
	hvx_pic_core_set_irq(&p, 5, false);	/* gone before INTA */
	check(&tc, hvx_pic_core_ack(&p) == 0x37, "not the spurious 7");
	hvx_pic_core_write(&p, M, 0x0b);
	check(&tc, hvx_pic_core_read(&p, M) == 0, "spurious 7 in service");
	hvx_pic_core_write(&p, ELCR + 1, 0x02);
	hvx_pic_core_set_irq(&p, 9, true);
	check(&tc, hvx_pic_core_output(&p), "9 not up");
	hvx_pic_core_set_irq(&p, 9, false);
	/* The master's input 2 latched the edge; the slave has nothing. */
	check(&tc, hvx_pic_core_ack(&p) == 0x3f, "not the spurious 15");
	hvx_pic_core_write(&p, S, 0x0b);
	check(&tc, hvx_pic_core_read(&p, M) == 0x04 &&
	      hvx_pic_core_read(&p, S) == 0, "ISRs after 15: %#x %#x",
	      hvx_pic_core_read(&p, M), hvx_pic_core_read(&p, S));
	case_end(&tc, "pic: spurious IRQ 7 and 15");

	case_begin(&tc);
	init(&p, 1);
	hvx_pic_core_write(&p, M, 0x0c);	/* poll */
	check(&tc, hvx_pic_core_read(&p, M) == 0, "poll without a request");
	pulse(&p, 6);
	hvx_pic_core_write(&p, M, 0x0c);
	v = hvx_pic_core_read(&p, M + 1);
	check(&tc, v == 0x86, "poll byte %#x", v);
	check(&tc, !hvx_pic_core_output(&p), "poll did not acknowledge");
	hvx_pic_core_write(&p, M, 0x0b);
	check(&tc, hvx_pic_core_read(&p, M) == 0x40, "ISR after poll");
	check(&tc, hvx_pic_core_read(&p, M + 1) == 0, "the poll stays on");
	case_end(&tc, "pic: poll command");

	case_begin(&tc);
	hvx_pic_core_reset(&p);
	hvx_pic_core_set_irq(&p, 2, true);	/* the cascade: no input */
	hvx_pic_core_set_irq(&p, 16, true);
	hvx_pic_core_set_irq(&p, ~0u, true);
	check(&tc, !hvx_pic_core_output(&p), "bad inputs reached INT");
	check(&tc, hvx_pic_core_read(&p, 0x22) == 0xff, "port 0x22");
	hvx_pic_core_write(&p, 0x22, 0x11);
	check(&tc, hvx_pic_core_read(&p, M) == 0, "0x22 wrote the PIC");
	case_end(&tc, "pic: inputs and ports beyond the chips");
}

void pic_core_tests(void)
{
	init_cases();
	priority_cases();
	mode_cases();
}
