// SPDX-License-Identifier: GPL-2.0
/*
 * A reading of a running VM (vm_sample.h): the VM's own counters over its
 * control socket, the rest from the kernel's files about its process and
 * cgroup.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/vm_sample.h"

static unsigned long long reply_u64(const char *reply, const char *key)
{
	char buf[32];

	return vmctl_reply_get(reply, key, buf, sizeof(buf)) ?
	       strtoull(buf, NULL, 10) : 0;
}

/* Sum of the values of every "nicN_@suffix: V" line. */
static unsigned long long sum_nic(const char *reply, const char *suffix)
{
	unsigned long long sum = 0;
	char key[32];

	for (unsigned int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "nic%u_%s", i, suffix);
		sum += reply_u64(reply, key);
	}
	return sum;
}

/* "KEY: VALUE" of /proc/PID/@file, as a number (kB lines: in kB). */
static unsigned long long proc_value(int pid, const char *file, const char *key)
{
	char path[64], line[256];
	unsigned long long v = 0;
	size_t len = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			v = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Time the process's threads waited on a run queue (schedstat, ns). */
static unsigned long long steal_ns(int pid)
{
	unsigned long long run, wait, sum = 0;
	char path[96];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu %llu", &run, &wait) == 2)
			sum += wait;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

/* CPU time: the cgroup's usage_usec, or the process's utime + stime. */
static unsigned long long cpu_us(const char *cgroup, int pid)
{
	unsigned long long v = 0, ut, st;
	char path[4200], line[1024], *p;
	FILE *f;

	if (cgroup[0] == '/') {
		snprintf(path, sizeof(path), "%s/cpu.stat", cgroup);
		f = fopen(path, "r");
		if (f) {
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "usage_usec %llu", &v) == 1)
					break;
			fclose(f);
			return v;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* After the ") " that ends the command name: fields 3 on. */
	if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) &&
	    sscanf(p + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu",
		   &ut, &st) == 2)
		v = (ut + st) * 1000000ull / sysconf(_SC_CLK_TCK);
	fclose(f);
	return v;
}

static void parse_reasons(const char *reply, struct vmctl_sample *s)
{
	char line[2048], *tok, *save, *eq;

	s->nreasons = 0;
	if (!vmctl_reply_get(reply, "exits_by_reason", line, sizeof(line)))
		return;
	for (tok = strtok_r(line, " ", &save); tok && s->nreasons < VMCTL_SAMPLE_REASONS;
	     tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq || eq - tok >= (int)sizeof(s->reasons[0].key))
			continue;
		*eq = 0;
		strcpy(s->reasons[s->nreasons].key, tok);
		s->reasons[s->nreasons++].count = strtoull(eq + 1, NULL, 10);
	}
}

void vmctl_sample_take(const char *name, struct vmctl_sample *s)
{
	char cgroup[4096] = "", *reply;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (vmctl_control_call(name, "info", &reply, NULL, 0) != VMCTL_CALL_OK)
		return;
	s->ok = true;
	s->pid = (int)reply_u64(reply, "pid");
	s->vcpus = (unsigned int)reply_u64(reply, "vcpus");
	s->exits = reply_u64(reply, "exits");
	s->uptime_s = reply_u64(reply, "uptime_s");
	s->memory_mib = reply_u64(reply, "memory_mib");
	s->net_rx = sum_nic(reply, "rx_bytes");
	s->net_tx = sum_nic(reply, "tx_bytes");
	if (!vmctl_reply_get(reply, "cgroup", cgroup, sizeof(cgroup)))
		cgroup[0] = 0;
	parse_reasons(reply, s);
	free(reply);
	s->cpu_us = cpu_us(cgroup, s->pid);
	s->steal_ns = steal_ns(s->pid);
	s->rss_kb = proc_value(s->pid, "status", "VmRSS");
	s->swap_kb = proc_value(s->pid, "status", "VmSwap");
	s->disk_read = proc_value(s->pid, "io", "read_bytes");
	s->disk_write = proc_value(s->pid, "io", "write_bytes");
}

