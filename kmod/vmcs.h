/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed VMCS accessors. A field's encoding carries its width in bits 14:13
 * (SDM Vol. 3D, appendix B): using the 16-bit accessor on a 64-bit field is
 * a bug that the compiler refuses here, not a silent truncation at run time.
 * Field encodings come from the kernel's <asm/vmx.h>.
 */
#ifndef HVX_VMCS_H
#define HVX_VMCS_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/vmx.h>

enum { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };

static __always_inline void vmcs_check_width(unsigned long field, int w)
{
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&
			 (((field >> 13) & 3) != w ||
			  (w == VMCS_W64 && (field & 1))),
			 "VMCS field accessed with the wrong width");
}

/*
 * VMREAD and VMWRITE report two failures apart: VMfail (CF or ZF; a bad
 * field or no current VMCS) and a fault (#UD outside VMX root: a CPU that
 * went offline, or every CPU once the reboot notifier left VMX root under
 * a running vCPU). The exception table turns the fault into an error
 * report instead of an oops, as KVM does while rebooting.
 */
enum { VMCS_OK, VMCS_VMFAIL, VMCS_FAULT };

void hvx_vmcs_error(const char *op, unsigned long field, unsigned long val,
		    int how);

static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value = 0;
	u8 how = VMCS_FAULT;	/* unless SETNA below runs */

	asm volatile("1: vmread %[field], %[value]\n\t"
		     "setna %[how]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "+rm" (value), [how] "+qm" (how)
		     : [field] "r" (field)
		     : "cc");
	if (unlikely(how))
		hvx_vmcs_error("vmread", field, 0, how);
	return value;
}

static __always_inline void __vmcs_write(unsigned long field,
					 unsigned long value)
{
	u8 how = VMCS_FAULT;

	asm volatile("1: vmwrite %[value], %[field]\n\t"
		     "setna %[how]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [how] "+qm" (how)
		     : [field] "r" (field), [value] "rm" (value)
		     : "cc", "memory");
	if (unlikely(how))
		hvx_vmcs_error("vmwrite", field, value, how);
}

static __always_inline u16 vmcs_read16(unsigned long field)
{
	vmcs_check_width(field, VMCS_W16);
	return __vmcs_read(field);
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	vmcs_check_width(field, VMCS_W32);
	return __vmcs_read(field);
}

static __always_inline u64 vmcs_read64(unsigned long field)
{
	vmcs_check_width(field, VMCS_W64);
	return __vmcs_read(field);
}

static __always_inline unsigned long vmcs_readl(unsigned long field)
{
	vmcs_check_width(field, VMCS_WNAT);
	return __vmcs_read(field);
}

static __always_inline void vmcs_write16(unsigned long field, u16 value)
{
	vmcs_check_width(field, VMCS_W16);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_write32(unsigned long field, u32 value)
{
	vmcs_check_width(field, VMCS_W32);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_write64(unsigned long field, u64 value)
{
	vmcs_check_width(field, VMCS_W64);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_writel(unsigned long field,
					unsigned long value)
{
	vmcs_check_width(field, VMCS_WNAT);
	__vmcs_write(field, value);
}

static __always_inline void vmcs_set_bits32(unsigned long field, u32 bits)
{
	vmcs_write32(field, vmcs_read32(field) | bits);
}

static __always_inline void vmcs_clear_bits32(unsigned long field, u32 bits)
{
	vmcs_write32(field, vmcs_read32(field) & ~bits);
}

#endif /* HVX_VMCS_H */
