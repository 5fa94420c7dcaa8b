// SPDX-License-Identifier: GPL-2.0
/*
 * COM1: the 16550A of uart.c on ports 0x3f8-0x3ff and IOAPIC pin 4.
 *
 * The vCPU threads reach the UART through the port-I/O callbacks and the
 * console thread through vmctl_serial_input(), so one mutex covers the
 * UART and its callbacks: the tx() write and the HVX_IRQ_LINE ioctl run
 * under it, which keeps output in order and the interrupt edges in the
 * order the UART produced them.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serial.h"
#include "uart.h"
#include "vm.h"

static struct com1 {
	pthread_mutex_t lock;
	pthread_cond_t room;	/* the receiver has room, or input stopped */
	unsigned int waiters;	/* vmctl_serial_input() callers asleep on room */
	struct uart uart;
	struct vmctl_vm *vm;
	int out_fd;
	bool attached, detached, irq_failed;
} com1 = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.room = PTHREAD_COND_INITIALIZER,
	.out_fd = -1,
};

/* All of @byte or nothing: a console that goes away must not stop the guest. */
static void com1_tx(void *opaque, uint8_t byte)
{
	struct com1 *s = opaque;
	struct pollfd pfd;
	ssize_t n;

	while (s->out_fd >= 0) {
		n = write(s->out_fd, &byte, 1);
		if (n == 1)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A non-blocking terminal: wait until it drains. */
			pfd = (struct pollfd){ .fd = s->out_fd, .events = POLLOUT };
			if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		s->out_fd = -1;
	}
}

static void com1_irq(void *opaque, int level)
{
	struct com1 *s = opaque;

	/* Without an irqchip every edge would fail: say it once, then poll. */
	if (!s->vm || s->irq_failed)
		return;
	if (vmctl_vm_irq_line(s->vm, VMCTL_COM1_IRQ, level)) {
		fprintf(stderr, "vmctl: COM1 runs without its interrupt\n");
		s->irq_failed = true;
	}
}

/* After a guest access: wake input that waits for the guest to read. */
static void wake_input(struct com1 *s)
{
	if (s->waiters && uart_rx_room(&s->uart))
		pthread_cond_broadcast(&s->room);
}

/*
 * An access wider than a byte is split into byte accesses to consecutive
 * ports, as the ISA bus does for an 8-bit device.
 */
static void com1_out(struct vmctl_vm *vm, void *opaque, uint16_t port,
		     const void *data, uint8_t size)
{
	struct com1 *s = opaque;
	const uint8_t *bytes = data;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < size && port + i < VMCTL_COM1_BASE + 8; i++)
		uart_write(&s->uart, port + i - VMCTL_COM1_BASE, bytes[i]);
	wake_input(s);
	pthread_mutex_unlock(&s->lock);
}

static void com1_in(struct vmctl_vm *vm, void *opaque, uint16_t port,
		    void *data, uint8_t size)
{
	struct com1 *s = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	memset(data, 0xff, size);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < size && port + i < VMCTL_COM1_BASE + 8; i++)
		bytes[i] = uart_read(&s->uart, port + i - VMCTL_COM1_BASE);
	wake_input(s);
	pthread_mutex_unlock(&s->lock);
}

void vmctl_serial_attach(struct vmctl_vm *vm, int out_fd)
{
	struct vmctl_pio_dev dev = {
		.name = "com1", .base = VMCTL_COM1_BASE, .len = 8,
		.in = com1_in, .out = com1_out, .opaque = &com1,
	};
	struct sigaction sa;

	/*
	 * Output to a pipe whose reader left must fail with EPIPE, not kill
	 * vmctl and its guest; keep a disposition someone chose on purpose.
	 */
	if (!sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	pthread_mutex_lock(&com1.lock);
	uart_init(&com1.uart, com1_tx, com1_irq, &com1);
	com1.vm = vm;
	com1.out_fd = out_fd;
	com1.irq_failed = false;
	com1.detached = false;
	com1.attached = true;
	pthread_cond_broadcast(&com1.room);
	pthread_mutex_unlock(&com1.lock);
	if (vmctl_vm_add_pio(vm, &dev))
		fprintf(stderr, "vmctl: no room for COM1's ports\n");
}

size_t vmctl_serial_input(const uint8_t *buf, size_t len)
{
	size_t done = 0;

	pthread_mutex_lock(&com1.lock);
	while (done < len && !com1.detached) {
		if (com1.attached)
			done += uart_receive(&com1.uart, buf + done, len - done);
		if (done == len)
			break;
		com1.waiters++;
		pthread_cond_wait(&com1.room, &com1.lock);
		com1.waiters--;
	}
	pthread_mutex_unlock(&com1.lock);
	return done;
}

void vmctl_serial_detach(void)
{
	pthread_mutex_lock(&com1.lock);
	com1.detached = true;
	com1.attached = false;
	com1.vm = NULL;
	pthread_cond_broadcast(&com1.room);
	pthread_mutex_unlock(&com1.lock);
}
