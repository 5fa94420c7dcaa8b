/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX side of a vCPU: its VMCS, how it follows the vCPU thread from CPU
 * to CPU, the world switch, and the guest state that lives in the VMCS.
 * Nothing outside vmx.c, the exit handlers (exits.c, mmio_emulate.c,
 * guest_linear.c) and msr.c reads or writes a VMCS.
 */
#ifndef HVX_VMX_H
#define HVX_VMX_H

#include <linux/hvx.h>

struct hvx_vcpu;

/* vmx_entry.S: the world switch and the VM-exit landing point. */
int __hvx_vmx_run(unsigned long *regs, bool launched);
void hvx_vmx_vmexit(void);
void hvx_vmx_do_interrupt(unsigned long handler);

int hvx_vmx_init(void);
void hvx_vmx_exit(void);
/* Whether vCPUs with an in-kernel APIC shadow their TPR (HVX_CAP_TPR_SHADOW). */
bool hvx_vmx_tpr_shadow(void);
/* ...and their xAPIC TPR too, through the APIC-access page. */
bool hvx_vmx_apic_access(void);
/* Whether guests' RDTSCP and RDPID read their own TSC_AUX (HVX_CAP_TSC_AUX). */
bool hvx_vmx_tsc_aux(void);
/* Whether a running vCPU's TSC deadline is the VMX-preemption timer's. */
bool hvx_vmx_preemption_deadline(void);
/* On a CPU that leaves VMX root: VMCLEAR every VMCS still loaded there. */
void hvx_vmx_clear_cpu(void);

int hvx_vmx_vcpu_create(struct hvx_vcpu *vcpu);
void hvx_vmx_vcpu_free(struct hvx_vcpu *vcpu);

/* Make the VMCS current on this CPU (preemption disabled). */
void hvx_vmx_vcpu_load(struct hvx_vcpu *vcpu, int cpu);
/* Give the CPU back to the host: restore what a VM exit left changed. */
void hvx_vmx_vcpu_put(struct hvx_vcpu *vcpu);

/*
 * One VM entry and exit, with interrupts disabled. Returns 0 with
 * vcpu->exit_reason set, -EIO if VMLAUNCH/VMRESUME itself failed, or
 * -EAGAIN without entering: this CPU is not in VMX root (going offline,
 * or rebooting).
 */
int hvx_vmx_enter(struct hvx_vcpu *vcpu);

void hvx_vmx_get_regs(struct hvx_vcpu *vcpu, struct hvx_regs *regs);
void hvx_vmx_set_regs(struct hvx_vcpu *vcpu, const struct hvx_regs *regs);
void hvx_vmx_get_sregs(struct hvx_vcpu *vcpu, struct hvx_sregs *sregs);
int hvx_vmx_set_sregs(struct hvx_vcpu *vcpu, const struct hvx_sregs *sregs);

/* Guest control registers, with the checks a MOV to CRn would make. */
int hvx_vmx_set_cr0(struct hvx_vcpu *vcpu, unsigned long cr0);
int hvx_vmx_set_cr4(struct hvx_vcpu *vcpu, unsigned long cr4);
unsigned long hvx_vmx_get_cr0(void);
unsigned long hvx_vmx_get_cr4(void);
u64 hvx_vmx_get_efer(void);
int hvx_vmx_set_efer(struct hvx_vcpu *vcpu, u64 efer);

/* CPU mode for instruction decoding: HVX_CPU_MODE_16/32/64. */
int hvx_vmx_cpu_mode(void);

void hvx_vmx_skip_instruction(struct hvx_vcpu *vcpu);
void hvx_vmx_reset(struct hvx_vcpu *vcpu);
void hvx_vmx_start_at_sipi(struct hvx_vcpu *vcpu, u8 vector);
/* Stop asking for interrupt-window exits (the window is open). */
void hvx_vmx_clear_irq_window(struct hvx_vcpu *vcpu);
void hvx_vmx_set_dr7(struct hvx_vcpu *vcpu, unsigned long dr7);
/* HVX_INJECT_EVENT: 0, -EINVAL for a bad event, -EBUSY if one is queued. */
int hvx_vmx_queue_event(struct hvx_vcpu *vcpu, const struct hvx_event *ev);
u64 hvx_vmx_xcr0_supported(struct hvx_vcpu *vcpu);
/* sysfs: the speculative-execution mitigations done at entry and exit. */
int hvx_vmx_show_mitigations(char *buf);
void hvx_vmx_inject_exception(u8 vector, bool has_error, u32 error);

#endif /* HVX_VMX_H */
