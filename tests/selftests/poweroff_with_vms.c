// SPDX-License-Identifier: GPL-2.0
/*
 * Leave VMs running into the host's power-off: one vCPU spinning in guest
 * mode, one asleep in HLT (an in-kernel irqchip makes it sleep), each in
 * its own thread. The suite starts this last, in the background; the
 * reboot notifier then leaves VMX root on every CPU under them, and the
 * kernel must go on to "reboot: Power down" without an oops.
 *
 * Prints "HVX-POWEROFF: vCPUs running" once both are in their HVX_RUN,
 * then how each HVX_RUN ended (EIO: hvx refused to enter, VMX is off).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "hvx_vm.h"

#define REAL_CODE_SEG		0x0100
#define REAL_CODE_GPA		0x1000ull
#define READY_PORT		0x80
#define X86_RFLAGS_IF		(1ull << 9)

/* out %al, $0x80; jmp . */
static const uint8_t spin_code[] = { 0xe6, READY_PORT, 0xeb, 0xfe };
/* out %al, $0x80; sti; hlt; jmp back to the sti */
static const uint8_t sleep_code[] = { 0xe6, READY_PORT, 0xfb, 0xf4, 0xeb, 0xfc };

struct runner {
	const char *name;
	struct hvx_vcpu *vcpu;
	volatile int started;
};

static void *run_fn(void *arg)
{
	struct runner *r = arg;

	if (__vcpu_run(r->vcpu) || r->vcpu->run->exit_reason != HVX_EXIT_IO) {
		printf("HVX-POWEROFF: %s did not start: %s\n", r->name,
		       strerror(errno));
		return NULL;
	}
	r->started = 1;
	/* Until VMX is gone, or forever. */
	while (__vcpu_run(r->vcpu) == 0 ||
	       (errno == EINTR || errno == EAGAIN))
		;
	printf("HVX-POWEROFF: %s: HVX_RUN ended: %s\n", r->name,
	       strerror(errno));
	fflush(stdout);
	return NULL;
}

static struct hvx_vcpu *new_vcpu(const uint8_t *code, size_t len,
				 bool irqchip)
{
	struct hvx_vm *vm = vm_create(HVX_SYS_SIZE);
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;

	if (irqchip && ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0))
		TEST_FAIL("HVX_CREATE_IRQCHIP: %s", strerror(errno));
	vcpu = vcpu_add(vm, 0);
	vm_write(vm, REAL_CODE_GPA, code, len);
	vcpu_setup_real_mode(vcpu, REAL_CODE_SEG, 0);
	/* Bochs exits on host interrupts only while the guest has IF set. */
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= X86_RFLAGS_IF;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

int main(void)
{
	struct runner spin = { "spinning vCPU" }, nap = { "sleeping vCPU" };
	pthread_t t1, t2;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	spin.vcpu = new_vcpu(spin_code, sizeof(spin_code), false);
	nap.vcpu = new_vcpu(sleep_code, sizeof(sleep_code), true);
	if (pthread_create(&t1, NULL, run_fn, &spin) ||
	    pthread_create(&t2, NULL, run_fn, &nap))
		return 1;
	for (i = 0; i < 600 && !(spin.started && nap.started); i++)
		usleep(100000);
	if (!(spin.started && nap.started))
		return 1;
	printf("HVX-POWEROFF: vCPUs running\n");
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
