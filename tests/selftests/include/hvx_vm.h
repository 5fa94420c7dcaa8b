/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx selftest library: VMs, guest memory, vCPUs, and guest code written in
 * C inside the test binary itself (modelled on the KVM selftests' kvm_util).
 *
 * A typical test:
 *
 *	vm = vm_create(HVX_VM_DEFAULT_MEM);
 *	vm_load_self(vm);			// the test binary, into the guest
 *	vcpu = vcpu_add(vm, 0);
 *	vcpu_setup_long_mode(vcpu, guest_code, 0);
 *	for (;;) {
 *		vcpu_run(vcpu);
 *		switch (get_ucall(vcpu, &uc)) { ... }	// see ucall.h
 *	}
 *	vm_free(vm);
 *
 * Guest-physical layout (slot 0 covers [0, mem_bytes), mem_bytes <= 4 GiB):
 *
 *	0x0        .. 0x400000        free for the test (real-mode code, data)
 *	0x400000   .. end of binary   the static non-PIE test binary, each
 *	                              PT_LOAD segment at GPA == p_vaddr
 *	end        .. sys             free for the test
 *	sys = mem_bytes - 1 MiB       the library's system region, used only by
 *	                              vcpu_setup_long/protected_mode() (below)
 *
 * The system region (offsets from vm->sys_gpa, see HVX_SYS_*):
 *
 *	+0x00000  GDT: 0x08 64-bit code, 0x10 flat data, 0x18 32-bit code,
 *	          0x20 + 16 * id: TSS descriptor of vCPU id (16 bytes each)
 *	+0x01000  IDT: 256 64-bit interrupt gates, all on IST1, each to a stub
 *	          that reports the exception with UCALL_UNHANDLED
 *	+0x02000  PML4
 *	+0x03000  PDPT
 *	+0x04000  4 page directories: GVA == GPA for the first 4 GiB, 2 MiB
 *	          pages, except the first 2 MiB:
 *	+0x08000  a page table for GVA [0, 2 MiB) in 4 KiB pages, with page 0
 *	          not present so that a guest NULL dereference is reported
 *	          (#PF, CR2 = 0) rather than silently reading GPA 0
 *	+0x09000  guest "TLS" page that FS and GS point at: the stack-protector
 *	          canary at +0x28 (see ucall.h), a self pointer at +0
 *	+0x0a000  TSS of vCPU id at +0x80 * id (0x68 bytes each)
 *	+0x20000  per vCPU id, 96 KiB at +0x20000 + 0x18000 * id:
 *	          a 32 KiB exception (IST1) stack, then the 64 KiB main stack
 *	+0xe0000  .. +0x100000: unused
 *
 * Guest code sees the binary as it is in the file: initialised data with
 * its initial values, .bss zero, and no relocation applied (static glibc's
 * IRELATIVE GOT entries are unresolved, and FS does not hold glibc's TCB),
 * so guest code must not call into libc. Use sync_global_to_guest() to
 * hand a value the host computed at run time to the guest. Mark guest
 * functions __guest_code (ucall.h): no stack-protector canary, no SSE.
 */
#ifndef HVX_VM_H
#define HVX_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/hvx.h>

/* Exit status of a test that failed (kselftest.h's KSFT_FAIL). */
#define HVX_TEST_EXIT_FAIL	1

#define HVX_PAGE_SIZE		4096ull
#define HVX_VM_DEFAULT_MEM	(16ull << 20)

/* The system region: the last MiB of slot 0. */
#define HVX_SYS_SIZE		(1ull << 20)
#define HVX_SYS_GDT		0x00000ull
#define HVX_SYS_IDT		0x01000ull
#define HVX_SYS_PML4		0x02000ull
#define HVX_SYS_PDPT		0x03000ull
#define HVX_SYS_PD		0x04000ull	/* 4 pages */
#define HVX_SYS_PT0		0x08000ull
#define HVX_SYS_TLS		0x09000ull
#define HVX_SYS_TSS		0x0a000ull
#define HVX_SYS_TSS_STRIDE	0x80ull
#define HVX_SYS_STACKS		0x20000ull
#define HVX_SYS_STACK_STRIDE	0x18000ull
#define HVX_SYS_EXC_STACK_SIZE	0x08000ull	/* first in each vCPU block */
#define HVX_SYS_STACK_SIZE	0x10000ull	/* then the main stack */

/* vcpu_setup_long/protected_mode() handle vCPU ids below this. */
#define HVX_SYS_MAX_VCPUS	8

/* Bytes of guest-virtual space the page tables map (GVA == GPA). */
#define HVX_IDENTITY_MAP_SIZE	(4ull << 30)

/* GDT selectors. */
#define HVX_SEL_CODE64		0x08
#define HVX_SEL_DATA		0x10
#define HVX_SEL_CODE32		0x18
#define HVX_SEL_TSS(id)		(0x20 + 0x10 * (id))

/* Architectural bits used by the mode setup. */
#define X86_CR0_PE		(1ull << 0)
#define X86_CR0_MP		(1ull << 1)
#define X86_CR0_ET		(1ull << 4)
#define X86_CR0_NE		(1ull << 5)
#define X86_CR0_WP		(1ull << 16)
#define X86_CR0_AM		(1ull << 18)
#define X86_CR0_PG		(1ull << 31)
#define X86_CR4_PAE		(1ull << 5)
#define X86_CR4_OSFXSR		(1ull << 9)
#define X86_CR4_OSXMMEXCPT	(1ull << 10)
#define EFER_SCE		(1ull << 0)
#define EFER_LME		(1ull << 8)
#define EFER_LMA		(1ull << 10)
#define X86_RFLAGS_FIXED	(1ull << 1)

struct hvx_vcpu;

/* A guest-memory slot as the library registered it. */
struct hvx_mem_region {
	bool used;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct hvx_vm {
	int sys_fd;			/* /dev/hvx */
	int fd;				/* the VM */
	uint64_t mem_size;		/* of slot 0, at GPA 0 */
	uint64_t sys_gpa;		/* the system region, mem_size - 1 MiB */
	uint64_t image_start;		/* [start, end) of what vm_load_self */
	uint64_t image_end;		/* loaded; both 0 before it */
	bool sys_ready;			/* GDT, IDT, page tables written */
	struct hvx_mem_region regions[HVX_MAX_MEM_SLOTS];
	struct hvx_vcpu *vcpus[HVX_MAX_VCPUS];
};

struct hvx_vcpu {
	struct hvx_vm *vm;
	uint32_t id;
	int fd;
	struct hvx_run *run;		/* mmap()ed from fd */
	size_t run_size;
};

/*
 * Failing a test from library code: print "file:line: message" (and the
 * failed expression) to stderr and abort(), which the kselftest harness
 * reports as "terminated by assertion". Usable anywhere on the host side,
 * including outside TEST()/TEST_F() bodies.
 */
void __attribute__((noreturn, format(printf, 4, 5)))
hvx_test_fail(const char *file, int line, const char *expr,
	      const char *fmt, ...);

#define TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			hvx_test_fail(__FILE__, __LINE__, #cond,	\
				      fmt, ##__VA_ARGS__);		\
	} while (0)

#define TEST_FAIL(fmt, ...)						\
	hvx_test_fail(__FILE__, __LINE__, NULL, fmt, ##__VA_ARGS__)

/*
 * VMs and guest memory. All of these fail the test on error.
 *
 * vm_create(): open /dev/hvx, HVX_CREATE_VM, and back slot 0 at GPA 0 with
 *	@mem_bytes (a multiple of 4 KiB, 1 MiB .. 4 GiB) of anonymous memory.
 * vm_add_region(): another slot of fresh anonymous memory; returns its
 *	host address.
 * vm_gpa_to_hva(): host address of @gpa in any slot; fails the test if no
 *	slot holds it. __vm_gpa_to_hva() returns NULL instead, and also when
 *	[@gpa, @gpa + @len) is not inside one slot.
 * vm_write()/vm_read(): copy to/from guest memory (within one slot).
 * vm_free(): close the vCPUs and the VM, unmap the memory. NULL is a no-op.
 */
struct hvx_vm *vm_create(size_t mem_bytes);
void *vm_add_region(struct hvx_vm *vm, uint32_t slot, uint64_t gpa,
		    uint64_t size, uint32_t flags);
void *__vm_gpa_to_hva(struct hvx_vm *vm, uint64_t gpa, uint64_t len);
void *vm_gpa_to_hva(struct hvx_vm *vm, uint64_t gpa);
void vm_write(struct hvx_vm *vm, uint64_t gpa, const void *src, size_t len);
void vm_read(struct hvx_vm *vm, uint64_t gpa, void *dst, size_t len);
void vm_free(struct hvx_vm *vm);

/* Raw HVX_SET_MEMORY_REGION: the ioctl's result, errno untouched. */
int __vm_set_memory_region(struct hvx_vm *vm, uint32_t slot, uint32_t flags,
			   uint64_t gpa, uint64_t size, void *hva);

/*
 * Guest code and data live at the same address in the guest as in this
 * process (GVA == GPA == host virtual address of the binary's image), so a
 * global can be copied between the two by its address.
 */
#define sync_global_to_guest(vm, g)					\
	vm_write(vm, (uint64_t)(uintptr_t)&(g), (const void *)&(g), sizeof(g))
#define sync_global_from_guest(vm, g)					\
	vm_read(vm, (uint64_t)(uintptr_t)&(g), (void *)&(g), sizeof(g))

/*
 * Copy this static non-PIE test binary (/proc/self/exe) into guest memory:
 * every PT_LOAD segment at GPA == p_vaddr, .bss zeroed. Fails the test if
 * the binary is PIE or does not fit below the system region.
 */
void vm_load_self(struct hvx_vm *vm);

/* vCPUs. */
struct hvx_vcpu *vcpu_add(struct hvx_vm *vm, uint32_t id);

/* Raw ioctls: the ioctl's return value, errno untouched. */
int __vcpu_run(struct hvx_vcpu *vcpu);
int __vcpu_regs_get(struct hvx_vcpu *vcpu, struct hvx_regs *regs);
int __vcpu_regs_set(struct hvx_vcpu *vcpu, const struct hvx_regs *regs);
int __vcpu_sregs_get(struct hvx_vcpu *vcpu, struct hvx_sregs *sregs);
int __vcpu_sregs_set(struct hvx_vcpu *vcpu, const struct hvx_sregs *sregs);
int __vcpu_set_cpuid(struct hvx_vcpu *vcpu,
		     const struct hvx_cpuid_entry *entries, uint32_t nent);

/*
 * Asserting versions: they fail the test, naming the caller's file and
 * line, the ioctl and errno, when the ioctl fails. (Macros so the caller's
 * line is reported; the functions behind them are the *_at() ones.)
 */
void vcpu_run_at(struct hvx_vcpu *vcpu, const char *file, int line);
void vcpu_regs_get_at(struct hvx_vcpu *vcpu, struct hvx_regs *regs,
		      const char *file, int line);
void vcpu_regs_set_at(struct hvx_vcpu *vcpu, const struct hvx_regs *regs,
		      const char *file, int line);
void vcpu_sregs_get_at(struct hvx_vcpu *vcpu, struct hvx_sregs *sregs,
		       const char *file, int line);
void vcpu_sregs_set_at(struct hvx_vcpu *vcpu, const struct hvx_sregs *sregs,
		       const char *file, int line);
void vcpu_set_cpuid_at(struct hvx_vcpu *vcpu,
		       const struct hvx_cpuid_entry *entries, uint32_t nent,
		       const char *file, int line);

#define vcpu_run(vcpu)		vcpu_run_at(vcpu, __FILE__, __LINE__)
#define vcpu_regs_get(vcpu, regs)					\
	vcpu_regs_get_at(vcpu, regs, __FILE__, __LINE__)
#define vcpu_regs_set(vcpu, regs)					\
	vcpu_regs_set_at(vcpu, regs, __FILE__, __LINE__)
#define vcpu_sregs_get(vcpu, sregs)					\
	vcpu_sregs_get_at(vcpu, sregs, __FILE__, __LINE__)
#define vcpu_sregs_set(vcpu, sregs)					\
	vcpu_sregs_set_at(vcpu, sregs, __FILE__, __LINE__)
#define vcpu_set_cpuid(vcpu, entries, nent)				\
	vcpu_set_cpuid_at(vcpu, entries, nent, __FILE__, __LINE__)

/* "HVX_EXIT_IO" etc.; "HVX_EXIT_<unknown>" for other values. */
const char *exit_reason_str(uint32_t reason);

/*
 * One line describing the vCPU's last exit, with the fields that matter
 * for its reason (port, MMIO address, suberror...) and the guest RIP.
 * Returns @buf.
 */
char *vcpu_exit_str(struct hvx_vcpu *vcpu, char *buf, size_t len);

/* Fail the test unless the last exit was @reason, describing the exit. */
#define vcpu_assert_exit(vcpu, reason)					\
	do {								\
		struct hvx_vcpu *__vcpu = (vcpu);			\
		uint32_t __want = (reason);				\
		char __buf[512];					\
									\
		if (__vcpu->run->exit_reason != __want)			\
			hvx_test_fail(__FILE__, __LINE__, NULL,		\
				      "expected exit %s, got %s",	\
				      exit_reason_str(__want),		\
				      vcpu_exit_str(__vcpu, __buf,	\
						    sizeof(__buf)));	\
	} while (0)

/*
 * Initial CPU state. Each reads the vCPU's sregs, changes what the mode
 * needs, and writes sregs and regs back (regs: all zero but those named).
 *
 * vcpu_setup_long_mode(): 64-bit mode with paging, for C guest code in
 *	this binary (vm_load_self() first). Writes the system region (GDT,
 *	IDT, page tables, TSS, stacks; see the layout above) on first use.
 *	RIP = @guest_fn (any function of this binary, taking at most one
 *	integer argument), RDI = @arg, RSP = top of the vCPU's stack - 8
 *	holding a return address: if @guest_fn returns, the guest reports
 *	UCALL_DONE (args[0] = RAX) and halts. CS = 0x08 (L = 1), data
 *	segments 0x10, FS/GS base = the guest TLS page, TR = the vCPU's TSS,
 *	CR0 = PE|MP|ET|NE|WP|AM|PG, CR4 = PAE|OSFXSR|OSXMMEXCPT,
 *	EFER = SCE|LME|LMA, RFLAGS = 0x2 (interrupts off). Exceptions are
 *	reported as UCALL_UNHANDLED (vector, error code, RIP, CR2).
 *
 * vcpu_setup_real_mode(): real mode at @cs:@ip, for raw code bytes put in
 *	guest memory with vm_write(). CS base = @cs << 4; DS, ES, FS, GS and
 *	SS are selector 0, base 0; limits 0xffff; CR0 = ET|NE; SP = 0
 *	(the first push wraps to 0xfffe); IDT = the real-mode IVT at 0.
 *
 * vcpu_setup_protected_mode(): flat 32-bit protected mode without paging at
 *	@entry_gpa, for raw 32-bit code bytes. CS = 0x18 (32-bit, base 0,
 *	4 GiB), data segments 0x10, TR = the vCPU's TSS, GDT in the system
 *	region, no IDT (an exception ends in HVX_EXIT_SHUTDOWN),
 *	CR0 = PE|ET|NE, ESP = top of the vCPU's main stack.
 */
void vcpu_setup_long_mode(struct hvx_vcpu *vcpu, void *guest_fn,
			  uint64_t arg);
void vcpu_setup_real_mode(struct hvx_vcpu *vcpu, uint16_t cs, uint16_t ip);
void vcpu_setup_protected_mode(struct hvx_vcpu *vcpu, uint32_t entry_gpa);

/*
 * Point IDT vector @vector at @handler (an interrupt gate on the vCPU's
 * own stack, not IST1, so that handlers may nest), for interrupt tests:
 * the handler is this binary's code and ends in IRETQ.
 */
void vm_set_idt_handler(struct hvx_vm *vm, uint8_t vector, void *handler);

/* GPA of the top of vCPU @id's main stack (16-byte aligned). */
uint64_t vcpu_stack_top(struct hvx_vm *vm, uint32_t id);

#endif /* HVX_VM_H */
