// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl top: every running VM, what it takes of the host, sampled twice
 * an interval apart (vm_sample.h says where each figure comes from), as
 * rates over the interval.
 */
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

#include "cmd/vm_sample.h"
#include "core/control.h"
#include "vmctl.h"

#define MAX_VMS		64
#define TOP_REASONS	3

struct row {
	struct vmctl_sample now;
	double cpu_pct, steal_pct, exits_s, disk_r_s, disk_w_s, net_rx_s, net_tx_s;
	struct vmctl_reason top[TOP_REASONS];	/* by exits in the interval */
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

/* A counter's growth; a reboot starts the VM's counters again. */
static double rate(unsigned long long now, unsigned long long before, double dt)
{
	return (now >= before ? now - before : now) / dt;
}

static void make_row(const struct vmctl_sample *a, const struct vmctl_sample *b, double dt,
		     struct row *r)
{
	struct vmctl_reason d[VMCTL_SAMPLE_REASONS];
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
	static struct vmctl_sample before[MAX_VMS];
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
			vmctl_sample_take(names[i], &before[i]);
		usleep((useconds_t)(interval * 1e6));
		dt = now_s() - t0;
		for (i = 0; i < n; i++) {
			struct vmctl_sample now;

			vmctl_sample_take(names[i], &now);
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
