// SPDX-License-Identifier: GPL-2.0
/* The fake VM of virtio_fake_vm.h: core/vm.c's device-facing calls. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "virtio_fake_vm.h"

struct fake_vm_log fake_vm = { .lock = PTHREAD_MUTEX_INITIALIZER };

void fake_vm_log_reset(void)
{
	unsigned int i;

	atomic_store(&fake_vm.msis, 0);
	atomic_store(&fake_vm.msi_addr, 0);
	atomic_store(&fake_vm.msi_data, 0);
	for (i = 0; i < 32; i++)
		atomic_store(&fake_vm.irq_level[i], -1);
	pthread_mutex_lock(&fake_vm.lock);
	fake_vm.nioev = fake_vm.ioev_assigns = fake_vm.ioev_deassigns = 0;
	fake_vm.nirqfd = fake_vm.irqfd_assigns = fake_vm.irqfd_deassigns = 0;
	pthread_mutex_unlock(&fake_vm.lock);
}

int fake_vm_init(struct vmctl_vm *vm, uint64_t mem_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->sys_fd = vm->vcpu_fd = -1;
	/* NORESERVE: tests may want more "RAM" than they touch. */
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		return -1;
	vm->mem_size = mem_size;
	vm->irqchip = true;
	vm->msi = true;
	vm->irqfd = true;
	vmctl_bus_init(&vm->pio, "port");
	vmctl_bus_init(&vm->mmio, "MMIO");
	fake_vm_log_reset();
	return 0;
}

void fake_vm_destroy(struct vmctl_vm *vm)
{
	munmap(vm->mem, vm->mem_size);
	vmctl_bus_destroy(&vm->pio);
	vmctl_bus_destroy(&vm->mmio);
}

/* As core/vm.c's. */
void *vmctl_vm_gpa(struct vmctl_vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int level)
{
	(void)vm;
	if (gsi < 32)
		atomic_store(&fake_vm.irq_level[gsi], level);
	return 0;
}

int vmctl_vm_signal_msi(struct vmctl_vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm;
	atomic_store(&fake_vm.msi_addr, addr);
	atomic_store(&fake_vm.msi_data, data);
	atomic_fetch_add(&fake_vm.msis, 1);
	return 0;
}

/* Like the module: EEXIST for a duplicate, ENOENT for an unknown removal. */
int vmctl_vm_ioeventfd(struct vmctl_vm *vm, uint64_t addr, unsigned int len,
		       bool pio, bool match, uint64_t value, int fd,
		       bool deassign)
{
	unsigned int i;
	int ret = 0;

	(void)value;
	if (!vm->ioeventfd || pio || match) {
		errno = ENOTTY;
		return -1;
	}
	pthread_mutex_lock(&fake_vm.lock);
	for (i = 0; i < fake_vm.nioev; i++)
		if (fake_vm.ioev[i].addr == addr && fake_vm.ioev[i].len == len)
			break;
	if (deassign) {
		fake_vm.ioev_deassigns++;
		if (i == fake_vm.nioev || fake_vm.ioev[i].fd != fd) {
			errno = ENOENT;
			ret = -1;
		} else {
			fake_vm.ioev[i] = fake_vm.ioev[--fake_vm.nioev];
		}
	} else {
		fake_vm.ioev_assigns++;
		if (i < fake_vm.nioev || fake_vm.nioev == FAKE_IOEVENTFDS) {
			errno = EEXIST;
			ret = -1;
		} else {
			fake_vm.ioev[fake_vm.nioev++] =
				(struct fake_ioeventfd){ addr, len, fd };
		}
	}
	pthread_mutex_unlock(&fake_vm.lock);
	return ret;
}

/* Like the module: EEXIST for a second irqfd of @fd, ENOENT for none. */
int vmctl_vm_irqfd(struct vmctl_vm *vm, int fd, uint64_t addr, uint32_t data,
		   bool deassign)
{
	unsigned int i;
	int ret = 0;

	if (!vm->irqfd) {
		errno = ENOTTY;
		return -1;
	}
	pthread_mutex_lock(&fake_vm.lock);
	for (i = 0; i < fake_vm.nirqfd; i++)
		if (fake_vm.irqfd[i].fd == fd)
			break;
	if (deassign) {
		fake_vm.irqfd_deassigns++;
		if (i == fake_vm.nirqfd) {
			errno = ENOENT;
			ret = -1;
		} else {
			fake_vm.irqfd[i] = fake_vm.irqfd[--fake_vm.nirqfd];
		}
	} else {
		fake_vm.irqfd_assigns++;
		if (i < fake_vm.nirqfd || fake_vm.nirqfd == FAKE_IRQFDS) {
			errno = EEXIST;
			ret = -1;
		} else {
			fake_vm.irqfd[fake_vm.nirqfd++] =
				(struct fake_irqfd){ fd, addr, data };
		}
	}
	pthread_mutex_unlock(&fake_vm.lock);
	return ret;
}

bool fake_vm_irqfd_of(int fd, uint64_t *addr, uint32_t *data)
{
	unsigned int i;
	bool found = false;

	pthread_mutex_lock(&fake_vm.lock);
	for (i = 0; i < fake_vm.nirqfd; i++) {
		if (fake_vm.irqfd[i].fd != fd)
			continue;
		*addr = fake_vm.irqfd[i].addr;
		*data = fake_vm.irqfd[i].data;
		found = true;
		break;
	}
	pthread_mutex_unlock(&fake_vm.lock);
	return found;
}
