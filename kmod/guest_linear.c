// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-linear memory for the exit handlers: an address the guest names
 * (the operand of INS/OUTS, an instruction's bytes, a string element of
 * an emulated instruction) translated through the guest's own page tables
 * (guest_paging.c) and read or written in its memory slots, or checked as
 * the CPU checks a data access, with the #PF it would raise.
 */
#include <linux/kernel.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>

#include "exits_internal.h"
#include "guest_paging.h"
#include "hvx.h"
#include "vcpu.h"
#include "vm.h"
#include "vmcs.h"
#include "vmx.h"

static int read_gpa_cb(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	return hvx_vm_read_gpa(opaque, gpa, buf, len);
}

void hvx_guest_paging_ctx(struct hvx_vcpu *v, struct hvx_paging_ctx *ctx)
{
	*ctx = (struct hvx_paging_ctx) {
		.cr0 = hvx_vmx_get_cr0(), .cr3 = vmcs_readl(GUEST_CR3),
		.cr4 = hvx_vmx_get_cr4(), .efer = hvx_vmx_get_efer(),
		.read_gpa = read_gpa_cb, .opaque = v->vm,
	};
}

int hvx_guest_linear_access(struct hvx_vcpu *v, u64 gva, void *buf,
			    unsigned int len, bool write)
{
	struct hvx_paging_ctx ctx;

	hvx_guest_paging_ctx(v, &ctx);
	while (len) {
		unsigned int n = min_t(u64, len, PAGE_SIZE - (gva & ~PAGE_MASK));
		u64 gpa;
		int err;

		err = hvx_gva_to_gpa(&ctx, gva, &gpa);
		if (err)
			return err;
		err = write ? hvx_vm_write_gpa(v->vm, gpa, buf, n) :
			      hvx_vm_read_gpa(v->vm, gpa, buf, n);
		if (err)
			return err;
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * The memory operand of INS or OUTS, or one that MMIO emulation accesses
 * by linear address, checked as the CPU checks it: every page present,
 * writable for a write, user-accessible at CPL 3 (SDM Vol. 3A 4.6). On a
 * violation the guest gets the #PF it would have got, with CR2 at the
 * first byte of the page at fault, and 1 is returned.
 */
int hvx_guest_linear_check(struct hvx_vcpu *v, u64 gva, unsigned int len,
			   bool write)
{
	bool user = (vmcs_read16(GUEST_SS_SELECTOR) & 3) == 3 &&
		    (hvx_vmx_get_cr0() & X86_CR0_PE);
	struct hvx_paging_ctx ctx;
	u64 end = gva + len, gpa;
	int err;

	hvx_guest_paging_ctx(v, &ctx);
	ctx.access = (write ? HVX_ACCESS_WRITE : 0) |
		     (user ? HVX_ACCESS_USER : 0);
	for (; gva < end; gva = (gva | ~PAGE_MASK) + 1) {
		err = hvx_gva_to_gpa(&ctx, gva, &gpa);
		if (err == -EFAULT || err == -EACCES) {
			u32 code = (err == -EACCES ? X86_PF_PROT : 0) |
				   (write ? X86_PF_WRITE : 0) |
				   (user ? X86_PF_USER : 0);

			v->regs[HVX_CR2] = gva;
			hvx_vmx_inject_exception(X86_TRAP_PF, true, code);
			return 1;
		}
		if (err)
			return err;
	}
	return 0;
}

