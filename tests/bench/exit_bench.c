// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: the cost of VM exits and of VM lifetime, for hvx and for KVM,
 * with the same real-mode guest loops (bench_guests.S), in the same boot.
 *
 *   exit_bench hvx|kvm [ITERATIONS]
 *
 * Prints one line per figure: "<hv> <what> <ns per operation>". The two
 * hypervisors cannot hold VMX at once, so the testbed runs this twice,
 * loading one and unloading the other in between; tests/bench/run.sh
 * prints the ratios. Guest memory is 64 KiB at 0: the MMIO loop stores to
 * 0xf0000, outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/hvx.h>
#include <linux/kvm.h>

extern const uint8_t bench_cpuid[], bench_cpuid_end[];
extern const uint8_t bench_pio[], bench_pio_end[];
extern const uint8_t bench_mmio[], bench_mmio_end[];

#define MEM_SIZE	0x10000
#define CODE_GPA	0x1000

/* One hypervisor's way of doing the same few things. */
struct hv {
	const char *name;
	int (*create)(struct hv *hv);
	void (*destroy)(struct hv *hv);
	/* Set EBP = n, RIP = CODE_GPA; run until HLT, answering exits. */
	void (*run)(struct hv *hv, uint64_t n);
	int sys, vm, vcpu;
	void *run_page;
	size_t run_size;
	uint8_t *mem;
};

static void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* hvx */
static int hvx_create(struct hv *hv)
{
	struct hvx_memory_region r = {
		.size = MEM_SIZE, .userspace_addr = (uintptr_t)hv->mem,
	};
	struct hvx_sregs s;

	hv->vm = ioctl(hv->sys, HVX_CREATE_VM, 0);
	if (hv->vm < 0 || ioctl(hv->vm, HVX_SET_MEMORY_REGION, &r))
		return -1;
	hv->vcpu = ioctl(hv->vm, HVX_CREATE_VCPU, 0);
	if (hv->vcpu < 0)
		return -1;
	hv->run_page = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, hv->vcpu, 0);
	if (hv->run_page == MAP_FAILED || ioctl(hv->vcpu, HVX_GET_SREGS, &s))
		return -1;
	s.cs.selector = 0;
	s.cs.base = 0;
	return ioctl(hv->vcpu, HVX_SET_SREGS, &s);
}

static void hvx_destroy(struct hv *hv)
{
	munmap(hv->run_page, hv->run_size);
	close(hv->vcpu);
	close(hv->vm);
}

static void hvx_run(struct hv *hv, uint64_t n)
{
	struct hvx_run *run = hv->run_page;
	struct hvx_regs regs = { .rip = CODE_GPA, .rbp = n, .rflags = 2 };

	if (ioctl(hv->vcpu, HVX_SET_REGS, &regs))
		die("HVX_SET_REGS");
	for (;;) {
		if (ioctl(hv->vcpu, HVX_RUN, 0))
			die("HVX_RUN");
		if (run->exit_reason == HVX_EXIT_HLT)
			return;
		if (run->exit_reason != HVX_EXIT_IO &&
		    run->exit_reason != HVX_EXIT_MMIO) {
			fprintf(stderr, "exit_bench: hvx exit %u\n",
				run->exit_reason);
			exit(1);
		}
	}
}

/* KVM */
static int kvm_create(struct hv *hv)
{
	struct kvm_userspace_memory_region r = {
		.memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)hv->mem,
	};
	struct kvm_sregs s;

	hv->vm = ioctl(hv->sys, KVM_CREATE_VM, 0);
	if (hv->vm < 0 || ioctl(hv->vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -1;
	hv->vcpu = ioctl(hv->vm, KVM_CREATE_VCPU, 0);
	if (hv->vcpu < 0)
		return -1;
	hv->run_page = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, hv->vcpu, 0);
	if (hv->run_page == MAP_FAILED || ioctl(hv->vcpu, KVM_GET_SREGS, &s))
		return -1;
	s.cs.selector = 0;
	s.cs.base = 0;
	return ioctl(hv->vcpu, KVM_SET_SREGS, &s);
}

static void kvm_run_guest(struct hv *hv, uint64_t n)
{
	struct kvm_run *run = hv->run_page;
	struct kvm_regs regs = { .rip = CODE_GPA, .rbp = n, .rflags = 2 };

	if (ioctl(hv->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	for (;;) {
		if (ioctl(hv->vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_HLT)
			return;
		if (run->exit_reason != KVM_EXIT_IO &&
		    run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "exit_bench: kvm exit %u\n",
				run->exit_reason);
			exit(1);
		}
	}
}

static void load(struct hv *hv, const uint8_t *start, const uint8_t *end)
{
	memset(hv->mem, 0, MEM_SIZE);
	memcpy(hv->mem + CODE_GPA, start, end - start);
}

static void measure_loop(struct hv *hv, const char *what, const uint8_t *start,
			 const uint8_t *end, uint64_t n)
{
	uint64_t t0, t;

	load(hv, start, end);
	hv->run(hv, 10);		/* warm up: EPT, caches */
	t0 = now_ns();
	hv->run(hv, n);
	t = now_ns() - t0;
	printf("%s %s %.0f\n", hv->name, what, (double)t / n);
}

/*
 * A virtqueue kick as a guest driver does it, a store to a notify
 * address, with an ioeventfd on that address (hvx's HVX_IOEVENTFD, KVM's
 * KVM_IOEVENTFD: the same arguments): the store signals an eventfd and
 * the guest goes on with no exit to user space. Against mmio_exit_to_user
 * it is what a device with its I/O thread on an eventfd saves per kick.
 * The eventfd's counter must equal the stores, or the figure is not one.
 */
#define KICK_GPA	0xf0000		/* where bench_mmio stores */

static int ioeventfd(struct hv *hv, int fd, bool deassign)
{
	if (!strcmp(hv->name, "hvx")) {
		struct hvx_ioeventfd e = {
			.addr = KICK_GPA, .len = 1, .fd = fd,
			.flags = deassign ? HVX_IOEVENTFD_DEASSIGN : 0,
		};

		return ioctl(hv->vm, HVX_IOEVENTFD, &e);
	} else {
		struct kvm_ioeventfd e = {
			.addr = KICK_GPA, .len = 1, .fd = fd,
			.flags = deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0,
		};

		return ioctl(hv->vm, KVM_IOEVENTFD, &e);
	}
}

static void measure_ioeventfd(struct hv *hv, uint64_t n)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t count = 0;

	if (fd < 0 || ioeventfd(hv, fd, false)) {
		printf("%s mmio_ioeventfd_kick unsupported (%s)\n", hv->name,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	measure_loop(hv, "mmio_ioeventfd_kick", bench_mmio, bench_mmio_end, n);
	if (read(fd, &count, sizeof(count)) != sizeof(count) ||
	    count != n + 10) {
		fprintf(stderr, "exit_bench: %s: the eventfd counted %llu kicks of %llu\n",
			hv->name, (unsigned long long)count,
			(unsigned long long)n + 10);
		exit(1);
	}
	ioeventfd(hv, fd, true);
	close(fd);
}

static void measure_lifetime(struct hv *hv, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		if (hv->create(hv))
			die("create");
		hv->destroy(hv);
	}
	printf("%s vm_vcpu_create_destroy %.0f\n", hv->name,
	       (double)(now_ns() - t0) / n);
}

int main(int argc, char **argv)
{
	struct hv hv = { 0 };
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 2000;
	long size;

	if (argc < 2 || (strcmp(argv[1], "hvx") && strcmp(argv[1], "kvm"))) {
		fprintf(stderr, "usage: exit_bench hvx|kvm [ITERATIONS]\n");
		return 2;
	}
	hv.name = argv[1];
	if (!strcmp(argv[1], "hvx")) {
		hv.sys = open("/dev/hvx", O_RDWR | O_CLOEXEC);
		hv.create = hvx_create;
		hv.run = hvx_run;
		size = hv.sys < 0 ? -1 : ioctl(hv.sys, HVX_GET_VCPU_MMAP_SIZE, 0);
	} else {
		hv.sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		hv.create = kvm_create;
		hv.run = kvm_run_guest;
		size = hv.sys < 0 ? -1 : ioctl(hv.sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	}
	hv.destroy = hvx_destroy;	/* the same three closes for both */
	if (size <= 0)
		die(argv[1]);
	hv.run_size = size;
	hv.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hv.mem == MAP_FAILED)
		die("mmap");

	if (hv.create(&hv))
		die("create");
	measure_loop(&hv, "cpuid_exit", bench_cpuid, bench_cpuid_end, n);
	measure_loop(&hv, "pio_exit_to_user", bench_pio, bench_pio_end, n);
	measure_loop(&hv, "mmio_exit_to_user", bench_mmio, bench_mmio_end, n);
	measure_ioeventfd(&hv, n);
	hv.destroy(&hv);
	measure_lifetime(&hv, n / 20 ? n / 20 : 1);
	return 0;
}
