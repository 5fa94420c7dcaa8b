/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM as vmctl drives it: guest memory, one vCPU, and the port-I/O
 * devices that answer its exits.
 */
#ifndef VMCTL_VM_H
#define VMCTL_VM_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <linux/hvx.h>

struct vmctl_vm;

/* A device on a range of I/O ports. */
struct vmctl_pio_dev {
	const char *name;
	uint16_t base, len;
	/* @data holds @size bytes: filled by in(), consumed by out(). */
	void (*in)(struct vmctl_vm *vm, void *opaque, uint16_t port,
		   void *data, uint8_t size);
	void (*out)(struct vmctl_vm *vm, void *opaque, uint16_t port,
		    const void *data, uint8_t size);
	void *opaque;
};

#define VMCTL_MAX_PIO_DEVS	8

struct vmctl_vm {
	int sys_fd, fd, vcpu_fd;
	struct hvx_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	struct vmctl_pio_dev pio[VMCTL_MAX_PIO_DEVS];
	int nr_pio;
};

/* How a run ended. */
enum vmctl_stop {
	VMCTL_STOP_HALT,	/* the guest halted */
	VMCTL_STOP_SHUTDOWN,	/* triple fault */
	VMCTL_STOP_ERROR,	/* hvx reported an error; see the message */
	VMCTL_STOP_SIGNAL,	/* interrupted by a signal */
};

int vmctl_vm_create(struct vmctl_vm *vm, uint64_t mem_bytes);
void vmctl_vm_destroy(struct vmctl_vm *vm);
int vmctl_vm_add_pio(struct vmctl_vm *vm, const struct vmctl_pio_dev *dev);
enum vmctl_stop vmctl_vm_run(struct vmctl_vm *vm);
void vmctl_vm_print_stats(struct vmctl_vm *vm, FILE *out);

/* loader_raw.c: a flat binary, entered in real mode at @addr. */
int vmctl_load_raw(struct vmctl_vm *vm, const char *path, uint64_t addr);

/* dev_serial.c: COM1, an 8250/16550 transmitter writing to @fd. */
void vmctl_serial_attach(struct vmctl_vm *vm, int fd);

/*
 * loader_linux.c: a Linux bzImage (boot protocol 2.12+, XLF_KERNEL_64),
 * entered at startup_64 in 64-bit mode as Documentation/x86/boot.rst's
 * 64-bit boot protocol says, with @initrd (may be NULL) and @cmdline (NULL
 * is empty). Guest memory must be at most 3 GiB. boot_params.h has the
 * layout and the halves that tests call without /dev/hvx.
 */
int vmctl_load_linux(struct vmctl_vm *vm, const char *kernel,
		     const char *initrd, const char *cmdline);

/* cpuid.c: HVX_SET_CPUID with the host's CPUID minus what hvx lacks. */
int vmctl_setup_cpuid(struct vmctl_vm *vm);
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
