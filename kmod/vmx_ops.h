/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrappers around the VMX instructions. Each reports the two failure
 * kinds apart: VMfail (the instruction ran and refused, CF or ZF set; SDM
 * Vol. 3C 31.2 "Conventions") and a fault (#UD or #GP, caught through the
 * exception table so that a broken precondition cannot oops the host).
 */
#ifndef HVX_VMX_OPS_H
#define HVX_VMX_OPS_H

#include <linux/errno.h>
#include <linux/types.h>
#include <asm/asm.h>

static __always_inline int hvx_vmxon(u64 vmxon_pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jbe %l[vmfail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (vmxon_pa) : "cc", "memory" : vmfail, fault);
	return 0;
vmfail:
	return -EIO;
fault:
	return -EFAULT;
}

static __always_inline int hvx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 "jbe %l[vmfail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : vmfail, fault);
	return 0;
vmfail:
	return -EIO;
fault:
	return -EFAULT;
}

/* VMCLEAR, VMPTRLD: a failure means a corrupt or misused VMCS pointer. */
static __always_inline int hvx_vmclear(u64 vmcs_pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "jbe %l[vmfail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (vmcs_pa) : "cc", "memory" : vmfail, fault);
	return 0;
vmfail:
	return -EIO;
fault:
	return -EFAULT;
}

static __always_inline int hvx_vmptrld(u64 vmcs_pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jbe %l[vmfail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (vmcs_pa) : "cc", "memory" : vmfail, fault);
	return 0;
vmfail:
	return -EIO;
fault:
	return -EFAULT;
}

/* INVEPT/INVVPID descriptors: SDM Vol. 3C 30.3, "INVEPT" and "INVVPID". */
static __always_inline int hvx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, reserved; } desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jbe %l[vmfail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory"
		 : vmfail, fault);
	return 0;
vmfail:
	return -EIO;
fault:
	return -EFAULT;
}

static __always_inline int hvx_invvpid(unsigned long type, u16 vpid, u64 gva)
{
	struct { u64 vpid, gva; } desc = { vpid, gva };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 "jbe %l[vmfail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory"
		 : vmfail, fault);
	return 0;
vmfail:
	return -EIO;
fault:
	return -EFAULT;
}

#endif /* HVX_VMX_OPS_H */
