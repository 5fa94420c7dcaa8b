// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl stats [NAME...] [--prometheus]: what each running VM takes of the
 * host now, as counters and gauges that a monitoring system can scrape
 * (node_exporter's textfile collector, or a pipe to a push gateway): one
 * reading per VM (vm_sample.h), in the Prometheus text format or as plain
 * lines (stats_prometheus.h). vmctl top shows the same figures as rates.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/stats_prometheus.h"
#include "cmd/vm_sample.h"
#include "core/control.h"
#include "vmctl.h"

static void stats_usage(void)
{
	printf("usage: vmctl stats [--prometheus] [NAME...]\n\n"
	       "Print the counters of the running VMs NAME (default: all of them): CPU\n"
	       "time, steal, resident and swapped memory, disk and network bytes, exits\n"
	       "and exits by reason, as \"VM METRIC VALUE\" lines.\n\n"
	       "  -p, --prometheus      in the Prometheus text exposition format, each\n"
	       "                        metric with its HELP and TYPE, labelled vm=NAME\n"
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 done, 1 a VM named did not answer or the run directory\n"
	       "cannot be read, 2 bad command line.\n");
}

static int stats_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vmctl_sample *s = NULL;
	bool prometheus = false;
	char **names = NULL;
	size_t n, i;
	int opt, rc = VMCTL_OK;

	while ((opt = getopt_long(argc, argv, "ph", opts, NULL)) != -1) {
		if (opt == 'p') {
			prometheus = true;
			continue;
		}
		stats_usage();
		return opt == 'h' ? VMCTL_OK : VMCTL_USAGE;
	}
	for (i = optind; i < (size_t)argc; i++) {
		if (!vmctl_control_name_valid(argv[i])) {
			fprintf(stderr, "vmctl stats: bad VM name '%s'\n", argv[i]);
			return VMCTL_USAGE;
		}
	}
	if (optind < argc) {
		n = argc - optind;
	} else if (vmctl_vm_names(vmctl_run_dir(), &names, &n)) {
		fprintf(stderr, "vmctl stats: cannot read %s: %s\n",
			vmctl_run_dir(), strerror(errno));
		return VMCTL_ERR;
	}
	if (n) {
		s = calloc(n, sizeof(*s));
		if (!s) {
			fprintf(stderr, "vmctl stats: out of memory\n");
			rc = VMCTL_ERR;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		vmctl_sample_take(names ? names[i] : argv[optind + i], &s[i]);
		/* A VM named on the command line must be there; one listed may have just ended. */
		if (!s[i].ok && !names) {
			fprintf(stderr, "vmctl stats: %s does not answer (no such VM?)\n",
				s[i].name);
			rc = VMCTL_ERR;
		}
	}
	if (prometheus)
		vmctl_stats_prometheus(stdout, s, n);
	else
		vmctl_stats_plain(stdout, s, n);
out:
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(s);
	return rc;
}

const struct vmctl_cmd vmctl_cmd_stats = {
	.name = "stats",
	.summary = "print the running VMs' counters (--prometheus: for a scrape)",
	.run = stats_run,
	.usage = stats_usage,
};
