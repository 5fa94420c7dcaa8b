// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading hvx.ko: VMX root taken on every CPU and given back,
 * coexistence with KVM (whoever holds VMX first keeps it), CPU hotplug,
 * the device node's permissions, and no memory left behind.
 *
 * KVM is the independent witness: KVM_CREATE_VM makes kvm-intel enter VMX
 * root on every online CPU, and it logs each CPU where that fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"

#define LOAD_CYCLES	20
#define PROBE_EVERY	2
#define PROBES		(LOAD_CYCLES / PROBE_EVERY + 1)
/*
 * Kernel caches (slab partials, kernfs, module loader) settle over the
 * first loads; what a leak looks like is growth that goes on cycle after
 * cycle. Readings jump, though, up as often as down: MemAvailable by up
 * to ~1.4 MiB between probes in the testbed (module memory is freed after
 * an RCU grace period, page cache comes and goes; one CI run read +1392
 * then -1224 KiB), unreclaimable slab by ~50 KiB (per-CPU partial slabs).
 * Two readings cannot tell a leak from a jump, so the test probes every
 * PROBE_EVERY cycles and takes the median of the slopes between every pair
 * of probes (Theil-Sen), which a few jumps cannot move: slab may not grow
 * by two pages a cycle, MemAvailable may not fall by 100 KiB a cycle (a
 * page per CPU and cycle is below what it can see here: slab and vmalloc
 * see theirs). vmalloc space (module text and data) does not jump: it may
 * not grow by a page a cycle over the second half.
 */
#define SLAB_SLOPE_KB		8
#define AVAIL_SLOPE_KB		100
#define VMALLOC_BUDGET_KB	((LOAD_CYCLES / 2) * 4)

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the pairwise slopes of @y (one point per probe), per cycle. */
static double theil_sen_per_cycle(const long *y, int n)
{
	double slopes[PROBES * (PROBES - 1) / 2];
	int i, j, k = 0;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			slopes[k++] = (double)(y[j] - y[i]) /
				      ((j - i) * PROBE_EVERY);
	qsort(slopes, k, sizeof(slopes[0]), cmp_double);
	return k % 2 ? slopes[k / 2] : (slopes[k / 2 - 1] + slopes[k / 2]) / 2;
}

FIXTURE(mod) {
	char log[16384];
};

FIXTURE_SETUP(mod)
{
	if (hvx_loaded())
		ASSERT_EQ(0, hvx_unload());
	ASSERT_EQ(0, access("/dev/kvm", F_OK))
		TH_LOG("kvm-intel must be loaded: it is the witness");
}

FIXTURE_TEARDOWN(mod)
{
	if (hvx_loaded())
		hvx_unload();
}

static void expected_cpus(char *buf, size_t len)
{
	int n = online_cpus();

	if (n == 1)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "0-%d", n - 1);
}

/* Which CPUs did kvm-intel fail to enable VMX on, per the kernel log? */
static int kvm_refused_cpus(const char *log, int ncpus)
{
	int cpu, n = 0;
	char msg[96];

	for (cpu = 0; cpu < ncpus; cpu++) {
		snprintf(msg, sizeof(msg),
			 "enabling virtualization on CPU%d failed", cpu);
		n += !!strstr(log, msg);
	}
	return n;
}

TEST_F_TIMEOUT(mod, load_unload_cycles_leave_nothing, 900)
{
	/*
	 * The shared probe folds the per-CPU counter deltas in
	 * (stat_refresh) and keeps the best of three readings: a single
	 * SUnreclaim reading was off by up to ~80 KiB on 2 CPUs.
	 */
	struct hvx_mem_probe m[PROBES] = { 0 };
	const int mid = PROBES / 2, last = PROBES - 1;
	long avail[PROBES], slab[PROBES];
	char want[32], cpus[32];
	double avail_slope, slab_slope;
	int i;

	expected_cpus(want, sizeof(want));
	/* Warm-up: first-load costs (sysfs, kallsyms) are not leaks. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, hvx_load(NULL));
		ASSERT_EQ(0, hvx_unload());
	}

	m[0] = mem_probe();
	for (i = 0; i < LOAD_CYCLES; i++) {
		ASSERT_EQ(0, hvx_load(NULL)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/vmx_cpus", cpus,
				       sizeof(cpus)));
		ASSERT_STREQ(want, cpus) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, hvx_unload()) TH_LOG("cycle %d", i);
		ASSERT_NE(0, access("/dev/hvx", F_OK));
		if ((i + 1) % PROBE_EVERY == 0)
			m[(i + 1) / PROBE_EVERY] = mem_probe();
	}
	for (i = 0; i < PROBES; i++) {
		avail[i] = m[i].available;
		slab[i] = m[i].unreclaimable;
	}
	avail_slope = theil_sen_per_cycle(avail, PROBES);
	slab_slope = theil_sen_per_cycle(slab, PROBES);

	TH_LOG("%d cycles on %d CPUs: MemAvailable %+.1f KiB a cycle (%+ld over all), SUnreclaim %+.1f KiB a cycle (%+ld), VmallocUsed %+ld then %+ld KiB",
	       LOAD_CYCLES, online_cpus(), avail_slope,
	       m[last].available - m[0].available, slab_slope,
	       m[last].unreclaimable - m[0].unreclaimable,
	       m[mid].vmalloc_used - m[0].vmalloc_used,
	       m[last].vmalloc_used - m[mid].vmalloc_used);
	EXPECT_GE(AVAIL_SLOPE_KB, -avail_slope);
	EXPECT_GE(SLAB_SLOPE_KB, slab_slope);
	EXPECT_GE(VMALLOC_BUDGET_KB,
		  m[last].vmalloc_used - m[mid].vmalloc_used);
}

TEST_F_TIMEOUT(mod, vmx_root_held_on_every_cpu, 120)
{
	int ncpus = online_cpus();
	char want[32], cpus[32];
	int mark, vm;

	ASSERT_EQ(0, hvx_load(NULL));
	expected_cpus(want, sizeof(want));
	ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/vmx_cpus", cpus,
			       sizeof(cpus)));
	EXPECT_STREQ(want, cpus);

	mark = kmsg_mark();
	ASSERT_LE(0, mark);
	vm = kvm_vm_create();
	EXPECT_EQ(-EBUSY, vm);
	if (vm >= 0)
		close(vm);
	kmsg_since(mark, self->log, sizeof(self->log));
	EXPECT_EQ(ncpus, kvm_refused_cpus(self->log, ncpus))
		TH_LOG("kernel log:\n%s", self->log);

	/* Given back: KVM can now have every CPU. */
	ASSERT_EQ(0, hvx_unload());
	vm = kvm_vm_create();
	ASSERT_LE(0, vm) TH_LOG("KVM after unload: %s", strerror(-vm));
	close(vm);
}

TEST_F_TIMEOUT(mod, refused_while_kvm_holds_vmx, 120)
{
	int mark, vm, err;

	vm = kvm_vm_create();
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(-vm));

	mark = kmsg_mark();
	err = hvx_load(NULL);
	EXPECT_EQ(-EBUSY, err);
	EXPECT_FALSE(hvx_loaded());
	EXPECT_NE(0, access("/dev/hvx", F_OK));
	kmsg_since(mark, self->log, sizeof(self->log));
	EXPECT_NE(NULL, strstr(self->log, "VMX is in use by another hypervisor"))
		TH_LOG("kernel log:\n%s", self->log);

	/* Closing the last KVM VM makes kvm-intel leave VMX root. */
	close(vm);
	ASSERT_EQ(0, hvx_load(NULL));
	EXPECT_TRUE(hvx_loaded());
	EXPECT_EQ(0, hvx_unload());
}

TEST_F_TIMEOUT(mod, cpu_hotplug_enters_and_leaves, 180)
{
	const char *cpu1 = "/sys/devices/system/cpu/cpu1/online";
	char cpus[32];
	int mark, vm;

	if (online_cpus() < 2)
		SKIP(return, "needs 2 CPUs");

	ASSERT_EQ(0, hvx_load(NULL));
	ASSERT_EQ(0, write_text(cpu1, "0"));
	ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/vmx_cpus", cpus,
			       sizeof(cpus)));
	EXPECT_STREQ("0", cpus);

	ASSERT_EQ(0, write_text(cpu1, "1"));
	ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/vmx_cpus", cpus,
			       sizeof(cpus)));
	EXPECT_STREQ("0-1", cpus);

	/* The CPU that came back really is in VMX root again. */
	mark = kmsg_mark();
	vm = kvm_vm_create();
	EXPECT_EQ(-EBUSY, vm);
	if (vm >= 0)
		close(vm);
	kmsg_since(mark, self->log, sizeof(self->log));
	EXPECT_NE(NULL, strstr(self->log,
			       "enabling virtualization on CPU1 failed"))
		TH_LOG("kernel log:\n%s", self->log);
	EXPECT_EQ(0, hvx_unload());
}

/* Run @fn in a child with the given ids; return its exit status. */
static int as_user(uid_t uid, gid_t gid, int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(100);
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

static int open_errno(void)
{
	int fd = hvx_open();

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -fd;
}

TEST_F(mod, device_node_mode_and_group)
{
	struct stat st;

	ASSERT_EQ(0, hvx_load(NULL));
	ASSERT_EQ(0, stat("/dev/hvx", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(EACCES, as_user(65534, 65534, open_errno));
	ASSERT_EQ(0, hvx_unload());

	ASSERT_EQ(0, hvx_load("group=4321"));
	ASSERT_EQ(0, stat("/dev/hvx", &st));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(4321, st.st_gid);
	EXPECT_EQ(0, as_user(65534, 4321, open_errno));
	EXPECT_EQ(EACCES, as_user(65534, 65534, open_errno));
	ASSERT_EQ(0, hvx_unload());

	EXPECT_EQ(-EINVAL, hvx_load("group=users"));
	EXPECT_FALSE(hvx_loaded());
}

TEST_F(mod, open_fd_pins_the_module)
{
	int fd;

	ASSERT_EQ(0, hvx_load(NULL));
	fd = hvx_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, hvx_unload());
	EXPECT_TRUE(hvx_loaded());
	EXPECT_EQ(HVX_API_VERSION, ioctl(fd, HVX_GET_API_VERSION, 0));
	close(fd);
	EXPECT_EQ(0, hvx_unload());
}

TEST_HARNESS_MAIN
