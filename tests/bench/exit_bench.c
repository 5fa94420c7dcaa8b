// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: the cost of VM exits and of VM lifetime, for hvx and for KVM,
 * with the same guest code under both, in the same boot.
 *
 *   exit_bench hvx|kvm [ITERATIONS]
 *
 * Prints one line per figure: "<hv> <what> <ns per operation>", or
 * "<hv> <what> unsupported (<why>)", and "info <hv> ..." lines about the
 * run. The two hypervisors cannot hold VMX at once, so the testbed runs
 * this twice, loading one and unloading the other in between;
 * tests/bench/run.sh prints the ratios.
 *
 * This file: the real-mode loops (bench_guests.S) in a VM without an
 * irqchip, 64 KiB at 0 (the MMIO loop stores to 0xf0000, outside it),
 * timed from the host; and VM lifetime. apic_bench.c has the long-mode
 * figures; hv_hvx.c and hv_kvm.c the two back ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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

#include "bench.h"

extern const uint8_t bench_cpuid[], bench_cpuid_end[];
extern const uint8_t bench_pio[], bench_pio_end[];
extern const uint8_t bench_mmio[], bench_mmio_end[];

#define MEM_SIZE	0x10000
#define CODE_GPA	0x1000

void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("exit_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void hv_destroy_vm(struct hv *hv)
{
	unsigned int i;

	for (i = 0; i < hv->nr_vcpus; i++) {
		munmap(hv->vcpu[i].run, hv->run_size);
		close(hv->vcpu[i].fd);
	}
	hv->nr_vcpus = 0;
	close(hv->vm);
}

/* The real-mode VM: 64 KiB at 0, one vCPU, no irqchip (HLT exits). */
static int create(struct hv *hv)
{
	return hv->ops->create_vm(hv, false) ||
	       hv->ops->create_vcpu(hv, &hv->vcpu[0], 0) ||
	       hv->ops->set_real_mode(hv, &hv->vcpu[0], CODE_GPA, 0);
}

/* Set EBP = n, RIP = CODE_GPA; run until HLT, answering exits. */
static void run_real_mode(struct hv *hv, uint64_t n)
{
	struct hv_vcpu *v = &hv->vcpu[0];
	struct hv_exit e;

	if (hv->ops->set_real_mode(hv, v, CODE_GPA, n))
		die("set registers");
	for (;;) {
		if (hv->ops->run(hv, v, &e))
			die("run");
		if (e.kind == HV_EXIT_HLT)
			return;
		if (e.kind != HV_EXIT_IO && e.kind != HV_EXIT_MMIO)
			fail("%s exit %u", hv->name, e.reason);
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
	run_real_mode(hv, 10);		/* warm up: EPT, caches */
	t0 = now_ns();
	run_real_mode(hv, n);
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

static void measure_ioeventfd(struct hv *hv, uint64_t n)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t count = 0;

	if (fd < 0 || hv->ops->ioeventfd(hv, KICK_GPA, fd, false)) {
		printf("%s mmio_ioeventfd_kick unsupported (%s)\n", hv->name,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	measure_loop(hv, "mmio_ioeventfd_kick", bench_mmio, bench_mmio_end, n);
	if (read(fd, &count, sizeof(count)) != sizeof(count) ||
	    count != n + 10)
		fail("%s: the eventfd counted %llu kicks of %llu", hv->name,
		     (unsigned long long)count, (unsigned long long)n + 10);
	hv->ops->ioeventfd(hv, KICK_GPA, fd, true);
	close(fd);
}

/* Create a VM, its memory and a vCPU with its run page; destroy them. */
static void measure_lifetime(struct hv *hv, uint64_t n)
{
	uint64_t i, t0 = now_ns();

	for (i = 0; i < n; i++) {
		if (create(hv))
			die("create");
		hv_destroy_vm(hv);
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
	/* The lines reach the console in order, even on a failure. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	hv.name = argv[1];
	if (!strcmp(argv[1], "hvx")) {
		hv.sys = open("/dev/hvx", O_RDWR | O_CLOEXEC);
		hv.ops = &hvx_ops;
		size = hv.sys < 0 ? -1 : ioctl(hv.sys, HVX_GET_VCPU_MMAP_SIZE, 0);
	} else {
		hv.sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		hv.ops = &kvm_ops;
		size = hv.sys < 0 ? -1 : ioctl(hv.sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	}
	if (size <= 0)
		die(argv[1]);
	hv.run_size = size;
	hv.mem_size = MEM_SIZE;
	hv.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hv.mem == MAP_FAILED)
		die("mmap");

	if (create(&hv))
		die("create");
	measure_loop(&hv, "cpuid_exit", bench_cpuid, bench_cpuid_end, n);
	measure_loop(&hv, "pio_exit_to_user", bench_pio, bench_pio_end, n);
	measure_loop(&hv, "mmio_exit_to_user", bench_mmio, bench_mmio_end, n);
	measure_ioeventfd(&hv, n);
	hv_destroy_vm(&hv);
	measure_lifetime(&hv, n / 20 ? n / 20 : 1);
	apic_bench(&hv, n);
	return 0;
}
