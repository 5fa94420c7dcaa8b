/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the exit handlers (exits.c) and the MMIO instruction emulation
 * (mmio_emulate.c) share: their return convention, the guest's GPRs as
 * instructions name them, guest-linear memory, and the internal-error
 * exit. Not for the rest of the module.
 */
#ifndef HVX_EXITS_INTERNAL_H
#define HVX_EXITS_INTERNAL_H

#include <linux/types.h>

#include "vcpu.h"
#include "vmcs.h"

/* A handler's return: enter the guest again, or go to user space. */
#define RESUME_GUEST	1
#define EXIT_TO_USER	0

struct hvx_paging_ctx;

/* GPR @reg (HVX_RAX...) as instructions see it: RSP lives in the VMCS. */
static inline unsigned long hvx_reg_read(struct hvx_vcpu *v, int reg)
{
	return reg == HVX_RSP ? vmcs_readl(GUEST_RSP) : v->regs[reg];
}

static inline void hvx_reg_write(struct hvx_vcpu *v, int reg,
				 unsigned long val)
{
	if (reg == HVX_RSP)
		vmcs_writel(GUEST_RSP, val);
	else
		v->regs[reg] = val;
}

/*
 * An HVX_EXIT_INTERNAL_ERROR with @suberror and @ndata u64 values for
 * user space; returns EXIT_TO_USER.
 */
int hvx_internal_error(struct hvx_vcpu *v, u32 suberror, u32 ndata, ...);

/* guest_linear.c: guest-linear memory through the guest's page tables. */
void hvx_guest_paging_ctx(struct hvx_vcpu *v, struct hvx_paging_ctx *ctx);
/* Read or write @len bytes at @gva: 0, or the walker's or slot's errno. */
int hvx_guest_linear_access(struct hvx_vcpu *v, u64 gva, void *buf,
			    unsigned int len, bool write);
/*
 * Check [@gva, @gva + @len) as the CPU would for a data access; on a
 * violation inject the #PF it would raise and return 1; 0 if it may go
 * on; a negative errno if the walk itself failed.
 */
int hvx_guest_linear_check(struct hvx_vcpu *v, u64 gva, unsigned int len,
			   bool write);

/* mmio_emulate.c: the instruction at RIP touched MMIO at @gpa. */
int hvx_emulate_mmio(struct hvx_vcpu *v, u64 gpa, bool write);
/* HVX_RUN after an HVX_EXIT_MMIO of an emulated instruction. */
int hvx_emul_complete(struct hvx_vcpu *v);

#endif /* HVX_EXITS_INTERNAL_H */
