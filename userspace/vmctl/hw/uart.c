// SPDX-License-Identifier: GPL-2.0
/*
 * The 16550A register model (see uart.h). Every guest access ends with
 * update_irq(), which recomputes the interrupt line from the state and
 * reports it only when it changed: an ISA IRQ is edge triggered, so the
 * edges are what the guest sees.
 */
#include <string.h>

#include "hw/uart.h"

/*
 * Modem inputs when not in loopback: a terminal that is connected and
 * ready (carrier, data set ready, clear to send), so that a guest that
 * honours them never waits.
 */
#define UART_MSR_LINES_IDLE	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static bool fifo_enabled(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

/* Without FIFOs (16450 mode) the receiver holds one byte. */
static unsigned int rx_capacity(const struct uart *u)
{
	return fifo_enabled(u) ? UART_FIFO_SIZE : 1;
}

/* The pending interrupt of highest priority, as IIR[3:0] reports it. */
static uint8_t pending_iid(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_ERRORS))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/*
 * On a PC the UART's interrupt output reaches the PIC through a buffer
 * enabled by the OUT2 pin, and loopback mode forces the OUT2 pin
 * inactive: IIR still reports interrupts, the IRQ line stays low.
 */
static void update_irq(struct uart *u)
{
	int level = (u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2 &&
		    pending_iid(u) != UART_IIR_NO_INT;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->irq)
		u->irq(u->opaque, level);
}

/* The modem inputs follow MCR in loopback; any change sets its delta bit. */
static void update_msr(struct uart *u)
{
	uint8_t lines = UART_MSR_LINES_IDLE, changed;

	if (u->mcr & UART_MCR_LOOP)
		lines = (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
			(u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
			(u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
			(u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
	changed = (u->msr ^ lines) & ~UART_MSR_DELTA;
	if (changed & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
	/* RI's delta is for its trailing edge only. */
	if ((changed & UART_MSR_RI) && !(lines & UART_MSR_RI))
		u->msr |= UART_MSR_TERI;
	u->msr = (u->msr & UART_MSR_DELTA) | lines;
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* One byte into the receiver; a full one keeps its data and flags overrun. */
static void rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr |= UART_LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

void uart_init(struct uart *u, void (*tx)(void *opaque, uint8_t byte),
	       void (*irq)(void *opaque, int level), void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->irq = irq;
	u->opaque = opaque;
	u->divisor = 12;	/* 9600 baud, what a BIOS would leave */
	u->msr = UART_MSR_LINES_IDLE;
}

uint8_t uart_read(struct uart *u, unsigned int reg)
{
	uint8_t val = 0, iid;

	switch (reg & 7) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB)
			val = u->divisor & 0xff;
		else
			val = rx_pop(u);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB)
			val = u->divisor >> 8;
		else
			val = u->ier;
		break;
	case UART_IIR:
		/*
		 * Also what a read of "EFR" with LCR = 0xbf returns: a 16550A
		 * has no EFR, and IIR is never 0 with FIFOs on, which is how
		 * Linux tells it from a 16650.
		 */
		iid = pending_iid(u);
		if (iid == UART_IIR_THRI)
			u->thr_ipending = false;
		val = iid | (fifo_enabled(u) ? UART_IIR_FIFO : 0);
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		/* Transmit is instantaneous: the transmitter is always empty. */
		val = u->lsr | UART_LSR_THRE | UART_LSR_TEMT |
		      (u->rx_count ? UART_LSR_DR : 0);
		u->lsr &= ~UART_LSR_ERRORS;
		break;
	case UART_MSR:
		val = u->msr;
		u->msr &= ~UART_MSR_DELTA;
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	update_irq(u);
	return val;
}

static void write_thr(struct uart *u, uint8_t val)
{
	/*
	 * Writing THR clears the THRE interrupt, and the transmitter empties
	 * again at once. Let the line drop in between, as it does on real
	 * hardware while the byte shifts out: each byte written with THRI
	 * enabled is a fresh edge, so an edge-triggered IRQ is never lost.
	 */
	u->thr_ipending = false;
	update_irq(u);
	if (u->mcr & UART_MCR_LOOP)
		rx_push(u, val);
	else if (u->tx)
		u->tx(u->opaque, val);
	u->thr_ipending = true;
}

static void write_ier(struct uart *u, uint8_t val)
{
	uint8_t changed = (u->ier ^ val) & UART_IER_THRI;

	/* The bits above 3 are absent on a 16550A: Linux checks they read 0. */
	u->ier = val & 0x0f;
	/*
	 * Enabling THRI while THR is empty raises the THRE interrupt even if
	 * an IIR read had cleared it: Linux's startup tests exactly this
	 * (and marks the UART buggy otherwise).
	 */
	if (changed)
		u->thr_ipending = u->ier & UART_IER_THRI;
}

static void write_fcr(struct uart *u, uint8_t val)
{
	/* Switching the FIFOs on or off empties them, as on the chip. */
	if ((val ^ u->fcr) & UART_FCR_ENABLE)
		rx_clear(u);
	if (val & UART_FCR_CLR_RX)
		rx_clear(u);
	/* The clear bits self-clear; the trigger level is kept but unused. */
	u->fcr = val & (UART_FCR_ENABLE | 0xc0);
}

void uart_write(struct uart *u, unsigned int reg, uint8_t val)
{
	switch (reg & 7) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB)
			u->divisor = (u->divisor & 0xff00) | val;
		else
			write_thr(u, val);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB)
			u->divisor = (u->divisor & 0x00ff) | val << 8;
		else
			write_ier(u, val);
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		/*
		 * Entering or leaving loopback disconnects or reconnects the
		 * receiver from the outside; the bytes already received stay.
		 */
		u->mcr = val & 0x1f;
		update_msr(u);
		break;
	case UART_LSR:
		/* Read only (factory test on some chips): ignored. */
		break;
	case UART_MSR:
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
}

size_t uart_rx_room(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return 0;
	return rx_capacity(u) - u->rx_count;
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = uart_rx_room(u), i;

	if (n > len)
		n = len;
	for (i = 0; i < n; i++)
		rx_push(u, buf[i]);
	if (n)
		update_irq(u);
	return n;
}
