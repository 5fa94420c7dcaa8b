// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl host: what this host's hvx offers (API version, CPUs in VMX root,
 * optional hardware features), as text or as key=value lines for scripts.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "core/vm.h"
#include "vmctl.h"

static void host_usage(void)
{
	printf("usage: vmctl host [--raw]\n\n"
	       "Show what hvx offers on this host.\n\n"
	       "  -r, --raw    print key=value lines, one per fact\n"
	       "  -h, --help   show this help\n");
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int host_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t cpus, rev, pages, ad, timer;
	char cpulist[256] = "?";
	int raw = 0, opt, fd, api;

	while ((opt = getopt_long(argc, argv, "rh", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			raw = 1;
			break;
		case 'h':
			host_usage();
			return VMCTL_OK;
		default:
			host_usage();
			return VMCTL_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vmctl host: unexpected argument '%s'\n",
			argv[optind]);
		return VMCTL_USAGE;
	}

	fd = vmctl_open_hvx();
	if (fd < 0)
		return -fd;
	api = ioctl(fd, HVX_GET_API_VERSION, 0);
	cpus = vmctl_capability(fd, HVX_CAP_VMX_CPUS);
	rev = vmctl_capability(fd, HVX_CAP_VMCS_REVISION);
	pages = vmctl_capability(fd, HVX_CAP_EPT_LARGE_PAGES);
	ad = vmctl_capability(fd, HVX_CAP_EPT_AD_BITS);
	timer = vmctl_capability(fd, HVX_CAP_PREEMPTION_TIMER);
	close(fd);
	read_line("/sys/class/hvx/hvx/vmx_cpus", cpulist, sizeof(cpulist));

	if (raw) {
		printf("api_version=%d\nvmx_cpus=%llu\nvmx_cpulist=%s\n"
		       "vmcs_revision=%#llx\nept_large_pages=%#llx\n"
		       "ept_ad_bits=%llu\npreemption_timer=%llu\n",
		       api, (unsigned long long)cpus, cpulist,
		       (unsigned long long)rev, (unsigned long long)pages,
		       (unsigned long long)ad, (unsigned long long)timer);
		return VMCTL_OK;
	}
	printf("hvx API version   %d\n", api);
	printf("VMX root held on  CPUs %s (%llu CPUs)\n", cpulist,
	       (unsigned long long)cpus);
	printf("VMCS revision     %#llx\n", (unsigned long long)rev);
	printf("EPT large pages   %s%s%s\n", pages & 1 ? "2M " : "",
	       pages & 2 ? "1G" : "", pages ? "" : "none");
	printf("EPT A/D bits      %s\n", ad ? "yes" : "no");
	if (timer)
		printf("preemption timer  yes (TSC / %llu)\n",
		       1ull << (timer - 1));
	else
		printf("preemption timer  no\n");
	return VMCTL_OK;
}

const struct vmctl_cmd vmctl_cmd_host = {
	.name = "host",
	.summary = "show what hvx offers on this host",
	.run = host_run,
	.usage = host_usage,
};
