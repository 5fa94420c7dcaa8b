// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl stats' formats (userspace/vmctl/cmd/stats_prometheus.c) from
 * readings made up here: the Prometheus text format as its specification
 * has it (one HELP and one TYPE per family, before its samples; a sample
 * per VM that answered; label values escaped; counters named _total), and
 * the plain lines with the same values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/stats_prometheus.h"
#include "unit.h"

static char *format(void (*fn)(FILE *, const struct vmctl_sample *, size_t),
		    const struct vmctl_sample *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	fn(out, s, n);
	fclose(out);
	return buf;
}

static unsigned int count(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (; (text = strstr(text, needle)); text++)
		n++;
	return n;
}

/* Every line a comment of the two kinds, or NAME{LABELS} VALUE. */
static bool well_formed(const char *text, char *bad, size_t len)
{
	const char *line = text, *nl;
	char name[128], labels[256], value[64];

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return snprintf(bad, len, "no newline at the end"), false;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7))
			continue;
		if (sscanf(line, "%127[a-z_]{%255[^}]} %63s", name, labels, value) != 3 ||
		    strncmp(labels, "vm=\"", 4) || strtod(value, NULL) < 0) {
			snprintf(bad, len, "%.*s", (int)(nl - line), line);
			return false;
		}
	}
	return true;
}

int main(void)
{
	struct vmctl_sample s[3] = {
		{ .name = "web", .ok = true, .pid = 10, .vcpus = 2,
		  .cpu_us = 1500000, .steal_ns = 250000000, .exits = 4242,
		  .rss_kb = 1024, .swap_kb = 2, .disk_read = 4096, .disk_write = 8192,
		  .net_rx = 100, .net_tx = 200, .uptime_s = 60, .memory_mib = 256,
		  .reasons = { { "io", 40 }, { "hlt", 2 } }, .nreasons = 2 },
		{ .name = "gone" },
		{ .name = "db\"x", .ok = true, .vcpus = 1, .memory_mib = 1 },
	};
	char bad[512], *p = format(vmctl_stats_prometheus, s, 3);
	struct tcase tc;

	case_begin(&tc);
	check(&tc, well_formed(p, bad, sizeof(bad)), "line: %s", bad);
	check(&tc, count(p, "# TYPE ") == count(p, "# HELP ") && count(p, "# TYPE ") == 14,
	      "%u TYPE, %u HELP lines", count(p, "# TYPE "), count(p, "# HELP "));
	check(&tc, count(p, "# TYPE hvx_vm_cpu_seconds_total counter\n") == 1 &&
	      count(p, "# TYPE hvx_vm_resident_bytes gauge\n") == 1, "types");
	check(&tc, strstr(p, "# TYPE hvx_vm_exits_total counter\nhvx_vm_exits_total{vm=\"web\"} 4242\n"),
	      "TYPE then the samples: %s", p);
	case_end(&tc, "stats: the Prometheus text format, a HELP and a TYPE per family, then its samples");

	case_begin(&tc);
	check(&tc, strstr(p, "hvx_vm_up{vm=\"web\"} 1\n") && strstr(p, "hvx_vm_up{vm=\"gone\"} 0\n"),
	      "up");
	check(&tc, !strstr(p, "hvx_vm_vcpus{vm=\"gone\"}"), "a VM that did not answer has figures");
	check(&tc, strstr(p, "hvx_vm_cpu_seconds_total{vm=\"web\"} 1.5\n") &&
	      strstr(p, "hvx_vm_steal_seconds_total{vm=\"web\"} 0.25\n"), "seconds");
	check(&tc, strstr(p, "hvx_vm_memory_bytes{vm=\"web\"} 268435456\n") &&
	      strstr(p, "hvx_vm_resident_bytes{vm=\"web\"} 1048576\n") &&
	      strstr(p, "hvx_vm_swapped_bytes{vm=\"web\"} 2048\n"), "bytes");
	check(&tc, strstr(p, "hvx_vm_exits_by_reason_total{vm=\"web\",reason=\"io\"} 40\n") &&
	      strstr(p, "hvx_vm_exits_by_reason_total{vm=\"web\",reason=\"hlt\"} 2\n"), "reasons");
	check(&tc, strstr(p, "hvx_vm_vcpus{vm=\"db\\\"x\"} 1\n"), "a quote in a label value not escaped");
	case_end(&tc, "stats: each VM's figures in base units, a VM that did not answer only as up 0");
	free(p);

	p = format(vmctl_stats_plain, s, 3);
	case_begin(&tc);
	check(&tc, strstr(p, "web hvx_vm_exits_total 4242\n") && strstr(p, "gone hvx_vm_up 0\n") &&
	      strstr(p, "web hvx_vm_exits_by_reason_total{reason=\"io\"} 40\n") &&
	      !strstr(p, "gone hvx_vm_vcpus"), "%s", p);
	case_end(&tc, "stats: plain lines, VM METRIC VALUE");
	free(p);
	return tap_finish();
}
