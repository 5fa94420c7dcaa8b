// SPDX-License-Identifier: GPL-2.0
/* exit_bench's hvx back end: /dev/hvx, uapi/linux/hvx.h. */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/hvx.h>

#include "bench.h"

static int hvx_create_vm(struct hv *hv, bool irqchip)
{
	struct hvx_memory_region r = {
		.size = hv->mem_size, .userspace_addr = (uintptr_t)hv->mem,
	};

	hv->nr_vcpus = 0;
	hv->vm = ioctl(hv->sys, HVX_CREATE_VM, 0);
	if (hv->vm < 0 || ioctl(hv->vm, HVX_SET_MEMORY_REGION, &r))
		return -1;
	return irqchip ? ioctl(hv->vm, HVX_CREATE_IRQCHIP, 0) : 0;
}

static int hvx_create_vcpu(struct hv *hv, struct hv_vcpu *v, unsigned int id)
{
	v->id = id;
	v->fd = ioctl(hv->vm, HVX_CREATE_VCPU, id);
	if (v->fd < 0)
		return -1;
	hv->nr_vcpus++;
	v->run = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	return v->run == MAP_FAILED ? -1 : 0;
}

static int hvx_set_real_mode(struct hv *hv, struct hv_vcpu *v, uint64_t rip,
			     uint64_t rbp)
{
	struct hvx_regs regs = { .rip = rip, .rbp = rbp, .rflags = 2 };
	struct hvx_sregs s;

	if (ioctl(v->fd, HVX_GET_SREGS, &s))
		return -1;
	s.cs.selector = 0;
	s.cs.base = 0;
	if (ioctl(v->fd, HVX_SET_SREGS, &s))
		return -1;
	return ioctl(v->fd, HVX_SET_REGS, &regs);
}

static int hvx_set_long_mode(struct hv *hv, struct hv_vcpu *v,
			     const struct lm_state *st)
{
	struct hvx_regs regs = {
		.rip = st->rip, .rsp = st->rsp, .rbp = st->rbp,
		.rflags = st->rflags,
	};
	struct hvx_sregs s;

	if (ioctl(v->fd, HVX_GET_SREGS, &s))
		return -1;
	LM_FILL_SREGS(s, st);
	if (ioctl(v->fd, HVX_SET_SREGS, &s))
		return -1;
	return ioctl(v->fd, HVX_SET_REGS, &regs);
}

static int hvx_run(struct hv *hv, struct hv_vcpu *v, struct hv_exit *e)
{
	struct hvx_run *run = v->run;

	if (ioctl(v->fd, HVX_RUN, 0))
		return -1;
	memset(e, 0, sizeof(*e));
	e->reason = run->exit_reason;
	switch (run->exit_reason) {
	case HVX_EXIT_HLT:
		e->kind = HV_EXIT_HLT;
		break;
	case HVX_EXIT_IO:
		e->kind = HV_EXIT_IO;
		e->port = run->io.port;
		e->out = run->io.direction == HVX_EXIT_IO_OUT;
		if (e->out && run->io.size <= 4)
			memcpy(&e->data, (char *)run + run->io.data_offset,
			       run->io.size);
		break;
	case HVX_EXIT_MMIO:
		e->kind = HV_EXIT_MMIO;
		break;
	default:
		e->kind = HV_EXIT_OTHER;
	}
	return 0;
}

static int hvx_ioeventfd(struct hv *hv, uint64_t addr, int fd, bool deassign)
{
	struct hvx_ioeventfd e = {
		.addr = addr, .len = 1, .fd = fd,
		.flags = deassign ? HVX_IOEVENTFD_DEASSIGN : 0,
	};

	return ioctl(hv->vm, HVX_IOEVENTFD, &e);
}

static uint64_t hvx_tsc_khz(struct hv *hv, struct hv_vcpu *v)
{
	struct hvx_capability c = { .cap = HVX_CAP_TSC_KHZ };

	return ioctl(hv->sys, HVX_CHECK_CAPABILITY, &c) ? 0 : c.value;
}

static void host_cpuid(uint32_t fn, struct hvx_cpuid_entry *e)
{
	e->function = fn;
	asm volatile("cpuid" : "=a"(e->eax), "=b"(e->ebx), "=c"(e->ecx),
		     "=d"(e->edx) : "a"(fn), "c"(0));
}

/*
 * hvx has no list of supported leaves: user space composes CPUID
 * (vmctl's boot/cpuid.c). The bench needs none of it, and lapic.c takes
 * TSC-deadline mode whatever CPUID says; the table is leaves 0 and 1 of
 * the host with TSC-deadline and without x2APIC, so that the long-mode
 * CPUID figure searches a table as KVM's does.
 */
static int hvx_set_cpuid(struct hv *hv, struct hv_vcpu *v, const char **why)
{
	struct hvx_cpuid_entry e[2] = { 0 };
	struct hvx_cpuid c = { .nent = 2, .entries = (uintptr_t)e };

	host_cpuid(0, &e[0]);
	e[0].eax = 1;
	host_cpuid(1, &e[1]);
	e[1].ecx = (e[1].ecx | 1u << 24) & ~(1u << 21);
	if (ioctl(v->fd, HVX_SET_CPUID, &c)) {
		*why = "HVX_SET_CPUID failed";
		return -1;
	}
	return 0;
}

const struct hv_ops hvx_ops = {
	.create_vm = hvx_create_vm,
	.create_vcpu = hvx_create_vcpu,
	.set_real_mode = hvx_set_real_mode,
	.set_long_mode = hvx_set_long_mode,
	.run = hvx_run,
	.ioeventfd = hvx_ioeventfd,
	.tsc_khz = hvx_tsc_khz,
	.set_cpuid = hvx_set_cpuid,
};
