/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A vCPU: its VMCS, the guest registers the VMCS does not hold, the shared
 * run page, and the state of an exit that user space is completing.
 *
 * vcpu->mutex serializes the vCPU's ioctls. While HVX_RUN runs, the vCPU's
 * thread owns the VMCS; a preempt notifier moves it with the thread.
 */
#ifndef HVX_VCPU_H
#define HVX_VCPU_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/rcuwait.h>
#include <asm/fpu/types.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/vmx.h>
#include <linux/hvx.h>

#include "insn_decode.h"

struct file;
struct hvx_lapic;
struct hvx_vm;
struct inode;
struct vm_area_struct;

/* Debug register bits (SDM Vol. 3B 18.2.3, 18.2.4). */
#define HVX_DR6_FIXED_1		0xffff0ff0ul	/* read as 1 */
#define HVX_DR6_VOLATILE	0x0001e00ful	/* B0-B3, BD, BS, BT, RTM */
#define HVX_DR6_BD		0x00002000ul	/* a MOV DR met DR7.GD */
#define HVX_DR7_FIXED_1		0x00000400ul
#define HVX_DR7_ENABLED		0x000000fful	/* L0-L3, G0-G3 */
#define HVX_DR7_GD		0x00002000ul
#define HVX_DR7_RESERVED	0xffffffff0000d800ull
/* IA32_MISC_ENABLE bits 11 and 12: BTS and PEBS unavailable, read-only. */
#define HVX_MISC_ENABLE_READ_ONLY	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
					 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

/* Guest GPRs in the order of the x86 register numbers; CR2 after them. */
enum hvx_reg {
	HVX_RAX, HVX_RCX, HVX_RDX, HVX_RBX, HVX_RSP, HVX_RBP, HVX_RSI, HVX_RDI,
	HVX_R8, HVX_R9, HVX_R10, HVX_R11, HVX_R12, HVX_R13, HVX_R14, HVX_R15,
	HVX_CR2,
	HVX_NR_REGS
};

/* What the next HVX_RUN must finish before entering the guest. */
enum hvx_pending {
	HVX_PENDING_NONE,
	HVX_PENDING_IO_IN,	/* copy run->io data into RAX */
	HVX_PENDING_STRING_IO,	/* finish INS/OUTS: memory, RSI/RDI, RCX */
	HVX_PENDING_EMUL,	/* an MMIO instruction waits for run->mmio */
};

/* Where an emulated instruction's memory operand is (mmio_emulate.c). */
struct hvx_emul_loc {
	bool mmio;		/* a device's (addr is a GPA), else guest RAM */
	bool phys;		/* addr is a GPA (always for a device's) */
	u64 addr;
};

/*
 * An instruction emulated for MMIO, possibly across exits to user space:
 * up to two reads (loc[0], loc[1]), the computation, then a write
 * (loc[2]), in that order, then the commit of registers, RFLAGS and RIP.
 */
struct hvx_emul {
	struct hvx_mmio_insn insn;
	u64 gpa;		/* of the exit, for error reports */
	u8 stage;		/* accesses done so far: reads, then the write */
	u8 nread;		/* reads to make: 0, 1 or 2 */
	bool write;		/* the instruction stores (known after compute) */
	bool read_user;		/* user space served a read: commit waits */
	struct hvx_emul_loc loc[3];
	u64 val[2];		/* what the reads returned */
	u64 wr;			/* what the write stores */
	u64 rflags;		/* RFLAGS to commit */
	bool reg_write, reg_high, rep_done;
	u8 reg_num, reg_size;
	u64 reg_val;		/* reg_size bytes for GPR reg_num */
};

/* Where the vCPU is, for hvx_vcpu_kick(). */
enum hvx_vcpu_mode {
	HVX_OUTSIDE_GUEST,
	HVX_IN_GUEST,		/* about to enter or in VMX non-root */
};

/* With an in-kernel irqchip, the vCPU may wait in the kernel. */
enum hvx_mp_state {
	HVX_MP_RUNNABLE,
	HVX_MP_HALTED,		/* HLT: until an interrupt it can take */
	HVX_MP_WAIT_SIPI,	/* an AP before its startup IPI, or after INIT */
};

/* Guest MSRs that the VMCS does not switch; see msr.c. */
enum hvx_swapped_msr {
	HVX_MSR_STAR, HVX_MSR_LSTAR, HVX_MSR_CSTAR, HVX_MSR_SFMASK,
	HVX_MSR_KERNEL_GS_BASE,
	HVX_NR_SWAPPED_MSRS
};

struct hvx_vcpu {
	struct hvx_vm *vm;
	u32 id;
	u16 vpid;
	struct mutex mutex;		/* serializes the vCPU's ioctls */
	struct hvx_run *run;

	/* VMX state */
	struct page *vmcs;
	int cpu;			/* where the VMCS is loaded, or -1 */
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	struct list_head loaded_link;	/* on the per-CPU list of that CPU */
	struct preempt_notifier preempt;
	unsigned long regs[HVX_NR_REGS];
	u32 exit_reason;
	unsigned long exit_qual;

	/* Guest state emulated by hvx */
	struct fpu_guest fpu;
	u64 xcr0;
	u32 pkru;			/* in the hardware while XCR0 has PKRU */
	u32 tsc_aux;			/* IA32_TSC_AUX: what RDTSCP, RDPID read */
	u64 misc_enable;		/* IA32_MISC_ENABLE, as written */
	u64 mtrr_def_type;		/* IA32_MTRR_DEF_TYPE, as written */
	unsigned long dr[4], dr6, dr7;
	u64 cr8;
	u64 apic_base;
	s64 tsc_offset;			/* guest TSC - host TSC (VMCS TSC_OFFSET) */
	s64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u64 msrs[HVX_NR_SWAPPED_MSRS];
	u64 host_msrs[HVX_NR_SWAPPED_MSRS];
	bool guest_msrs_loaded;		/* msrs[] are in the hardware now */
	/*
	 * The VM-entry and VM-exit MSR-load lists (SDM Vol. 3C 25.7.2,
	 * 25.8.2): TSC_AUX, swapped by the CPU itself at the transitions
	 * because the host kernel reads it (RDPID, in paranoid entries) at
	 * any moment, NMIs included. Used only while the values differ.
	 */
	struct vmx_msr_entry autoload[2];	/* [0]: guest's, [1]: host's */
	u32 autoload_count;

	/* Host state that a VM exit does not restore; see vmx.c */
	bool host_state_saved;
	u64 host_debugctl;
	u16 host_ds, host_es, host_fs, host_gs, host_ldt;
	unsigned long host_fs_base;

	/* Completion of an exit handled by user space */
	enum hvx_pending pending;
	struct hvx_emul emul;
	u8 io_size;
	bool string_down, string_rep, string_in;
	u32 string_count;
	u64 string_gva, string_mask;

	/* Events queued by HVX_INJECT_EVENT until the guest can take them. */
	bool irq_pending, nmi_pending;
	u8 irq_vector;
	/*
	 * The event the CPU was delivering when the last exit came (the
	 * IDT-vectoring information, SDM Vol. 3C 28.2.4): delivered again
	 * before anything else, unless a handler's exception replaces it.
	 */
	u32 idt_info, idt_error, idt_insn_len;
	u32 proc_ctl;			/* cached CPU_BASED_VM_EXEC_CONTROL */
	u32 tpr_threshold;		/* cached TPR_THRESHOLD */
	u32 proc2_ctl;			/* cached SECONDARY_VM_EXEC_CONTROL */

	struct hvx_cpuid_entry *cpuid;
	u32 cpuid_nent;

	/* The in-kernel local APIC (HVX_CREATE_IRQCHIP), or NULL */
	struct hvx_lapic *apic;
	enum hvx_mp_state mp_state;
	bool halt_if;			/* RFLAGS.IF when it halted */
	u32 halt_poll_ns;		/* this vCPU's window; see vcpu_block() */
	int mode;			/* enum hvx_vcpu_mode */
	/*
	 * A halted vCPU sleeps here. An rcuwait, not a wait queue: the APIC
	 * timer wakes it from hard-interrupt context, where PREEMPT_RT
	 * forbids the wait queue's sleeping spinlock.
	 */
	struct rcuwait wait;

	struct hvx_vcpu_stats stats;	/* hvx_stat_inc() by the vCPU thread */
};

/*
 * The vCPU's APIC is an enabled xAPIC at the default base: the one case in
 * which its page may be the VM's APIC-access page (vm.c, vmx.c).
 */
static inline bool hvx_vcpu_xapic_at_default(const struct hvx_vcpu *vcpu)
{
	return (vcpu->apic_base & (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)) ==
	       MSR_IA32_APICBASE_ENABLE &&
	       (vcpu->apic_base & PAGE_MASK) == APIC_DEFAULT_PHYS_BASE;
}

/* What RDTSC returns in the guest now: the CPU adds the offset itself. */
static inline u64 hvx_guest_tsc(const struct hvx_vcpu *vcpu)
{
	return rdtsc() + vcpu->tsc_offset;
}

int hvx_vcpu_fd_create(struct hvx_vm *vm, u32 id);
void hvx_vcpu_free(struct hvx_vcpu *vcpu);
int hvx_vcpu_release(struct inode *inode, struct file *file);
int hvx_vcpu_mmap(struct file *file, struct vm_area_struct *vma);
u8 hvx_vcpu_get_cr8(struct hvx_vcpu *vcpu);
void hvx_vcpu_set_cr8(struct hvx_vcpu *vcpu, u8 cr8);
/* Make the vCPU look at its APIC: wake it or make it exit. Any context. */
void hvx_vcpu_kick(struct hvx_vcpu *vcpu);

/* vCPU ioctls, called between begin and end by dev.c's dispatch. */
int hvx_vcpu_begin_ioctl(struct hvx_vcpu *vcpu);
void hvx_vcpu_end_ioctl(struct hvx_vcpu *vcpu);
long hvx_vcpu_ioctl_run(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_get_regs(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_set_regs(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_get_sregs(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_set_sregs(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_set_cpuid(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_get_stats(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_get_msrs(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_set_msrs(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_get_fpu(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_set_fpu(struct hvx_vcpu *vcpu, unsigned long arg);
long hvx_vcpu_ioctl_inject_event(struct hvx_vcpu *vcpu, unsigned long arg);

/*
 * Add to a counter of struct hvx_vcpu_stats: only the vCPU's own thread
 * writes them, and HVX_GET_VCPU_STATS reads them from other threads
 * without the vCPU lock, a whole u64 at a time.
 */
static inline void hvx_stat_inc(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

#endif /* HVX_VCPU_H */
