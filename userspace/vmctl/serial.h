/* SPDX-License-Identifier: GPL-2.0 */
/*
 * COM1 (ports 0x3f8-0x3ff, IRQ 4): the 16550A of uart.c wired to a VM.
 * Output goes to a file descriptor; input comes from whoever calls
 * vmctl_serial_input() (console.c for vmctl run). One per process.
 */
#ifndef VMCTL_SERIAL_H
#define VMCTL_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct vmctl_vm;

#define VMCTL_COM1_BASE	0x3f8
#define VMCTL_COM1_IRQ	4

/*
 * Register the port-I/O device; what the guest transmits is written to
 * @out_fd (if writing fails, output is dropped and the guest runs on).
 */
void vmctl_serial_attach(struct vmctl_vm *vm, int out_fd);
/*
 * Queue @len bytes for the guest to receive, raising its interrupt.
 * Blocks while the receive FIFO is full, until the guest reads; returns
 * the number queued: @len, or fewer if vmctl_serial_detach() was called
 * meanwhile. Before vmctl_serial_attach() it waits for it.
 */
size_t vmctl_serial_input(const uint8_t *buf, size_t len);
/*
 * Stop taking input and wake vmctl_serial_input() callers. When it
 * returns, no input is queued any more and so no interrupt is raised
 * from outside the vCPU threads: call it once the vCPUs are stopped,
 * before vmctl_vm_destroy(). Not async-signal-safe (it takes the lock).
 */
void vmctl_serial_detach(void);

#endif /* VMCTL_SERIAL_H */
