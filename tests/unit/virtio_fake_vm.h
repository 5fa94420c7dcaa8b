/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM without /dev/hvx for the virtio and block tests: guest RAM is
 * memory of the test's, and the calls a device makes into core/vm.c
 * (MSIs, IOAPIC lines, ioeventfds, irqfds) are recorded for the test to check.
 */
#ifndef VIRTIO_FAKE_VM_H
#define VIRTIO_FAKE_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/vm.h"

#define FAKE_IOEVENTFDS	16
#define FAKE_IRQFDS	16

struct fake_ioeventfd {
	uint64_t addr;
	unsigned int len;
	int fd;
};

struct fake_irqfd {
	int fd;
	uint64_t addr;
	uint32_t data;
};

struct fake_vm_log {
	_Atomic unsigned int msis;
	_Atomic uint64_t msi_addr;
	_Atomic uint32_t msi_data;
	_Atomic int irq_level[32];	/* as last driven; -1: never */
	/* Registered ioeventfds, and the calls made. */
	pthread_mutex_t lock;
	struct fake_ioeventfd ioev[FAKE_IOEVENTFDS];
	unsigned int nioev, ioev_assigns, ioev_deassigns;
	/* Registered MSI irqfds (vm->irqfd), and the calls made. */
	struct fake_irqfd irqfd[FAKE_IRQFDS];
	unsigned int nirqfd, irqfd_assigns, irqfd_deassigns;
};

extern struct fake_vm_log fake_vm;

/* A VM of @mem_size bytes of (lazily allocated) RAM, buses initialised. */
int fake_vm_init(struct vmctl_vm *vm, uint64_t mem_size);
void fake_vm_destroy(struct vmctl_vm *vm);
void fake_vm_log_reset(void);
/* The irqfd registered for @fd: true with its message, else false. */
bool fake_vm_irqfd_of(int fd, uint64_t *addr, uint32_t *data);

#endif
