// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's resource options (core/cgroup.c): what each
 * option takes and refuses, and the line it writes to its cgroup file, in
 * a directory of plain files that stands in for the VM's cgroup (the
 * testbed's resources suite runs them against the kernel's).
 *
 *   cgroup_test
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "unit.h"

struct opt_case {
	const char *opt, *value;
	bool ok;
};

static void test_parse(void)
{
	static const struct opt_case cases[] = {
		{ "cpu-weight", "1", true }, { "cpu-weight", "10000", true },
		{ "cpu-weight", "0", false }, { "cpu-weight", "10001", false },
		{ "cpu-weight", "-5", false }, { "cpu-weight", "5x", false },
		{ "cpu-weight", "", false },
		{ "cpu-max", "20000/100000", true }, { "cpu-max", "max/100000", true },
		{ "cpu-max", "1000/1000", true }, { "cpu-max", "999/100000", false },
		{ "cpu-max", "20000/999", false }, { "cpu-max", "20000/1000001", false },
		{ "cpu-max", "20000", false }, { "cpu-max", "/100000", false },
		{ "cpu-max", "20000/", false }, { "cpu-max", "a/b", false },
		{ "cpuset", "0", true }, { "cpuset", "0-1,3", true },
		{ "cpuset", "", false }, { "cpuset", "0;1", false },
		{ "cpuset", "1 2", false },
		{ "memory-max", "64", true }, { "memory-max", "max", true },
		{ "memory-max", "0", false }, { "memory-max", "64M", false },
		{ "io-weight", "200", true }, { "io-weight", "0", false },
		{ "nice", "5", false },
	};
	char err[256], value[64];
	struct tcase tc;

	case_begin(&tc);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmctl_cgroup_opts o = { 0 };
		int rc;

		snprintf(value, sizeof(value), "%s", cases[i].value);
		err[0] = 0;
		rc = vmctl_cgroup_opt_parse(&o, cases[i].opt, value, err, sizeof(err));
		check(&tc, (rc == 0) == cases[i].ok, "--%s %s: %s (%s)", cases[i].opt,
		      cases[i].value, rc ? "refused" : "taken", err);
		check(&tc, rc == 0 || strstr(err, cases[i].opt), "--%s %s: reason '%s'",
		      cases[i].opt, cases[i].value, err);
		check(&tc, rc != 0 || vmctl_cgroup_opts_any(&o), "--%s %s: nothing set",
		      cases[i].opt, cases[i].value);
	}
	case_end(&tc, "cgroup: each resource option takes its range and refuses the rest with its name");
}

static void read_file(const char *dir, const char *file, char *buf, size_t len)
{
	char path[512];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
}

static void test_apply(void)
{
	static const char *const files[] = {
		"cpu.weight", "cpu.max", "cpuset.cpus", "memory.max", "io.weight",
	};
	char dir[] = "/tmp/hvx-cgroup-XXXXXX", path[512], buf[128], err[512];
	struct vmctl_cgroup_opts o = { 0 };
	char v1[] = "20000/100000", v2[] = "max/50000";
	struct tcase tc;

	case_begin(&tc);
	check(&tc, mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		close(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	}
	vmctl_cgroup_opt_parse(&o, "cpu-weight", "50", err, sizeof(err));
	vmctl_cgroup_opt_parse(&o, "cpu-max", v1, err, sizeof(err));
	vmctl_cgroup_opt_parse(&o, "cpuset", "0-1,3", err, sizeof(err));
	vmctl_cgroup_opt_parse(&o, "memory-max", "64", err, sizeof(err));
	vmctl_cgroup_opt_parse(&o, "io-weight", "200", err, sizeof(err));
	check(&tc, !vmctl_cgroup_apply(dir, &o, err, sizeof(err)), "apply: %s", err);
	read_file(dir, "cpu.weight", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "50"), "cpu.weight '%s'", buf);
	read_file(dir, "cpu.max", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "20000 100000"), "cpu.max '%s'", buf);
	read_file(dir, "cpuset.cpus", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "0-1,3"), "cpuset.cpus '%s'", buf);
	read_file(dir, "memory.max", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "67108864"), "memory.max '%s'", buf);
	read_file(dir, "io.weight", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "default 200"), "io.weight '%s'", buf);
	case_end(&tc, "cgroup: the options' values as cpu.weight, cpu.max, cpuset.cpus, memory.max and io.weight take them");

	/* Only what is set is written; "max" as the kernel spells it. */
	case_begin(&tc);
	o = (struct vmctl_cgroup_opts){ 0 };
	vmctl_cgroup_opt_parse(&o, "cpu-max", v2, err, sizeof(err));
	vmctl_cgroup_opt_parse(&o, "memory-max", "max", err, sizeof(err));
	snprintf(path, sizeof(path), "%s/cpu.weight", dir);
	unlink(path);
	check(&tc, !vmctl_cgroup_apply(dir, &o, err, sizeof(err)), "apply: %s", err);
	read_file(dir, "cpu.max", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "max 50000"), "cpu.max '%s'", buf);
	read_file(dir, "memory.max", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "max"), "memory.max '%s'", buf);
	read_file(dir, "io.weight", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "default 200"), "io.weight rewritten: '%s'", buf);
	/* A file that is not there: the controller is off; the reason says so. */
	vmctl_cgroup_opt_parse(&o, "cpu-weight", "10", err, sizeof(err));
	check(&tc, vmctl_cgroup_apply(dir, &o, err, sizeof(err)) &&
	      strstr(err, "cpu.weight") && strstr(err, "not enabled"), "error '%s'", err);
	case_end(&tc, "cgroup: only the options given are written; max as max; a missing controller named");

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	test_parse();
	test_apply();
	return tap_finish();
}
