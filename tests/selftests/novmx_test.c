// SPDX-License-Identifier: GPL-2.0
/*
 * On a CPU without VMX, loading hvx fails with ENODEV, says why in the
 * kernel log, and leaves nothing behind. Run in a boot on a CPU model that
 * has no VMX; on a CPU with VMX there is nothing to test.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hvx_util.h"

TEST(load_refused_without_vmx)
{
	char log[8192];
	int mark;

	if (cpu_has_vmx())
		SKIP(return, "this CPU has VMX");

	mark = kmsg_mark();
	ASSERT_LE(0, mark);
	EXPECT_EQ(-ENODEV, hvx_load(NULL));
	EXPECT_FALSE(hvx_loaded());
	EXPECT_NE(0, access("/dev/hvx", F_OK));
	kmsg_since(mark, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "hvx: cannot load: this CPU has no VMX"))
		TH_LOG("kernel log:\n%s", log);
}

TEST_HARNESS_MAIN
