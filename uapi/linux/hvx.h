/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hvx: the user/kernel ABI of /dev/hvx.
 *
 * This header is a contract. Structures have a fixed size and explicit
 * padding, every "flags" or "reserved" field must be zero until a capability
 * gives it a meaning, and optional behaviour is announced through
 * HVX_CHECK_CAPABILITY. Changing a structure means a new ioctl number; old
 * numbers keep their meaning. See Documentation/api.rst.
 */
#ifndef _UAPI_LINUX_HVX_H
#define _UAPI_LINUX_HVX_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped only for an incompatible change; additions are capabilities. */
#define HVX_API_VERSION		1

#define HVXIO			0xB7

/*
 * Capability numbers for HVX_CHECK_CAPABILITY. A capability the module does
 * not know reads as value 0 ("absent"), so a new program on an old module
 * degrades rather than fails.
 */
enum hvx_cap {
	/* Number of CPUs that the module holds in VMX root operation. */
	HVX_CAP_VMX_CPUS		= 1,
	/* VMCS revision identifier from IA32_VMX_BASIC[30:0]. */
	HVX_CAP_VMCS_REVISION		= 2,
	/* EPT large pages: bit 0 = 2 MiB, bit 1 = 1 GiB. */
	HVX_CAP_EPT_LARGE_PAGES		= 3,
	/* 1 if EPT keeps accessed and dirty flags (enables cheap dirty logs). */
	HVX_CAP_EPT_AD_BITS		= 4,
	/*
	 * VMX-preemption timer: 0 if absent, otherwise 1 + the shift between
	 * the TSC and the timer (IA32_VMX_MISC[4:0]).
	 */
	HVX_CAP_PREEMPTION_TIMER	= 5,
	/* HVX_MAX_VCPUS: vCPUs per VM. */
	HVX_CAP_MAX_VCPUS		= 6,
	/* HVX_MAX_MEM_SLOTS: memory slots per VM. */
	HVX_CAP_MAX_MEM_SLOTS		= 7,
	/* 1: HVX_MEM_READONLY slots. */
	HVX_CAP_READONLY_MEM		= 8,
	/* 1: HVX_MEM_LOG_DIRTY slots and HVX_GET_DIRTY_LOG. */
	HVX_CAP_DIRTY_LOG		= 9,
	/*
	 * HVX_CREATE_IRQCHIP: local APICs and an IOAPIC in the module; the
	 * value is the number of IOAPIC pins (HVX_IOAPIC_PINS).
	 */
	HVX_CAP_IRQCHIP			= 10,
	/*
	 * The TSC frequency in kHz. Guests read the host's TSC unscaled, so
	 * this is what their CPUID leaf 0x15 should announce.
	 */
	HVX_CAP_TSC_KHZ			= 11,
	/*
	 * 1: guests may write their TSC, through IA32_TSC or IA32_TSC_ADJUST,
	 * which the module emulates with a per-vCPU TSC offset; user space may
	 * then announce CPUID.(EAX=7,ECX=0):EBX[1].
	 */
	HVX_CAP_TSC_ADJUST		= 12,
	/* 1: HVX_SIGNAL_MSI (needs HVX_CREATE_IRQCHIP). */
	HVX_CAP_SIGNAL_MSI		= 13,
	/* HVX_IOEVENTFD: the number of ioeventfds a VM may register. */
	HVX_CAP_IOEVENTFD		= 14,
	/* HVX_IRQFD: the number of irqfds a VM may register. */
	HVX_CAP_IRQFD			= 15,
	/* 1: HVX_IRQFD_RESAMPLE for level-triggered IOAPIC pins. */
	HVX_CAP_IRQFD_RESAMPLE		= 16,
	/*
	 * The vCPUs of a VM with HVX_CREATE_IRQCHIP read and write their
	 * APIC's task priority without exits: bit 0 through CR8 (the CPU's
	 * TPR shadow, unless hvx.ko was loaded with tpr_shadow=0), bit 1 also
	 * at the xAPIC's TPR, 0xfee00080 (APIC-access virtualization, unless
	 * loaded with apic_access=0).
	 */
	HVX_CAP_TPR_SHADOW		= 17,
	/*
	 * 1: guest memory follows the VM owner's page tables (an MMU
	 * notifier): no page is pinned, and the host may swap, migrate,
	 * compact and merge (KSM) it, or the owner drop it (MADV_DONTNEED,
	 * munmap) and map another: the guest sees what the owner's page
	 * tables map from then on.
	 */
	HVX_CAP_MMU_NOTIFIER		= 18,
	/*
	 * 1: each vCPU has an IA32_TSC_AUX of its own, and RDTSCP and RDPID
	 * run in the guest and read it; user space may announce
	 * CPUID.80000001H:EDX[27] (RDTSCP) and CPUID.(EAX=7,ECX=0):ECX[22]
	 * (RDPID) where the host's CPU has them.
	 */
	HVX_CAP_TSC_AUX			= 19,
	/*
	 * 1: HVX_CREATE_PIC, the PC's two 8259A interrupt controllers in the
	 * module (ports 0x20-0x21, 0xa0-0xa1, ELCR 0x4d0-0x4d1), their INT on
	 * every local APIC's LINT0; HVX_IRQ_LINE's GSIs 0-15 then also drive
	 * its inputs (see struct hvx_irq_line).
	 */
	HVX_CAP_PIC			= 20,
};

/**
 * struct hvx_capability - argument of HVX_CHECK_CAPABILITY
 * @cap:   in: a value of enum hvx_cap
 * @flags: in: must be zero
 * @value: out: 0 when the capability is absent, otherwise as documented
 */
struct hvx_capability {
	__u32 cap;
	__u32 flags;
	__u64 value;
};

/* Limits. */
#define HVX_MAX_VCPUS		64
#define HVX_MAX_MEM_SLOTS	32
/* Pages in one slot at most (8 TiB - 4 KiB), as KVM_MEM_MAX_NR_PAGES. */
#define HVX_MAX_SLOT_PAGES	((1ull << 31) - 1)

/**
 * struct hvx_memory_region - argument of HVX_SET_MEMORY_REGION
 * @slot:            0 .. HVX_MAX_MEM_SLOTS - 1
 * @flags:           HVX_MEM_* below; other bits must be zero
 * @guest_phys_addr: page-aligned guest-physical base
 * @size:            page-aligned size in bytes; 0 deletes the slot
 * @userspace_addr:  page-aligned address of the backing memory in the
 *                   caller's address space
 */
struct hvx_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 size;
	__u64 userspace_addr;
};

#define HVX_MEM_READONLY	_BITUL(0)
/* Record guest writes for HVX_GET_DIRTY_LOG. */
#define HVX_MEM_LOG_DIRTY	_BITUL(1)

/**
 * struct hvx_dirty_log - argument of HVX_GET_DIRTY_LOG
 * @slot:   a slot created with HVX_MEM_LOG_DIRTY
 * @flags:  must be zero
 * @bitmap: user pointer to one bit per page of the slot (rounded up to a
 *          multiple of 64 bits), set for pages written since the last call
 */
struct hvx_dirty_log {
	__u32 slot;
	__u32 flags;
	__u64 bitmap;
};

/*
 * The in-kernel interrupt controllers (HVX_CREATE_IRQCHIP): an xAPIC/x2APIC
 * per vCPU at the address of its IA32_APIC_BASE (APIC ID = vCPU id), and
 * one IOAPIC at HVX_IOAPIC_ADDR whose pins are the GSIs of HVX_IRQ_LINE.
 */
#define HVX_IOAPIC_ADDR		0xfec00000ull
#define HVX_IOAPIC_PINS		24
#define HVX_APIC_DEFAULT_ADDR	0xfee00000ull
/*
 * The local APIC timer's input clock (before its divide configuration),
 * in kHz. Announce it as the crystal clock of CPUID leaf 0x15: Linux then
 * knows both the TSC and the APIC timer rates without calibrating. It is
 * low because Linux computes crystal kHz x TSC ratio in 32 bits.
 */
#define HVX_APIC_TIMER_KHZ	1000

/**
 * struct hvx_irq_line - argument of HVX_IRQ_LINE
 * @gsi:      IOAPIC pin, 0 .. HVX_IOAPIC_PINS - 1. After HVX_CREATE_PIC,
 *            GSIs below 16 are also ISA IRQs and drive the 8259 input of
 *            that number, but GSI 2, which drives ISA IRQ 0 (the timer,
 *            with the MADT's override 0 -> 2), and GSI 0, which drives no
 *            8259 input (IOAPIC pin 0 is the 8259's INT on a PC): there is
 *            no way to drive input 2, the cascade.
 * @level:    1 asserts the line, 0 deasserts it (an edge-triggered pin
 *            fires on 0 -> 1)
 * @flags:    must be zero
 * @reserved: must be zero
 */
struct hvx_irq_line {
	__u32 gsi;
	__u32 level;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct hvx_msi - argument of HVX_SIGNAL_MSI: a message signalled
 * interrupt as a PCI device writes it (Intel SDM Vol. 3A 11.11)
 * @address:  0xfeeXXXXX: destination ID in bits 19:12, RH bit 3, DM bit 2;
 *            bits 63:32 must be zero (no x2APIC extended IDs)
 * @data:     vector in bits 7:0, delivery mode 10:8, level 14, trigger 15;
 *            bits 31:16 must be zero
 * @flags:    must be zero
 * @reserved: must be zero
 *
 * Returns the number of local APICs the message was delivered to (0 when
 * it named none, as a real bus would drop it), or -errno.
 */
struct hvx_msi {
	__u64 address;
	__u32 data;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct hvx_ioeventfd - argument of HVX_IOEVENTFD
 * @addr:      guest-physical address (HVX_IOEVENTFD_MMIO) or port
 *             (HVX_IOEVENTFD_PIO) the guest writes to
 * @datamatch: with HVX_IOEVENTFD_DATAMATCH, only a write of this value
 *             (the low @len bytes; higher bits must be zero) signals;
 *             zero without it
 * @len:       1, 2, 4 or 8 (8: MMIO only): only writes of exactly this
 *             width at @addr match; 0 (MMIO only, no DATAMATCH): any
 *             write to @addr
 * @fd:        an eventfd; a matching write adds 1 to its counter and the
 *             guest continues without an exit to user space
 * @flags:     HVX_IOEVENTFD_*; other bits must be zero
 * @reserved:  must be zero
 *
 * Registrations with the same space, @addr, @len and match may not
 * overlap (EEXIST); HVX_IOEVENTFD_DEASSIGN removes the one that equals
 * all of @addr, @len, @fd, @flags and @datamatch (ENOENT if none).
 */
struct hvx_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u32 reserved;
};

#define HVX_IOEVENTFD_MMIO		0
#define HVX_IOEVENTFD_PIO		_BITUL(0)
#define HVX_IOEVENTFD_DATAMATCH		_BITUL(1)
#define HVX_IOEVENTFD_DEASSIGN		_BITUL(2)

/**
 * struct hvx_irqfd - argument of HVX_IRQFD
 * @fd:          an eventfd; each signal raises the interrupt below
 * @gsi:         IOAPIC pin (without HVX_IRQFD_MSI; zero with it)
 * @flags:       HVX_IRQFD_*; other bits must be zero
 * @resamplefd:  with HVX_IRQFD_RESAMPLE (a level-triggered pin): the pin
 *               stays asserted after a signal until the guest EOIs it;
 *               then it is deasserted and this eventfd signalled, so that
 *               user space can check the device and signal @fd again
 * @msi_address: with HVX_IRQFD_MSI, the message (as struct hvx_msi);
 *               zero without it
 * @msi_data:    likewise
 * @reserved:    must be zero
 *
 * HVX_IRQFD_DEASSIGN removes the irqfd of @fd (ENOENT if none; only @fd
 * is looked at). An irqfd also goes when its eventfd is closed by
 * everyone, and with the VM. One irqfd per eventfd and VM (EEXIST).
 */
struct hvx_irqfd {
	__s32 fd;
	__u32 gsi;
	__u32 flags;
	__s32 resamplefd;
	__u64 msi_address;
	__u32 msi_data;
	__u32 reserved;
};

#define HVX_IRQFD_DEASSIGN		_BITUL(0)
#define HVX_IRQFD_RESAMPLE		_BITUL(1)
#define HVX_IRQFD_MSI			_BITUL(2)

/* VM-wide statistics (HVX_GET_VM_STATS). */
struct hvx_vm_stats {
	union {
		__u64 mapped_pages;	/* guest pages mapped in EPT now */
		__u64 pinned_pages;	/* its first name: none is pinned */
	};
	__u64 ept_tables;	/* EPT paging-structure pages */
	__u64 ept_faults;	/* EPT violations resolved in the kernel */
	__u64 vcpus;
	__u64 mem_slots;
	__u64 reserved[3];
};

/* General registers, as the guest sees them. */
struct hvx_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/* A segment register in the unpacked form of the VMCS access rights. */
struct hvx_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type;
	__u8 present, dpl, db, s, l, g, avl;
	__u8 unusable;
	__u8 pad;
};

struct hvx_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/* Special registers. */
struct hvx_sregs {
	struct hvx_segment cs, ds, es, fs, gs, ss;
	struct hvx_segment tr, ldt;
	struct hvx_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 reserved[4];	/* must be zero */
};

/* One CPUID leaf as the guest sees it. */
struct hvx_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;		/* HVX_CPUID_* */
	__u32 eax, ebx, ecx, edx;
	__u32 pad;
};

#define HVX_CPUID_SIGNIFICANT_INDEX	_BITUL(0)
#define HVX_MAX_CPUID_ENTRIES		256

/**
 * struct hvx_cpuid - argument of HVX_SET_CPUID
 * @nent:    number of entries at @entries, at most HVX_MAX_CPUID_ENTRIES
 * @flags:   must be zero
 * @entries: user pointer to @nent struct hvx_cpuid_entry
 */
struct hvx_cpuid {
	__u32 nent;
	__u32 flags;
	__u64 entries;
};

/* One MSR of HVX_GET_MSRS / HVX_SET_MSRS. */
struct hvx_msr_entry {
	__u32 index;
	__u32 reserved;		/* must be zero */
	__u64 data;
};

/**
 * struct hvx_msrs - argument of HVX_GET_MSRS and HVX_SET_MSRS
 * @nmsrs:   number of entries, at most HVX_MAX_MSR_ENTRIES
 * @flags:   must be zero
 * @entries: user pointer to @nmsrs struct hvx_msr_entry
 */
struct hvx_msrs {
	__u32 nmsrs;
	__u32 flags;
	__u64 entries;
};

#define HVX_MAX_MSR_ENTRIES	256

/**
 * struct hvx_fpu - argument of HVX_GET_FPU and HVX_SET_FPU
 * @xcr0:  the guest's XCR0
 * @flags: must be zero
 * @xsave: the x87/SSE/AVX state in the standard (non-compacted) XSAVE
 *         format, as XSAVE would store it with @xcr0
 */
struct hvx_fpu {
	__u64 xcr0;
	__u64 flags;
	__u64 reserved[6];
	__u32 xsave[1024];
};

/**
 * struct hvx_event - argument of HVX_INJECT_EVENT
 * @type:       HVX_EVENT_*
 * @vector:     interrupt or exception vector
 * @has_error:  exceptions only: deliver @error_code
 * @error_code: the exception's error code
 * @flags:      must be zero
 */
struct hvx_event {
	__u8 type;
	__u8 vector;
	__u8 has_error;
	__u8 pad;
	__u32 error_code;
	__u32 flags;
	__u32 reserved;
};

enum hvx_event_type {
	HVX_EVENT_EXCEPTION	= 0,	/* delivered at the next entry */
	HVX_EVENT_INTERRUPT	= 1,	/* delivered once RFLAGS.IF allows */
	HVX_EVENT_NMI		= 2,	/* delivered once NMIs are unblocked */
};

/* Exit reasons in struct hvx_run. */
enum hvx_exit_reason {
	HVX_EXIT_NONE		= 0,
	HVX_EXIT_IO		= 1,	/* port I/O: run->io */
	HVX_EXIT_MMIO		= 2,	/* access outside guest memory: run->mmio */
	HVX_EXIT_HLT		= 3,	/* HLT, without an in-kernel irqchip */
	HVX_EXIT_SHUTDOWN	= 4,	/* triple fault: the VM must be reset */
	HVX_EXIT_FAIL_ENTRY	= 5,	/* VM entry refused: run->fail_entry */
	HVX_EXIT_INTERNAL_ERROR	= 6,	/* run->internal */
	HVX_EXIT_INTR		= 7,	/* a signal or immediate_exit */
};

#define HVX_EXIT_IO_IN		0
#define HVX_EXIT_IO_OUT		1

/* run->internal.suberror */
enum hvx_internal_error {
	HVX_INTERNAL_UNHANDLED_EXIT	= 1,	/* data[0]: VMX exit reason */
	HVX_INTERNAL_EMULATION		= 2,	/* data[0]: gpa, data[1]: rip */
	HVX_INTERNAL_BAD_VMCS		= 3,	/* data[0]: VM-instruction error */
	/* Delivering an event touched MMIO: data[0]: gpa, [1]: event info */
	HVX_INTERNAL_DELIVERY_EV	= 4,
	/* A task switch (hvx emulates none): data[0]: qualification, [1]: rip */
	HVX_INTERNAL_TASK_SWITCH	= 5,
};

/**
 * struct hvx_run - the shared page of a vCPU, mmap()ed from the vCPU fd
 *
 * @immediate_exit: in: if set, HVX_RUN returns -EINTR without entering the
 *                  guest (for signal handlers that race with HVX_RUN)
 * @exit_reason:    out: enum hvx_exit_reason
 * @io:             HVX_EXIT_IO. @count items of @size bytes are at
 *                  (char *)run + @data_offset: for OUT they are the data
 *                  written, for IN user space fills them before HVX_RUN.
 * @mmio:           HVX_EXIT_MMIO. For a write, @data holds @len bytes; for a
 *                  read user space stores @len bytes there before HVX_RUN.
 * @fail_entry:     HVX_EXIT_FAIL_ENTRY: the basic exit reason and the exit
 *                  qualification the CPU gave.
 * @internal:       HVX_EXIT_INTERNAL_ERROR: @suberror and @ndata words.
 */
struct hvx_run {
	__u8 immediate_exit;
	__u8 pad0[7];
	__u32 exit_reason;
	__u32 pad1;
	union {
		struct {
			__u8 direction;
			__u8 size;
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		struct {
			__u32 hardware_exit_reason;
			__u32 pad;
			__u64 qualification;
		} fail_entry;
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[8];
		} internal;
		__u8 raw[256];
	};
};

/*
 * Hypercalls: VMCALL with the number in RAX (EAX outside 64-bit mode), the
 * result back in RAX (EAX). None is defined yet: every number returns
 * -HVX_HC_ENOSYS, and a VMCALL from CPL > 0 returns -HVX_HC_EPERM. The
 * values are KVM's, so that a guest sees the errors it knows.
 */
#define HVX_HC_EPERM		1
#define HVX_HC_ENOSYS		1000

/* Per-vCPU statistics (HVX_GET_VCPU_STATS). */
#define HVX_STAT_EXIT_REASONS	80	/* counters indexed by VMX exit reason */

struct hvx_vcpu_stats {
	__u64 exits;		/* all VM exits */
	__u64 exits_to_user;	/* returns to user space from HVX_RUN */
	__u64 guest_ns;		/* time spent in guest mode */
	__u64 halt_ns;		/* time waiting in HLT or for SIPI (irqchip) */
	__u64 halt_poll_wakes;	/* HLTs that ended while polling, unslept */
	__u64 reserved[3];
	__u64 exit_reason[HVX_STAT_EXIT_REASONS];
};

/*
 * Ioctls. Numbers 0x00-0x1f belong to the system fd (/dev/hvx), 0x20-0x5f
 * to VM fds, 0x60-0x9f to vCPU fds.
 */

/* System fd. */
/* Returns HVX_API_VERSION; takes no argument (arg must be 0). */
#define HVX_GET_API_VERSION	_IO(HVXIO, 0x00)
#define HVX_CHECK_CAPABILITY	_IOWR(HVXIO, 0x01, struct hvx_capability)
/* Returns a new VM fd; arg: flags, must be 0. */
#define HVX_CREATE_VM		_IO(HVXIO, 0x02)
/* Returns the size to mmap() from a vCPU fd for struct hvx_run. */
#define HVX_GET_VCPU_MMAP_SIZE	_IO(HVXIO, 0x03)

/* VM fd. */
#define HVX_SET_MEMORY_REGION	_IOW(HVXIO, 0x20, struct hvx_memory_region)
/* Returns a new vCPU fd; arg: vCPU id, 0 .. HVX_MAX_VCPUS - 1. */
#define HVX_CREATE_VCPU		_IO(HVXIO, 0x21)
#define HVX_GET_DIRTY_LOG	_IOW(HVXIO, 0x22, struct hvx_dirty_log)
#define HVX_GET_VM_STATS	_IOR(HVXIO, 0x23, struct hvx_vm_stats)
/* Before the first vCPU; arg must be 0. */
#define HVX_CREATE_IRQCHIP	_IO(HVXIO, 0x24)
#define HVX_IRQ_LINE		_IOW(HVXIO, 0x25, struct hvx_irq_line)
#define HVX_SIGNAL_MSI		_IOW(HVXIO, 0x26, struct hvx_msi)
#define HVX_IOEVENTFD		_IOW(HVXIO, 0x27, struct hvx_ioeventfd)
#define HVX_IRQFD		_IOW(HVXIO, 0x28, struct hvx_irqfd)
/* The 8259A pair (HVX_CAP_PIC): after HVX_CREATE_IRQCHIP; arg must be 0. */
#define HVX_CREATE_PIC		_IO(HVXIO, 0x29)

/* vCPU fd. */
#define HVX_RUN			_IO(HVXIO, 0x60)
#define HVX_GET_REGS		_IOR(HVXIO, 0x61, struct hvx_regs)
#define HVX_SET_REGS		_IOW(HVXIO, 0x62, struct hvx_regs)
#define HVX_GET_SREGS		_IOR(HVXIO, 0x63, struct hvx_sregs)
#define HVX_SET_SREGS		_IOW(HVXIO, 0x64, struct hvx_sregs)
#define HVX_SET_CPUID		_IOW(HVXIO, 0x65, struct hvx_cpuid)
#define HVX_GET_VCPU_STATS	_IOR(HVXIO, 0x66, struct hvx_vcpu_stats)
/* Both return the number of MSRs processed; they stop at the first bad one. */
#define HVX_GET_MSRS		_IOWR(HVXIO, 0x67, struct hvx_msrs)
#define HVX_SET_MSRS		_IOW(HVXIO, 0x68, struct hvx_msrs)
#define HVX_GET_FPU		_IOR(HVXIO, 0x69, struct hvx_fpu)
#define HVX_SET_FPU		_IOW(HVXIO, 0x6a, struct hvx_fpu)
#define HVX_INJECT_EVENT	_IOW(HVXIO, 0x6b, struct hvx_event)

#endif /* _UAPI_LINUX_HVX_H */
