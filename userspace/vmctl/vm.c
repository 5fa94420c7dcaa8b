// SPDX-License-Identifier: GPL-2.0
/*
 * VM setup and the run loop of vmctl: create the VM and its memory, run
 * the vCPU, and hand each exit to the device that owns it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"
#include "vmctl.h"

int vmctl_vm_create(struct vmctl_vm *vm, uint64_t mem_bytes)
{
	struct hvx_memory_region region = { 0 };
	long mmap_size;

	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->vcpu_fd = -1;
	vm->sys_fd = vmctl_open_hvx();
	if (vm->sys_fd < 0)
		return -1;
	vm->fd = ioctl(vm->sys_fd, HVX_CREATE_VM, 0);
	if (vm->fd < 0) {
		fprintf(stderr, "vmctl: cannot create a VM: %s\n",
			strerror(errno));
		goto fail;
	}
	vm->mem = mmap(NULL, mem_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		fprintf(stderr, "vmctl: not enough memory for %llu MiB of guest memory\n",
			(unsigned long long)(mem_bytes >> 20));
		goto fail;
	}
	vm->mem_size = mem_bytes;
	region.size = mem_bytes;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, HVX_SET_MEMORY_REGION, &region)) {
		fprintf(stderr, "vmctl: cannot give the VM its memory: %s\n",
			strerror(errno));
		goto fail;
	}
	vm->vcpu_fd = ioctl(vm->fd, HVX_CREATE_VCPU, 0);
	mmap_size = ioctl(vm->sys_fd, HVX_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_fd < 0 || mmap_size <= 0) {
		fprintf(stderr, "vmctl: cannot create a vCPU: %s\n",
			strerror(errno));
		goto fail;
	}
	vm->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		fprintf(stderr, "vmctl: cannot map the vCPU: %s\n",
			strerror(errno));
		goto fail;
	}
	vm->run_size = mmap_size;
	return 0;
fail:
	vmctl_vm_destroy(vm);
	return -1;
}

void vmctl_vm_destroy(struct vmctl_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->vcpu_fd = vm->sys_fd = -1;
}

int vmctl_vm_add_pio(struct vmctl_vm *vm, const struct vmctl_pio_dev *dev)
{
	if (vm->nr_pio == VMCTL_MAX_PIO_DEVS)
		return -1;
	vm->pio[vm->nr_pio++] = *dev;
	return 0;
}

/* Port I/O to a port nobody decodes reads as all ones, like a bus. */
static void handle_pio(struct vmctl_vm *vm)
{
	struct hvx_run *run = vm->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;
	int d;

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		for (d = 0; d < vm->nr_pio; d++) {
			const struct vmctl_pio_dev *dev = &vm->pio[d];

			if (run->io.port < dev->base ||
			    run->io.port >= dev->base + dev->len)
				continue;
			if (run->io.direction == HVX_EXIT_IO_OUT && dev->out)
				dev->out(vm, dev->opaque, run->io.port, data,
					 run->io.size);
			else if (run->io.direction == HVX_EXIT_IO_IN && dev->in)
				dev->in(vm, dev->opaque, run->io.port, data,
					run->io.size);
			break;
		}
		if (d == vm->nr_pio && run->io.direction == HVX_EXIT_IO_IN)
			memset(data, 0xff, run->io.size);
	}
}

enum vmctl_stop vmctl_vm_run(struct vmctl_vm *vm)
{
	struct hvx_run *run = vm->run;

	for (;;) {
		if (ioctl(vm->vcpu_fd, HVX_RUN, 0)) {
			if (errno == EINTR)
				return VMCTL_STOP_SIGNAL;
			fprintf(stderr, "vmctl: HVX_RUN: %s\n", strerror(errno));
			return VMCTL_STOP_ERROR;
		}
		switch (run->exit_reason) {
		case HVX_EXIT_IO:
			handle_pio(vm);
			break;
		case HVX_EXIT_MMIO:
			/* No MMIO devices yet: reads see all ones. */
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		case HVX_EXIT_HLT:
			return VMCTL_STOP_HALT;
		case HVX_EXIT_SHUTDOWN:
			return VMCTL_STOP_SHUTDOWN;
		case HVX_EXIT_FAIL_ENTRY:
			fprintf(stderr, "vmctl: VM entry failed: exit reason %u, qualification %#llx\n",
				run->fail_entry.hardware_exit_reason,
				(unsigned long long)run->fail_entry.qualification);
			return VMCTL_STOP_ERROR;
		case HVX_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "vmctl: internal error %u: %#llx %#llx\n",
				run->internal.suberror,
				(unsigned long long)run->internal.data[0],
				(unsigned long long)run->internal.data[1]);
			return VMCTL_STOP_ERROR;
		default:
			fprintf(stderr, "vmctl: unexpected exit %u\n",
				run->exit_reason);
			return VMCTL_STOP_ERROR;
		}
	}
}

static const char *const vmx_exit_names[HVX_STAT_EXIT_REASONS] = {
	[0] = "exception/NMI", [1] = "external interrupt",
	[2] = "triple fault", [10] = "CPUID", [12] = "HLT",
	[28] = "CR access", [29] = "DR access", [30] = "I/O instruction",
	[31] = "RDMSR", [32] = "WRMSR", [48] = "EPT violation",
	[55] = "XSETBV",
};

void vmctl_vm_print_stats(struct vmctl_vm *vm, FILE *out)
{
	struct hvx_vcpu_stats st;
	int i;

	if (ioctl(vm->vcpu_fd, HVX_GET_VCPU_STATS, &st))
		return;
	fprintf(out, "vCPU 0: %llu exits, %llu returns to vmctl, %llu us in guest\n",
		(unsigned long long)st.exits,
		(unsigned long long)st.exits_to_user,
		(unsigned long long)st.guest_ns / 1000);
	for (i = 0; i < HVX_STAT_EXIT_REASONS; i++)
		if (st.exit_reason[i])
			fprintf(out, "  %-20s %llu\n",
				vmx_exit_names[i] ? vmx_exit_names[i] : "other",
				(unsigned long long)st.exit_reason[i]);
}
