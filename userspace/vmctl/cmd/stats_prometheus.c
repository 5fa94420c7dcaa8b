// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl stats' formats (stats_prometheus.h). The metrics are one table:
 * a format walks it, so a metric added here appears in both, with its
 * description.
 */
#include <string.h>

#include "cmd/stats_prometheus.h"

enum metric_type { GAUGE, COUNTER };

struct metric {
	const char *name;	/* the Prometheus name, unit and _total in it */
	enum metric_type type;
	const char *help;
	double (*value)(const struct vmctl_sample *s);
};

static double vcpus(const struct vmctl_sample *s) { return s->vcpus; }
static double memory(const struct vmctl_sample *s) { return s->memory_mib * 1048576.0; }
static double uptime(const struct vmctl_sample *s) { return s->uptime_s; }
static double cpu(const struct vmctl_sample *s) { return s->cpu_us / 1e6; }
static double steal(const struct vmctl_sample *s) { return s->steal_ns / 1e9; }
static double rss(const struct vmctl_sample *s) { return s->rss_kb * 1024.0; }
static double swap(const struct vmctl_sample *s) { return s->swap_kb * 1024.0; }
static double disk_read(const struct vmctl_sample *s) { return s->disk_read; }
static double disk_write(const struct vmctl_sample *s) { return s->disk_write; }
static double net_rx(const struct vmctl_sample *s) { return s->net_rx; }
static double net_tx(const struct vmctl_sample *s) { return s->net_tx; }
static double exits(const struct vmctl_sample *s) { return s->exits; }

static const struct metric metrics[] = {
	{ "hvx_vm_vcpus", GAUGE, "vCPUs of the VM", vcpus },
	{ "hvx_vm_memory_bytes", GAUGE, "guest RAM the VM was given", memory },
	{ "hvx_vm_uptime_seconds", GAUGE, "time since vmctl run started the VM", uptime },
	{ "hvx_vm_cpu_seconds_total", COUNTER,
	  "CPU time of the VM's cgroup (its process's without one)", cpu },
	{ "hvx_vm_steal_seconds_total", COUNTER,
	  "time the VM's threads waited for a host CPU", steal },
	{ "hvx_vm_resident_bytes", GAUGE, "the VM's process's resident memory (VmRSS)", rss },
	{ "hvx_vm_swapped_bytes", GAUGE, "the VM's process's memory in swap (VmSwap)", swap },
	{ "hvx_vm_disk_read_bytes_total", COUNTER,
	  "bytes its disks read from storage (the process's read_bytes)", disk_read },
	{ "hvx_vm_disk_written_bytes_total", COUNTER,
	  "bytes its disks wrote to storage (the process's write_bytes)", disk_write },
	{ "hvx_vm_network_receive_bytes_total", COUNTER,
	  "bytes its NICs received from their taps", net_rx },
	{ "hvx_vm_network_transmit_bytes_total", COUNTER,
	  "bytes its NICs sent to their taps", net_tx },
	{ "hvx_vm_exits_total", COUNTER, "VM exits of all its vCPUs, this boot", exits },
};

#define EXITS_BY_REASON	"hvx_vm_exits_by_reason_total"

static const char *type_name(enum metric_type t)
{
	return t == COUNTER ? "counter" : "gauge";
}

/*
 * A label value: VM names and exit reasons are [A-Za-z0-9_.-] already,
 * but the format's escapes cost nothing and keep a scrape whole.
 */
static void label_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void sample_line(FILE *out, const char *metric, const char *vm,
			const char *reason, double v)
{
	fprintf(out, "%s{vm=\"", metric);
	label_value(out, vm);
	if (reason) {
		fputs("\",reason=\"", out);
		label_value(out, reason);
	}
	fprintf(out, "\"} %.15g\n", v);
}

void vmctl_stats_prometheus(FILE *out, const struct vmctl_sample *s, size_t n)
{
	size_t m, i, r;

	fputs("# HELP hvx_vm_up 1 if the VM answered on its control socket\n"
	      "# TYPE hvx_vm_up gauge\n", out);
	for (i = 0; i < n; i++)
		sample_line(out, "hvx_vm_up", s[i].name, NULL, s[i].ok);
	for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name,
			metrics[m].help, metrics[m].name, type_name(metrics[m].type));
		for (i = 0; i < n; i++)
			if (s[i].ok)
				sample_line(out, metrics[m].name, s[i].name, NULL,
					    metrics[m].value(&s[i]));
	}
	fputs("# HELP " EXITS_BY_REASON " VM exits by basic exit reason (SDM Vol. 3D appendix C), this boot\n"
	      "# TYPE " EXITS_BY_REASON " counter\n", out);
	for (i = 0; i < n; i++)
		for (r = 0; s[i].ok && r < s[i].nreasons; r++)
			sample_line(out, EXITS_BY_REASON, s[i].name,
				    s[i].reasons[r].key, s[i].reasons[r].count);
}

void vmctl_stats_plain(FILE *out, const struct vmctl_sample *s, size_t n)
{
	size_t m, i, r;

	for (i = 0; i < n; i++) {
		fprintf(out, "%s hvx_vm_up %d\n", s[i].name, s[i].ok);
		if (!s[i].ok)
			continue;
		for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
			fprintf(out, "%s %s %.15g\n", s[i].name, metrics[m].name,
				metrics[m].value(&s[i]));
		for (r = 0; r < s[i].nreasons; r++)
			fprintf(out, "%s " EXITS_BY_REASON "{reason=\"%s\"} %llu\n",
				s[i].name, s[i].reasons[r].key,
				s[i].reasons[r].count);
	}
}
