// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench's long-mode figures: CR8, the xAPIC TPR, self-IPI, IPIs
 * between two vCPUs, the TSC-deadline timer, VMCALL and CPUID, each the
 * same guest code (bench_guests64.S) under both hypervisors, in one VM
 * with their in-kernel irqchip and two vCPUs (vCPU 1 started by INIT and
 * SIPI from vCPU 0, as on a PC). Times are the guest's RDTSC, turned into
 * ns with the TSC frequency each hypervisor reports (HVX_CAP_TSC_KHZ,
 * KVM_GET_TSC_KHZ). A figure whose check fails (a handler that never ran,
 * a count that does not match, a value that does not read back) ends the
 * program with status 1; one the hypervisor cannot give is printed as
 * "unsupported (why)".
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "bench_layout.h"

extern const uint8_t bench64_start[], bench64_end[];
extern const uint8_t g_start_ap[], g_cpuid[], g_cr8_read[], g_cr8_write[],
	g_tpr_write[], g_self_ipi[], g_ipi_send_running[],
	g_ipi_recv_running[], g_ipi_send_halted[], g_ipi_recv_halted[],
	g_tsc_deadline_immediate[], g_tsc_deadline_future[], g_vmcall[];

#define WARMUP		10
#define DELAY_US	50	/* between two IPIs: the receiver settles */
#define FUTURE_US	20	/* tsc_deadline_future's deadline, ahead */
#define TIMEOUT_MS	1000	/* of guest TSC, for one handler to run */
#define ALARM_S		300	/* of wall time, for one figure's runs */

enum irqs { NO_IRQS, N_IRQS, N_PLUS_1_IRQS };

struct figure {
	const char *name;	/* D_T0..D_T1 per op, if not NULL */
	const char *latency;	/* D_SUM per op, if not NULL */
	const uint8_t *entry, *entry1;	/* vCPU 0's, vCPU 1's (or NULL) */
	enum irqs irqs;		/* handler runs the figure must count */
	bool tsc_deadline;	/* needs TSC-deadline in CPUID */
	bool two_cpus;		/* means nothing on one host CPU */
};

static const struct figure figures[] = {
	{ .name = "cpuid_exit_64", .entry = g_cpuid },
	{ .name = "cr8_read", .entry = g_cr8_read },
	{ .name = "cr8_write", .entry = g_cr8_write },
	{ .name = "xapic_tpr_write", .entry = g_tpr_write },
	{ .name = "self_ipi", .latency = "self_ipi_to_handler",
	  .entry = g_self_ipi, .irqs = N_IRQS },
	{ .latency = "ipi_running", .entry = g_ipi_send_running,
	  .entry1 = g_ipi_recv_running, .irqs = N_IRQS, .two_cpus = true },
	{ .latency = "ipi_halted", .entry = g_ipi_send_halted,
	  .entry1 = g_ipi_recv_halted, .irqs = N_PLUS_1_IRQS },
	{ .latency = "tsc_deadline_immediate",
	  .entry = g_tsc_deadline_immediate, .irqs = N_IRQS,
	  .tsc_deadline = true },
	{ .latency = "tsc_deadline_future", .entry = g_tsc_deadline_future,
	  .irqs = N_IRQS, .tsc_deadline = true },
	{ .name = "vmcall", .entry = g_vmcall },
};

struct lm {
	struct hv *hv;
	uint64_t tsc_khz;
	const char *no_tsc_deadline;	/* why, or NULL */
	int cpus;			/* online host CPUs */
};

static const char *running_figure;

static void say(const char *s)
{
	ssize_t r = write(2, s, strlen(s));

	(void)r;
}

/* A guest that never reports, or a vCPU that never wakes: fail loudly. */
static void on_alarm(int sig)
{
	(void)sig;
	say("exit_bench: a long-mode figure did not end in time: ");
	say(running_figure);
	say("\n");
	_exit(1);
}

static uint64_t *data64(struct lm *lm, unsigned int off)
{
	return (uint64_t *)(lm->hv->mem + LM_DATA + off);
}

static uint32_t data32(struct lm *lm, unsigned int off)
{
	return *(volatile uint32_t *)(lm->hv->mem + LM_DATA + off);
}

/*
 * Run @v until it writes @port: 0; or until it reports PORT_FAIL: its
 * code. Anything else is a broken bench.
 */
static uint32_t run_to(struct hv *hv, struct hv_vcpu *v, uint16_t port)
{
	struct hv_exit e;

	for (;;) {
		if (hv->ops->run(hv, v, &e)) {
			/* KVM: an AP woken by INIT or SIPI returns EAGAIN. */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("run");
		}
		if (e.kind == HV_EXIT_IO && e.out && e.port == port)
			return 0;
		if (e.kind == HV_EXIT_IO && e.out && e.port == PORT_FAIL)
			return e.data ? e.data : ~0u;
		fail("%s vCPU %u: exit %u (port %#x) in %s", hv->name, v->id,
		     e.reason, e.port, running_figure);
	}
}

struct ap_run {
	struct lm *lm;
	uint16_t port;
	int cpu;		/* to pin the thread to, or -1 */
	uint32_t code;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void *ap_thread(void *arg)
{
	struct ap_run *ap = arg;

	pin(ap->cpu);
	ap->code = run_to(ap->lm->hv, &ap->lm->hv->vcpu[1], ap->port);
	return NULL;
}

static void set_lm(struct lm *lm, unsigned int id, const uint8_t *entry,
		   uint64_t n)
{
	struct lm_state st;

	lm_state(&st, id, entry, n);
	if (lm->hv->ops->set_long_mode(lm->hv, &lm->hv->vcpu[id], &st))
		die("set long mode");
}

/*
 * Run vCPU 0 at @entry and, with @entry1, vCPU 1 at it in a thread of its
 * own (the two pinned to two host CPUs where there are two); both end at
 * PORT_DONE. Returns the first failure code, or 0.
 */
static uint32_t run_guest(struct lm *lm, const uint8_t *entry,
			  const uint8_t *entry1, uint64_t n)
{
	struct ap_run ap = { lm, PORT_DONE, lm->cpus > 1 ? 1 : -1, 0 };
	pthread_t thread;
	uint32_t code;

	memset(lm->hv->mem + LM_DATA, 0, 0x1000);
	*data64(lm, D_DELAY) = lm->tsc_khz * DELAY_US / 1000;
	*data64(lm, D_FUTURE) = lm->tsc_khz * FUTURE_US / 1000;
	*data64(lm, D_TIMEOUT) = lm->tsc_khz * TIMEOUT_MS;
	set_lm(lm, 0, entry, n);
	if (entry1) {
		set_lm(lm, 1, entry1, n);
		errno = pthread_create(&thread, NULL, ap_thread, &ap);
		if (errno)
			die("pthread_create");
	}
	code = run_to(lm->hv, &lm->hv->vcpu[0], PORT_DONE);
	if (code)
		return code;	/* vCPU 1 may wait forever: no join */
	if (entry1) {
		pthread_join(thread, NULL);
		code = ap.code;
	}
	return code;
}

static void print_ns(struct lm *lm, const char *what, uint64_t cycles,
		     uint64_t n)
{
	double ns = (double)cycles * 1e6 / lm->tsc_khz / n;

	printf("%s %s %.*f\n", lm->hv->name, what, ns < 100 ? 1 : 0, ns);
}

static void unsupported(struct lm *lm, const struct figure *f,
			const char *why)
{
	if (f->name)
		printf("%s %s unsupported (%s)\n", lm->hv->name, f->name, why);
	if (f->latency)
		printf("%s %s unsupported (%s)\n", lm->hv->name, f->latency,
		       why);
}

static const char *fail_reason(uint32_t code, char *buf, size_t size)
{
	switch (code) {
	case FAIL_TIMEOUT: return "the interrupt handler did not run in 1 s";
	case FAIL_VMCALL: return "VMCALL did not return -1000 in RAX";
	case FAIL_CR8: return "CR8 did not read back what was written";
	case FAIL_TPR: return "the xAPIC TPR did not read back what was written";
	case FAIL_EARLY: return "the timer interrupt came before its deadline";
	case FAIL_TSC: return "the handler's TSC was before the send";
	case FAIL_NOT_READY: return "the receiving vCPU did not report in 1 s";
	case FAIL_VECTOR: return "an unexpected interrupt vector";
	}
	snprintf(buf, size, "exception %u", code);
	return buf;
}

static void measure(struct lm *lm, const struct figure *f, uint64_t n)
{
	const char *name = f->name ? f->name : f->latency;
	uint64_t want, count;
	char buf[32];
	uint32_t code;

	if (lm->no_tsc_deadline && f->tsc_deadline) {
		unsupported(lm, f, lm->no_tsc_deadline);
		return;
	}
	if (f->two_cpus && lm->cpus < 2) {
		unsupported(lm, f, "one host CPU: the receiver cannot run meanwhile");
		return;
	}
	running_figure = name;
	alarm(ALARM_S);
	code = run_guest(lm, f->entry, f->entry1, WARMUP);
	/* #UD: the hypervisor has no VMCALL to offer (hvx before -1000). */
	if (code == 6 && f->entry == g_vmcall) {
		alarm(0);
		unsupported(lm, f, "VMCALL raises #UD");
		return;
	}
	if (!code)
		code = run_guest(lm, f->entry, f->entry1, n);
	alarm(0);
	if (code)
		fail("%s %s: %s", lm->hv->name, name,
		     fail_reason(code, buf, sizeof(buf)));
	want = f->irqs == N_IRQS ? n : f->irqs == N_PLUS_1_IRQS ? n + 1 : 0;
	count = data32(lm, D_COUNT);
	if (count != want)
		fail("%s %s: the handler ran %llu times, not %llu", lm->hv->name,
		     name, (unsigned long long)count, (unsigned long long)want);
	if (f->name)
		print_ns(lm, f->name, *data64(lm, D_T1) - *data64(lm, D_T0), n);
	if (f->latency)
		print_ns(lm, f->latency, *data64(lm, D_SUM), n);
}

/* The VM: memory, the irqchip, two vCPUs, CPUID; vCPU 1 started. */
static void lm_setup(struct lm *lm)
{
	struct hv *hv = lm->hv;
	struct ap_run ap = { lm, PORT_AP_UP, -1, 0 };
	const char *why = NULL;
	pthread_t thread;
	unsigned int i;

	hv->mem_size = LM_MEM_SIZE;
	hv->mem = mmap(NULL, LM_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hv->mem == MAP_FAILED)
		die("mmap");
	lm_write_system(hv->mem, bench64_start, bench64_end - bench64_start);
	if (hv->ops->create_vm(hv, true))
		die("create a VM with an irqchip");
	for (i = 0; i < BENCH_MAX_VCPUS; i++)
		if (hv->ops->create_vcpu(hv, &hv->vcpu[i], i))
			die("create vCPU");
	for (i = 0; i < BENCH_MAX_VCPUS; i++)
		if (hv->ops->set_cpuid(hv, &hv->vcpu[i], &why))
			lm->no_tsc_deadline = why;
	lm->tsc_khz = hv->ops->tsc_khz(hv, &hv->vcpu[0]);
	lm->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("info %s tsc_khz %llu, host CPUs %d\n", hv->name,
	       (unsigned long long)lm->tsc_khz, lm->cpus);

	running_figure = "starting vCPU 1";
	alarm(ALARM_S);
	errno = pthread_create(&thread, NULL, ap_thread, &ap);
	if (errno)
		die("pthread_create");
	set_lm(lm, 0, g_start_ap, 0);
	if (run_to(hv, &hv->vcpu[0], PORT_DONE))
		fail("%s: vCPU 0 failed to send INIT and SIPI", hv->name);
	pthread_join(thread, NULL);
	alarm(0);
	if (ap.code)
		fail("%s: vCPU 1 failed in its real-mode stub", hv->name);
}

void apic_bench(struct hv *parent, uint64_t n)
{
	struct hv hv = *parent;
	struct lm lm = { .hv = &hv };
	size_t i;

	signal(SIGALRM, on_alarm);
	lm_setup(&lm);
	if (!lm.tsc_khz) {
		for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
			unsupported(&lm, &figures[i], "no TSC frequency");
	} else {
		pin(0);
		for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
			measure(&lm, &figures[i], n);
	}
	fflush(stdout);
	hv_destroy_vm(&hv);
	munmap(hv.mem, LM_MEM_SIZE);
}
