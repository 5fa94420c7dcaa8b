/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HVX_EXITS_H
#define HVX_EXITS_H

struct hvx_vcpu;

/*
 * Handle vcpu->exit_reason. Returns 1 to re-enter the guest, 0 to return
 * to user space with vcpu->run filled in, or a negative errno.
 */
int hvx_handle_exit(struct hvx_vcpu *vcpu);
/* VMLAUNCH/VMRESUME failed outright (VMfail): report it, return 0. */
int hvx_entry_failed(struct hvx_vcpu *vcpu);
/*
 * Before re-entry: apply what user space answered to the last exit.
 * Returns 1 to enter the guest, or 0 when the completion itself needs
 * user space again (the write of a read-modify-write, an emulation
 * error) and vcpu->run says so.
 */
int hvx_complete_user_exit(struct hvx_vcpu *vcpu);

/* msr.c: 0, or -EINVAL for an MSR the guest gets #GP on. */
int hvx_msr_read(struct hvx_vcpu *vcpu, u32 index, u64 *value);
/* @host: the write comes from HVX_SET_MSRS, not from the guest's WRMSR. */
int hvx_msr_write(struct hvx_vcpu *vcpu, u32 index, u64 value, bool host);

/* Where I/O data sits in the run page. */
#define HVX_RUN_DATA_OFFSET	1024

#endif /* HVX_EXITS_H */
