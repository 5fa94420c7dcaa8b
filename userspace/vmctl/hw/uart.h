/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An 8250/16550A UART, the register model alone: no VM, no file
 * descriptors, no locking. Whoever embeds it serialises the calls and
 * connects the two callbacks: tx() gets each byte the guest transmits,
 * irq() the level of the interrupt line as a PC wires it (gated by OUT2).
 *
 * It is faithful where Linux's 8250 driver looks (autoconfig, the THRE
 * test of startup, the interrupt handler) and simple elsewhere: transmit
 * is instantaneous, the modem inputs are those of a terminal that is
 * always there, and received data is reported as soon as there is any
 * (no trigger level, no character timeout).
 */
#ifndef VMCTL_UART_H
#define VMCTL_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register offsets from the base port. */
#define UART_RBR	0	/* receive buffer (read, DLAB=0) */
#define UART_THR	0	/* transmitter holding (write, DLAB=0) */
#define UART_DLL	0	/* divisor latch, low byte (DLAB=1) */
#define UART_IER	1	/* interrupt enable (DLAB=0) */
#define UART_DLM	1	/* divisor latch, high byte (DLAB=1) */
#define UART_IIR	2	/* interrupt identification (read) */
#define UART_FCR	2	/* FIFO control (write) */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_MSR	6	/* modem status */
#define UART_SCR	7	/* scratch */

#define UART_IER_RDI	0x01	/* received data available */
#define UART_IER_THRI	0x02	/* transmitter holding register empty */
#define UART_IER_RLSI	0x04	/* receiver line status */
#define UART_IER_MSI	0x08	/* modem status */

#define UART_IIR_NO_INT	0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_FIFO	0xc0	/* both FIFOs enabled: "16550A" */

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02
#define UART_FCR_CLR_TX	0x04

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10

#define UART_LSR_DR	0x01	/* data ready */
#define UART_LSR_OE	0x02	/* overrun error */
#define UART_LSR_PE	0x04
#define UART_LSR_FE	0x08
#define UART_LSR_BI	0x10
#define UART_LSR_THRE	0x20	/* transmitter holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty */
#define UART_LSR_ERRORS	(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_DELTA	0x0f
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define UART_FIFO_SIZE	16

struct uart {
	uint8_t ier, lcr, mcr, fcr, scr;
	uint8_t lsr;		/* DR and THRE/TEMT are computed; this holds errors */
	uint8_t msr;		/* current lines and their deltas */
	uint16_t divisor;
	bool thr_ipending;	/* the THRE interrupt, until IIR read or THR write */
	int irq_level;		/* last level passed to irq() */

	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;

	void (*tx)(void *opaque, uint8_t byte);
	void (*irq)(void *opaque, int level);
	void *opaque;
};

/* Reset state; @tx and @irq may be NULL. Does not call irq() (the line is low). */
void uart_init(struct uart *u, void (*tx)(void *opaque, uint8_t byte),
	       void (*irq)(void *opaque, int level), void *opaque);
/* A guest access to register @reg (0..7; higher bits are ignored). */
uint8_t uart_read(struct uart *u, unsigned int reg);
void uart_write(struct uart *u, unsigned int reg, uint8_t val);
/*
 * Bytes from the outside world: as many as the receiver has room for
 * (none in loopback mode, where the serial input is disconnected); the
 * caller keeps the rest and retries when uart_rx_room() says so. Never
 * overruns: an overrun only happens to bytes the guest sends itself in
 * loopback mode.
 */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
size_t uart_rx_room(const struct uart *u);

#endif /* VMCTL_UART_H */
