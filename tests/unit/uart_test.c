// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's COM1: the 16550A model (uart.c), driven the
 * way Linux's 8250 driver drives it, the Ctrl-A escape parser of the
 * console (console.c), and the port (serial.c) with the console
 * thread, against a fake VM: this file stands in for vm.c's
 * vmctl_vm_add_pio() and vmctl_vm_irq_line().
 *
 *   uart_test
 *
 * Prints TAP, in the format of unit_test.c, and exits non-zero if any
 * case failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/console.h"
#include "hw/serial.h"
#include "hw/uart.h"
#include "unit.h"
#include "core/vm.h"

/* --- a UART with recording callbacks ----------------------------------- */

struct rig {
	struct uart u;
	uint8_t tx[1024];
	size_t ntx;
	int level[1024];
	size_t nlevel;
};

static void rig_tx(void *opaque, uint8_t byte)
{
	struct rig *r = opaque;

	if (r->ntx < sizeof(r->tx))
		r->tx[r->ntx] = byte;
	r->ntx++;
}

static void rig_irq(void *opaque, int level)
{
	struct rig *r = opaque;

	if (r->nlevel < ARRAY_SIZE(r->level))
		r->level[r->nlevel] = level;
	r->nlevel++;
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	uart_init(&r->u, rig_tx, rig_irq, r);
}

static uint8_t in(struct rig *r, unsigned int reg)
{
	return uart_read(&r->u, reg);
}

static void out(struct rig *r, unsigned int reg, uint8_t val)
{
	uart_write(&r->u, reg, val);
}

/* One read of @reg, compared with @want: reads have side effects. */
static void check_reg(struct tcase *tc, struct rig *r, unsigned int reg,
		      uint8_t want, const char *what)
{
	uint8_t val = in(r, reg);

	check(tc, val == want, "%s: register %u reads %#x, want %#x", what,
	      reg, val, want);
}

/* The line is reported on changes only: 1, 0, 1, ... from a low start. */
static void check_edges(struct tcase *tc, const struct rig *r)
{
	size_t i;

	for (i = 0; i < r->nlevel && i < ARRAY_SIZE(r->level); i++)
		check(tc, r->level[i] == !(i & 1),
		      "irq call %zu: level %d, the line was already there", i,
		      r->level[i]);
}

static int irq_line(const struct rig *r)
{
	return r->nlevel ? r->level[(r->nlevel - 1) % ARRAY_SIZE(r->level)] : 0;
}

/* --- Linux's 8250 driver, as far as it probes and starts a port -------- */

#define UART_EFR		2	/* with LCR = 0xbf, on the chips that have it */
#define UART_LCR_CONF_MODE_A	0x80
#define UART_LCR_CONF_MODE_B	0xbf
#define UART_LCR_WLEN8		0x03
#define UART_FCR7_64BYTE	0x20
#define UART_IER_UUE		0x40

/*
 * size_fifo(): fill the FIFO in loopback at full speed and count what
 * comes back; 64 would make it a U6_16550A.
 */
static int linux_size_fifo(struct rig *r)
{
	uint8_t old_fcr, old_mcr, old_lcr, dll, dlm;
	int count;

	old_lcr = in(r, UART_LCR);
	out(r, UART_LCR, 0);
	old_fcr = in(r, UART_FCR);	/* sic: reads IIR */
	old_mcr = in(r, UART_MCR);
	out(r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX | UART_FCR_CLR_TX);
	out(r, UART_MCR, UART_MCR_LOOP);
	out(r, UART_LCR, UART_LCR_CONF_MODE_A);
	dll = in(r, UART_DLL);
	dlm = in(r, UART_DLM);
	out(r, UART_DLL, 1);
	out(r, UART_DLM, 0);
	out(r, UART_LCR, UART_LCR_WLEN8);
	for (count = 0; count < 256; count++)
		out(r, UART_THR, count);
	for (count = 0; (in(r, UART_LSR) & UART_LSR_DR) && count < 256; count++)
		in(r, UART_RBR);
	out(r, UART_FCR, old_fcr);
	out(r, UART_MCR, old_mcr);
	out(r, UART_LCR, UART_LCR_CONF_MODE_A);
	out(r, UART_DLL, dll);
	out(r, UART_DLM, dlm);
	out(r, UART_LCR, old_lcr);
	return count;
}

/* autoconfig_16550a() with CONFIG_SERIAL_8250_16550A_VARIANTS=y (Debian). */
static const char *linux_autoconfig_16550a(struct rig *r)
{
	uint8_t status1, status2, iersave;

	out(r, UART_LCR, UART_LCR_CONF_MODE_A);
	if (in(r, UART_EFR) == 0)
		return "16650 or 16550A_FSL64 (EFR with DLAB)";
	out(r, UART_LCR, UART_LCR_CONF_MODE_B);
	if (in(r, UART_EFR) == 0)
		return "EFRv2 (16650V2/16850/TI16C752)";

	/* National Semiconductor SuperIO: EXCR1 in bank 2 mirrors LOOP. */
	out(r, UART_LCR, 0);
	status1 = in(r, UART_MCR);
	out(r, UART_LCR, 0xe0);
	status2 = in(r, 0x02);
	if (!((status2 ^ status1) & UART_MCR_LOOP)) {
		out(r, UART_LCR, 0);
		out(r, UART_MCR, status1 ^ UART_MCR_LOOP);
		out(r, UART_LCR, 0xe0);
		status2 = in(r, 0x02);
		out(r, UART_LCR, 0);
		out(r, UART_MCR, status1);
		if ((status2 ^ status1) & UART_MCR_LOOP)
			return "NS16550A";
	}

	/* TI16750: IIR bit 5 follows FCR bit 5 only with DLAB set. */
	out(r, UART_LCR, 0);
	out(r, UART_FCR, UART_FCR_ENABLE | UART_FCR7_64BYTE);
	status1 = in(r, UART_IIR) & 0xe0;
	out(r, UART_FCR, UART_FCR_ENABLE);
	out(r, UART_LCR, UART_LCR_CONF_MODE_A);
	out(r, UART_FCR, UART_FCR_ENABLE | UART_FCR7_64BYTE);
	status2 = in(r, UART_IIR) & 0xe0;
	out(r, UART_FCR, UART_FCR_ENABLE);
	out(r, UART_LCR, 0);
	if (status1 == 0xc0 && status2 == 0xe0)
		return "16750";

	/* XScale: IER bit 6 (UUE) sticks. */
	iersave = in(r, UART_IER);
	out(r, UART_IER, iersave & ~UART_IER_UUE);
	if (!(in(r, UART_IER) & UART_IER_UUE)) {
		out(r, UART_IER, iersave | UART_IER_UUE);
		if (in(r, UART_IER) & UART_IER_UUE)
			return "XScale";
	} else {
		return "XScale (UUE stuck)";
	}
	out(r, UART_IER, iersave);

	if (linux_size_fifo(r) == 64)
		return "U6_16550A";
	return "16550A";
}

/* autoconfig(): what type Linux decides the port is, or why it gave up. */
static const char *linux_autoconfig(struct rig *r, struct tcase *tc)
{
	uint8_t scratch, scratch2, scratch3, save_mcr, save_lcr, status1;
	const char *type;

	scratch = in(r, UART_IER);
	out(r, UART_IER, 0);
	scratch2 = in(r, UART_IER) & 0x0f;
	out(r, UART_IER, 0x0f);
	scratch3 = in(r, UART_IER) & 0x0f;
	out(r, UART_IER, scratch);
	if (scratch2 != 0 || scratch3 != 0x0f)
		return "nothing (IER test)";

	save_mcr = in(r, UART_MCR);
	save_lcr = in(r, UART_LCR);
	out(r, UART_MCR, UART_MCR_LOOP | 0x0a);
	status1 = in(r, UART_MSR) & 0xf0;
	out(r, UART_MCR, save_mcr);
	if (status1 != 0x90)
		return "nothing (loopback test)";

	out(r, UART_LCR, UART_LCR_CONF_MODE_B);
	out(r, UART_EFR, 0);
	out(r, UART_LCR, 0);
	out(r, UART_FCR, UART_FCR_ENABLE);
	switch (in(r, UART_IIR) >> 6) {
	case 0:
		type = "8250/16450";
		break;
	case 1:
		type = "unknown";
		break;
	case 2:
		type = "16550 (broken FIFO)";
		break;
	default:
		type = linux_autoconfig_16550a(r);
		break;
	}
	out(r, UART_LCR, save_lcr);

	/* Reset: serial8250_clear_fifos(), read RX, clear IER. */
	out(r, UART_MCR, save_mcr);
	out(r, UART_FCR, UART_FCR_ENABLE);
	out(r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX | UART_FCR_CLR_TX);
	out(r, UART_FCR, 0);
	in(r, UART_RBR);
	out(r, UART_IER, 0);
	check(tc, in(r, UART_LCR) == save_lcr && in(r, UART_MCR) == save_mcr,
	      "LCR/MCR not restored: %#x %#x", in(r, UART_LCR),
	      in(r, UART_MCR));
	return type;
}

/*
 * serial8250_do_startup() for an ISA port with an IRQ: the THRE test
 * (UART_BUG_THRE) and the TXEN test (UART_BUG_TXEN), then the IER of
 * normal operation. Returns the bugs found, as text.
 */
static const char *linux_startup(struct rig *r, struct tcase *tc)
{
	uint8_t iir1, iir, lsr;
	const char *bugs = "none";

	out(r, UART_FCR, UART_FCR_ENABLE);
	out(r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX | UART_FCR_CLR_TX);
	out(r, UART_FCR, 0);
	out(r, UART_FCR, UART_FCR_ENABLE | 0x80);	/* 16550A: trigger 8 */
	in(r, UART_LSR);
	in(r, UART_RBR);
	in(r, UART_IIR);
	in(r, UART_MSR);
	check(tc, in(r, UART_LSR) != 0xff, "LSR reads 0xff: no UART");
	out(r, UART_LCR, UART_LCR_WLEN8);

	check(tc, in(r, UART_LSR) & UART_LSR_THRE, "THR not empty");
	out(r, UART_IER, UART_IER_THRI);
	iir1 = in(r, UART_IIR);
	out(r, UART_IER, 0);
	out(r, UART_IER, UART_IER_THRI);
	iir = in(r, UART_IIR);
	out(r, UART_IER, 0);
	if ((!(iir1 & UART_IIR_NO_INT) && (iir & UART_IIR_NO_INT)))
		bugs = "THRE (not reasserted)";
	check(tc, iir1 == 0xc2 && iir == 0xc2,
	      "THRE test: IIR %#x then %#x, want 0xc2 twice", iir1, iir);

	out(r, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);

	out(r, UART_IER, UART_IER_THRI);
	lsr = in(r, UART_LSR);
	iir = in(r, UART_IIR);
	out(r, UART_IER, 0);
	if ((lsr & UART_LSR_TEMT) && (iir & UART_IIR_NO_INT))
		bugs = "TXEN";

	in(r, UART_LSR);
	in(r, UART_RBR);
	in(r, UART_IIR);
	in(r, UART_MSR);
	out(r, UART_IER, UART_IER_RLSI | UART_IER_RDI);
	return bugs;
}

/*
 * serial8250_interrupt() for the one port on the IRQ: handle until IIR
 * says no interrupt; the handler sends up to 16 bytes per THRE and stops
 * THRI when it has nothing left. Returns the bytes received.
 */
static size_t linux_isr(struct rig *r, const char **txq, uint8_t *rx, size_t rxmax)
{
	size_t nrx = 0;
	uint8_t iir, lsr;
	int pass, i;

	for (pass = 0; pass < 512; pass++) {
		iir = in(r, UART_IIR);
		if (iir & UART_IIR_NO_INT)
			break;
		lsr = in(r, UART_LSR);
		while ((lsr & UART_LSR_DR) && nrx < rxmax) {
			rx[nrx++] = in(r, UART_RBR);
			lsr = in(r, UART_LSR);
		}
		if ((lsr & UART_LSR_THRE) && (r->u.ier & UART_IER_THRI)) {
			for (i = 0; i < 16 && **txq; i++)
				out(r, UART_THR, *(*txq)++);
			if (!**txq)
				out(r, UART_IER, in(r, UART_IER) & ~UART_IER_THRI);
		}
	}
	return nrx;
}

/* --- the UART model ---------------------------------------------------- */

static void test_reset(void)
{
	struct tcase tc;
	struct rig r;

	case_begin(&tc);
	rig_init(&r);
	check(&tc, in(&r, UART_IER) == 0, "IER %#x", in(&r, UART_IER));
	check_reg(&tc, &r, UART_IIR, 0x01, "IIR");
	check(&tc, in(&r, UART_LCR) == 0, "LCR %#x", in(&r, UART_LCR));
	check(&tc, in(&r, UART_MCR) == 0, "MCR %#x", in(&r, UART_MCR));
	check_reg(&tc, &r, UART_LSR, 0x60, "LSR");
	check_reg(&tc, &r, UART_MSR, 0xb0, "MSR: DCD|DSR|CTS");
	check(&tc, uart_rx_room(&r.u) == 1, "16450 mode holds one byte, room %zu",
	      uart_rx_room(&r.u));
	check(&tc, r.nlevel == 0 && r.ntx == 0, "callbacks at reset");
	case_end(&tc, "uart: reset state");
}

static void test_linux_autoconfig(void)
{
	struct tcase tc;
	const char *type;
	struct rig r;
	uint8_t s1, s2;

	case_begin(&tc);
	rig_init(&r);
	type = linux_autoconfig(&r, &tc);
	check(&tc, !strcmp(type, "16550A"), "detected as %s", type);
	/* autoconfig_8250()'s scratch test, for the 16450 path. */
	out(&r, UART_SCR, 0xa5);
	s1 = in(&r, UART_SCR);
	out(&r, UART_SCR, 0x5a);
	s2 = in(&r, UART_SCR);
	check(&tc, s1 == 0xa5 && s2 == 0x5a, "scratch %#x %#x", s1, s2);
	check(&tc, r.ntx == 0, "%zu bytes transmitted by loopback probes", r.ntx);
	check(&tc, r.nlevel == 0, "IRQ raised while OUT2 was off");
	check_reg(&tc, &r, UART_LSR, 0x60, "LSR after probe (OE left?)");
	case_end(&tc, "uart: Linux 8250 autoconfig finds a 16550A");
}

static void test_linux_startup(void)
{
	struct tcase tc;
	const char *bugs;
	struct rig r;

	case_begin(&tc);
	rig_init(&r);
	linux_autoconfig(&r, &tc);
	bugs = linux_startup(&r, &tc);
	check(&tc, !strcmp(bugs, "none"), "Linux would flag UART_BUG_%s", bugs);
	check_reg(&tc, &r, UART_IIR, 0xc1, "IIR in normal operation");
	check_edges(&tc, &r);
	check(&tc, irq_line(&r) == 0, "IRQ left high after startup");
	case_end(&tc, "uart: Linux startup: THRE reasserted, no TXEN bug");
}

static void test_linux_interrupt_io(void)
{
	static const char msg[] =
		"Debian GNU/Linux 12 debian ttyS0\r\n\r\ndebian login: ";
	const char *txq = msg;
	uint8_t rx[64];
	struct tcase tc;
	struct rig r;
	size_t nrx, irqs_before;

	case_begin(&tc);
	rig_init(&r);
	linux_autoconfig(&r, &tc);
	linux_startup(&r, &tc);
	r.ntx = 0;

	/* start_tx(): enable THRI, which interrupts at once. */
	irqs_before = r.nlevel;
	out(&r, UART_IER, in(&r, UART_IER) | UART_IER_THRI);
	check(&tc, irq_line(&r) == 1, "no IRQ on enabling THRI");
	while (irq_line(&r) == 1 && *txq)
		linux_isr(&r, &txq, rx, sizeof(rx));
	check(&tc, r.ntx == strlen(msg) && !memcmp(r.tx, msg, strlen(msg)),
	      "sent %zu of %zu bytes", r.ntx, strlen(msg));
	check(&tc, irq_line(&r) == 0, "IRQ high with nothing left to do");
	check(&tc, !(in(&r, UART_IER) & UART_IER_THRI), "THRI still on");
	check(&tc, r.nlevel - irqs_before >= 2 * (strlen(msg) / 16),
	      "only %zu edges for %zu bytes", r.nlevel - irqs_before,
	      strlen(msg));

	/* Typing "root\r": one interrupt, all of it read. */
	check(&tc, uart_receive(&r.u, (const uint8_t *)"root\r", 5) == 5,
	      "receive refused bytes");
	check(&tc, irq_line(&r) == 1, "no IRQ for received data");
	nrx = linux_isr(&r, &txq, rx, sizeof(rx));
	check(&tc, nrx == 5 && !memcmp(rx, "root\r", 5), "received %zu bytes",
	      nrx);
	check(&tc, irq_line(&r) == 0, "IRQ high after the FIFO was drained");
	check_edges(&tc, &r);
	case_end(&tc, "uart: interrupt-driven transmit and receive as Linux does it");
}

static void test_dlab(void)
{
	struct tcase tc;
	struct rig r;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_IER, UART_IER_RDI);
	out(&r, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	check(&tc, in(&r, UART_DLL) == 12 && in(&r, UART_DLM) == 0,
	      "reset divisor %#x:%#x", in(&r, UART_DLM), in(&r, UART_DLL));
	out(&r, UART_DLL, 0x01);	/* 115200 baud */
	out(&r, UART_DLM, 0x02);
	check(&tc, in(&r, UART_DLL) == 0x01 && in(&r, UART_DLM) == 0x02,
	      "divisor reads %#x:%#x", in(&r, UART_DLM), in(&r, UART_DLL));
	check(&tc, r.u.divisor == 0x0201, "divisor %#x", r.u.divisor);
	check(&tc, r.ntx == 0, "a DLL write was transmitted");
	check(&tc, in(&r, UART_LCR) == 0x83, "LCR %#x", in(&r, UART_LCR));
	out(&r, UART_LCR, UART_LCR_WLEN8);
	check(&tc, in(&r, UART_IER) == UART_IER_RDI,
	      "IER %#x after DLAB (DLM write leaked into IER?)", in(&r, UART_IER));
	uart_receive(&r.u, (const uint8_t *)"z", 1);
	check(&tc, in(&r, UART_RBR) == 'z', "RBR not back at offset 0");
	out(&r, UART_THR, 'q');
	check(&tc, r.ntx == 1 && r.tx[0] == 'q', "THR not back at offset 0");
	out(&r, UART_LCR, UART_LCR_DLAB);
	check(&tc, r.u.divisor == 0x0201, "divisor lost: %#x", r.u.divisor);
	case_end(&tc, "uart: DLAB switches offsets 0/1 to the divisor latch");
}

static void test_tx(void)
{
	struct tcase tc;
	struct rig r;
	unsigned int i;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_LCR, UART_LCR_WLEN8);
	for (i = 0; i < 300; i++) {
		check(&tc, (in(&r, UART_LSR) & 0x60) == 0x60, "LSR %#x before byte %u",
		      in(&r, UART_LSR), i);
		out(&r, UART_THR, i & 0xff);
	}
	check(&tc, r.ntx == 300, "%zu bytes transmitted", r.ntx);
	for (i = 0; i < 300 && i < r.ntx; i++)
		check(&tc, r.tx[i] == (i & 0xff), "byte %u is %#x", i, r.tx[i]);
	check(&tc, r.nlevel == 0, "IRQ without IER/OUT2");
	case_end(&tc, "uart: THR writes go to tx() at once, LSR always THRE|TEMT");
}

static void test_rx_fifo(void)
{
	uint8_t buf[20];
	struct tcase tc;
	struct rig r;
	unsigned int i;
	size_t n;

	case_begin(&tc);
	rig_init(&r);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 'A' + i;
	/* 16450 mode: one byte at a time. */
	n = uart_receive(&r.u, buf, sizeof(buf));
	check(&tc, n == 1 && uart_rx_room(&r.u) == 0, "16450: took %zu", n);
	check(&tc, in(&r, UART_RBR) == 'A', "16450 byte");

	out(&r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX);
	check(&tc, uart_rx_room(&r.u) == 16, "room %zu", uart_rx_room(&r.u));
	n = uart_receive(&r.u, buf, sizeof(buf));
	check(&tc, n == 16, "took %zu of 20 into the FIFO", n);
	check(&tc, uart_rx_room(&r.u) == 0, "room %zu when full",
	      uart_rx_room(&r.u));
	check(&tc, uart_receive(&r.u, buf + 16, 4) == 0, "full FIFO took more");
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_OE),
	      "receive() overran: the caller keeps what does not fit");
	for (i = 0; i < 16; i++) {
		check(&tc, in(&r, UART_LSR) & UART_LSR_DR, "DR clear at byte %u", i);
		check(&tc, in(&r, UART_RBR) == 'A' + i, "byte %u out of order", i);
		if (i == 0)
			check(&tc, uart_rx_room(&r.u) == 1, "no room after a read");
	}
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_DR), "DR set on an empty FIFO");
	in(&r, UART_RBR);	/* reading an empty FIFO must be harmless */
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_DR), "DR after empty read");

	/* FCR clear and FIFO enable toggles drop what is there. */
	uart_receive(&r.u, buf, 5);
	out(&r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX);
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_DR), "FCR clear kept data");
	uart_receive(&r.u, buf, 5);
	out(&r, UART_FCR, 0);
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_DR), "FIFO off kept data");
	case_end(&tc, "uart: 16-byte RX FIFO, DR and RBR in order, FCR clears");
}

static void test_overrun(void)
{
	struct tcase tc;
	struct rig r;
	unsigned int i;
	uint8_t lsr;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_FCR, UART_FCR_ENABLE);
	out(&r, UART_MCR, UART_MCR_LOOP);
	out(&r, UART_IER, UART_IER_RLSI | UART_IER_RDI);
	for (i = 0; i < 18; i++)
		out(&r, UART_THR, 0x30 + i);
	check_reg(&tc, &r, UART_IIR, 0xc6, "IIR: line status first");
	lsr = in(&r, UART_LSR);
	check(&tc, lsr == (UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT),
	      "LSR %#x", lsr);
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_OE), "OE not cleared by reading LSR");
	check_reg(&tc, &r, UART_IIR, 0xc4, "IIR after LSR read");
	for (i = 0; i < 16; i++)
		check(&tc, in(&r, UART_RBR) == 0x30 + i, "byte %u lost to overrun", i);
	check(&tc, !(in(&r, UART_LSR) & UART_LSR_DR), "the overrun bytes arrived");

	/* 16450 mode overruns on the second byte. */
	out(&r, UART_FCR, 0);
	out(&r, UART_THR, 'a');
	out(&r, UART_THR, 'b');
	lsr = in(&r, UART_LSR);
	check(&tc, (lsr & (UART_LSR_OE | UART_LSR_DR)) == (UART_LSR_OE | UART_LSR_DR),
	      "16450 LSR %#x", lsr);
	check(&tc, in(&r, UART_RBR) == 'a', "16450 overrun replaced the data");
	check(&tc, r.ntx == 0, "loopback transmitted %zu bytes", r.ntx);
	case_end(&tc, "uart: overrun sets OE, keeps the FIFO, LSR read clears it");
}

static void test_iir_priority(void)
{
	struct tcase tc;
	struct rig r;
	unsigned int i;
	uint8_t iir;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_FCR, UART_FCR_ENABLE);
	/* Loopback: an overrun for line status, MCR for a modem change. */
	out(&r, UART_MCR, UART_MCR_LOOP);
	in(&r, UART_MSR);
	for (i = 0; i < 17; i++)
		out(&r, UART_THR, 'x');
	out(&r, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	out(&r, UART_IER, 0x0f);

	iir = in(&r, UART_IIR);
	check(&tc, iir == 0xc6, "IIR %#x, want line status (0xc6)", iir);
	check(&tc, in(&r, UART_IIR) == 0xc6, "reading IIR cleared line status");
	in(&r, UART_LSR);
	iir = in(&r, UART_IIR);
	check(&tc, iir == 0xc4, "IIR %#x, want RX data (0xc4)", iir);
	/* THRE is pending under RX data: reading IIR must not clear it. */
	while (in(&r, UART_LSR) & UART_LSR_DR)
		in(&r, UART_RBR);
	iir = in(&r, UART_IIR);
	check(&tc, iir == 0xc2, "IIR %#x, want THRE (0xc2)", iir);
	iir = in(&r, UART_IIR);
	check(&tc, iir == 0xc0, "IIR %#x, want modem status (0xc0)", iir);
	check(&tc, (in(&r, UART_MSR) & 0x1f) == (UART_MSR_CTS | UART_MSR_DCTS),
	      "MSR delta");
	iir = in(&r, UART_IIR);
	check(&tc, iir == 0xc1, "IIR %#x, want none (0xc1)", iir);
	out(&r, UART_FCR, 0);
	check_reg(&tc, &r, UART_IIR, 0x01, "IIR without FIFOs");
	case_end(&tc, "uart: IIR priority: line status > RX > THRE > modem");
}

static void test_thre_rules(void)
{
	struct tcase tc;
	struct rig r;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_FCR, UART_FCR_ENABLE);
	check(&tc, in(&r, UART_IIR) == 0xc1, "THRE pending before THRI");
	out(&r, UART_IER, UART_IER_THRI);
	check(&tc, in(&r, UART_IIR) == 0xc2, "no THRE on enabling THRI");
	check(&tc, in(&r, UART_IIR) == 0xc1, "THRE not cleared by IIR read");
	out(&r, UART_IER, UART_IER_THRI | UART_IER_RDI);
	check(&tc, in(&r, UART_IIR) == 0xc1,
	      "rewriting IER with THRI already on raised THRE again");
	out(&r, UART_THR, 'a');
	check(&tc, in(&r, UART_IIR) == 0xc2, "no THRE after THR emptied");
	out(&r, UART_THR, 'b');
	out(&r, UART_THR, 'c');
	check(&tc, in(&r, UART_IIR) == 0xc2, "THR writes lost THRE");
	check(&tc, in(&r, UART_IIR) == 0xc1, "second IIR read still THRE");
	out(&r, UART_IER, UART_IER_RDI);
	out(&r, UART_IER, UART_IER_RDI | UART_IER_THRI);
	check(&tc, in(&r, UART_IIR) == 0xc2, "THRI off/on did not raise THRE");
	out(&r, UART_IER, 0);
	check(&tc, in(&r, UART_IIR) == 0xc1, "THRE reported with THRI off");
	case_end(&tc, "uart: THRE: on enabling THRI and on THR empty, cleared by IIR/THR");
}

static void test_irq_edges(void)
{
	struct tcase tc;
	struct rig r;
	size_t n;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_FCR, UART_FCR_ENABLE);
	out(&r, UART_IER, UART_IER_RDI);
	uart_receive(&r.u, (const uint8_t *)"ab", 2);
	check(&tc, r.nlevel == 0, "IRQ with OUT2 off");
	out(&r, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	check(&tc, r.nlevel == 0, "IRQ with OUT2 off (DTR|RTS)");
	out(&r, UART_MCR, UART_MCR_OUT2);
	check(&tc, r.nlevel == 1 && irq_line(&r) == 1, "OUT2 on: %zu calls, line %d",
	      r.nlevel, irq_line(&r));
	in(&r, UART_IIR);
	in(&r, UART_LSR);
	in(&r, UART_SCR);
	uart_receive(&r.u, (const uint8_t *)"c", 1);
	check(&tc, r.nlevel == 1, "repeated level reported: %zu calls", r.nlevel);
	out(&r, UART_MCR, 0);
	check(&tc, r.nlevel == 2 && irq_line(&r) == 0, "OUT2 off did not lower");
	out(&r, UART_MCR, UART_MCR_OUT2);
	check(&tc, r.nlevel == 3 && irq_line(&r) == 1, "OUT2 on again");
	in(&r, UART_RBR);
	in(&r, UART_RBR);
	check(&tc, r.nlevel == 3, "lowered with data left");
	in(&r, UART_RBR);
	check(&tc, r.nlevel == 4 && irq_line(&r) == 0, "still high on empty FIFO");

	/* Each THR write with THRI on is a fresh edge, as on the chip. */
	out(&r, UART_IER, UART_IER_THRI);
	n = r.nlevel;
	check(&tc, irq_line(&r) == 1, "no edge on THRI");
	out(&r, UART_THR, '1');
	out(&r, UART_THR, '2');
	check(&tc, r.nlevel == n + 4 && irq_line(&r) == 1,
	      "THR writes: %zu calls, want 4", r.nlevel - n);
	/* Loopback forces the OUT2 pin off. */
	out(&r, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	check(&tc, irq_line(&r) == 0, "IRQ line high in loopback");
	check(&tc, in(&r, UART_IIR) == 0xc2, "IIR lost THRE in loopback");
	check_edges(&tc, &r);
	case_end(&tc, "uart: irq() only on level changes, gated by OUT2");
}

static void test_loopback(void)
{
	static const struct { uint8_t mcr, msr; } lines[] = {
		{ UART_MCR_RTS, UART_MSR_CTS },
		{ UART_MCR_DTR, UART_MSR_DSR },
		{ UART_MCR_OUT1, UART_MSR_RI },
		{ UART_MCR_OUT2, UART_MSR_DCD },
		{ 0x0f, 0xf0 },
		{ 0, 0 },
	};
	struct tcase tc;
	struct rig r;
	unsigned int i;
	uint8_t msr;

	case_begin(&tc);
	rig_init(&r);
	out(&r, UART_FCR, UART_FCR_ENABLE);
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		out(&r, UART_MCR, UART_MCR_LOOP | lines[i].mcr);
		msr = in(&r, UART_MSR) & 0xf0;
		check(&tc, msr == lines[i].msr, "MCR %#x: MSR %#x, want %#x",
		      lines[i].mcr, msr, lines[i].msr);
	}
	/* RI's delta is on its trailing edge. */
	out(&r, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	check(&tc, !(in(&r, UART_MSR) & UART_MSR_TERI), "TERI on a rising RI");
	out(&r, UART_MCR, UART_MCR_LOOP);
	check(&tc, in(&r, UART_MSR) & UART_MSR_TERI, "no TERI on a falling RI");

	out(&r, UART_THR, 'L');
	check(&tc, r.ntx == 0, "loopback byte went out");
	check(&tc, (in(&r, UART_LSR) & UART_LSR_DR) && in(&r, UART_RBR) == 'L',
	      "loopback byte not received");
	check(&tc, uart_rx_room(&r.u) == 0 &&
	      uart_receive(&r.u, (const uint8_t *)"x", 1) == 0,
	      "outside input taken in loopback");
	out(&r, UART_MCR, 0);
	msr = in(&r, UART_MSR);
	check(&tc, msr == (0xb0 | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD),
	      "MSR %#x leaving loopback", msr);
	check(&tc, in(&r, UART_MSR) == 0xb0, "MSR deltas not cleared by reading");
	check(&tc, uart_rx_room(&r.u) == 16, "room %zu after loopback",
	      uart_rx_room(&r.u));
	out(&r, UART_THR, 'O');
	check(&tc, r.ntx == 1 && r.tx[0] == 'O', "no tx after loopback");
	case_end(&tc, "uart: loopback: MSR mirrors MCR, TX comes back as RX");
}

/* --- the escape parser ------------------------------------------------- */

/* Feed @in; the bytes for the guest go to @out; the last action is returned. */
static int feed(struct console_esc *esc, const char *in, size_t len,
		uint8_t *out, size_t *nout, int *help)
{
	int action = CONSOLE_ESC_NONE, a;
	size_t i;

	*nout = 0;
	*help = 0;
	for (i = 0; i < len; i++) {
		*nout += console_esc_feed(esc, in[i], out + *nout, &a);
		if (a == CONSOLE_ESC_HELP)
			(*help)++;
		if (a != CONSOLE_ESC_NONE)
			action = a;
	}
	return action;
}

static void test_escape(void)
{
	struct console_esc esc = { 0 };
	struct tcase tc;
	uint8_t out[32];
	size_t n;
	int help, action;

	case_begin(&tc);
	action = feed(&esc, "ls\r", 3, out, &n, &help);
	check(&tc, n == 3 && !memcmp(out, "ls\r", 3) && action == CONSOLE_ESC_NONE,
	      "plain bytes: %zu", n);

	action = feed(&esc, "a\x01x", 3, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_QUIT && n == 1 && out[0] == 'a',
	      "Ctrl-A x: action %d, %zu bytes", action, n);

	esc = (struct console_esc){ 0 };
	action = feed(&esc, "\x01\x01", 2, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_NONE && n == 1 && out[0] == 0x01,
	      "Ctrl-A Ctrl-A: %zu bytes", n);
	action = feed(&esc, "x", 1, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_NONE && n == 1 && out[0] == 'x',
	      "x after a sent Ctrl-A quit");

	action = feed(&esc, "\001c", 2, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_NONE && n == 2 && out[0] == 0x01 &&
	      out[1] == 'c', "Ctrl-A c: %zu bytes", n);
	action = feed(&esc, "\001X", 2, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_NONE && n == 2, "Ctrl-A X is not x");

	action = feed(&esc, "\x01h\x01?", 4, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_HELP && help == 2 && n == 0,
	      "Ctrl-A h / ?: help %d, %zu bytes", help, n);

	/* The escape spans reads: the state carries over. */
	action = feed(&esc, "\x01", 1, out, &n, &help);
	check(&tc, n == 0 && action == CONSOLE_ESC_NONE, "lone Ctrl-A sent");
	action = feed(&esc, "x", 1, out, &n, &help);
	check(&tc, action == CONSOLE_ESC_QUIT && n == 0, "split Ctrl-A x");
	case_end(&tc, "console: Ctrl-A x quits, Ctrl-A Ctrl-A sends one, others pass");
}

/*
 * --- hw/serial.c and the console thread, on a VM whose bus map is real
 * (core/bus.c) and whose interrupt line is the fake below ---------------
 */

static atomic_int fake_irq_calls, fake_irq_level, fake_irq_bad;
static struct vmctl_serial *com1;

int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int level)
{
	if (gsi != VMCTL_COM1_IRQ || level == atomic_load(&fake_irq_level))
		atomic_fetch_add(&fake_irq_bad, 1);
	atomic_store(&fake_irq_level, level);
	atomic_fetch_add(&fake_irq_calls, 1);
	return 0;
}

static uint8_t pio_in(struct vmctl_vm *vm, unsigned int reg)
{
	uint8_t val;

	vmctl_bus_access(&vm->pio, VMCTL_COM1_BASE + reg, false, &val, 1);
	return val;
}

static void pio_out(struct vmctl_vm *vm, unsigned int reg, uint8_t val)
{
	vmctl_bus_access(&vm->pio, VMCTL_COM1_BASE + reg, true, &val, 1);
}

/* A VM as far as the serial port sees it: a port bus. */
static void fake_vm(struct vmctl_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vmctl_bus_init(&vm->pio, "port");
}

/* Re-attach, as each boot of vmctl run does: a fresh bus map each time. */
static void reattach(struct vmctl_vm *vm)
{
	vmctl_bus_destroy(&vm->pio);
	fake_vm(vm);
	vmctl_serial_attach(com1, vm);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The guest polls LSR.DR for up to @ms milliseconds; -1 if nothing came. */
static int guest_getc(struct vmctl_vm *vm, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms; i++) {
		if (pio_in(vm, UART_LSR) & UART_LSR_DR)
			return pio_in(vm, UART_RBR);
		sleep_ms(1);
	}
	return -1;
}

static atomic_int quit_calls;

static void on_quit(void *opaque)
{
	atomic_fetch_add(&quit_calls, 1);
}

struct input_job {
	const uint8_t *buf;
	size_t len, done;
	atomic_int finished;
};

static void *input_thread(void *arg)
{
	struct input_job *job = arg;

	job->done = vmctl_serial_input(com1, job->buf, job->len);
	atomic_store(&job->finished, 1);
	return NULL;
}

static void test_glue(void)
{
	struct vmctl_vm vm;
	uint8_t in[40], got[40], buf[64];
	int outp[2] = { -1, -1 }, inp[2] = { -1, -1 };
	struct input_job job = { 0 };
	struct tcase tc;
	pthread_t thr;
	unsigned int i;
	ssize_t n;
	int c;

	case_begin(&tc);
	if (pipe(outp) || pipe(inp)) {
		check(&tc, false, "pipe: %s", strerror(errno));
		goto out;
	}
	fake_vm(&vm);
	com1 = vmctl_serial_create("com1", VMCTL_COM1_BASE, VMCTL_COM1_IRQ,
				   outp[1]);
	vmctl_serial_attach(com1, &vm);
	check(&tc, vm.pio.n == 1 && vm.pio.r[0].base == 0x3f8 &&
	      vm.pio.r[0].len == 8, "COM1 registered at %#llx+%llu",
	      vm.pio.n ? (unsigned long long)vm.pio.r[0].base : 0ull,
	      vm.pio.n ? (unsigned long long)vm.pio.r[0].len : 0ull);

	/* Output: the guest's bytes reach the fd, in order. */
	pio_out(&vm, UART_LCR, UART_LCR_WLEN8);
	for (i = 0; i < 3; i++)
		pio_out(&vm, UART_THR, "ok\n"[i]);
	n = read(outp[0], buf, sizeof(buf));
	check(&tc, n == 3 && !memcmp(buf, "ok\n", 3), "output: %zd bytes", n);

	/* Linux's setup: FIFO, OUT2, RX interrupt. */
	pio_out(&vm, UART_FCR, UART_FCR_ENABLE);
	pio_out(&vm, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	pio_out(&vm, UART_IER, UART_IER_RDI | UART_IER_RLSI);
	check(&tc, atomic_load(&fake_irq_calls) == 0, "IRQ with nothing pending");

	/*
	 * Piped input, more than the FIFO holds, escape bytes included: the
	 * console passes it all through, blocking until the guest reads.
	 */
	for (i = 0; i < sizeof(in); i++)
		in[i] = i == 10 ? 0x01 : i == 11 ? 'x' : 'a' + i;
	if (vmctl_console_start(inp[0], com1, on_quit, NULL)) {
		check(&tc, false, "console did not start");
		goto out;
	}
	check(&tc, write(inp[1], in, sizeof(in)) == sizeof(in), "write input");
	close(inp[1]);
	inp[1] = -1;
	for (i = 0; i < 200 && !atomic_load(&fake_irq_level); i++)
		sleep_ms(1);
	check(&tc, atomic_load(&fake_irq_level) == 1, "no IRQ for input");
	sleep_ms(20);	/* let the console thread fill the FIFO and block */
	for (i = 0; i < sizeof(in); i++) {
		c = guest_getc(&vm, 2000);
		if (c < 0)
			break;
		got[i] = c;
	}
	check(&tc, i == sizeof(in) && !memcmp(got, in, sizeof(in)),
	      "guest received %u of %zu bytes intact", i, sizeof(in));
	check(&tc, atomic_load(&fake_irq_level) == 0, "IRQ high after draining");
	check(&tc, atomic_load(&fake_irq_bad) == 0,
	      "%d irq_line calls repeated a level or missed pin 4",
	      atomic_load(&fake_irq_bad));
	check(&tc, atomic_load(&quit_calls) == 0, "piped Ctrl-A x quit");
	sleep_ms(20);
	check(&tc, guest_getc(&vm, 10) < 0, "bytes after EOF");
	vmctl_console_stop();

	/* A full FIFO blocks input until the guest reads or COM1 detaches. */
	memset(buf, 'z', sizeof(buf));
	job.buf = buf;
	job.len = 40;
	if (pthread_create(&thr, NULL, input_thread, &job)) {
		check(&tc, false, "pthread_create");
		goto out;
	}
	sleep_ms(50);
	check(&tc, !atomic_load(&job.finished), "input returned with a full FIFO");
	check(&tc, guest_getc(&vm, 10) == 'z', "guest read");
	sleep_ms(50);
	check(&tc, !atomic_load(&job.finished), "input returned early");
	vmctl_serial_detach(com1);
	for (i = 0; i < 2000 && !atomic_load(&job.finished); i++)
		sleep_ms(1);
	if (!atomic_load(&job.finished)) {
		/* Leave it blocked rather than hang the test. */
		check(&tc, false, "detach did not wake the input");
		pthread_detach(thr);
		goto out;
	}
	pthread_join(thr, NULL);
	/* The guest read one; what it finds now is what was queued besides. */
	for (i = 0; guest_getc(&vm, 10) == 'z'; i++)
		;
	check(&tc, job.done == 1 + i && i >= 15,
	      "queued %zu bytes, the guest found 1 + %u", job.done, i);
	check(&tc, vmctl_serial_input(com1, buf, 1) == 0,
	      "input taken after detach");

	/* Output to a pipe nobody reads: dropped, the guest goes on. */
	close(outp[0]);
	outp[0] = -1;
	pio_out(&vm, UART_THR, '!');
	pio_out(&vm, UART_THR, '!');
	check(&tc, (pio_in(&vm, UART_LSR) & 0x60) == 0x60,
	      "UART stuck after the output failed");
out:
	for (i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (inp[i] >= 0)
			close(inp[i]);
	}
	/* The console thread has ended by now (EOF): nothing uses the port. */
	vmctl_serial_free(com1);
	vmctl_bus_destroy(&vm.pio);
	case_end(&tc, "serial+console: piped input, blocking, detach, dead output");
}

/* On a terminal: raw mode while it runs, the escapes, and the way back. */
static void test_console_tty(void)
{
	struct termios before, during, after;
	struct vmctl_vm vm;
	int master, slave = -1, devnull, c1, c2;
	struct tcase tc;
	unsigned int i;

	case_begin(&tc);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master >= 0 && !grantpt(master) && !unlockpt(master))
		slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0) {
		if (master >= 0)
			close(master);
		skip("console: raw terminal, Ctrl-A x, termios restored",
		     "no pseudo-terminal");
		return;
	}
	devnull = open("/dev/null", O_WRONLY);
	fake_vm(&vm);
	com1 = vmctl_serial_create("com1", VMCTL_COM1_BASE, VMCTL_COM1_IRQ,
				   devnull);
	vmctl_serial_attach(com1, &vm);
	pio_out(&vm, UART_FCR, UART_FCR_ENABLE);
	tcgetattr(slave, &before);
	atomic_store(&quit_calls, 0);
	if (vmctl_console_start(slave, com1, on_quit, NULL)) {
		check(&tc, false, "console did not start");
		goto out;
	}
	tcgetattr(slave, &during);
	check(&tc, !(during.c_lflag & (ICANON | ECHO | ISIG)),
	      "not raw: lflag %#x", during.c_lflag);
	check(&tc, write(master, "r", 1) == 1, "write to pty");
	c1 = guest_getc(&vm, 2000);
	check(&tc, c1 == 'r', "first byte %#x", c1);
	/* A guest reset: COM1 detached and attached again, the console stays. */
	vmctl_serial_detach(com1);
	check(&tc, write(master, "lost", 4) == 4, "write to pty");
	sleep_ms(50);
	reattach(&vm);
	pio_out(&vm, UART_FCR, UART_FCR_ENABLE);
	/* a, an escaped Ctrl-A, Ctrl-A c passed through, then Ctrl-A x. */
	check(&tc, write(master, "a\001\001\001c\001x", 7) == 7, "write to pty");
	for (i = 0; i < 2000 && !atomic_load(&quit_calls); i++)
		sleep_ms(1);
	check(&tc, atomic_load(&quit_calls) == 1, "on_quit called %d times",
	      atomic_load(&quit_calls));
	c1 = guest_getc(&vm, 100);
	check(&tc, c1 == 'a', "byte after re-attach %#x", c1);
	c1 = guest_getc(&vm, 100);
	check(&tc, c1 == 0x01, "escaped Ctrl-A came as %#x", c1);
	c1 = guest_getc(&vm, 100);
	c2 = guest_getc(&vm, 100);
	check(&tc, c1 == 0x01 && c2 == 'c', "Ctrl-A c came as %#x %#x", c1, c2);
	check(&tc, guest_getc(&vm, 20) < 0, "the escape reached the guest");
	vmctl_console_stop();
	tcgetattr(slave, &after);
	check(&tc, after.c_lflag == before.c_lflag &&
	      after.c_iflag == before.c_iflag && after.c_oflag == before.c_oflag,
	      "termios not restored: lflag %#x, was %#x", after.c_lflag,
	      before.c_lflag);
	vmctl_console_stop();	/* idempotent */
out:
	vmctl_serial_detach(com1);
	/* Kept: the console thread, on its way out, may still look at it. */
	vmctl_bus_destroy(&vm.pio);
	close(slave);
	close(master);
	if (devnull >= 0)
		close(devnull);
	case_end(&tc, "console: raw terminal, survives re-attach, Ctrl-A x, termios restored");
}

int main(void)
{
	test_reset();
	test_linux_autoconfig();
	test_linux_startup();
	test_linux_interrupt_io();
	test_dlab();
	test_tx();
	test_rx_fifo();
	test_overrun();
	test_iir_priority();
	test_thre_rules();
	test_irq_edges();
	test_loopback();
	test_escape();
	test_glue();
	test_console_tty();
	return tap_finish();
}
