// SPDX-License-Identifier: GPL-2.0
/*
 * A serial port (serial.h): the 16550A of uart.c on eight ports and an
 * IOAPIC pin (ISA IRQs are identity-mapped GSIs).
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/aml.h"
#include "hw/serial.h"
#include "hw/uart.h"
#include "core/vm.h"

struct vmctl_serial {
	const char *name;
	uint16_t base;
	unsigned int irq;
	pthread_mutex_t lock;
	pthread_cond_t room;	/* the receiver has room, or input stopped */
	unsigned int waiters;	/* vmctl_serial_input() callers asleep on room */
	struct uart uart;
	struct vmctl_vm *vm;
	int out_fd;
	bool attached, detached, irq_failed;
};

/* All of @byte or nothing: a console that goes away must not stop the guest. */
static void serial_tx(void *opaque, uint8_t byte)
{
	struct vmctl_serial *s = opaque;
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

static void serial_irq(void *opaque, int level)
{
	struct vmctl_serial *s = opaque;

	/* Without an irqchip every edge would fail: say it once, then poll. */
	if (!s->vm || s->irq_failed)
		return;
	if (vmctl_vm_irq_line(s->vm, s->irq, level)) {
		fprintf(stderr, "vmctl: %s runs without its interrupt\n",
			s->name);
		s->irq_failed = true;
	}
}

/* After a guest access: wake input that waits for the guest to read. */
static void wake_input(struct vmctl_serial *s)
{
	if (s->waiters && uart_rx_room(&s->uart))
		pthread_cond_broadcast(&s->room);
}

/*
 * An access wider than a byte is split into byte accesses to consecutive
 * ports, as the ISA bus does for an 8-bit device.
 */
static void serial_write(void *opaque, uint64_t off, const void *data,
			 unsigned int len)
{
	struct vmctl_serial *s = opaque;
	const uint8_t *bytes = data;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < len && off + i < 8; i++)
		uart_write(&s->uart, off + i, bytes[i]);
	wake_input(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_read(void *opaque, uint64_t off, void *data,
			unsigned int len)
{
	struct vmctl_serial *s = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	memset(data, 0xff, len);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < len && off + i < 8; i++)
		bytes[i] = uart_read(&s->uart, off + i);
	wake_input(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct vmctl_io_ops serial_ops = {
	.read = serial_read, .write = serial_write,
};

struct vmctl_serial *vmctl_serial_create(const char *name, uint16_t base,
					 unsigned int irq, int out_fd)
{
	struct vmctl_serial *s = calloc(1, sizeof(*s));
	struct sigaction sa;

	if (!s) {
		fprintf(stderr, "vmctl: out of memory for %s\n", name);
		return NULL;
	}
	s->name = name;
	s->base = base;
	s->irq = irq;
	s->out_fd = out_fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->room, NULL);
	uart_init(&s->uart, serial_tx, serial_irq, s);
	/*
	 * Output to a pipe whose reader left must fail with EPIPE, not kill
	 * vmctl and its guest; keep a disposition someone chose on purpose.
	 */
	if (!sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	return s;
}

void vmctl_serial_free(struct vmctl_serial *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->room);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int vmctl_serial_attach(struct vmctl_serial *s, struct vmctl_vm *vm)
{
	pthread_mutex_lock(&s->lock);
	uart_init(&s->uart, serial_tx, serial_irq, s);
	s->vm = vm;
	s->irq_failed = false;
	s->detached = false;
	s->attached = true;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	return vmctl_bus_register(&vm->pio, s->base, 8, &serial_ops, s,
				  s->name);
}

size_t vmctl_serial_input(struct vmctl_serial *s, const uint8_t *buf,
			  size_t len)
{
	size_t done = 0;

	pthread_mutex_lock(&s->lock);
	while (done < len && !s->detached) {
		if (s->attached)
			done += uart_receive(&s->uart, buf + done, len - done);
		if (done == len)
			break;
		s->waiters++;
		pthread_cond_wait(&s->room, &s->lock);
		s->waiters--;
	}
	pthread_mutex_unlock(&s->lock);
	return done;
}

void vmctl_serial_detach(struct vmctl_serial *s)
{
	pthread_mutex_lock(&s->lock);
	s->detached = true;
	s->attached = false;
	s->vm = NULL;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
}

/*
 * The port as an ACPI device, so that the OS knows its ports and IRQ are
 * taken (Linux also finds a UART at the standard ports by probing).
 */
void vmctl_serial_dsdt(struct vmctl_serial *s, struct aml *aml,
		       unsigned int uid)
{
	char name[5];

	snprintf(name, sizeof(name), "COM%u", uid % 10);
	aml_scope_begin(aml, "\\_SB");
	aml_device_begin(aml, name);
	aml_name_eisaid(aml, "_HID", "PNP0501");	/* 16550A-compatible */
	aml_name_int(aml, "_UID", uid);
	aml_name_resources_begin(aml, "_CRS");
	aml_res_io(aml, s->base, 8);
	aml_res_irq(aml, s->irq);
	aml_end(aml);
	aml_end(aml);
	aml_end(aml);
}
