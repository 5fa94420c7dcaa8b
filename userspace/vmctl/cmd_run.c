// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl run: create a VM, load an image, wire the console, run it until it
 * halts or dies, and report how it ended.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"
#include "vmctl.h"

#define DEFAULT_APPEND		"console=ttyS0"
#define DEFAULT_MEM_MIB		16
#define DEFAULT_LINUX_MEM_MIB	256
#define MAX_LINUX_MEM_MIB	3072	/* see LINUX_MAX_MEM in boot_params.h */

/*
 * --timeout: SIGALRM, installed without SA_RESTART, makes HVX_RUN fail
 * with EINTR and vmctl_vm_run() return VMCTL_STOP_SIGNAL. If the alarm
 * fires while vmctl is between two HVX_RUNs (handling an exit), the next
 * HVX_RUN would enter the guest again: immediate_exit makes it return
 * EINTR at once instead (see struct hvx_run).
 */
static volatile sig_atomic_t timed_out;
static struct hvx_run *volatile timeout_run;

static void on_alarm(int sig)
{
	timed_out = 1;
	if (timeout_run)
		timeout_run->immediate_exit = 1;
}

static int arm_timeout(struct vmctl_vm *vm, unsigned int seconds)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	if (!seconds)
		return 0;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: interrupt HVX_RUN */
	timeout_run = vm->run;
	if (sigaction(SIGALRM, &sa, NULL)) {
		fprintf(stderr, "vmctl run: sigaction: %s\n", strerror(errno));
		return -1;
	}
	alarm(seconds);
	return 0;
}

static void disarm_timeout(void)
{
	alarm(0);
	timeout_run = NULL;
}

static void run_usage(void)
{
	printf("usage: vmctl run --raw FILE [--load-addr ADDR] [OPTIONS]\n"
	       "       vmctl run --kernel BZIMAGE [--initrd FILE] [--append CMDLINE] [OPTIONS]\n\n"
	       "Run a guest until it halts. Its COM1 output goes to standard output.\n\n"
	       "  -r, --raw FILE        a flat binary, entered in real mode at its load address\n"
	       "  -a, --load-addr ADDR  where to load it (default 0x7c00)\n"
	       "  -k, --kernel BZIMAGE  a 64-bit Linux kernel, booted through its 64-bit entry\n"
	       "                        point (boot protocol 2.12 or later)\n"
	       "  -i, --initrd FILE     the kernel's initial ramdisk\n"
	       "  -A, --append CMDLINE  the kernel command line (default \"" DEFAULT_APPEND "\")\n"
	       "  -m, --memory MIB      guest memory in MiB (default 16, or 256 with --kernel;\n"
	       "                        at most 3072 with --kernel)\n"
	       "  -t, --timeout SECONDS stop the guest after SECONDS (0: never, the default)\n"
	       "  -s, --stats           print the vCPU's exit statistics at the end\n"
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 the guest halted, 1 it crashed (triple fault) or hvx\n"
	       "reported an error, 2 bad command line, 3 /dev/hvx not usable, 4 the\n"
	       "--timeout expired.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || !*s || *end ? -1 : 0;
}

static int check_readable(const char *path)
{
	if (access(path, R_OK)) {
		fprintf(stderr, "vmctl run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int run_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw", required_argument, NULL, 'r' },
		{ "load-addr", required_argument, NULL, 'a' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'A' },
		{ "memory", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t addr = 0x7c00, mem_mib = 0, timeout = 0;
	const char *raw = NULL, *kernel = NULL, *initrd = NULL, *append = NULL;
	struct vmctl_vm vm;
	enum vmctl_stop stop;
	int opt, stats = 0, addr_set = 0, err;

	while ((opt = getopt_long(argc, argv, "r:a:k:i:A:m:t:sh", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			raw = optarg;
			break;
		case 'a':
			if (parse_u64(optarg, &addr)) {
				fprintf(stderr, "vmctl run: bad address '%s'\n", optarg);
				return VMCTL_USAGE;
			}
			addr_set = 1;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'A':
			append = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, &mem_mib) || mem_mib < 1 ||
			    mem_mib > (1 << 20)) {
				fprintf(stderr, "vmctl run: bad memory size '%s' (MiB)\n",
					optarg);
				return VMCTL_USAGE;
			}
			break;
		case 't':
			if (parse_u64(optarg, &timeout) || timeout > 0x7fffffff) {
				fprintf(stderr, "vmctl run: bad timeout '%s' (seconds)\n",
					optarg);
				return VMCTL_USAGE;
			}
			break;
		case 's':
			stats = 1;
			break;
		case 'h':
			run_usage();
			return VMCTL_OK;
		default:
			run_usage();
			return VMCTL_USAGE;
		}
	}
	if (raw && kernel) {
		fprintf(stderr, "vmctl run: --raw and --kernel exclude each other\n");
		return VMCTL_USAGE;
	}
	if ((!raw && !kernel) || optind != argc) {
		fprintf(stderr, "vmctl run: say what to run: --raw FILE or --kernel BZIMAGE\n");
		return VMCTL_USAGE;
	}
	if (raw && (initrd || append)) {
		fprintf(stderr, "vmctl run: --initrd and --append go with --kernel\n");
		return VMCTL_USAGE;
	}
	if (kernel && addr_set) {
		fprintf(stderr, "vmctl run: --load-addr goes with --raw\n");
		return VMCTL_USAGE;
	}
	if (!mem_mib)
		mem_mib = kernel ? DEFAULT_LINUX_MEM_MIB : DEFAULT_MEM_MIB;
	if (kernel && mem_mib > MAX_LINUX_MEM_MIB) {
		fprintf(stderr, "vmctl run: at most %d MiB for a Linux guest for now (3-4 GiB is kept for MMIO, RAM above 4 GiB is not supported yet)\n",
			MAX_LINUX_MEM_MIB);
		return VMCTL_USAGE;
	}
	if (check_readable(raw ? raw : kernel) ||
	    (initrd && check_readable(initrd)))
		return VMCTL_ERR;

	if (vmctl_vm_create(&vm, mem_mib << 20))
		return access("/dev/hvx", F_OK) ? VMCTL_NO_HVX : VMCTL_ERR;
	vmctl_serial_attach(&vm, STDOUT_FILENO);
	if (raw)
		err = vmctl_load_raw(&vm, raw, addr);
	else
		err = vmctl_setup_cpuid(&vm) ||
		      vmctl_load_linux(&vm, kernel, initrd,
				       append ? append : DEFAULT_APPEND);
	if (err || arm_timeout(&vm, timeout)) {
		vmctl_vm_destroy(&vm);
		return VMCTL_ERR;
	}
	stop = vmctl_vm_run(&vm);
	disarm_timeout();
	if (stats)
		vmctl_vm_print_stats(&vm, stderr);
	vmctl_vm_destroy(&vm);

	switch (stop) {
	case VMCTL_STOP_HALT:
		return VMCTL_OK;
	case VMCTL_STOP_SHUTDOWN:
		fprintf(stderr, "vmctl: the guest triple-faulted (shutdown)\n");
		return VMCTL_ERR;
	case VMCTL_STOP_SIGNAL:
		if (timed_out) {
			fprintf(stderr, "vmctl: stopped after %llu s\n",
				(unsigned long long)timeout);
			return VMCTL_TIMEOUT;
		}
		return VMCTL_ERR;
	default:
		return VMCTL_ERR;
	}
}

const struct vmctl_cmd vmctl_cmd_run = {
	.name = "run",
	.summary = "run a guest until it halts",
	.run = run_run,
	.usage = run_usage,
};
