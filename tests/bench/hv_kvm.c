// SPDX-License-Identifier: GPL-2.0
/* exit_bench's KVM back end: /dev/kvm, linux/kvm.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "bench.h"

static int kvm_create_vm(struct hv *hv, bool irqchip)
{
	struct kvm_userspace_memory_region r = {
		.memory_size = hv->mem_size,
		.userspace_addr = (uintptr_t)hv->mem,
	};

	hv->nr_vcpus = 0;
	hv->vm = ioctl(hv->sys, KVM_CREATE_VM, 0);
	if (hv->vm < 0 || ioctl(hv->vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -1;
	return irqchip ? ioctl(hv->vm, KVM_CREATE_IRQCHIP, 0) : 0;
}

static int kvm_create_vcpu(struct hv *hv, struct hv_vcpu *v, unsigned int id)
{
	v->id = id;
	v->fd = ioctl(hv->vm, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return -1;
	hv->nr_vcpus++;
	v->run = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	return v->run == MAP_FAILED ? -1 : 0;
}

static int kvm_set_real_mode(struct hv *hv, struct hv_vcpu *v, uint64_t rip,
			     uint64_t rbp)
{
	struct kvm_regs regs = { .rip = rip, .rbp = rbp, .rflags = 2 };
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		return -1;
	s.cs.selector = 0;
	s.cs.base = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		return -1;
	return ioctl(v->fd, KVM_SET_REGS, &regs);
}

static int kvm_set_long_mode(struct hv *hv, struct hv_vcpu *v,
			     const struct lm_state *st)
{
	struct kvm_regs regs = {
		.rip = st->rip, .rsp = st->rsp, .rbp = st->rbp,
		.rflags = st->rflags,
	};
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		return -1;
	LM_FILL_SREGS(s, st);
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		return -1;
	return ioctl(v->fd, KVM_SET_REGS, &regs);
}

static int kvm_run_vcpu(struct hv *hv, struct hv_vcpu *v, struct hv_exit *e)
{
	struct kvm_run *run = v->run;

	if (ioctl(v->fd, KVM_RUN, 0))
		return -1;
	memset(e, 0, sizeof(*e));
	e->reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_HLT:
		e->kind = HV_EXIT_HLT;
		break;
	case KVM_EXIT_IO:
		e->kind = HV_EXIT_IO;
		e->port = run->io.port;
		e->out = run->io.direction == KVM_EXIT_IO_OUT;
		if (e->out && run->io.size <= 4)
			memcpy(&e->data, (char *)run + run->io.data_offset,
			       run->io.size);
		break;
	case KVM_EXIT_MMIO:
		e->kind = HV_EXIT_MMIO;
		break;
	default:
		e->kind = HV_EXIT_OTHER;
	}
	return 0;
}

static int kvm_ioeventfd(struct hv *hv, uint64_t addr, int fd, bool deassign)
{
	struct kvm_ioeventfd e = {
		.addr = addr, .len = 1, .fd = fd,
		.flags = deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0,
	};

	return ioctl(hv->vm, KVM_IOEVENTFD, &e);
}

static uint64_t kvm_tsc_khz(struct hv *hv, struct hv_vcpu *v)
{
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

	return khz > 0 ? khz : 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID, with TSC-deadline (leaf 1 ECX bit 24) set as
 * QEMU does where KVM_CAP_TSC_DEADLINE_TIMER says the in-kernel APIC has
 * it (the supported list leaves it to user space), and x2APIC cleared:
 * without the CPUID bit the deadline MSR #GPs and the LVT timer has no
 * TSC-deadline mode.
 */
static int kvm_set_cpuid(struct hv *hv, struct hv_vcpu *v, const char **why)
{
	enum { MAX = 256 };
	struct kvm_cpuid2 *c;
	uint32_t i;

	if (ioctl(hv->sys, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) <= 0) {
		*why = "no KVM_CAP_TSC_DEADLINE_TIMER";
		return -1;
	}
	c = calloc(1, sizeof(*c) + MAX * sizeof(c->entries[0]));
	if (!c)
		die("calloc");
	c->nent = MAX;
	if (ioctl(hv->sys, KVM_GET_SUPPORTED_CPUID, c)) {
		*why = "KVM_GET_SUPPORTED_CPUID failed";
		free(c);
		return -1;
	}
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx = (c->entries[i].ecx | 1u << 24) &
					    ~(1u << 21);
	if (ioctl(v->fd, KVM_SET_CPUID2, c)) {
		*why = "KVM_SET_CPUID2 failed";
		free(c);
		return -1;
	}
	free(c);
	return 0;
}

const struct hv_ops kvm_ops = {
	.create_vm = kvm_create_vm,
	.create_vcpu = kvm_create_vcpu,
	.set_real_mode = kvm_set_real_mode,
	.set_long_mode = kvm_set_long_mode,
	.run = kvm_run_vcpu,
	.ioeventfd = kvm_ioeventfd,
	.tsc_khz = kvm_tsc_khz,
	.set_cpuid = kvm_set_cpuid,
};
