// SPDX-License-Identifier: GPL-2.0
/* A VM's cgroup (cgroup.h says what and why). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/control.h"

#define ERR(...)	(snprintf(err, len, __VA_ARGS__), -1)

/* A decimal number in [lo, hi], all of @s. */
static int parse_range(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || *v < lo || *v > hi ? -1 : 0;
}

int vmctl_cgroup_opt_parse(struct vmctl_cgroup_opts *o, const char *opt,
			   const char *value, char *err, size_t len)
{
	uint64_t v, q;
	char *slash;

	if (!strcmp(opt, "cpu-weight") || !strcmp(opt, "io-weight")) {
		if (parse_range(value, 1, 10000, &v))
			return ERR("--%s %s: a weight is 1 to 10000 (100 is the default share)",
				   opt, value);
		if (opt[0] == 'c')
			o->cpu_weight = v;
		else
			o->io_weight = v;
		return 0;
	}
	if (!strcmp(opt, "cpu-max")) {
		/* QUOTA/PERIOD in microseconds, as cpu.max has them. */
		slash = strchr(value, '/');
		if (!slash)
			return ERR("--cpu-max %s: QUOTA/PERIOD in microseconds (20000/100000: 20%% of a CPU), or max/PERIOD",
				   value);
		*slash = 0;
		if (!strcmp(value, "max"))
			q = UINT64_MAX;
		else if (parse_range(value, 1000, 1000000ull * 1024, &q))
			q = 0;
		*slash = '/';
		if (!q || parse_range(slash + 1, 1000, 1000000, &v))
			return ERR("--cpu-max %s: a quota of at least 1000 us (or max) per period of 1000 to 1000000 us",
				   value);
		o->cpu_quota_us = q;
		o->cpu_period_us = v;
		return 0;
	}
	if (!strcmp(opt, "cpuset")) {
		if (!*value || strlen(value) >= sizeof(o->cpuset) ||
		    strspn(value, "0123456789,-") != strlen(value))
			return ERR("--cpuset %s: host CPUs as a list, 0-1,3", value);
		strcpy(o->cpuset, value);
		return 0;
	}
	if (!strcmp(opt, "memory-max")) {
		if (!strcmp(value, "max")) {
			o->memory_max = UINT64_MAX;
			return 0;
		}
		if (parse_range(value, 1, 1ull << 30, &v))
			return ERR("--memory-max %s: MiB (at least 1), or max", value);
		o->memory_max = v << 20;
		return 0;
	}
	return ERR("--%s: not a resource option", opt);
}

bool vmctl_cgroup_opts_any(const struct vmctl_cgroup_opts *o)
{
	return o->cpu_weight || o->cpu_quota_us || o->cpuset[0] ||
	       o->memory_max || o->io_weight;
}

const char *vmctl_cgroup_root(void)
{
	static char root[PATH_MAX];
	char line[1024], mnt[PATH_MAX], *sep;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return NULL;
	root[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE ... */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(root, sizeof(root), "%s", mnt);
		break;
	}
	fclose(f);
	return root[0] ? root : NULL;
}

/* Write @value to @dir/@file. 0, or -1 with errno set. */
static int write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);	/* as a shell's > */
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	if (n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int vmctl_cgroup_apply(const char *path, const struct vmctl_cgroup_opts *o,
		       char *err, size_t len)
{
	const struct {
		const char *file;
		bool set;
	} *w, writes[] = {
		{ "cpu.weight", o->cpu_weight },
		{ "cpu.max", o->cpu_quota_us },
		{ "cpuset.cpus", o->cpuset[0] },
		{ "memory.max", o->memory_max },
		{ "io.weight", o->io_weight },
	};
	char value[80];
	size_t i;

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		w = &writes[i];
		if (!w->set)
			continue;
		switch (i) {
		case 0:
			snprintf(value, sizeof(value), "%u", o->cpu_weight);
			break;
		case 1:
			if (o->cpu_quota_us == UINT64_MAX)
				snprintf(value, sizeof(value), "max %llu",
					 (unsigned long long)o->cpu_period_us);
			else
				snprintf(value, sizeof(value), "%llu %llu",
					 (unsigned long long)o->cpu_quota_us,
					 (unsigned long long)o->cpu_period_us);
			break;
		case 2:
			snprintf(value, sizeof(value), "%s", o->cpuset);
			break;
		case 3:
			if (o->memory_max == UINT64_MAX)
				snprintf(value, sizeof(value), "max");
			else
				snprintf(value, sizeof(value), "%llu",
					 (unsigned long long)o->memory_max);
			break;
		default:
			snprintf(value, sizeof(value), "default %u", o->io_weight);
			break;
		}
		if (write_file(path, w->file, value))
			return ERR("%s/%s: cannot set %s: %s%s", path, w->file,
				   value, strerror(errno),
				   errno == ENOENT ? " (that controller is not enabled here)" : "");
	}
	return 0;
}

/* Enable what @dir's children need of the controllers @dir has. */
static void enable_controllers(const char *dir)
{
	static const char *const want[] = { "cpu", "cpuset", "memory", "io" };
	char path[PATH_MAX + 32], have[256] = "", ctl[16];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(have, sizeof(have), f))
			have[0] = 0;
		fclose(f);
	}
	/* One at a time: a controller that cannot be enabled stops no other. */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(ctl, sizeof(ctl), " %s ", want[i]);
		snprintf(path, sizeof(path), " %s", have);
		path[strcspn(path, "\n")] = ' ';
		if (!strstr(path, ctl))
			continue;
		snprintf(ctl, sizeof(ctl), "+%s", want[i]);
		write_file(dir, "cgroup.subtree_control", ctl);
	}
}

/* The cgroup this process is in, as a path under @root. */
static int own_cgroup(const char *root, char *out, size_t outlen)
{
	char line[PATH_MAX + 8];
	int found = -1;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		if (snprintf(out, outlen, "%s%s", root, line + 3) < (int)outlen)
			found = 0;
		break;
	}
	fclose(f);
	return found;
}

int vmctl_cgroup_enter(struct vmctl_cgroup *cg, const char *name,
		       const struct vmctl_cgroup_opts *o, char *err, size_t len)
{
	const char *root = vmctl_cgroup_root();
	char slice[PATH_MAX], pid[24];

	cg->path[0] = 0;
	if (!root)
		return ERR("no cgroup2 file system is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
	if (own_cgroup(root, cg->home, sizeof(cg->home)))
		return ERR("cannot tell this process's cgroup (/proc/self/cgroup)");
	if (snprintf(slice, sizeof(slice), "%s/" VMCTL_CGROUP_SLICE, root) >=
	    (int)sizeof(slice) - VMCTL_NAME_MAX - 1)
		return ERR("the cgroup2 mount's path is too long: %s", root);
	enable_controllers(root);
	if (mkdir(slice, 0755) && errno != EEXIST)
		return ERR("%s: %s", slice, strerror(errno));
	enable_controllers(slice);
	if (snprintf(cg->path, sizeof(cg->path), "%s/%s", slice, name) >=
	    (int)sizeof(cg->path))
		return ERR("the cgroup's path is too long");
	/*
	 * One VM of a name runs at a time (its control socket says so before
	 * this), so an existing cgroup is one a killed vmctl left: empty, and
	 * rmdir() makes sure of that.
	 */
	if (mkdir(cg->path, 0755) && (errno != EEXIST || rmdir(cg->path) ||
				      mkdir(cg->path, 0755))) {
		snprintf(err, len, "%s: %s", cg->path, strerror(errno));
		cg->path[0] = 0;
		return -1;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (vmctl_cgroup_apply(cg->path, o, err, len))
		goto fail;
	if (write_file(cg->path, "cgroup.procs", pid)) {
		snprintf(err, len, "%s/cgroup.procs: %s", cg->path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	rmdir(cg->path);
	cg->path[0] = 0;
	return -1;
}

void vmctl_cgroup_leave(struct vmctl_cgroup *cg)
{
	char pid[24];

	if (!cg->path[0])
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* Back home first: a cgroup with a process in it cannot go. */
	write_file(cg->home, "cgroup.procs", pid);
	rmdir(cg->path);
	cg->path[0] = 0;
}
