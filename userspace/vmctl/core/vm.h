/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM as vmctl drives it: guest memory, its vCPUs (a thread each), and
 * the bus maps whose devices answer their exits.
 */
#ifndef VMCTL_VM_H
#define VMCTL_VM_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <linux/hvx.h>

#include "core/bus.h"
#include "core/guest_ram.h"

struct vmctl_vm;

struct vmctl_vcpu {
	struct vmctl_vm *vm;
	unsigned int id;
	int fd;
	struct hvx_run *run;
	pthread_t thread;
	bool started;
	/* Where its thread may run (--vcpu-affinity); NULL: anywhere. */
	const cpu_set_t *affinity;
};

/* How a run ended; the first reason recorded wins. */
enum vmctl_stop {
	VMCTL_STOP_NONE,
	VMCTL_STOP_HALT,	/* the guest halted (no irqchip: raw images) */
	VMCTL_STOP_SHUTDOWN,	/* triple fault */
	VMCTL_STOP_ERROR,	/* hvx reported an error; see the message */
	VMCTL_STOP_SIGNAL,	/* SIGINT or SIGTERM */
	VMCTL_STOP_TIMEOUT,	/* vmctl_vm_run()'s timeout expired */
	VMCTL_STOP_POWEROFF,	/* the guest powered off (ACPI S5) */
	VMCTL_STOP_RESET,	/* the guest asked for a reset (reboot) */
	VMCTL_STOP_QUIT,	/* the console's escape, or vmctl stop --force */
	VMCTL_STOP_EXIT,	/* the guest wrote to the exit port */
};

struct vmctl_vm {
	int sys_fd, fd;
	unsigned int nr_vcpus;
	struct vmctl_vcpu vcpus[HVX_MAX_VCPUS];
	/* The boot vCPU's, for the loaders. */
	int vcpu_fd;
	struct hvx_run *run;
	size_t run_size;
	bool irqchip;		/* in-kernel APICs: Linux and multiboot guests */
	uint32_t tsc_khz;
	bool tsc_adjust;	/* the module emulates IA32_TSC_ADJUST */
	bool tsc_aux;		/* RDTSCP, RDPID read a guest TSC_AUX */
	uint8_t *mem;
	uint64_t mem_size;
	enum vmctl_mem_backend mem_backend;	/* how pages go back (balloon) */
	struct vmctl_bus pio, mmio;
	bool msi;		/* HVX_SIGNAL_MSI */
	_Atomic bool msi_told;	/* a failed MSI was reported */
	bool ioeventfd;		/* HVX_IOEVENTFD */
	bool irqfd;		/* HVX_IRQFD (and an irqchip to raise) */
	_Atomic int stop;	/* enum vmctl_stop */
	pthread_t main_thread;	/* in vmctl_vm_run(), while running */
	_Atomic bool running;
};

/* HVX_CHECK_CAPABILITY on /dev/hvx: the value, 0 if absent or on error. */
uint64_t vmctl_capability(int sys_fd, uint32_t cap);

/*
 * A VM with @mem_bytes of RAM at guest-physical 0 from @mem (NULL: private
 * anonymous memory) and @nr_vcpus vCPUs; with @irqchip, the module's APICs
 * and IOAPIC (more than one vCPU needs them). Messages on stderr say what
 * failed.
 */
int vmctl_vm_create(struct vmctl_vm *vm, uint64_t mem_bytes,
		    const struct vmctl_mem_opts *mem, unsigned int nr_vcpus,
		    bool irqchip);
void vmctl_vm_destroy(struct vmctl_vm *vm);
/* Drive IOAPIC pin @gsi of the in-kernel irqchip to @level (0 or 1). */
int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int level);
/* Send an MSI (HVX_SIGNAL_MSI); 0, or -1 with a message once per VM. */
int vmctl_vm_signal_msi(struct vmctl_vm *vm, uint64_t addr, uint32_t data);
/*
 * Register (or with @deassign remove) an ioeventfd: a guest MMIO write of
 * @len bytes at @addr (port I/O with @pio) signals @fd without an exit;
 * with @match, only a write of @value. 0, or -1 with errno set.
 */
int vmctl_vm_ioeventfd(struct vmctl_vm *vm, uint64_t addr, unsigned int len,
		       bool pio, bool match, uint64_t value, int fd,
		       bool deassign);
/*
 * Register (or with @deassign remove) an MSI irqfd: each signal of eventfd
 * @fd sends the message @addr/@data in the kernel, without an exit. Only
 * @fd names the one to remove. 0, or -1 with errno set (ENOTTY without
 * HVX_IRQFD, EEXIST if @fd has one, ENOENT removing none) and nothing
 * printed: the caller has a fallback.
 */
int vmctl_vm_irqfd(struct vmctl_vm *vm, int fd, uint64_t addr, uint32_t data,
		   bool deassign);
/*
 * Guest memory at @gpa for @len bytes, or NULL if any of it is outside
 * RAM. The guest may change it at any moment: read what matters once.
 */
void *vmctl_vm_gpa(struct vmctl_vm *vm, uint64_t gpa, uint64_t len);
/*
 * Run every vCPU on a thread of its own until the VM stops: the guest
 * halts (no irqchip), powers off, resets or crashes, SIGINT/SIGTERM come,
 * @timeout_s passes (0: never), or vmctl_vm_stop() is called.
 */
enum vmctl_stop vmctl_vm_run(struct vmctl_vm *vm, unsigned int timeout_s);
/* Ask the VM to stop for @why; from any thread, not from signal handlers. */
void vmctl_vm_stop(struct vmctl_vm *vm, enum vmctl_stop why);
void vmctl_vm_print_stats(struct vmctl_vm *vm, FILE *out);
/*
 * The vCPUs' counters summed, as vmctl info lines: exits, exits_by_reason
 * (KEY=COUNT words), guest_ns, halt_ns. From any thread, while they run.
 */
void vmctl_vm_info_stats(struct vmctl_vm *vm, FILE *out);

/* loader_raw.c: a flat binary, entered in real mode at @addr. */
int vmctl_load_raw(struct vmctl_vm *vm, const char *path, uint64_t addr);


/*
 * loader_linux.c: a Linux bzImage (boot protocol 2.12+, XLF_KERNEL_64),
 * entered at startup_64 in 64-bit mode as Documentation/x86/boot.rst's
 * 64-bit boot protocol says, with @initrd (may be NULL) and @cmdline (NULL
 * is empty). Guest memory must be at most 3 GiB. boot_params.h has the
 * layout and the halves that tests call without /dev/hvx.
 */
struct vmctl_linux_info;
/* With @info (may be NULL): where it all went, for fw_cfg. */
int vmctl_load_linux(struct vmctl_vm *vm, const char *kernel,
		     const char *initrd, const char *cmdline,
		     struct vmctl_linux_info *info);

/*
 * cpuid.c: HVX_SET_CPUID on @vcpu_fd with the host's CPUID minus what hvx
 * lacks, plus the platform of an irqchip VM (see vmctl_cpuid_platform).
 */
int vmctl_setup_cpuid(struct vmctl_vm *vm, int vcpu_fd);
/*
 * Add what an irqchip VM has to a filtered table of @n entries (room for
 * @max): local APIC, x2APIC, TSC deadline, ARAT, the TSC frequency in
 * leaf 0x15, @ncpus cores in one package. New count, or -1.
 */
int vmctl_cpuid_platform(struct hvx_cpuid_entry *e, unsigned int n,
			 unsigned int max, unsigned int ncpus,
			 uint32_t tsc_khz);
/* The host's CPUID leaves and their sub-leaves; count, or -1 if @max is short. */
int vmctl_cpuid_read_host(struct hvx_cpuid_entry *host, unsigned int max);
/*
 * The guest's table from the host's leaves (as read above: sub-leaves
 * flagged HVX_CPUID_SIGNIFICANT_INDEX) and the host's XCR0, without
 * touching the CPU; count, or -1 if @max is short.
 */
int vmctl_cpuid_filter(const struct hvx_cpuid_entry *host, unsigned int nhost,
		       uint64_t host_xcr0, struct hvx_cpuid_entry *out,
		       unsigned int max);

#endif /* VMCTL_VM_H */
