/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of hvx.ko. Each file owns one
 * concern; this header is the list of what they offer each other.
 */
#ifndef HVX_H
#define HVX_H

#include <linux/cpumask.h>
#include <linux/types.h>

#undef pr_fmt
#define pr_fmt(fmt) "hvx: " fmt

/* capabilities.c: what this CPU's VMX offers, read once at load. */
struct hvx_vmx_caps {
	u64 basic;		/* IA32_VMX_BASIC */
	u64 pinbased;		/* IA32_VMX_TRUE_PINBASED_CTLS */
	u64 procbased;		/* IA32_VMX_TRUE_PROCBASED_CTLS */
	u64 procbased2;		/* IA32_VMX_PROCBASED_CTLS2 */
	u64 exit;		/* IA32_VMX_TRUE_EXIT_CTLS */
	u64 entry;		/* IA32_VMX_TRUE_ENTRY_CTLS */
	u64 misc;		/* IA32_VMX_MISC */
	u64 ept_vpid;		/* IA32_VMX_EPT_VPID_CAP */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 vmcs_revision;
	u32 vmcs_size;
	/* IA32_FEATURE_CONTROL was unlocked: lock it with VMX on, per CPU. */
	bool feature_control_unlocked;
};

extern struct hvx_vmx_caps hvx_caps;

int hvx_caps_probe(void);
u64 hvx_cap_value(u32 cap);

/* vmx_root.c: VMX root operation on every online CPU. */
int hvx_root_init(void);
void hvx_root_exit(void);
const struct cpumask *hvx_root_cpus(void);
/* This CPU is in VMX root (call with preemption or interrupts off). */
bool hvx_root_held_here(void);
/*
 * Set by the reboot notifier before it leaves VMX root on every CPU, with
 * vCPUs possibly running: from then on VMX instructions fault, and the
 * run loop refuses to enter.
 */
extern bool hvx_rebooting;

/* dev.c: /dev/hvx and the ioctls of all three kinds of fd. */
int hvx_dev_init(void);
void hvx_dev_exit(void);
extern const struct file_operations hvx_vm_fops;
extern const struct file_operations hvx_vcpu_fops;

/* vcpu.c */
int hvx_vcpu_init(void);
void hvx_vcpu_exit(void);

#endif /* HVX_H */
