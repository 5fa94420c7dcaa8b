// SPDX-License-Identifier: GPL-2.0
/*
 * hvx selftest library, host side: VMs, guest memory, vCPUs, the ioctl
 * wrappers, and loading the test binary into the guest. The CPU-mode setup
 * and the guest-side exception stubs are in guest_modes.c, ucall in ucall.c.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvx_util.h"
#include "hvx_vm.h"

void hvx_test_fail(const char *file, int line, const char *expr,
		   const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	if (expr)
		fprintf(stderr, "assertion '%s' failed: ", expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* ---- VMs and memory ---------------------------------------------------- */

int __vm_set_memory_region(struct hvx_vm *vm, uint32_t slot, uint32_t flags,
			   uint64_t gpa, uint64_t size, void *hva)
{
	struct hvx_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(vm->fd, HVX_SET_MEMORY_REGION, &r);
}

/* mmap() anonymous memory and register it as @slot. */
static void *add_region(struct hvx_vm *vm, uint32_t slot, uint64_t gpa,
			uint64_t size, uint32_t flags)
{
	struct hvx_mem_region *r;
	void *hva;

	TEST_ASSERT(slot < HVX_MAX_MEM_SLOTS, "slot %u: at most %u slots",
		   slot, HVX_MAX_MEM_SLOTS);
	r = &vm->regions[slot];
	TEST_ASSERT(!r->used, "slot %u is already in use", slot);
	TEST_ASSERT(size && !(size % HVX_PAGE_SIZE) && !(gpa % HVX_PAGE_SIZE),
		   "slot %u: GPA %#llx and size %#llx must be page-aligned",
		   slot, (unsigned long long)gpa, (unsigned long long)size);

	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(hva != MAP_FAILED, "mmap of %#llx bytes for slot %u: %s",
		   (unsigned long long)size, slot, strerror(errno));

	if (__vm_set_memory_region(vm, slot, flags, gpa, size, hva)) {
		int err = errno;

		munmap(hva, size);
		TEST_FAIL("HVX_SET_MEMORY_REGION slot %u GPA %#llx size %#llx flags %#x: %s",
			  slot, (unsigned long long)gpa,
			  (unsigned long long)size, flags, strerror(err));
	}

	r->used = true;
	r->flags = flags;
	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
	return hva;
}

struct hvx_vm *vm_create(size_t mem_bytes)
{
	struct hvx_vm *vm;
	int fd;

	TEST_ASSERT(mem_bytes >= HVX_SYS_SIZE && mem_bytes <= (4ull << 30) &&
		   !(mem_bytes % HVX_PAGE_SIZE),
		   "%s(%#zx): guest memory must be a multiple of 4 KiB from 1 MiB to 4 GiB",
		   __func__, mem_bytes);

	vm = calloc(1, sizeof(*vm));
	TEST_ASSERT(vm, "out of memory");
	vm->fd = -1;

	fd = hvx_open();
	TEST_ASSERT(fd >= 0, "open /dev/hvx: %s", strerror(-fd));
	vm->sys_fd = fd;

	vm->fd = ioctl(vm->sys_fd, HVX_CREATE_VM, 0);
	TEST_ASSERT(vm->fd >= 0, "HVX_CREATE_VM: %s (errno %d)",
		   strerror(errno), errno);

	vm->mem_size = mem_bytes;
	vm->sys_gpa = mem_bytes - HVX_SYS_SIZE;
	add_region(vm, 0, 0, mem_bytes, 0);
	return vm;
}

void *vm_add_region(struct hvx_vm *vm, uint32_t slot, uint64_t gpa,
		    uint64_t size, uint32_t flags)
{
	return add_region(vm, slot, gpa, size, flags);
}

void *__vm_gpa_to_hva(struct hvx_vm *vm, uint64_t gpa, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		struct hvx_mem_region *r = &vm->regions[i];

		if (!r->used || gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return (char *)r->hva + (gpa - r->gpa);
	}
	return NULL;
}

void *vm_gpa_to_hva(struct hvx_vm *vm, uint64_t gpa)
{
	void *hva = __vm_gpa_to_hva(vm, gpa, 1);

	TEST_ASSERT(hva, "GPA %#llx is in no memory slot",
		   (unsigned long long)gpa);
	return hva;
}

void vm_write(struct hvx_vm *vm, uint64_t gpa, const void *src, size_t len)
{
	void *hva = __vm_gpa_to_hva(vm, gpa, len);

	TEST_ASSERT(hva, "%s: GPA [%#llx, +%#zx) is not inside one memory slot",
		   __func__, (unsigned long long)gpa, len);
	memcpy(hva, src, len);
}

void vm_read(struct hvx_vm *vm, uint64_t gpa, void *dst, size_t len)
{
	void *hva = __vm_gpa_to_hva(vm, gpa, len);

	TEST_ASSERT(hva, "%s: GPA [%#llx, +%#zx) is not inside one memory slot",
		   __func__, (unsigned long long)gpa, len);
	memcpy(dst, hva, len);
}

void vm_free(struct hvx_vm *vm)
{
	uint32_t i;

	if (!vm)
		return;
	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		struct hvx_vcpu *vcpu = vm->vcpus[i];

		if (!vcpu)
			continue;
		munmap(vcpu->run, vcpu->run_size);
		close(vcpu->fd);
		free(vcpu);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	close(vm->sys_fd);
	/* Only now: the VM no longer refers to the memory. */
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		if (vm->regions[i].used)
			munmap(vm->regions[i].hva, vm->regions[i].size);
	free(vm);
}

/* ---- Loading the test binary ------------------------------------------- */

static void pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		TEST_ASSERT(n > 0, "reading /proc/self/exe at %#llx: %s",
			   (unsigned long long)off,
			   n ? strerror(errno) : "unexpected end of file");
		p += n;
		off += n;
		len -= n;
	}
}

void vm_load_self(struct hvx_vm *vm)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	Elf64_Ehdr eh;
	int fd, i;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(fd >= 0, "open /proc/self/exe: %s", strerror(errno));
	pread_all(fd, &eh, sizeof(eh), 0);

	TEST_ASSERT(!memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		   eh.e_ident[EI_CLASS] == ELFCLASS64 &&
		   eh.e_machine == EM_X86_64 &&
		   eh.e_phentsize == sizeof(Elf64_Phdr),
		   "/proc/self/exe is not an x86-64 ELF64 file");
	/*
	 * Guest code runs at its link addresses with GVA == GPA, so the
	 * binary must not be position independent: a static-pie binary
	 * (ET_DYN) runs at a random host address that the guest would not
	 * share, and its relocations would be missing in the guest.
	 */
	TEST_ASSERT(eh.e_type == ET_EXEC,
		   "the test binary is position independent (ELF type %u): link it with -static -no-pie",
		   eh.e_type);

	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		char *hva;

		pread_all(fd, &ph, sizeof(ph),
			  eh.e_phoff + (off_t)i * sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		TEST_ASSERT(ph.p_filesz <= ph.p_memsz,
			   "PT_LOAD %d: file size above memory size", i);

		/* The binary must sit below the system region, in slot 0. */
		TEST_ASSERT(ph.p_vaddr + ph.p_memsz <= vm->sys_gpa,
			   "guest memory too small for the test binary: its segment [%#llx, %#llx) reaches the system region at %#llx (guest memory %#llx bytes): pass a larger size to vm_create()",
			   (unsigned long long)ph.p_vaddr,
			   (unsigned long long)(ph.p_vaddr + ph.p_memsz),
			   (unsigned long long)vm->sys_gpa,
			   (unsigned long long)vm->mem_size);

		hva = vm_gpa_to_hva(vm, ph.p_vaddr);
		pread_all(fd, hva, ph.p_filesz, ph.p_offset);
		memset(hva + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);

		if (ph.p_vaddr < lo)
			lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > hi)
			hi = ph.p_vaddr + ph.p_memsz;
	}
	close(fd);

	TEST_ASSERT(hi, "/proc/self/exe has no PT_LOAD segment");
	vm->image_start = lo;
	vm->image_end = hi;
}

/* ---- vCPUs ------------------------------------------------------------- */

struct hvx_vcpu *vcpu_add(struct hvx_vm *vm, uint32_t id)
{
	struct hvx_vcpu *vcpu;
	int size;

	TEST_ASSERT(id < HVX_MAX_VCPUS, "vCPU id %u: at most %u vCPUs", id,
		   HVX_MAX_VCPUS);
	TEST_ASSERT(!vm->vcpus[id], "vCPU %u already exists", id);

	vcpu = calloc(1, sizeof(*vcpu));
	TEST_ASSERT(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;

	vcpu->fd = ioctl(vm->fd, HVX_CREATE_VCPU, (unsigned long)id);
	TEST_ASSERT(vcpu->fd >= 0, "HVX_CREATE_VCPU %u: %s (errno %d)", id,
		   strerror(errno), errno);

	size = ioctl(vm->sys_fd, HVX_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(size >= (int)sizeof(struct hvx_run),
		   "HVX_GET_VCPU_MMAP_SIZE: %d (%s), want at least %zu", size,
		   size < 0 ? strerror(errno) : "too small",
		   sizeof(struct hvx_run));
	vcpu->run_size = size;

	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED,
		   "mmap of vCPU %u's run page (%zu bytes): %s", id,
		   vcpu->run_size, strerror(errno));

	vm->vcpus[id] = vcpu;
	return vcpu;
}

int __vcpu_run(struct hvx_vcpu *vcpu)
{
	return ioctl(vcpu->fd, HVX_RUN, 0);
}

int __vcpu_regs_get(struct hvx_vcpu *vcpu, struct hvx_regs *regs)
{
	return ioctl(vcpu->fd, HVX_GET_REGS, regs);
}

int __vcpu_regs_set(struct hvx_vcpu *vcpu, const struct hvx_regs *regs)
{
	return ioctl(vcpu->fd, HVX_SET_REGS, regs);
}

int __vcpu_sregs_get(struct hvx_vcpu *vcpu, struct hvx_sregs *sregs)
{
	return ioctl(vcpu->fd, HVX_GET_SREGS, sregs);
}

int __vcpu_sregs_set(struct hvx_vcpu *vcpu, const struct hvx_sregs *sregs)
{
	return ioctl(vcpu->fd, HVX_SET_SREGS, sregs);
}

int __vcpu_set_cpuid(struct hvx_vcpu *vcpu,
		     const struct hvx_cpuid_entry *entries, uint32_t nent)
{
	struct hvx_cpuid c = {
		.nent = nent,
		.entries = (uint64_t)(uintptr_t)entries,
	};

	return ioctl(vcpu->fd, HVX_SET_CPUID, &c);
}

static void __attribute__((noreturn))
ioctl_failed(struct hvx_vcpu *vcpu, const char *what, int ret,
	     const char *file, int line)
{
	int err = errno;

	hvx_test_fail(file, line, NULL, "%s on vCPU %u failed: %d, %s (errno %d)",
		      what, vcpu->id, ret, strerror(err), err);
}

void vcpu_run_at(struct hvx_vcpu *vcpu, const char *file, int line)
{
	int ret = __vcpu_run(vcpu);

	if (ret)
		ioctl_failed(vcpu, "HVX_RUN", ret, file, line);
}

void vcpu_regs_get_at(struct hvx_vcpu *vcpu, struct hvx_regs *regs,
		      const char *file, int line)
{
	int ret = __vcpu_regs_get(vcpu, regs);

	if (ret)
		ioctl_failed(vcpu, "HVX_GET_REGS", ret, file, line);
}

void vcpu_regs_set_at(struct hvx_vcpu *vcpu, const struct hvx_regs *regs,
		      const char *file, int line)
{
	int ret = __vcpu_regs_set(vcpu, regs);

	if (ret)
		ioctl_failed(vcpu, "HVX_SET_REGS", ret, file, line);
}

void vcpu_sregs_get_at(struct hvx_vcpu *vcpu, struct hvx_sregs *sregs,
		       const char *file, int line)
{
	int ret = __vcpu_sregs_get(vcpu, sregs);

	if (ret)
		ioctl_failed(vcpu, "HVX_GET_SREGS", ret, file, line);
}

void vcpu_sregs_set_at(struct hvx_vcpu *vcpu, const struct hvx_sregs *sregs,
		       const char *file, int line)
{
	int ret = __vcpu_sregs_set(vcpu, sregs);

	if (ret)
		ioctl_failed(vcpu, "HVX_SET_SREGS", ret, file, line);
}

void vcpu_set_cpuid_at(struct hvx_vcpu *vcpu,
		       const struct hvx_cpuid_entry *entries, uint32_t nent,
		       const char *file, int line)
{
	int ret = __vcpu_set_cpuid(vcpu, entries, nent);

	if (ret)
		ioctl_failed(vcpu, "HVX_SET_CPUID", ret, file, line);
}

/* ---- Describing exits -------------------------------------------------- */

const char *exit_reason_str(uint32_t reason)
{
	switch (reason) {
	case HVX_EXIT_NONE:		return "HVX_EXIT_NONE";
	case HVX_EXIT_IO:		return "HVX_EXIT_IO";
	case HVX_EXIT_MMIO:		return "HVX_EXIT_MMIO";
	case HVX_EXIT_HLT:		return "HVX_EXIT_HLT";
	case HVX_EXIT_SHUTDOWN:		return "HVX_EXIT_SHUTDOWN";
	case HVX_EXIT_FAIL_ENTRY:	return "HVX_EXIT_FAIL_ENTRY";
	case HVX_EXIT_INTERNAL_ERROR:	return "HVX_EXIT_INTERNAL_ERROR";
	case HVX_EXIT_INTR:		return "HVX_EXIT_INTR";
	}
	return "HVX_EXIT_<unknown>";
}

char *vcpu_exit_str(struct hvx_vcpu *vcpu, char *buf, size_t len)
{
	struct hvx_run *run = vcpu->run;
	struct hvx_regs regs;
	size_t n;
	uint32_t i;

	n = snprintf(buf, len, "%s (%u)", exit_reason_str(run->exit_reason),
		     run->exit_reason);

#define APPEND(...)							\
	do {								\
		if (n < len)						\
			n += snprintf(buf + n, len - n, __VA_ARGS__);	\
	} while (0)

	switch (run->exit_reason) {
	case HVX_EXIT_IO:
		APPEND(": %s port %#x size %u count %u data_offset %#llx",
		       run->io.direction == HVX_EXIT_IO_OUT ? "out" : "in",
		       run->io.port, run->io.size, run->io.count,
		       (unsigned long long)run->io.data_offset);
		if (run->io.direction == HVX_EXIT_IO_OUT &&
		    run->io.size <= 8 && run->io.data_offset < vcpu->run_size &&
		    run->io.size <= vcpu->run_size - run->io.data_offset) {
			uint64_t v = 0;

			memcpy(&v, (char *)run + run->io.data_offset,
			       run->io.size);
			APPEND(" data %#llx", (unsigned long long)v);
		}
		break;
	case HVX_EXIT_MMIO:
		APPEND(": %s GPA %#llx len %u",
		       run->mmio.is_write ? "write" : "read",
		       (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	case HVX_EXIT_FAIL_ENTRY:
		APPEND(": hardware exit reason %#x qualification %#llx",
		       run->fail_entry.hardware_exit_reason,
		       (unsigned long long)run->fail_entry.qualification);
		break;
	case HVX_EXIT_INTERNAL_ERROR:
		APPEND(": suberror %u, data", run->internal.suberror);
		for (i = 0; i < run->internal.ndata && i < 8; i++)
			APPEND(" %#llx",
			       (unsigned long long)run->internal.data[i]);
		break;
	}

	if (!__vcpu_regs_get(vcpu, &regs))
		APPEND(", guest RIP %#llx RSP %#llx RFLAGS %#llx",
		       (unsigned long long)regs.rip,
		       (unsigned long long)regs.rsp,
		       (unsigned long long)regs.rflags);
#undef APPEND
	return buf;
}
