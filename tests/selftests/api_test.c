// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/hvx system ioctls: API version, capabilities (checked against
 * what the kernel reports about the CPU), and rejection of bad input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"

FIXTURE(sys) {
	int fd;
	bool loaded_here;
};

FIXTURE_SETUP(sys)
{
	self->loaded_here = false;
	if (!hvx_loaded()) {
		ASSERT_EQ(0, hvx_load(NULL));
		self->loaded_here = true;
	}
	self->fd = hvx_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/hvx: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(sys)
{
	close(self->fd);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

static uint64_t cap(int fd, uint32_t which)
{
	struct hvx_capability c = { .cap = which, .value = 0xdeadbeef };

	if (ioctl(fd, HVX_CHECK_CAPABILITY, &c))
		return ~0ull;
	return c.value;
}

TEST_F(sys, api_version)
{
	EXPECT_EQ(HVX_API_VERSION, ioctl(self->fd, HVX_GET_API_VERSION, 0));
	/* The argument is reserved: must be 0. */
	EXPECT_EQ(-1, ioctl(self->fd, HVX_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sys, capabilities_match_the_cpu)
{
	char rev[32];
	uint64_t timer;

	EXPECT_EQ((uint64_t)online_cpus(), cap(self->fd, HVX_CAP_VMX_CPUS));

	ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/vmcs_revision", rev,
			       sizeof(rev)));
	EXPECT_EQ(strtoull(rev, NULL, 0), cap(self->fd, HVX_CAP_VMCS_REVISION));
	EXPECT_NE(0, cap(self->fd, HVX_CAP_VMCS_REVISION));

	/* The kernel's own reading of the same MSRs, in /proc/cpuinfo. */
	EXPECT_EQ(cpu_has_vmx_flag("ept_ad"),
		  cap(self->fd, HVX_CAP_EPT_AD_BITS));
	EXPECT_EQ(cpu_has_vmx_flag("ept_1gb"),
		  !!(cap(self->fd, HVX_CAP_EPT_LARGE_PAGES) & 2));
	EXPECT_EQ(0, cap(self->fd, HVX_CAP_EPT_LARGE_PAGES) & ~3ull);
	timer = cap(self->fd, HVX_CAP_PREEMPTION_TIMER);
	EXPECT_EQ(cpu_has_vmx_flag("preemption_timer"), timer != 0);
	EXPECT_GE(32, timer);
	TH_LOG("revision %#llx, large pages %#llx, A/D %llu, timer %llu",
	       (unsigned long long)cap(self->fd, HVX_CAP_VMCS_REVISION),
	       (unsigned long long)cap(self->fd, HVX_CAP_EPT_LARGE_PAGES),
	       (unsigned long long)cap(self->fd, HVX_CAP_EPT_AD_BITS),
	       (unsigned long long)timer);
}

TEST_F(sys, unknown_capability_reads_as_absent)
{
	static const uint32_t unknown[] = { 0, 1000, 0x7fffffff, 0xffffffff };
	unsigned int i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		EXPECT_EQ(0, cap(self->fd, unknown[i])) TH_LOG("cap %#x",
							       unknown[i]);
}

TEST_F(sys, capability_flags_must_be_zero)
{
	struct hvx_capability c = { .cap = HVX_CAP_VMX_CPUS, .flags = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, HVX_CHECK_CAPABILITY, &c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, HVX_CHECK_CAPABILITY, &c));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sys, bad_pointers_get_efault)
{
	void *const bad[] = {
		NULL,
		(void *)1,
		(void *)0xffff888000000000ull,	/* the kernel's direct map */
		(void *)0xffffffff81000000ull,	/* the kernel's text */
	};
	struct hvx_capability *ro;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->fd, HVX_CHECK_CAPABILITY, bad[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
	}

	/* Readable but not writable: the answer cannot be stored. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, ioctl(self->fd, HVX_CHECK_CAPABILITY, ro));
	EXPECT_EQ(EFAULT, errno);

	/* A struct that straddles the end of the mapping. */
	EXPECT_EQ(-1, ioctl(self->fd, HVX_CHECK_CAPABILITY,
			    (char *)ro + 4096 - 8));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);
}

TEST_F(sys, unknown_ioctls_get_enotty)
{
	const unsigned long bad[] = {
		_IO(HVXIO, 0x1f),
		_IO(HVXIO, 0x04),
		HVX_SET_MEMORY_REGION,	/* a VM ioctl, on the system fd */
		HVX_RUN,		/* a vCPU ioctl */
		_IO(HVXIO, 0xff),
		/* A known number with the wrong size or direction. */
		_IOW(HVXIO, 0x01, uint32_t),
		_IOR(HVXIO, 0x01, struct hvx_capability),
		_IOR(HVXIO, 0x00, int),
		_IO('k', 0x00),
		0,
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->fd, bad[i], 0));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("ioctl %#lx", bad[i]);
	}
}

TEST_F(sys, read_and_write_are_refused)
{
	char buf[8] = { 0 };

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
}

/* Is @word one of the blank-separated words of @list? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static bool vuln_says(const char *bug, const char *what)
{
	char path[128], text[256];

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/vulnerabilities/%s", bug);
	return !read_text(path, text, sizeof(text)) && strstr(text, what);
}

/*
 * What hvx does around guest execution follows the host kernel's own
 * choices: nothing with mitigations=off; with the defaults, VERW before
 * entry wherever the kernel clears CPU buffers for MDS-like bugs, and an
 * L1D flush before entry on a CPU affected by L1TF (mitigated by default).
 */
TEST_F(sys, mitigations_follow_the_kernel)
{
	char list[256], cmdline[1024];
	bool verw;

	ASSERT_EQ(0, read_text("/sys/class/hvx/hvx/mitigations", list,
			       sizeof(list)));
	ASSERT_EQ(0, read_text("/proc/cmdline", cmdline, sizeof(cmdline)));
	TH_LOG("hvx: %s", list);
	if (strstr(cmdline, "mitigations=off")) {
		EXPECT_STREQ("none", list);
		return;
	}
	verw = vuln_says("mds", "Clear CPU buffers") ||
	       vuln_says("tsx_async_abort", "Clear CPU buffers") ||
	       vuln_says("mmio_stale_data", "Clear CPU buffers") ||
	       vuln_says("reg_file_data_sampling", "Clear Register File");
	EXPECT_EQ(verw, has_word(list, "verw"));
	EXPECT_EQ(!vuln_says("l1tf", "Not affected") &&
		  !strstr(cmdline, "l1tf=off"), has_word(list, "l1d_flush"));
	EXPECT_EQ(vuln_says("spectre_v2", "IBPB: always-on") ||
		  vuln_says("spectre_v2", "IBPB: conditional"),
		  has_word(list, "ibpb"));
}

TEST_HARNESS_MAIN
