// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop and the lifetime of vCPUs: immediate_exit, signals and
 * SIGKILL ending HVX_RUN, a spinning vCPU sharing a CPU with other work,
 * fds closed while a vCPU runs, vCPU ids and limits, the RESET state of a
 * new vCPU, fds used from another process, and ioctl numbers an fd does
 * not implement.
 *
 * The guests here are a few bytes of real-mode code at 0x1000. Those that
 * spin first do one OUT, so the thread running them knows the guest is
 * in its loop once that exit has come back.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define GUEST_MEM		HVX_SYS_SIZE	/* 1 MiB: real mode only */
#define REAL_CODE_SEG		0x0100		/* real-mode code at 0x1000 */
#define REAL_CODE_GPA		0x1000ull
#define READY_PORT		0x80

/* out %al, $0x80; jmp .; hlt */
static const uint8_t spin_code[] = { 0xe6, READY_PORT, 0xeb, 0xfe, 0xf4 };
#define SPIN_JMP_IP		2
#define SPIN_HLT_IP		4

/* Bounds on waits, in seconds of the (possibly emulated) machine's time. */
#define START_TIMEOUT_S		60
#define STOP_TIMEOUT_S		60

FIXTURE(run_loop) {
	bool loaded_here;
	bool ready;
	struct hvx_vm *vm;
};

FIXTURE_SETUP(run_loop)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(run_loop)
{
	vm_free(self->vm);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

static void setup_real_code(struct hvx_vcpu *vcpu, const void *code,
			    size_t len)
{
	vm_write(vcpu->vm, REAL_CODE_GPA, code, len);
	vcpu_setup_real_mode(vcpu, REAL_CODE_SEG, 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#define X86_RFLAGS_IF		(1ull << 9)

/*
 * A new VM whose vCPU 0 is ready to run spin_code, with interrupts enabled
 * as an idle guest has them. (hvx never injects any here, and real CPUs
 * exit on host interrupts whatever RFLAGS.IF is; but Bochs 2.7 leaves
 * host interrupts masked in a guest entered with IF = 0, so a guest
 * spinning with IF = 0 would never exit there.)
 */
static struct hvx_vcpu *spin_vm(struct hvx_vm **vmp)
{
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;

	*vmp = vm_create(GUEST_MEM);
	vcpu = vcpu_add(*vmp, 0);
	setup_real_code(vcpu, spin_code, sizeof(spin_code));
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= X86_RFLAGS_IF;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

/* A new VM whose vCPU runs "hlt" to HVX_EXIT_HLT: the host still works. */
static void run_hlt_in_new_vm(struct hvx_vm **vmp)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct hvx_vcpu *vcpu;

	*vmp = vm_create(GUEST_MEM);
	vcpu = vcpu_add(*vmp, 0);
	setup_real_code(vcpu, hlt, sizeof(hlt));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
}

/* ---- A thread running a spinning vCPU ----------------------------------- */

static volatile sig_atomic_t sigusr1_count;

static void on_sigusr1(int sig)
{
	(void)sig;
	sigusr1_count++;
}

/* SIGUSR1 interrupts system calls (no SA_RESTART) and does nothing else. */
static int install_sigusr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	return sigaction(SIGUSR1, &sa, NULL);
}

struct spinner {
	struct hvx_vcpu *vcpu;
	int fd;			/* the vCPU fd, copied: the test may close it */
	int cpu;		/* pin the thread here, or -1 */
	pthread_t tid;
	pid_t ktid;		/* its kernel thread id, for sched_setaffinity */
	int pin_err;
	/* First HVX_RUN: the OUT. */
	int ret1, err1;
	uint32_t exit1;
	/* Second HVX_RUN: the spin, until a signal. */
	int ret2, err2;
	uint32_t exit2;
	int started, finished;	/* __atomic */
};

static void *spinner_fn(void *arg)
{
	struct spinner *s = arg;

	__atomic_store_n(&s->ktid, gettid(), __ATOMIC_SEQ_CST);
	if (s->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			s->pin_err = errno;
	}
	s->ret1 = ioctl(s->fd, HVX_RUN, 0);
	s->err1 = errno;
	s->exit1 = s->vcpu->run->exit_reason;
	if (s->ret1 || s->exit1 != HVX_EXIT_IO ||
	    s->vcpu->run->io.port != READY_PORT) {
		__atomic_store_n(&s->finished, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	__atomic_store_n(&s->started, 1, __ATOMIC_SEQ_CST);
	s->ret2 = ioctl(s->fd, HVX_RUN, 0);
	s->err2 = errno;
	s->exit2 = s->vcpu->run->exit_reason;
	__atomic_store_n(&s->finished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int spinner_start(struct spinner *s, struct hvx_vcpu *vcpu, int cpu)
{
	memset(s, 0, sizeof(*s));
	s->vcpu = vcpu;
	s->fd = vcpu->fd;
	s->cpu = cpu;
	return pthread_create(&s->tid, NULL, spinner_fn, s);
}

/* Wait until the guest is past its OUT (or the thread gave up): true if so. */
static bool spinner_wait_started(struct spinner *s)
{
	double end = now_s() + START_TIMEOUT_S;

	while (now_s() < end) {
		if (__atomic_load_n(&s->started, __ATOMIC_SEQ_CST))
			return true;
		if (__atomic_load_n(&s->finished, __ATOMIC_SEQ_CST))
			return false;
		sleep_ms(10);
	}
	return false;
}

/*
 * Signal the thread until its HVX_RUN returns (a signal that arrives just
 * before the thread enters the ioctl is not lost then), and join it.
 * Returns the number of signals sent, or -1 if the thread did not stop.
 */
static int spinner_stop(struct spinner *s)
{
	double end = now_s() + STOP_TIMEOUT_S;
	int sent = 0;

	while (!__atomic_load_n(&s->finished, __ATOMIC_SEQ_CST)) {
		if (now_s() > end)
			return -1;
		pthread_kill(s->tid, SIGUSR1);
		sent++;
		sleep_ms(20);
	}
	pthread_join(s->tid, NULL);
	return sent;
}

/* ---- immediate_exit ----------------------------------------------------- */

TEST_F_TIMEOUT(run_loop, immediate_exit, 120)
{
	/* in $0x60, %al; hlt */
	static const uint8_t code[] = { 0xe4, 0x60, 0xf4 };
	struct hvx_vcpu_stats stats;
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;
	struct hvx_run *run;

	NEED_HVX();
	self->vm = vm_create(GUEST_MEM);
	vcpu = vcpu_add(self->vm, 0);
	run = vcpu->run;
	setup_real_code(vcpu, code, sizeof(code));

	/* Set before the first run: EINTR at once, the guest never ran. */
	run->immediate_exit = 1;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, run->exit_reason);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, regs.rip);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_EQ(0, stats.exits);
	/* It stays set until user space clears it. */
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);

	/* Cleared: the guest runs to its IN. */
	run->immediate_exit = 0;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_IO);
	EXPECT_EQ(HVX_EXIT_IO_IN, run->io.direction);
	EXPECT_EQ(0x60, run->io.port);
	ASSERT_EQ(1, run->io.size);
	*((uint8_t *)run + run->io.data_offset) = 0x42;

	/*
	 * With immediate_exit, HVX_RUN still completes the IN (so that the
	 * registers can be saved), then returns EINTR without entering.
	 */
	run->immediate_exit = 1;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, run->exit_reason);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x42, regs.rax & 0xff);
	EXPECT_EQ(2, regs.rip);

	/* And it is not completed twice: the guest goes on to its HLT. */
	run->immediate_exit = 0;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x42, regs.rax & 0xff);
	EXPECT_EQ(3, regs.rip);
}

/* ---- Signals ------------------------------------------------------------ */

TEST_F_TIMEOUT(run_loop, signal_interrupts_spinning_guest, 180)
{
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;
	struct spinner s;
	int sent;

	NEED_HVX();
	ASSERT_EQ(0, install_sigusr1());
	vcpu = spin_vm(&self->vm);
	ASSERT_EQ(0, spinner_start(&s, vcpu, -1));

	ASSERT_TRUE(spinner_wait_started(&s))
		TH_LOG("first HVX_RUN: %d (%s), exit %s", s.ret1,
		       strerror(s.err1), exit_reason_str(s.exit1));
	sleep_ms(100);
	/* Still in the guest's loop: nothing returned by itself. */
	EXPECT_FALSE(__atomic_load_n(&s.finished, __ATOMIC_SEQ_CST));

	sent = spinner_stop(&s);
	ASSERT_LT(0, sent) TH_LOG("HVX_RUN did not return after signals");
	EXPECT_EQ(-1, s.ret2);
	EXPECT_EQ(EINTR, s.err2);
	EXPECT_EQ(HVX_EXIT_INTR, s.exit2);
	TH_LOG("HVX_RUN returned EINTR after %d signal(s)", sent);

	/* The vCPU is where it spun, and runs on when asked to. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(SPIN_JMP_IP, regs.rip);
	regs.rip = SPIN_HLT_IP;
	vcpu_regs_set(vcpu, &regs);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
}

/*
 * HVX_GET_VCPU_STATS answers while the vCPU runs, as vmctl's control
 * thread needs for vmctl info and top: it takes no vCPU lock, so it
 * neither waits for HVX_RUN to return nor stops the guest, and the
 * counters move between two reads. (Behind the vCPU lock, the first read
 * would wait for the spinning guest forever.)
 */
TEST_F_TIMEOUT(run_loop, stats_read_while_the_vcpu_runs, 120)
{
	struct hvx_vcpu_stats st1, st2;
	struct hvx_vcpu *vcpu;
	struct spinner s;
	double t0, took;

	NEED_HVX();
	ASSERT_EQ(0, install_sigusr1());
	vcpu = spin_vm(&self->vm);
	ASSERT_EQ(0, spinner_start(&s, vcpu, -1));
	ASSERT_TRUE(spinner_wait_started(&s));
	sleep_ms(100);
	t0 = now_s();
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &st1));
	sleep_ms(200);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &st2));
	took = now_s() - t0;
	EXPECT_FALSE(__atomic_load_n(&s.finished, __ATOMIC_SEQ_CST))
		TH_LOG("HVX_RUN returned: reading the counters stopped the guest");
	EXPECT_LT(st1.exits, st2.exits) TH_LOG("no exit counted in 200 ms of spinning");
	EXPECT_LT(st1.guest_ns, st2.guest_ns);
	EXPECT_EQ(1, st2.exits_to_user) TH_LOG("only the OUT went to user space");
	EXPECT_GT(5.0, took);
	TH_LOG("%llu exits, %llu us in the guest in %.0f ms, read while it ran",
	       (unsigned long long)(st2.exits - st1.exits),
	       (unsigned long long)(st2.guest_ns - st1.guest_ns) / 1000,
	       took * 1000);
	ASSERT_LT(0, spinner_stop(&s));
}

/* out %al, $0x80; sti; hlt; jmp back to the sti: sleeps in the kernel. */
static const uint8_t sleep_code[] = { 0xe6, READY_PORT, 0xfb, 0xf4, 0xeb, 0xfc };
#define SLEEP_AFTER_HLT_IP	4

static int pin_thread(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

/*
 * CPU 1 goes offline and comes back ten times under a vCPU spinning in
 * guest mode and one asleep in HLT (an in-kernel irqchip makes it sleep),
 * both put on CPU 1 before each round. The VMCSs loaded there are cleared
 * before it leaves VMX root, wherever their threads are; both vCPUs then
 * stop on a signal as usual, where they were, and the spinner runs on.
 */
TEST_F_TIMEOUT(run_loop, cpu_hotplug_under_running_vcpus, 900)
{
	const char *cpu1 = "/sys/devices/system/cpu/cpu1/online";
	struct hvx_vcpu *spin_vcpu, *sleep_vcpu;
	struct spinner spin, nap;
	struct hvx_vm *vm2;
	struct hvx_regs regs;
	char cpus[32];
	int round;

	NEED_HVX();
	if (online_cpus() < 2 || access(cpu1, W_OK))
		SKIP(return, "needs a CPU 1 that can go offline");
	ASSERT_EQ(0, install_sigusr1());
	spin_vcpu = spin_vm(&self->vm);
	vm2 = vm_create(GUEST_MEM);
	ASSERT_EQ(0, ioctl(vm2->fd, HVX_CREATE_IRQCHIP, 0));
	sleep_vcpu = vcpu_add(vm2, 0);
	setup_real_code(sleep_vcpu, sleep_code, sizeof(sleep_code));
	ASSERT_EQ(0, spinner_start(&spin, spin_vcpu, 1));
	ASSERT_EQ(0, spinner_start(&nap, sleep_vcpu, 1));
	ASSERT_TRUE(spinner_wait_started(&spin));
	ASSERT_TRUE(spinner_wait_started(&nap));

	for (round = 0; round < 10; round++) {
		ASSERT_EQ(0, pin_thread(spin.ktid, 1));
		ASSERT_EQ(0, pin_thread(nap.ktid, 1));
		sleep_ms(100);
		ASSERT_EQ(0, write_text(cpu1, "0")) TH_LOG("round %d", round);
		sleep_ms(100);
		ASSERT_EQ(0, write_text(cpu1, "1")) TH_LOG("round %d", round);
		/* Neither vCPU noticed: both still in their HVX_RUN. */
		EXPECT_FALSE(__atomic_load_n(&spin.finished, __ATOMIC_SEQ_CST));
		EXPECT_FALSE(__atomic_load_n(&nap.finished, __ATOMIC_SEQ_CST));
	}
	ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/vmx_cpus", cpus,
			       sizeof(cpus)));
	EXPECT_STREQ("0-1", cpus);

	ASSERT_LT(0, spinner_stop(&spin));
	ASSERT_LT(0, spinner_stop(&nap));
	EXPECT_EQ(EINTR, spin.err2);
	EXPECT_EQ(HVX_EXIT_INTR, spin.exit2);
	EXPECT_EQ(EINTR, nap.err2);
	EXPECT_EQ(HVX_EXIT_INTR, nap.exit2);
	vcpu_regs_get(sleep_vcpu, &regs);
	EXPECT_EQ(SLEEP_AFTER_HLT_IP, regs.rip);
	/* The spinner's state went from CPU to CPU intact: it runs on. */
	vcpu_regs_get(spin_vcpu, &regs);
	EXPECT_EQ(SPIN_JMP_IP, regs.rip);
	regs.rip = SPIN_HLT_IP;
	vcpu_regs_set(spin_vcpu, &regs);
	vcpu_run(spin_vcpu);
	vcpu_assert_exit(spin_vcpu, HVX_EXIT_HLT);
	vm_free(vm2);
}

/* In a child: a VM whose vCPU spins; says so on @fd, then never returns. */
static void __attribute__((noreturn)) child_spin(int fd)
{
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;

	vcpu = spin_vm(&vm);
	if (__vcpu_run(vcpu) || vcpu->run->exit_reason != HVX_EXIT_IO)
		_exit(2);
	if (write(fd, "R", 1) != 1)
		_exit(3);
	__vcpu_run(vcpu);
	_exit(4);
}

TEST_F_TIMEOUT(run_loop, sigkill_ends_spinning_process, 180)
{
	double start, end;
	struct pollfd pfd;
	int p[2], status;
	pid_t pid, w = 0;
	char c = 0;

	NEED_HVX();
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		child_spin(p[1]);
	}
	close(p[1]);

	pfd.fd = p[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, START_TIMEOUT_S * 1000))
		TH_LOG("the child's guest did not start");
	ASSERT_EQ(1, read(p[0], &c, 1)) TH_LOG("the child died early");
	ASSERT_EQ('R', c);
	close(p[0]);
	sleep_ms(100);

	start = now_s();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	end = start + STOP_TIMEOUT_S;
	while (now_s() < end) {
		w = waitpid(pid, &status, WNOHANG);
		if (w)
			break;
		sleep_ms(10);
	}
	ASSERT_EQ(pid, w) TH_LOG("the child still runs %d s after SIGKILL",
				 STOP_TIMEOUT_S);
	ASSERT_TRUE(WIFSIGNALED(status))
		TH_LOG("child exit status %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	TH_LOG("the child died %.3f s after SIGKILL", now_s() - start);

	/* Its VM is gone with it; a new one works. */
	run_hlt_in_new_vm(&self->vm);
}

/* ---- Sharing a CPU with a spinning vCPU --------------------------------- */

#define SHARE_SECONDS		2.0

TEST_F_TIMEOUT(run_loop, spinning_vcpu_does_not_stall_cpu, 240)
{
	struct hvx_vcpu_stats stats;
	struct hvx_vcpu *vcpu;
	double start, last, gap = 0, t;
	long iterations = 0;
	struct spinner s;
	cpu_set_t set;
	int sent;

	NEED_HVX();
	ASSERT_EQ(0, install_sigusr1());
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		SKIP(return, "cannot run on CPU 0: %s", strerror(errno));

	vcpu = spin_vm(&self->vm);
	/* The vCPU thread on CPU 0 too. */
	ASSERT_EQ(0, spinner_start(&s, vcpu, 0));
	ASSERT_TRUE(spinner_wait_started(&s))
		TH_LOG("first HVX_RUN: %d (%s), exit %s, pinning: %s", s.ret1,
		       strerror(s.err1), exit_reason_str(s.exit1),
		       strerror(s.pin_err));
	ASSERT_EQ(0, s.pin_err);

	/* This thread must still get CPU 0 while the guest spins there. */
	start = last = now_s();
	while ((t = now_s()) - start < SHARE_SECONDS) {
		if (t - last > gap)
			gap = t - last;
		last = t;
		sleep_ms(1);
		iterations++;
	}
	EXPECT_LT(0, iterations);
	/* The vCPU was in the guest all along. */
	EXPECT_FALSE(__atomic_load_n(&s.finished, __ATOMIC_SEQ_CST));
	TH_LOG("%ld iterations of a 1 ms sleep in %.1f s next to the spinning vCPU, longest gap %.3f s",
	       iterations, SHARE_SECONDS, gap);

	sent = spinner_stop(&s);
	ASSERT_LT(0, sent) TH_LOG("HVX_RUN did not return after signals");
	EXPECT_EQ(-1, s.ret2);
	EXPECT_EQ(EINTR, s.err2);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_LT(0, stats.guest_ns);
	TH_LOG("%llu ms in the guest",
	       (unsigned long long)stats.guest_ns / 1000000);
}

/* ---- Closing fds while the vCPU runs ------------------------------------ */

TEST_F_TIMEOUT(run_loop, close_fds_while_running, 180)
{
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct spinner s;
	int sent;

	NEED_HVX();
	ASSERT_EQ(0, install_sigusr1());
	vcpu = spin_vm(&self->vm);
	vm = self->vm;
	ASSERT_EQ(0, spinner_start(&s, vcpu, -1));
	ASSERT_TRUE(spinner_wait_started(&s))
		TH_LOG("first HVX_RUN: %d (%s), exit %s", s.ret1,
		       strerror(s.err1), exit_reason_str(s.exit1));
	sleep_ms(50);

	/*
	 * Close the vCPU fd and the VM fd under the running vCPU; the
	 * thread's ioctl keeps its own reference to the file.
	 */
	ASSERT_EQ(0, close(vcpu->fd));
	vcpu->fd = -1;
	ASSERT_EQ(0, close(vm->fd));
	vm->fd = -1;
	sleep_ms(50);
	EXPECT_FALSE(__atomic_load_n(&s.finished, __ATOMIC_SEQ_CST));

	sent = spinner_stop(&s);
	ASSERT_LT(0, sent) TH_LOG("HVX_RUN did not return after signals");
	EXPECT_EQ(-1, s.ret2);
	EXPECT_EQ(EINTR, s.err2);
	/* The run page is still mapped and says why. */
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);

	/* Unmapping the run page releases the last reference. */
	vm_free(self->vm);
	self->vm = NULL;
	run_hlt_in_new_vm(&self->vm);
}

/* ---- vCPU ids ----------------------------------------------------------- */

/* out %al, $0x80; hlt */
static const uint8_t id_code[] = { 0xe6, 0x80, 0xf4 };

static void run_id_guest(struct hvx_vcpu *vcpu)
{
	struct hvx_regs regs;
	struct hvx_run *run = vcpu->run;

	vcpu_setup_real_mode(vcpu, REAL_CODE_SEG, 0);
	vcpu_regs_get(vcpu, &regs);
	regs.rax = vcpu->id;
	vcpu_regs_set(vcpu, &regs);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_IO);
	TEST_ASSERT(run->io.port == 0x80 && run->io.size == 1 &&
		    run->io.count == 1 &&
		    *((uint8_t *)run + run->io.data_offset) == vcpu->id,
		    "vCPU %u: OUT port %#x size %u count %u data %#x", vcpu->id,
		    run->io.port, run->io.size, run->io.count,
		    *((uint8_t *)run + run->io.data_offset));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
}

TEST_F_TIMEOUT(run_loop, create_vcpu_limits, 300)
{
	struct hvx_vcpu *v5;
	struct hvx_vm *vm;
	uint32_t id;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_write(vm, REAL_CODE_GPA, id_code, sizeof(id_code));

	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VCPU, (unsigned long)HVX_MAX_VCPUS));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VCPU, 1ul << 32));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VCPU, ~0ul));
	EXPECT_EQ(EINVAL, errno);

	/* All 64, each running the same code page with its own registers. */
	for (id = 0; id < HVX_MAX_VCPUS; id++)
		vcpu_add(vm, id);
	for (id = 0; id < HVX_MAX_VCPUS; id++)
		run_id_guest(vm->vcpus[id]);

	/* Ids in use. */
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VCPU, 0ul));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VCPU,
			    (unsigned long)HVX_MAX_VCPUS - 1));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VCPU, (unsigned long)HVX_MAX_VCPUS));
	EXPECT_EQ(EINVAL, errno);

	/* Once its fd and mapping are gone, an id can be used again. */
	v5 = vm->vcpus[5];
	ASSERT_EQ(0, munmap(v5->run, v5->run_size));
	ASSERT_EQ(0, close(v5->fd));
	free(v5);
	vm->vcpus[5] = NULL;
	v5 = vcpu_add(vm, 5);
	run_id_guest(v5);
	/* The others are untouched by that. */
	run_id_guest(vm->vcpus[4]);
	run_id_guest(vm->vcpus[6]);
}

TEST_F_TIMEOUT(run_loop, new_vcpu_reset_state, 120)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct hvx_vcpu *vcpu;

	NEED_HVX();
	self->vm = vm_create(GUEST_MEM);
	vcpu = vcpu_add(self->vm, 1);

	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0xfff0, regs.rip);
	EXPECT_EQ(0x600, regs.rdx);
	EXPECT_EQ(X86_RFLAGS_FIXED, regs.rflags);
	EXPECT_EQ(0, regs.rax);
	EXPECT_EQ(0, regs.rsp);

	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xffff0000, sregs.cs.base);
	EXPECT_EQ(0xffff, sregs.cs.limit);
	EXPECT_EQ(0x60000010, sregs.cr0);
	EXPECT_EQ(0, sregs.cr3);
	EXPECT_EQ(0, sregs.cr4);
	EXPECT_EQ(0, sregs.efer);
	EXPECT_EQ(0, sregs.ds.base);
	EXPECT_EQ(0xffff, sregs.ds.limit);
	EXPECT_EQ(0xffff, sregs.idt.limit);
	EXPECT_EQ(0, sregs.idt.base);
}

/* ---- Another process ---------------------------------------------------- */

struct child_result {
	int ret, err;
};

static void child_try(int fd, struct hvx_vm *vm, struct hvx_vcpu *vcpu)
{
	struct hvx_memory_region r = {
		.slot = 1, .guest_phys_addr = 0x100000, .size = HVX_PAGE_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)vm->regions[0].hva,
	};
	struct child_result res[6];
	struct hvx_regs regs;

	res[0].ret = ioctl(vm->fd, HVX_CREATE_VCPU, 1ul);
	res[0].err = errno;
	res[1].ret = ioctl(vm->fd, HVX_SET_MEMORY_REGION, &r);
	res[1].err = errno;
	res[2].ret = ioctl(vcpu->fd, HVX_RUN, 0);
	res[2].err = errno;
	res[3].ret = ioctl(vcpu->fd, HVX_GET_REGS, &regs);
	res[3].err = errno;
	memset(&regs, 0, sizeof(regs));
	res[4].ret = ioctl(vcpu->fd, HVX_SET_REGS, &regs);
	res[4].err = errno;
	/* The system fd is not tied to a process. */
	res[5].ret = ioctl(vm->sys_fd, HVX_GET_API_VERSION, 0);
	res[5].err = errno;
	_exit(write(fd, res, sizeof(res)) == sizeof(res) ? 0 : 1);
}

TEST_F_TIMEOUT(run_loop, fds_from_another_process, 120)
{
	static const char * const what[] = {
		"HVX_CREATE_VCPU on the VM fd",
		"HVX_SET_MEMORY_REGION on the VM fd",
		"HVX_RUN on the vCPU fd",
		"HVX_GET_REGS on the vCPU fd",
		"HVX_SET_REGS on the vCPU fd",
	};
	struct child_result res[6];
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;
	struct hvx_vm *vm;
	int p[2], status, i;
	pid_t pid;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vcpu = vcpu_add(vm, 0);
	setup_real_code(vcpu, id_code, sizeof(id_code));
	vcpu_regs_get(vcpu, &regs);
	regs.rax = 0x77;
	vcpu_regs_set(vcpu, &regs);

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		child_try(p[1], vm, vcpu);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(res), read(p[0], res, sizeof(res)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	for (i = 0; i < 5; i++) {
		EXPECT_EQ(-1, res[i].ret) TH_LOG("%s", what[i]);
		EXPECT_EQ(EIO, res[i].err) TH_LOG("%s: %s", what[i],
						  strerror(res[i].err));
	}
	EXPECT_EQ(HVX_API_VERSION, res[5].ret);

	/* Nothing the child tried happened: the owner's state is intact. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x77, regs.rax);
	EXPECT_EQ(0, regs.rip);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_IO);
	EXPECT_EQ(0x77, *((uint8_t *)vcpu->run + vcpu->run->io.data_offset));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	/* vCPU 1 was not created by the child. */
	vcpu_add(vm, 1);
}

/* ---- ioctl numbers ------------------------------------------------------ */

TEST_F_TIMEOUT(run_loop, unknown_ioctls, 120)
{
	struct hvx_vcpu_stats stats;
	struct hvx_memory_region region;
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;
	struct hvx_vm *vm;
	uint64_t buf[64];
	struct termios tio;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vcpu = vcpu_add(vm, 0);
	memset(buf, 0, sizeof(buf));
	memset(&region, 0, sizeof(region));

	/* VM fd: numbers of other fds, unused numbers, wrong size/direction. */
	EXPECT_EQ(-1, ioctl(vm->fd, _IO(HVXIO, 0x5f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, _IO(HVXIO, 0x3f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_RUN, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_GET_REGS, buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_CREATE_VM, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, _IOW(HVXIO, 0x20, struct hvx_regs), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, _IOR(HVXIO, 0x20, struct hvx_memory_region),
			    &region));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, TCGETS, &tio));
	EXPECT_EQ(ENOTTY, errno);

	/* vCPU fd. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, _IO(HVXIO, 0x9f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, _IO(HVXIO, 0x8f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_CREATE_VCPU, 1ul));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_SET_MEMORY_REGION, &region));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_GET_API_VERSION, 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, _IOR(HVXIO, 0x61, __u64), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, _IOW(HVXIO, 0x61, struct hvx_regs), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, _IOC(_IOC_NONE, HVXIO, 0x60, 8), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, TCGETS, &tio));
	EXPECT_EQ(ENOTTY, errno);

	/* System fd. */
	EXPECT_EQ(-1, ioctl(vm->sys_fd, HVX_SET_MEMORY_REGION, &region));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(vm->sys_fd, HVX_RUN, 0));
	EXPECT_EQ(ENOTTY, errno);

	/* HVX_RUN takes no argument; a non-zero one is refused, unrun. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_RUN, 1ul));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_RUN, buf));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_EQ(0, stats.exits);
	EXPECT_EQ(0, stats.exits_to_user);

	/* The fds still work. */
	setup_real_code(vcpu, id_code, sizeof(id_code));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_IO);
}

/*
 * The run page is one page at offset 0 of the vCPU fd, and stays one:
 * mmap() elsewhere is EINVAL, also right above an existing mapping of
 * the page (where the kernel would merge it without asking the driver),
 * and mremap() cannot grow it.
 */
TEST_F_TIMEOUT(run_loop, run_page_is_one_page_for_good, 120)
{
	struct hvx_vcpu *vcpu;
	char *area, *run;

	NEED_HVX();
	vcpu = spin_vm(&self->vm);
	/* Two free pages at a known place. */
	area = mmap(NULL, 2 * HVX_PAGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	munmap(area, 2 * HVX_PAGE_SIZE);
	run = mmap(area, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED_NOREPLACE, vcpu->fd, 0);
	ASSERT_EQ(area, run);
	EXPECT_EQ(MAP_FAILED, mmap(area + HVX_PAGE_SIZE, HVX_PAGE_SIZE,
				   PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED_NOREPLACE, vcpu->fd,
				   HVX_PAGE_SIZE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mremap(run, HVX_PAGE_SIZE, 2 * HVX_PAGE_SIZE, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * HVX_PAGE_SIZE, PROT_READ,
				   MAP_SHARED, vcpu->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	/* The page itself works: the guest's OUT shows in it. */
	vcpu_run(vcpu);
	EXPECT_EQ(HVX_EXIT_IO, ((struct hvx_run *)run)->exit_reason);
	munmap(run, 2 * HVX_PAGE_SIZE);
}

TEST_HARNESS_MAIN
