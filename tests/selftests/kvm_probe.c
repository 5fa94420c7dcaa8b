// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_probe: can KVM create a VM right now? KVM_CREATE_VM makes kvm-intel
 * enter VMX root on every CPU, so this says whether VMX is free. Used by
 * the demo; exits 0 if KVM got VMX, 1 if not.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hvx_util.h"

int main(void)
{
	int vm = kvm_vm_create();

	if (vm < 0) {
		printf("kvm_probe: KVM_CREATE_VM failed: %s\n", strerror(-vm));
		return 1;
	}
	printf("kvm_probe: KVM_CREATE_VM succeeded: VMX is free\n");
	close(vm);
	return 0;
}
