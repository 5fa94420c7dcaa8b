// SPDX-License-Identifier: GPL-2.0
/*
 * VM setup and the run loop of vmctl: create the VM, its memory and its
 * vCPUs, run each vCPU on a thread, and hand each exit to the device that
 * owns it.
 *
 * Signals: the main thread blocks SIGINT, SIGTERM, SIGUSR2 (and the other
 * threads inherit that) and waits for them in vmctl_vm_run(). vCPU threads
 * leave SIGUSR1 open: vmctl_vm_stop() sends it to make HVX_RUN return
 * EINTR, with immediate_exit set for a thread between two HVX_RUNs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/vm.h"
#include "vmctl.h"

#define SIG_KICK	SIGUSR1		/* to vCPU threads */
#define SIG_WAKE	SIGUSR2		/* to the main thread */

static int vcpu_create(struct vmctl_vm *vm, unsigned int id, long mmap_size)
{
	struct vmctl_vcpu *c = &vm->vcpus[id];

	c->vm = vm;
	c->id = id;
	c->fd = ioctl(vm->fd, HVX_CREATE_VCPU, id);
	if (c->fd < 0) {
		fprintf(stderr, "vmctl: cannot create vCPU %u: %s\n", id,
			strerror(errno));
		return -1;
	}
	c->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		fprintf(stderr, "vmctl: cannot map vCPU %u: %s\n", id,
			strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t vmctl_capability(int sys_fd, uint32_t cap)
{
	struct hvx_capability c = { .cap = cap };

	return ioctl(sys_fd, HVX_CHECK_CAPABILITY, &c) ? 0 : c.value;
}

int vmctl_vm_create(struct vmctl_vm *vm, uint64_t mem_bytes,
		    const struct vmctl_mem_opts *mem, unsigned int nr_vcpus,
		    bool irqchip)
{
	struct hvx_memory_region region = { 0 };
	long mmap_size;
	unsigned int i;

	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->vcpu_fd = -1;
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;
	vmctl_bus_init(&vm->pio, "port");
	vmctl_bus_init(&vm->mmio, "MMIO");
	vm->sys_fd = vmctl_open_hvx();
	if (vm->sys_fd < 0)
		return -1;
	vm->fd = ioctl(vm->sys_fd, HVX_CREATE_VM, 0);
	if (vm->fd < 0) {
		fprintf(stderr, "vmctl: cannot create a VM: %s\n",
			strerror(errno));
		goto fail;
	}
	if (irqchip && ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0)) {
		fprintf(stderr, "vmctl: cannot create the interrupt controllers: %s%s\n",
			strerror(errno), errno == ENOTTY ?
			" (the hvx module is older than vmctl)" : "");
		goto fail;
	}
	vm->irqchip = irqchip;
	vm->tsc_khz = vmctl_capability(vm->sys_fd, HVX_CAP_TSC_KHZ);
	vm->tsc_adjust = vmctl_capability(vm->sys_fd, HVX_CAP_TSC_ADJUST);
	vm->tsc_aux = vmctl_capability(vm->sys_fd, HVX_CAP_TSC_AUX) > 0;
	vm->msi = irqchip && vmctl_capability(vm->sys_fd, HVX_CAP_SIGNAL_MSI);
	vm->ioeventfd = vmctl_capability(vm->sys_fd, HVX_CAP_IOEVENTFD) > 0;
	/* An MSI irqfd needs the in-kernel APICs to deliver to. */
	vm->irqfd = irqchip && vmctl_capability(vm->sys_fd, HVX_CAP_IRQFD) > 0;
	vm->mem = vmctl_guest_ram_map(mem_bytes, mem ? mem :
					 &(struct vmctl_mem_opts){ VMCTL_MEM_ANON });
	if (!vm->mem)
		goto fail;
	vm->mem_size = mem_bytes;
	vm->mem_backend = mem ? mem->backend : VMCTL_MEM_ANON;
	region.size = mem_bytes;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, HVX_SET_MEMORY_REGION, &region)) {
		fprintf(stderr, "vmctl: cannot give the VM its memory: %s\n",
			strerror(errno));
		goto fail;
	}
	mmap_size = ioctl(vm->sys_fd, HVX_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		fprintf(stderr, "vmctl: HVX_GET_VCPU_MMAP_SIZE: %s\n",
			strerror(errno));
		goto fail;
	}
	vm->run_size = mmap_size;
	for (i = 0; i < nr_vcpus; i++)
		if (vcpu_create(vm, i, mmap_size))
			goto fail;
	vm->nr_vcpus = nr_vcpus;
	vm->vcpu_fd = vm->vcpus[0].fd;
	vm->run = vm->vcpus[0].run;
	return 0;
fail:
	vm->nr_vcpus = nr_vcpus;
	vmctl_vm_destroy(vm);
	return -1;
}

void vmctl_vm_destroy(struct vmctl_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	vmctl_guest_ram_unmap(vm->mem, vm->mem_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vmctl_bus_destroy(&vm->pio);
	vmctl_bus_destroy(&vm->mmio);
	memset(vm, 0, sizeof(*vm));
	vm->fd = vm->vcpu_fd = vm->sys_fd = -1;
}

int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int level)
{
	struct hvx_irq_line line = { .gsi = gsi, .level = !!level };

	/* Without interrupt controllers the line leads nowhere. */
	if (!vm->irqchip)
		return 0;
	if (ioctl(vm->fd, HVX_IRQ_LINE, &line)) {
		fprintf(stderr, "vmctl: HVX_IRQ_LINE %u: %s\n", gsi,
			strerror(errno));
		return -1;
	}
	return 0;
}

int vmctl_vm_signal_msi(struct vmctl_vm *vm, uint64_t addr, uint32_t data)
{
	struct hvx_msi msi = { .address = addr, .data = data };

	if (vm->msi && ioctl(vm->fd, HVX_SIGNAL_MSI, &msi) >= 0)
		return 0;
	/* A guest can program any message: say it once, not per interrupt. */
	if (!atomic_exchange(&vm->msi_told, true))
		fprintf(stderr, "vmctl: cannot send MSI %#llx/%#x: %s\n",
			(unsigned long long)addr, data,
			vm->msi ? strerror(errno) : "the hvx module has no HVX_SIGNAL_MSI");
	return -1;
}

int vmctl_vm_ioeventfd(struct vmctl_vm *vm, uint64_t addr, unsigned int len,
		       bool pio, bool match, uint64_t value, int fd,
		       bool deassign)
{
	struct hvx_ioeventfd e = {
		.addr = addr, .len = len, .fd = fd, .datamatch = value,
		.flags = (pio ? HVX_IOEVENTFD_PIO : HVX_IOEVENTFD_MMIO) |
			 (match ? HVX_IOEVENTFD_DATAMATCH : 0) |
			 (deassign ? HVX_IOEVENTFD_DEASSIGN : 0),
	};

	if (!vm->ioeventfd) {
		errno = ENOTTY;
		return -1;
	}
	return ioctl(vm->fd, HVX_IOEVENTFD, &e) ? -1 : 0;
}

int vmctl_vm_irqfd(struct vmctl_vm *vm, int fd, uint64_t addr, uint32_t data,
		   bool deassign)
{
	struct hvx_irqfd f = {
		.fd = fd,
		.flags = deassign ? HVX_IRQFD_DEASSIGN : HVX_IRQFD_MSI,
		.msi_address = deassign ? 0 : addr,
		.msi_data = deassign ? 0 : data,
	};

	if (!vm->irqfd) {
		errno = ENOTTY;
		return -1;
	}
	return ioctl(vm->fd, HVX_IRQFD, &f) ? -1 : 0;
}

void *vmctl_vm_gpa(struct vmctl_vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

void vmctl_vm_stop(struct vmctl_vm *vm, enum vmctl_stop why)
{
	int none = VMCTL_STOP_NONE;
	unsigned int i;

	if (!atomic_compare_exchange_strong(&vm->stop, &none, why))
		return;		/* already stopping */
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmctl_vcpu *c = &vm->vcpus[i];

		c->run->immediate_exit = 1;
		if (c->started)
			pthread_kill(c->thread, SIG_KICK);
	}
	if (atomic_load(&vm->running))
		pthread_kill(vm->main_thread, SIG_WAKE);
}

/*
 * Port I/O to a port nobody decodes reads as all ones, like a bus; the
 * ports of the PC's absent 8259s are a device of their own (hw/legacy.c).
 */
static void handle_pio(struct vmctl_vm *vm, struct hvx_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += run->io.size)
		vmctl_bus_access(&vm->pio, run->io.port,
				 run->io.direction == HVX_EXIT_IO_OUT, data,
				 run->io.size);
}

/* One HVX_RUN's exit: VMCTL_STOP_NONE to go on, else why to stop. */
static enum vmctl_stop handle_exit(struct vmctl_vcpu *c)
{
	struct hvx_run *run = c->run;

	switch (run->exit_reason) {
	case HVX_EXIT_IO:
		handle_pio(c->vm, run);
		return VMCTL_STOP_NONE;
	case HVX_EXIT_MMIO:
		if (run->mmio.len > sizeof(run->mmio.data)) {
			fprintf(stderr, "vmctl: vCPU %u: MMIO exit of %u bytes\n",
				c->id, run->mmio.len);
			return VMCTL_STOP_ERROR;
		}
		vmctl_bus_access(&c->vm->mmio, run->mmio.phys_addr,
				 run->mmio.is_write, run->mmio.data,
				 run->mmio.len);
		return VMCTL_STOP_NONE;
	case HVX_EXIT_HLT:
		return VMCTL_STOP_HALT;
	case HVX_EXIT_SHUTDOWN:
		fprintf(stderr, "vmctl: vCPU %u triple-faulted\n", c->id);
		return VMCTL_STOP_SHUTDOWN;
	case HVX_EXIT_FAIL_ENTRY:
		fprintf(stderr, "vmctl: vCPU %u: VM entry failed: exit reason %u, qualification %#llx\n",
			c->id, run->fail_entry.hardware_exit_reason,
			(unsigned long long)run->fail_entry.qualification);
		return VMCTL_STOP_ERROR;
	case HVX_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "vmctl: vCPU %u: internal error %u: %#llx %#llx %#llx\n",
			c->id, run->internal.suberror,
			(unsigned long long)run->internal.data[0],
			(unsigned long long)run->internal.data[1],
			(unsigned long long)run->internal.data[2]);
		return VMCTL_STOP_ERROR;
	default:
		fprintf(stderr, "vmctl: vCPU %u: unexpected exit %u\n", c->id,
			run->exit_reason);
		return VMCTL_STOP_ERROR;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vmctl_vcpu *c = arg;
	struct vmctl_vm *vm = c->vm;
	enum vmctl_stop why = VMCTL_STOP_NONE;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	while (why == VMCTL_STOP_NONE && !atomic_load(&vm->stop)) {
		if (ioctl(c->fd, HVX_RUN, 0)) {
			if (errno == EINTR)
				continue;	/* a kick: look at vm->stop */
			fprintf(stderr, "vmctl: vCPU %u: HVX_RUN: %s\n", c->id,
				strerror(errno));
			why = VMCTL_STOP_ERROR;
			break;
		}
		why = handle_exit(c);
	}
	if (why != VMCTL_STOP_NONE)
		vmctl_vm_stop(vm, why);
	return NULL;
}

static void on_kick(int sig)
{
}

enum vmctl_stop vmctl_vm_run(struct vmctl_vm *vm, unsigned int timeout_s)
{
	struct sigaction sa = { .sa_handler = on_kick };
	struct timespec deadline, now, left;
	pthread_attr_t attr;
	sigset_t wait, old;
	unsigned int i;
	int sig;

	/* No SA_RESTART: the kick must interrupt HVX_RUN. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_KICK, &sa, NULL);
	sigemptyset(&wait);
	sigaddset(&wait, SIGINT);
	sigaddset(&wait, SIGTERM);
	sigaddset(&wait, SIG_WAKE);
	sigaddset(&wait, SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &wait, &old);
	sigdelset(&wait, SIG_KICK);
	vm->main_thread = pthread_self();
	atomic_store(&vm->running, true);
	atomic_store(&vm->stop, VMCTL_STOP_NONE);
	for (i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].run->immediate_exit = 0;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmctl_vcpu *c = &vm->vcpus[i];
		char comm[16];
		int err;

		/* Pinned from its first instruction, not moved after it ran. */
		err = pthread_attr_init(&attr);
		if (!err && c->affinity)
			err = pthread_attr_setaffinity_np(&attr, sizeof(*c->affinity),
							  c->affinity);
		if (!err)
			err = pthread_create(&c->thread, &attr, vcpu_thread, c);
		pthread_attr_destroy(&attr);
		if (err) {
			fprintf(stderr, "vmctl: cannot start vCPU %u: %s\n", i,
				strerror(err));
			vmctl_vm_stop(vm, VMCTL_STOP_ERROR);
			break;
		}
		c->started = true;
		/* Its name in ps -T, top -H and /proc/PID/task/TID/comm. */
		snprintf(comm, sizeof(comm), "vcpu%u", i);
		pthread_setname_np(c->thread, comm);
	}

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	while (!atomic_load(&vm->stop)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000;
			left.tv_sec--;
		}
		if (timeout_s && left.tv_sec < 0) {
			vmctl_vm_stop(vm, VMCTL_STOP_TIMEOUT);
			break;
		}
		sig = sigtimedwait(&wait, NULL, timeout_s ? &left : NULL);
		if (sig == SIGINT || sig == SIGTERM)
			vmctl_vm_stop(vm, VMCTL_STOP_SIGNAL);
	}

	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
	atomic_store(&vm->running, false);
	/* A wake-up sent while stopping must not outlive the run. */
	while (sigtimedwait(&wait, NULL, &(struct timespec){ 0 }) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return atomic_load(&vm->stop);
}

static const char *const vmx_exit_names[HVX_STAT_EXIT_REASONS] = {
	[0] = "exception/NMI", [1] = "external interrupt",
	[2] = "triple fault", [7] = "interrupt window", [10] = "CPUID",
	[12] = "HLT", [28] = "CR access", [29] = "DR access",
	[30] = "I/O instruction", [31] = "RDMSR", [32] = "WRMSR",
	[48] = "EPT violation", [52] = "preemption timer", [55] = "XSETBV",
};

/* Keys for exits_by_reason (vmctl info, vmctl top): short, one word. */
static const char *const vmx_exit_keys[HVX_STAT_EXIT_REASONS] = {
	[0] = "exception", [1] = "external_interrupt", [2] = "triple_fault",
	[7] = "interrupt_window", [8] = "nmi_window", [10] = "cpuid",
	[12] = "hlt", [18] = "vmcall", [28] = "cr", [29] = "dr", [30] = "io",
	[31] = "rdmsr", [32] = "wrmsr", [43] = "tpr_threshold",
	[44] = "apic_access", [48] = "ept_violation", [49] = "ept_misconfig",
	[52] = "preemption_timer", [54] = "wbinvd", [55] = "xsetbv",
};

void vmctl_vm_info_stats(struct vmctl_vm *vm, FILE *out)
{
	struct hvx_vcpu_stats st, sum = { 0 };
	unsigned int v;
	int i;

	/* The module answers while the vCPUs run (it takes no vCPU lock). */
	for (v = 0; v < vm->nr_vcpus; v++) {
		if (ioctl(vm->vcpus[v].fd, HVX_GET_VCPU_STATS, &st))
			continue;
		sum.exits += st.exits;
		sum.guest_ns += st.guest_ns;
		sum.halt_ns += st.halt_ns;
		for (i = 0; i < HVX_STAT_EXIT_REASONS; i++)
			sum.exit_reason[i] += st.exit_reason[i];
	}
	fprintf(out, "exits: %llu\n", (unsigned long long)sum.exits);
	fprintf(out, "exits_by_reason:");
	for (i = 0; i < HVX_STAT_EXIT_REASONS; i++) {
		if (!sum.exit_reason[i])
			continue;
		if (vmx_exit_keys[i])
			fprintf(out, " %s=", vmx_exit_keys[i]);
		else
			fprintf(out, " reason%d=", i);
		fprintf(out, "%llu", (unsigned long long)sum.exit_reason[i]);
	}
	fprintf(out, "\n");
	fprintf(out, "guest_ns: %llu\n", (unsigned long long)sum.guest_ns);
	fprintf(out, "halt_ns: %llu\n", (unsigned long long)sum.halt_ns);
}

void vmctl_vm_print_stats(struct vmctl_vm *vm, FILE *out)
{
	struct hvx_vcpu_stats st;
	unsigned int v;
	int i;

	const struct vmctl_bus *bus[] = { &vm->pio, &vm->mmio };

	for (i = 0; i < 2; i++) {
		fprintf(out, "unclaimed %s accesses: %llu reads, %llu writes",
			bus[i]->space,
			(unsigned long long)bus[i]->unclaimed_reads,
			(unsigned long long)bus[i]->unclaimed_writes);
		if (bus[i]->unclaimed_reads || bus[i]->unclaimed_writes)
			fprintf(out, ", the last at %#llx",
				(unsigned long long)bus[i]->last_unclaimed);
		fprintf(out, "\n");
	}

	for (v = 0; v < vm->nr_vcpus; v++) {
		if (ioctl(vm->vcpus[v].fd, HVX_GET_VCPU_STATS, &st))
			continue;
		fprintf(out, "vCPU %u: %llu exits, %llu returns to vmctl, %llu us in guest, %llu us halted, %llu halts ended polling\n",
			v, (unsigned long long)st.exits,
			(unsigned long long)st.exits_to_user,
			(unsigned long long)st.guest_ns / 1000,
			(unsigned long long)st.halt_ns / 1000,
			(unsigned long long)st.halt_poll_wakes);
		for (i = 0; i < HVX_STAT_EXIT_REASONS; i++)
			if (st.exit_reason[i])
				fprintf(out, "  %-20s %llu\n",
					vmx_exit_names[i] ? vmx_exit_names[i] :
					"other", (unsigned long long)st.exit_reason[i]);
	}
}
