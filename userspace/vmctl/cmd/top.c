// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl top: every running VM, what it takes of the host, sampled twice
 * an interval apart. Each figure comes from where the kernel keeps it:
 * CPU time from the VM's cgroup (cpu.stat; its process's when it has
 * none), the time its threads waited for a CPU (steal: schedstat), memory
 * from its process (VmRSS, VmSwap), disk bytes from its process's I/O
 * accounting (/proc/PID/io: the disks' I/O threads are vmctl's), and
 * exits and NIC bytes from the VM itself (vmctl info: the module's
 * counters, read while the vCPUs run).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/control.h"
#include "vmctl.h"

#define MAX_VMS		64
#define MAX_REASONS	24
#define TOP_REASONS	3

struct reason {
	char key[24];
	unsigned long long count;
};

struct sample {
	char name[VMCTL_NAME_MAX + 1];
	bool ok;
	int pid;
	unsigned int vcpus;
	unsigned long long cpu_us, steal_ns, exits, rss_kb, swap_kb;
	unsigned long long disk_read, disk_write, net_rx, net_tx;
	struct reason reasons[MAX_REASONS];
	unsigned int nreasons;
};

struct row {
	struct sample now;
	double cpu_pct, steal_pct, exits_s, disk_r_s, disk_w_s, net_rx_s, net_tx_s;
	struct reason top[TOP_REASONS];	/* by exits in the interval */
	unsigned int ntop;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void top_usage(void)
{
	printf("usage: vmctl top [--once] [--json] [--interval SECONDS]\n\n"
	       "Show every running VM and what it takes of the host, refreshed every\n"
	       "interval until Ctrl-C: CPU%% (of one CPU; its cgroup's cpu.stat), STEAL%%\n"
	       "(its threads' wait for a CPU), exits/s and the top exit reasons, resident\n"
	       "and swapped memory, disk and network throughput.\n\n"
	       "  -1, --once            one table, after one interval, for scripts\n"
	       "  -j, --json            the same as a JSON array (implies --once)\n"
	       "  -i, --interval SECONDS  between samples (default 1, 0.1 to 60)\n"
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 done, 1 the run directory cannot be read, 2 bad command line.\n");
}

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

static void parse_reasons(const char *reply, struct sample *s)
{
	char line[2048], *tok, *save, *eq;

	s->nreasons = 0;
	if (!vmctl_reply_get(reply, "exits_by_reason", line, sizeof(line)))
		return;
	for (tok = strtok_r(line, " ", &save); tok && s->nreasons < MAX_REASONS;
	     tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq || eq - tok >= (int)sizeof(s->reasons[0].key))
			continue;
		*eq = 0;
		strcpy(s->reasons[s->nreasons].key, tok);
		s->reasons[s->nreasons++].count = strtoull(eq + 1, NULL, 10);
	}
}

static void take_sample(const char *name, struct sample *s)
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

/* A counter's growth; a reboot starts the VM's counters again. */
static double rate(unsigned long long now, unsigned long long before, double dt)
{
	return (now >= before ? now - before : now) / dt;
}

static void make_row(const struct sample *a, const struct sample *b, double dt,
		     struct row *r)
{
	struct reason d[MAX_REASONS];
	unsigned int n = 0, i, j;

	memset(r, 0, sizeof(*r));
	r->now = *b;
	r->cpu_pct = rate(b->cpu_us, a->cpu_us, dt) / 1e4;
	r->steal_pct = rate(b->steal_ns, a->steal_ns, dt) / 1e7;
	r->exits_s = rate(b->exits, a->exits, dt);
	r->disk_r_s = rate(b->disk_read, a->disk_read, dt);
	r->disk_w_s = rate(b->disk_write, a->disk_write, dt);
	r->net_rx_s = rate(b->net_rx, a->net_rx, dt);
	r->net_tx_s = rate(b->net_tx, a->net_tx, dt);
	for (i = 0; i < b->nreasons; i++) {
		unsigned long long before = 0;

		for (j = 0; j < a->nreasons; j++)
			if (!strcmp(a->reasons[j].key, b->reasons[i].key))
				before = a->reasons[j].count;
		d[n] = b->reasons[i];
		d[n].count = b->reasons[i].count >= before ?
			     b->reasons[i].count - before : b->reasons[i].count;
		if (d[n].count)
			n++;
	}
	/* The TOP_REASONS largest, largest first. */
	for (r->ntop = 0; r->ntop < TOP_REASONS && n; r->ntop++) {
		unsigned int best = 0;

		for (i = 1; i < n; i++)
			if (d[i].count > d[best].count)
				best = i;
		r->top[r->ntop] = d[best];
		r->top[r->ntop].count = (unsigned long long)(d[best].count / dt);
		d[best] = d[--n];
	}
}

static int terminal_width(void)
{
	struct winsize ws;

	return !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col ? ws.ws_col : 0;
}

static void print_table(const struct row *rows, size_t n, int width)
{
	char line[512], reasons[160];
	size_t i;
	int len;

	snprintf(line, sizeof(line), "%-16s %5s %6s %6s %9s %8s %8s %9s %9s %9s %9s  %s",
		 "NAME", "VCPUS", "CPU%", "STEAL%", "EXITS/S", "RSS_MIB", "SWAP_MIB",
		 "DISK_R/S", "DISK_W/S", "NET_RX/S", "NET_TX/S", "TOP EXITS/S");
	printf("%.*s\n", width ? width : (int)sizeof(line), line);
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		reasons[0] = 0;
		for (unsigned int k = 0; k < r->ntop; k++) {
			len = strlen(reasons);
			snprintf(reasons + len, sizeof(reasons) - len, "%s%s=%llu",
				 k ? " " : "", r->top[k].key, r->top[k].count);
		}
		if (!r->now.ok) {
			snprintf(line, sizeof(line), "%-16.32s (did not answer)", r->now.name);
		} else {
			snprintf(line, sizeof(line),
				 "%-16.32s %5u %6.1f %6.1f %9.0f %8.1f %8.1f %8.0fK %8.0fK %8.0fK %8.0fK  %.100s",
				 r->now.name, r->now.vcpus, r->cpu_pct, r->steal_pct,
				 r->exits_s, r->now.rss_kb / 1024.0,
				 r->now.swap_kb / 1024.0, r->disk_r_s / 1024,
				 r->disk_w_s / 1024, r->net_rx_s / 1024,
				 r->net_tx_s / 1024, reasons);
		}
		printf("%.*s\n", width ? width : (int)sizeof(line), line);
	}
}

static void print_json(const struct row *rows, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		/* Names are [A-Za-z0-9_.-]: nothing to escape. */
		printf("%s\n  {\"name\": \"%s\", \"answered\": %s, \"pid\": %d, \"vcpus\": %u, "
		       "\"cpu_percent\": %.1f, \"steal_percent\": %.1f, \"exits_per_s\": %.0f, "
		       "\"rss_kib\": %llu, \"swap_kib\": %llu, \"disk_read_bytes_per_s\": %.0f, "
		       "\"disk_write_bytes_per_s\": %.0f, \"net_rx_bytes_per_s\": %.0f, "
		       "\"net_tx_bytes_per_s\": %.0f, \"top_exits_per_s\": {",
		       i ? "," : "", r->now.name, r->now.ok ? "true" : "false",
		       r->now.pid, r->now.vcpus, r->cpu_pct, r->steal_pct, r->exits_s,
		       r->now.rss_kb, r->now.swap_kb, r->disk_r_s, r->disk_w_s,
		       r->net_rx_s, r->net_tx_s);
		for (unsigned int k = 0; k < r->ntop; k++)
			printf("%s\"%s\": %llu", k ? ", " : "", r->top[k].key,
			       r->top[k].count);
		printf("}}");
	}
	printf("%s]\n", n ? "\n" : "");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int top_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct sample before[MAX_VMS];
	static struct row rows[MAX_VMS];
	bool once = false, json = false;
	double interval = 1, t0, dt;
	char **names;
	size_t n, count, i;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "1ji:h", opts, NULL)) != -1) {
		switch (opt) {
		case '1':
			once = true;
			break;
		case 'j':
			json = once = true;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !*optarg || !(interval >= 0.1 && interval <= 60)) {
				fprintf(stderr, "vmctl top: bad interval '%s' (0.1 to 60 seconds)\n",
					optarg);
				return VMCTL_USAGE;
			}
			break;
		case 'h':
			top_usage();
			return VMCTL_OK;
		default:
			top_usage();
			return VMCTL_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vmctl top: unexpected argument '%s'\n", argv[optind]);
		return VMCTL_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		if (vmctl_vm_names(vmctl_run_dir(), &names, &count)) {
			fprintf(stderr, "vmctl top: cannot read %s: %s\n",
				vmctl_run_dir(), strerror(errno));
			return VMCTL_ERR;
		}
		n = count < MAX_VMS ? count : MAX_VMS;
		t0 = now_s();
		for (i = 0; i < n; i++)
			take_sample(names[i], &before[i]);
		usleep((useconds_t)(interval * 1e6));
		dt = now_s() - t0;
		for (i = 0; i < n; i++) {
			struct sample now;

			take_sample(names[i], &now);
			make_row(&before[i], &now, dt, &rows[i]);
		}
		if (json) {
			print_json(rows, n);
		} else {
			if (!once)
				printf("\033[H\033[2J");	/* home, clear */
			print_table(rows, n, terminal_width());
		}
		fflush(stdout);
		for (i = 0; i < count; i++)
			free(names[i]);
		free(names);
	} while (!once && !stop);
	return VMCTL_OK;
}

const struct vmctl_cmd vmctl_cmd_top = {
	.name = "top",
	.summary = "show what each running VM takes of the host, live",
	.run = top_run,
	.usage = top_usage,
};
