// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's CPU lists and --vcpu-affinity
 * (core/affinity.c): the kernel's list format both ways, what the option
 * takes and refuses, and the check against the CPUs a VM may use. The
 * testbed's linux_guest suite pins a running guest's vCPUs and reads the
 * kernel's view of its threads.
 *
 *   affinity_test
 */
#include <string.h>

#include "core/affinity.h"
#include "unit.h"

static void test_lists(void)
{
	static const struct { const char *in, *out; } good[] = {
		{ "0", "0" }, { "3", "3" }, { "0-3", "0-3" }, { "0,2", "0,2" },
		{ "0-1,3", "0-1,3" }, { "3,0-1", "0-1,3" }, { "1,2,3", "1-3" },
		{ "5-5", "5" }, { "0-2,1-4", "0-4" }, { "1023", "1023" },
	};
	static const char *const bad[] = {
		"", ",", "0,", ",0", "1-", "-1", "3-1", "a", "0;1", "0 1", " 0",
		"+1", "1024", "0-1024", "99999999999999999999", "1--2",
	};
	char buf[64];
	cpu_set_t set;
	struct tcase tc;

	case_begin(&tc);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int rc = vmctl_cpu_list_parse(good[i].in, &set);

		vmctl_cpu_list_format(&set, buf, sizeof(buf));
		check(&tc, rc == 0 && !strcmp(buf, good[i].out),
		      "'%s': rc %d, read back as '%s', want '%s'", good[i].in, rc,
		      buf, good[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		check(&tc, vmctl_cpu_list_parse(bad[i], &set) == -1,
		      "'%s' taken", bad[i]);
	/* A buffer too small is cut, still a string. */
	vmctl_cpu_list_parse("0,2,4,6,8", &set);
	vmctl_cpu_list_format(&set, buf, 4);
	check(&tc, strlen(buf) < 4, "cut to '%s'", buf);
	case_end(&tc, "affinity: CPU lists in the kernel's format, read and written back");
}

static void test_option(void)
{
	static const char *const bad[] = {
		"", "1", ":1", "1:", "x:1", "-1:0", "64:0", "1:a", "1:0;1",
		"99999999999999999999:0",
	};
	struct vmctl_affinity a = { 0 };
	char err[256], list[64];
	cpu_set_t allowed;
	struct tcase tc;

	case_begin(&tc);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		check(&tc, vmctl_affinity_parse(&a, bad[i], err, sizeof(err)) == -1 &&
		      strstr(err, "--vcpu-affinity"), "'%s' taken (%s)", bad[i], err);
	}
	for (size_t i = 0; i < HVX_MAX_VCPUS; i++)
		check(&tc, !a.pinned[i], "a refused option pinned vCPU %zu", i);

	check(&tc, !vmctl_affinity_parse(&a, "0:1", err, sizeof(err)), "0:1: %s", err);
	check(&tc, !vmctl_affinity_parse(&a, "1:0,2-3", err, sizeof(err)), "1:0,2-3: %s", err);
	check(&tc, vmctl_affinity_parse(&a, "1:2", err, sizeof(err)) == -1 &&
	      strstr(err, "twice"), "vCPU 1 twice: '%s'", err);
	vmctl_cpu_list_format(&a.cpus[1], list, sizeof(list));
	check(&tc, a.pinned[0] && a.pinned[1] && !a.pinned[2] &&
	      !strcmp(list, "0,2-3"), "vCPU 1 on '%s'", list);

	/* Against the VM: its vCPUs, and the CPUs its cgroup leaves it. */
	vmctl_cpu_list_parse("0-3", &allowed);
	check(&tc, !vmctl_affinity_check(&a, 2, &allowed, err, sizeof(err)),
	      "2 vCPUs on 0-3: %s", err);
	check(&tc, vmctl_affinity_check(&a, 1, &allowed, err, sizeof(err)) == -1 &&
	      strstr(err, "no vCPU 1"), "1 vCPU, vCPU 1 pinned: '%s'", err);
	vmctl_cpu_list_parse("0-2", &allowed);
	check(&tc, vmctl_affinity_check(&a, 2, &allowed, err, sizeof(err)) == -1 &&
	      strstr(err, "vCPU 1: CPU 3 ") && strstr(err, "(0-2)"),
	      "CPU 3 outside 0-2: '%s'", err);
	case_end(&tc, "affinity: --vcpu-affinity VCPU:CPUS, each vCPU once, within the VM's CPUs");
}

int main(void)
{
	test_lists();
	test_option();
	return tap_finish();
}
