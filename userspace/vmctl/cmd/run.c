// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl run: create a VM, load an image, wire the console, the power
 * management device and the control socket, run it until it stops, and
 * report how it ended. A guest that resets (reboot) is started again.
 *
 * Kernels (Linux bzImage or Multiboot) run on the PC that hvx and vmctl
 * make together: in-kernel local APICs and IOAPIC, ACPI tables (MADT,
 * FADT, DSDT), COM1, the ACPI PM1 registers. Raw images run on a bare
 * vCPU without interrupt controllers, and stop at their first HLT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "block/opts.h"
#include "block/raw.h"
#include "boot/boot_params.h"
#include "boot/image_file.h"
#include "boot/loader_multiboot.h"
#include "cmd/run_options.h"
#include "core/affinity.h"
#include "core/cgroup.h"
#include "core/console.h"
#include "core/control.h"
#include "core/machine.h"
#include "core/vm.h"
#include "hw/exit_port.h"
#include "hw/serial.h"
#include "net/nic.h"
#include "net/opts.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "vmctl.h"

#define DEFAULT_APPEND		"console=ttyS0"
#define DEFAULT_MEM_MIB		16
#define DEFAULT_KERNEL_MEM_MIB	256
#define MAX_KERNEL_MEM_MIB	3072	/* see LINUX_MAX_MEM in boot_params.h */
#define MAX_MODULES		16

struct run_opts {
	const char *raw, *kernel, *initrd, *append, *name;
	const char *modules[MAX_MODULES];
	unsigned int nmodules;
	struct block_opts disks[VMCTL_MAX_DISKS];
	unsigned int ndisks;
	struct nic_opts nics[VMCTL_MAX_NICS];
	unsigned int nnics;
	uint64_t load_addr, mem_mib;
	struct vmctl_mem_opts mem;
	struct vmctl_cgroup_opts res;	/* its cgroup's settings */
	struct vmctl_affinity affinity;	/* each vCPU's host CPUs */
	unsigned int cpus, timeout;
	uint16_t exit_port;	/* 0: none */
	bool stats, console, multiboot, balloon;
};

/* What the control socket and the devices' callbacks act on. */
struct run_ctx {
	const struct run_opts *o;
	pthread_mutex_t lock;	/* vm and pm while a VM exists */
	struct vmctl_vm *vm;
	struct vmctl_pm *pm;
	bool quit;		/* stop for good, even if the guest resets */
	struct vmctl_serial *com1;	/* one for all the boots: the console's */
	/* Open, and locked, from before the first boot to the end. */
	struct raw_image images[VMCTL_MAX_DISKS];
	/* Likewise the NICs' taps and filters; devs[] is this boot's. */
	struct vmctl_nic nics[VMCTL_MAX_NICS];
	struct virtio_net *devs[VMCTL_MAX_NICS];
	struct virtio_blk *disks[VMCTL_MAX_DISKS];	/* this boot's */
	struct virtio_balloon *balloon;	/* this boot's, with --balloon */
	unsigned int boots;
	struct timespec start;
	struct vmctl_cgroup cg;		/* path "" when it has none */
	/* The exit port's status: the first write's; 0 (never one) before. */
	_Atomic uint32_t exit_status;
	/* The guest's RTC minus host UTC: a time it sets survives reboots. */
	int64_t rtc_delta_ns;
};

static void run_usage(void)
{
	printf("usage: vmctl run --kernel KERNEL [--initrd FILE] [--append CMDLINE] [OPTIONS]\n"
	       "       vmctl run --raw FILE [--load-addr ADDR] [OPTIONS]\n\n"
	       "Boot a guest and run it until it powers off. Its COM1 is the terminal:\n"
	       "output to standard output, input from standard input; Ctrl-A x quits,\n"
	       "Ctrl-A h helps.\n\n"
	       "  -k, --kernel KERNEL   a 64-bit Linux bzImage (boot protocol 2.12 or later) or\n"
	       "                        a Multiboot (version 1) kernel; found out from the file\n"
	       "  -i, --initrd FILE     Linux: the initial ramdisk\n"
	       "  -M, --module FILE     Multiboot: a module (repeat for more, at most 16)\n"
	       "  -A, --append CMDLINE  the kernel command line (default \"" DEFAULT_APPEND "\")\n"
	       "  -c, --cpus N          vCPUs (default 1, at most 64; kernels only)\n"
	       "  -r, --raw FILE        a flat binary, entered in real mode at its load address\n"
	       "                        on one vCPU without interrupt controllers\n"
	       "  -a, --load-addr ADDR  where to load it (default 0x7c00)\n"
	       "  -m, --memory MIB      guest memory in MiB (default 16, or 256 for a kernel;\n"
	       "                        at most 3072 for a kernel)\n"
	       "      --memory-backend anon|memfd|hugetlb\n"
	       "                        where guest memory comes from: private anonymous\n"
	       "                        memory (the default), a memfd (shmem), or the host's\n"
	       "                        reserved 2 MiB huge pages (/proc/sys/vm/nr_hugepages;\n"
	       "                        an even --memory). The host may swap, move and\n"
	       "                        merge the first two as any memory: none is pinned\n"
	       "      --mergeable       let KSM merge identical guest pages (anon only;\n"
	       "                        /sys/kernel/mm/ksm/run must be 1)\n"
	       "      --balloon         a virtio-balloon (kernels only): vmctl balloon NAME\n"
	       "                        MIB takes that much memory back from the guest;\n"
	       "                        the guest also reports its free pages and memory\n"
	       "                        statistics (vmctl info)\n"
	       "The VM runs in a cgroup of its own, hvx.slice/NAME (where cgroup2 is\n"
	       "mounted), whose share of the host these set (vmctl set changes them):\n"
	       RESOURCE_OPTIONS_HELP
	       "      --vcpu-affinity VCPU:CPUS\n"
	       "                        run vCPU VCPU's thread only on host CPUs CPUS, 0-1,3\n"
	       "                        (repeat for other vCPUs; within --cpuset; the\n"
	       "                        threads are named vcpuN)\n"
	       "  -d, --disk PATH[,readonly][,cache=none|writeback][,serial=S][,iops=N][,bps=N]\n"
	       "                        a raw disk image as a virtio-blk disk (kernels only;\n"
	       "                        repeat for more, at most 8: vda, vdb, ...). The image\n"
	       "                        is locked while the VM runs; cache=writeback (the\n"
	       "                        default) uses the host's page cache, cache=none\n"
	       "                        does not; serial: at most 20 bytes; iops and bps\n"
	       "                        limit the requests and bytes a second (bps takes\n"
	       "                        K, M, G), each a token bucket of a tenth of a second\n"
	       "  -N, --nic bridge=BR[,mac=MAC][,vlan=ID][,queues=N][,rate=MBIT]\n"
	       "            [,ip=ADDR[+ADDR...]][,spoof=on|off][,vhost=on|off]\n"
	       "                        a virtio-net NIC on a tap in bridge BR (kernels only;\n"
	       "                        repeat for more, at most 8). The tap is hvxNAME.N,\n"
	       "                        gone when vmctl ends; mac defaults to one derived\n"
	       "                        from the VM's name; vlan=ID makes the port an untagged\n"
	       "                        member of VLAN ID (a VLAN-filtering bridge); queues\n"
	       "                        are queue pairs (multiqueue, at most 8); rate=MBIT\n"
	       "                        limits each way to MBIT Mbit/s (1-100000; 0: no\n"
	       "                        limit, the default); ip= are the VM's addresses for\n"
	       "                        the anti-spoof filter, which drops frames from other\n"
	       "                        MACs and addresses (spoof=off: no filter, or with\n"
	       "                        rate= the policer only); vhost=on (the default) uses\n"
	       "                        the kernel's vhost-net where it loads. It takes\n"
	       "                        CAP_NET_ADMIN\n"
	       "  -n, --name NAME       the name for vmctl list/info/stop (default vmPID);\n"
	       "                        letters, digits, '.', '_', '-', at most 32 (not . or ..)\n"
	       "      --no-console      do not read standard input\n"
	       "      --exit-port[=PORT]\n"
	       "                        a test kernel's exit port (QEMU's isa-debug-exit):\n"
	       "                        a write of V to PORT (default 0xf4) ends the VM with\n"
	       "                        exit status (V << 1) | 1, modulo 256\n"
	       "  -t, --timeout SECONDS stop the guest after SECONDS (0: never, the default)\n"
	       "  -s, --stats           print each vCPU's exit statistics at the end\n"
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 the guest powered off or halted (or Ctrl-A x), 1 it\n"
	       "triple-faulted or hvx reported an error, 2 bad command line, 3 /dev/hvx\n"
	       "not usable, 4 the --timeout expired; with --exit-port, what the guest\n"
	       "wrote there says it, as above.\n");
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

/*
 * A module is "FILE" or "FILE STRING...": the file is the part up to the
 * first space, the whole is the module's string (loader_multiboot.h).
 */
static int check_module_readable(const char *module)
{
	char path[PATH_MAX];
	size_t len = strcspn(module, " ");

	if (len >= sizeof(path)) {
		fprintf(stderr, "vmctl run: %.64s...: %s\n", module,
			strerror(ENAMETOOLONG));
		return -1;
	}
	memcpy(path, module, len);
	path[len] = '\0';
	return check_readable(path);
}

/* 1 if @path holds a Multiboot header, 0 if not, -1 if unreadable. */
static int is_multiboot_file(const char *path)
{
	uint8_t head[MB_SEARCH_LIMIT];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n > 0 && vmctl_is_multiboot(head, n);
}

/* ---- Callbacks: power management, console, control socket ------------- */

static void ctx_stop(struct run_ctx *ctx, enum vmctl_stop why, bool quit)
{
	pthread_mutex_lock(&ctx->lock);
	if (quit)
		ctx->quit = true;
	if (ctx->vm)
		vmctl_vm_stop(ctx->vm, why);
	pthread_mutex_unlock(&ctx->lock);
}

static void on_poweroff(void *opaque)
{
	struct run_ctx *ctx = opaque;

	vmctl_vm_stop(ctx->vm, VMCTL_STOP_POWEROFF);
}

static void on_reset(void *opaque)
{
	struct run_ctx *ctx = opaque;

	vmctl_vm_stop(ctx->vm, VMCTL_STOP_RESET);
}

static void on_exit_port(void *opaque, uint32_t status)
{
	struct run_ctx *ctx = opaque;
	uint32_t none = 0;

	atomic_compare_exchange_strong(&ctx->exit_status, &none, status);
	vmctl_vm_stop(ctx->vm, VMCTL_STOP_EXIT);
}

static void on_quit(void *opaque)
{
	ctx_stop(opaque, VMCTL_STOP_QUIT, true);
}

static void ctl_power_button(void *opaque)
{
	struct run_ctx *ctx = opaque;

	pthread_mutex_lock(&ctx->lock);
	if (ctx->pm)
		vmctl_pm_power_button(ctx->pm);
	pthread_mutex_unlock(&ctx->lock);
}

static void ctl_force_stop(void *opaque)
{
	ctx_stop(opaque, VMCTL_STOP_QUIT, true);
}

static void ctl_info(void *opaque, FILE *out)
{
	struct run_ctx *ctx = opaque;
	const struct run_opts *o = ctx->o;
	struct timespec now;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(out, "state: running\n");
	fprintf(out, "pid: %d\n", (int)getpid());
	fprintf(out, "vcpus: %u\n", o->cpus);
	fprintf(out, "memory_mib: %llu\n", (unsigned long long)o->mem_mib);
	fprintf(out, "memory_backend: %s%s\n", vmctl_mem_backend_name(o->mem.backend),
		o->mem.mergeable ? " (mergeable)" : "");
	fprintf(out, "cgroup: %s\n", ctx->cg.path[0] ? ctx->cg.path : "none");
	fprintf(out, "kernel: %s\n", o->raw ? o->raw : o->kernel);
	if (o->kernel && !o->multiboot)
		fprintf(out, "initrd: %s\n", o->initrd ? o->initrd : "");
	if (o->kernel)
		fprintf(out, "cmdline: %s\n", o->append);
	for (i = 0; i < o->cpus; i++) {
		char cpus[128];

		if (!o->affinity.pinned[i])
			continue;
		vmctl_cpu_list_format(&o->affinity.cpus[i], cpus, sizeof(cpus));
		fprintf(out, "vcpu%u_affinity: %s\n", i, cpus);
	}
	pthread_mutex_lock(&ctx->lock);
	for (i = 0; i < o->ndisks; i++) {
		fprintf(out, "disk%u: %s%s\n", i, o->disks[i].path,
			o->disks[i].readonly ? " (readonly)" : "");
		if (ctx->disks[i])
			virtio_blk_info(ctx->disks[i], i, out);
	}
	for (i = 0; i < o->nnics; i++)
		vmctl_nic_info(&ctx->nics[i], ctx->devs[i], out);
	if (ctx->balloon)
		virtio_balloon_info(ctx->balloon, out);
	if (ctx->vm)
		vmctl_vm_info_stats(ctx->vm, out);
	pthread_mutex_unlock(&ctx->lock);
	fprintf(out, "boots: %u\n", ctx->boots);
	fprintf(out, "uptime_s: %lld\n",
		(long long)(now.tv_sec - ctx->start.tv_sec));
}

static const char *ctl_balloon(void *opaque, unsigned long long mib)
{
	struct run_ctx *ctx = opaque;
	const char *why = NULL;

	if (!ctx->o->balloon)
		return "this VM has no balloon (vmctl run --balloon)";
	pthread_mutex_lock(&ctx->lock);
	if (!ctx->balloon)
		why = "the VM is between boots; try again";
	else if (virtio_balloon_set_target(ctx->balloon, mib))
		why = "more than the VM's memory";
	pthread_mutex_unlock(&ctx->lock);
	return why;
}

static const struct vmctl_control_ops control_ops = {
	.info = ctl_info,
	.power_button = ctl_power_button,
	.force_stop = ctl_force_stop,
	.balloon = ctl_balloon,
};

/* ---- One boot ----------------------------------------------------------- */

/* The files fw_cfg hands out, mapped for one boot (fw_cfg.h). */
struct boot_files {
	const void *kernel, *initrd;
	uint64_t kernel_size, initrd_size;
};

static void unmap_boot_files(struct boot_files *f)
{
	vmctl_image_unmap(f->kernel, f->kernel_size);
	vmctl_image_unmap(f->initrd, f->initrd_size);
	memset(f, 0, sizeof(*f));
}

/*
 * fw_cfg's kernel, initrd and command line: the files as mapped, split and
 * placed as the loader did (a bzImage's setup sectors apart from its
 * protected-mode part, as QEMU gives them).
 */
static int fill_fw_cfg(struct vmctl_machine *m, const struct run_opts *o,
		       const struct vmctl_linux_info *li, struct boot_files *f)
{
	struct vmctl_fw_cfg_config *c = &m->fw_cfg_items;
	uint64_t setup;

	f->kernel = vmctl_image_map(o->kernel, &f->kernel_size);
	if (!f->kernel)
		return -1;
	if (o->initrd) {
		f->initrd = vmctl_image_map(o->initrd, &f->initrd_size);
		if (!f->initrd)
			return -1;
	}
	if (f->kernel_size > UINT32_MAX || f->initrd_size > UINT32_MAX) {
		fprintf(stderr, "vmctl: fw_cfg: a kernel or initrd of 4 GiB or more\n");
		return -1;
	}
	c->cmdline = o->append;
	if (o->multiboot) {
		c->kernel = (struct vmctl_fw_cfg_blob){ f->kernel, f->kernel_size, 0 };
		return 0;
	}
	setup = f->kernel_size - li->kernel_size;
	c->setup = (struct vmctl_fw_cfg_blob){ f->kernel, setup, 0 };
	c->kernel = (struct vmctl_fw_cfg_blob){
		(const uint8_t *)f->kernel + setup, li->kernel_size, li->kernel_addr,
	};
	c->initrd = (struct vmctl_fw_cfg_blob){
		f->initrd, f->initrd_size, li->initrd_addr,
	};
	c->cmdline_addr = li->cmdline_addr;
	return 0;
}

static int load_kernel(struct vmctl_machine *m, const struct run_opts *o,
		       struct boot_files *files)
{
	struct vmctl_vm *vm = &m->vm;
	struct vmctl_linux_info li;
	uint64_t rsdp;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vmctl_setup_cpuid(vm, vm->vcpus[i].fd))
			return -1;
	if (vmctl_machine_acpi(m, &rsdp))
		return -1;
	if (o->multiboot) {
		if (vmctl_load_multiboot(vm, o->kernel, o->append,
					 o->modules, o->nmodules))
			return -1;
	} else if (vmctl_load_linux(vm, o->kernel, o->initrd, o->append, &li)) {
		return -1;
	}
	return fill_fw_cfg(m, o, &li, files);
}

static enum vmctl_stop boot(struct run_ctx *ctx, unsigned int timeout,
			    int *exit_code)
{
	const struct run_opts *o = ctx->o;
	struct vmctl_machine_config cfg = {
		.mem_bytes = o->mem_mib << 20, .mem = o->mem, .cpus = o->cpus,
		.pc = !o->raw,
		.serial = { ctx->com1 }, .nserial = 1, .ndisks = o->ndisks,
		.nnics = o->nnics, .balloon = o->balloon,
		.on_poweroff = on_poweroff, .on_reset = on_reset,
		.exit_port = o->exit_port, .on_exit = on_exit_port,
		.rtc_delta_ns = &ctx->rtc_delta_ns, .opaque = ctx,
	};
	struct boot_files files = { 0 };
	struct vmctl_machine m;
	enum vmctl_stop stop;
	unsigned int i;
	int err;

	for (i = 0; i < o->ndisks; i++) {
		cfg.disk[i] = &o->disks[i];
		cfg.image[i] = &ctx->images[i];
	}
	for (i = 0; i < o->nnics; i++)
		cfg.nic[i] = &ctx->nics[i].dev;
	if (vmctl_machine_create(&m, &cfg)) {
		*exit_code = access("/dev/hvx", F_OK) ? VMCTL_NO_HVX : VMCTL_ERR;
		return VMCTL_STOP_ERROR;
	}
	for (i = 0; i < o->cpus; i++)
		if (o->affinity.pinned[i])
			m.vm.vcpus[i].affinity = &o->affinity.cpus[i];
	if (o->raw)
		err = vmctl_load_raw(&m.vm, o->raw, o->load_addr);
	else
		err = load_kernel(&m, o, &files);
	if (err) {
		vmctl_machine_destroy(&m);
		unmap_boot_files(&files);
		*exit_code = VMCTL_ERR;
		return VMCTL_STOP_ERROR;
	}

	pthread_mutex_lock(&ctx->lock);
	ctx->vm = &m.vm;
	ctx->pm = o->raw ? NULL : &m.pm;
	for (i = 0; i < m.nnics; i++)
		ctx->devs[i] = m.nic[i];
	for (i = 0; i < m.ndisks; i++)
		ctx->disks[i] = m.disk[i];
	ctx->balloon = m.balloon;
	ctx->boots++;
	pthread_mutex_unlock(&ctx->lock);

	stop = ctx->quit ? VMCTL_STOP_QUIT : vmctl_vm_run(&m.vm, timeout);

	pthread_mutex_lock(&ctx->lock);
	ctx->vm = NULL;
	ctx->pm = NULL;
	memset(ctx->devs, 0, sizeof(ctx->devs));
	memset(ctx->disks, 0, sizeof(ctx->disks));
	ctx->balloon = NULL;
	pthread_mutex_unlock(&ctx->lock);
	if (o->stats)
		vmctl_vm_print_stats(&m.vm, stderr);
	vmctl_machine_destroy(&m);
	unmap_boot_files(&files);
	*exit_code = VMCTL_OK;
	return stop;
}

static int run_vm(const struct run_opts *o)
{
	struct run_ctx ctx = { .o = o, .lock = PTHREAD_MUTEX_INITIALIZER };
	char err[PATH_MAX + 128];
	struct timespec now;
	enum vmctl_stop stop;
	cpu_set_t allowed;
	unsigned int left = o->timeout, i, opened, nics = 0;
	int code;

	clock_gettime(CLOCK_MONOTONIC, &ctx.start);
	/* A missing, unreadable or locked image: refused before anything runs. */
	for (opened = 0; opened < o->ndisks; opened++)
		if (raw_open(&ctx.images[opened], o->disks[opened].path,
			     o->disks[opened].readonly, o->disks[opened].cache))
			goto err_images;
	/* So are a missing bridge, a tap that exists, no CAP_NET_ADMIN. */
	for (nics = 0; nics < o->nnics; nics++)
		if (vmctl_nic_create(&ctx.nics[nics], &o->nics[nics], o->name,
				     nics))
			goto err_images;
	ctx.com1 = vmctl_serial_create("com1", VMCTL_COM1_BASE, VMCTL_COM1_IRQ,
				       STDOUT_FILENO);
	if (!ctx.com1)
		goto err_images;
	if (vmctl_control_start(o->name, &control_ops, &ctx))
		goto err_serial;
	/*
	 * Its own cgroup, now that the name is ours (the socket) and before
	 * guest RAM and the VM's threads exist. Without resource options, a
	 * host without cgroup2 runs the VM where vmctl is, and so (with a
	 * word) does a caller without the right to make one.
	 */
	if (vmctl_cgroup_enter(&ctx.cg, o->name, &o->res, err, sizeof(err)) &&
	    (vmctl_cgroup_opts_any(&o->res) || vmctl_cgroup_root())) {
		fprintf(stderr, "vmctl run: %s%s\n", err,
			vmctl_cgroup_opts_any(&o->res) ? "" :
			" (the VM runs in vmctl's cgroup)");
		if (vmctl_cgroup_opts_any(&o->res))
			goto err_control;
	}
	/* The cgroup's cpuset (and vmctl's own affinity) bound the pins. */
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "vmctl run: sched_getaffinity: %s\n",
			strerror(errno));
		goto err_control;
	}
	if (vmctl_affinity_check(&o->affinity, o->cpus, &allowed, err,
				 sizeof(err))) {
		fprintf(stderr, "vmctl run: %s\n", err);
		goto err_control;
	}
	if (o->console &&
	    vmctl_console_start(STDIN_FILENO, ctx.com1, on_quit, &ctx))
		goto err_control;
	for (;;) {
		stop = boot(&ctx, left, &code);
		if (stop != VMCTL_STOP_RESET || ctx.quit)
			break;
		if (o->timeout) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - ctx.start.tv_sec >= o->timeout) {
				stop = VMCTL_STOP_TIMEOUT;
				break;
			}
			left = o->timeout - (now.tv_sec - ctx.start.tv_sec);
		}
		fprintf(stderr, "vmctl: the guest reset; booting it again\n");
	}
	vmctl_console_stop();
	vmctl_control_stop();
	for (i = 0; i < o->nnics; i++)
		vmctl_nic_destroy(&ctx.nics[i]);
	for (i = 0; i < o->ndisks; i++)
		raw_close(&ctx.images[i]);
	vmctl_cgroup_leave(&ctx.cg);
	/*
	 * COM1 stays: the console thread, detached and on its way out, may
	 * still call vmctl_serial_input() on it (which returns at once now
	 * that it is detached), and the process ends after this.
	 */

	switch (stop) {
	case VMCTL_STOP_HALT:
	case VMCTL_STOP_POWEROFF:
	case VMCTL_STOP_QUIT:
		return VMCTL_OK;
	case VMCTL_STOP_EXIT:
		/* What the shell sees of QEMU's exit((V << 1) | 1) too. */
		return atomic_load(&ctx.exit_status) & 0xff;
	case VMCTL_STOP_SHUTDOWN:
		fprintf(stderr, "vmctl: the guest triple-faulted (shutdown)\n");
		return VMCTL_ERR;
	case VMCTL_STOP_TIMEOUT:
		fprintf(stderr, "vmctl: stopped after %u s\n", o->timeout);
		return VMCTL_TIMEOUT;
	case VMCTL_STOP_SIGNAL:
		fprintf(stderr, "vmctl: stopped by a signal\n");
		return VMCTL_ERR;
	default:
		return code == VMCTL_OK ? VMCTL_ERR : code;
	}

err_control:
	vmctl_cgroup_leave(&ctx.cg);
	vmctl_control_stop();
err_serial:
	vmctl_serial_free(ctx.com1);
err_images:
	while (nics)
		vmctl_nic_destroy(&ctx.nics[--nics]);
	while (opened)
		raw_close(&ctx.images[--opened]);
	return VMCTL_ERR;
}

/* ---- Command line ------------------------------------------------------- */

/*
 * Guest memory is the host's to swap (hvx maps it without pins, following
 * vmctl's page tables), so a guest may be larger than RAM; not larger than
 * RAM and swap together, which it could never get, in the middle of its
 * run: refuse that up front.
 */
static bool enough_memory(uint64_t mem_mib)
{
	struct sysinfo si;
	uint64_t total_mib;

	if (sysinfo(&si))
		return true;
	total_mib = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit >> 20;
	if (mem_mib < total_mib)
		return true;
	fprintf(stderr, "vmctl run: not enough memory: the guest wants %llu MiB, this host has %llu MiB of RAM and swap in all; lower --memory\n",
		(unsigned long long)mem_mib, (unsigned long long)total_mib);
	return false;
}

static int check_opts(struct run_opts *o, bool addr_set)
{
	static char default_name[VMCTL_NAME_MAX + 1];
	const char *why;
	unsigned int i;

	if (o->raw && o->kernel) {
		fprintf(stderr, "vmctl run: --raw and --kernel exclude each other\n");
		return -1;
	}
	if (!o->raw && !o->kernel) {
		fprintf(stderr, "vmctl run: say what to run: --kernel KERNEL or --raw FILE\n");
		return -1;
	}
	if (o->raw && (o->initrd || o->append || o->nmodules || o->ndisks ||
		       o->nnics || o->balloon)) {
		fprintf(stderr, "vmctl run: --initrd, --module, --append, --disk, --nic and --balloon go with --kernel\n");
		return -1;
	}
	if (o->kernel && addr_set) {
		fprintf(stderr, "vmctl run: --load-addr goes with --raw\n");
		return -1;
	}
	if (o->raw && o->cpus > 1) {
		fprintf(stderr, "vmctl run: a raw image runs on one vCPU; --cpus goes with --kernel\n");
		return -1;
	}
	for (i = o->cpus; i < HVX_MAX_VCPUS; i++) {
		if (o->affinity.pinned[i]) {
			fprintf(stderr, "vmctl run: --vcpu-affinity: the VM has no vCPU %u (--cpus %u)\n",
				i, o->cpus);
			return -1;
		}
	}
	if (!o->mem_mib)
		o->mem_mib = o->kernel ? DEFAULT_KERNEL_MEM_MIB : DEFAULT_MEM_MIB;
	if (o->kernel && o->mem_mib > MAX_KERNEL_MEM_MIB) {
		fprintf(stderr, "vmctl run: at most %d MiB for a kernel for now (3-4 GiB is kept for MMIO, RAM above 4 GiB is not supported yet)\n",
			MAX_KERNEL_MEM_MIB);
		return -1;
	}
	why = vmctl_mem_opts_check(&o->mem, o->mem_mib << 20);
	if (why) {
		fprintf(stderr, "vmctl run: %s\n", why);
		return -1;
	}
	if (!enough_memory(o->mem_mib))
		return -1;
	if (!o->append)
		o->append = DEFAULT_APPEND;
	if (!o->name) {
		snprintf(default_name, sizeof(default_name), "vm%d",
			 (int)getpid());
		o->name = default_name;
	}
	if (!vmctl_control_name_valid(o->name)) {
		fprintf(stderr, "vmctl run: bad name '%s': use letters, digits, '.', '_' and '-', at most %d\n",
			o->name, VMCTL_NAME_MAX);
		return -1;
	}
	return 0;
}

static int run_run(int argc, char **argv)
{
	struct run_opts o = { .load_addr = 0x7c00, .cpus = 1, .console = true };
	char err[256];
	uint64_t val;
	bool addr_set = false;
	unsigned int i;
	int opt, mb, idx;

	while ((opt = getopt_long(argc, argv, RUN_SHORT_OPTIONS,
				  run_long_options, &idx)) != -1) {
		if (IS_RESOURCE_OPT(opt)) {
			if (vmctl_cgroup_opt_parse(&o.res, run_long_options[idx].name,
						   optarg, err, sizeof(err))) {
				fprintf(stderr, "vmctl run: %s\n", err);
				return VMCTL_USAGE;
			}
			continue;
		}
		switch (opt) {
		case 'r':
			o.raw = optarg;
			break;
		case 'a':
			if (parse_u64(optarg, &o.load_addr)) {
				fprintf(stderr, "vmctl run: bad address '%s'\n", optarg);
				return VMCTL_USAGE;
			}
			addr_set = true;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'i':
			o.initrd = optarg;
			break;
		case 'M':
			if (o.nmodules == MAX_MODULES) {
				fprintf(stderr, "vmctl run: at most %d modules\n",
					MAX_MODULES);
				return VMCTL_USAGE;
			}
			o.modules[o.nmodules++] = optarg;
			break;
		case 'A':
			o.append = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, &val) || val < 1 ||
			    val > HVX_MAX_VCPUS) {
				fprintf(stderr, "vmctl run: bad vCPU count '%s' (1-%d)\n",
					optarg, HVX_MAX_VCPUS);
				return VMCTL_USAGE;
			}
			o.cpus = val;
			break;
		case 'm':
			if (parse_u64(optarg, &o.mem_mib) || o.mem_mib < 1 ||
			    o.mem_mib > (1 << 20)) {
				fprintf(stderr, "vmctl run: bad memory size '%s' (MiB)\n",
					optarg);
				return VMCTL_USAGE;
			}
			break;
		case RUN_OPT_MEMORY_BACKEND:
			if (vmctl_mem_backend_parse(optarg, &o.mem.backend)) {
				fprintf(stderr, "vmctl run: bad --memory-backend '%s' (anon, memfd or hugetlb)\n",
					optarg);
				return VMCTL_USAGE;
			}
			break;
		case RUN_OPT_MERGEABLE:
			o.mem.mergeable = true;
			break;
		case RUN_OPT_BALLOON:
			o.balloon = true;
			break;
		case RUN_OPT_VCPU_AFFINITY:
			if (vmctl_affinity_parse(&o.affinity, optarg, err,
						 sizeof(err))) {
				fprintf(stderr, "vmctl run: %s\n", err);
				return VMCTL_USAGE;
			}
			break;
		case 'd':
			if (o.ndisks == VMCTL_MAX_DISKS) {
				fprintf(stderr, "vmctl run: at most %d disks\n",
					VMCTL_MAX_DISKS);
				return VMCTL_USAGE;
			}
			if (block_opts_parse(optarg, &o.disks[o.ndisks], err,
					     sizeof(err))) {
				fprintf(stderr, "vmctl run: --disk %s: %s\n",
					optarg, err);
				return VMCTL_USAGE;
			}
			o.ndisks++;
			break;
		case 'N':
			if (o.nnics == VMCTL_MAX_NICS) {
				fprintf(stderr, "vmctl run: at most %d NICs\n",
					VMCTL_MAX_NICS);
				return VMCTL_USAGE;
			}
			if (nic_opts_parse(optarg, &o.nics[o.nnics], err,
					   sizeof(err))) {
				fprintf(stderr, "vmctl run: --nic %s: %s\n",
					optarg, err);
				return VMCTL_ERR;
			}
			o.nnics++;
			break;
		case 'n':
			o.name = optarg;
			break;
		case RUN_OPT_NO_CONSOLE:
			o.console = false;
			break;
		case RUN_OPT_EXIT_PORT:
			if (!optarg) {
				o.exit_port = VMCTL_EXIT_PORT_DEFAULT;
			} else if (parse_u64(optarg, &val) || !val || val > 0xffff) {
				fprintf(stderr, "vmctl run: bad --exit-port '%s' (a port, 1-0xffff)\n",
					optarg);
				return VMCTL_USAGE;
			} else {
				o.exit_port = val;
			}
			break;
		case 't':
			if (parse_u64(optarg, &val) || val > 0x7fffffff) {
				fprintf(stderr, "vmctl run: bad timeout '%s' (seconds)\n",
					optarg);
				return VMCTL_USAGE;
			}
			o.timeout = val;
			break;
		case 's':
			o.stats = true;
			break;
		case 'h':
			run_usage();
			return VMCTL_OK;
		default:
			run_usage();
			return VMCTL_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vmctl run: unexpected argument '%s'\n",
			argv[optind]);
		return VMCTL_USAGE;
	}
	if (check_opts(&o, addr_set))
		return VMCTL_USAGE;
	if (check_readable(o.raw ? o.raw : o.kernel) ||
	    (o.initrd && check_readable(o.initrd)))
		return VMCTL_ERR;
	for (i = 0; i < o.nmodules; i++)
		if (check_module_readable(o.modules[i]))
			return VMCTL_ERR;
	if (o.kernel) {
		mb = is_multiboot_file(o.kernel);
		if (mb < 0) {
			fprintf(stderr, "vmctl run: %s: %s\n", o.kernel,
				strerror(errno));
			return VMCTL_ERR;
		}
		o.multiboot = mb;
		if (o.multiboot && o.initrd) {
			fprintf(stderr, "vmctl run: %s is a Multiboot kernel: give --module, not --initrd\n",
				o.kernel);
			return VMCTL_USAGE;
		}
		if (!o.multiboot && o.nmodules) {
			fprintf(stderr, "vmctl run: --module goes with a Multiboot kernel\n");
			return VMCTL_USAGE;
		}
	}
	return run_vm(&o);
}

const struct vmctl_cmd vmctl_cmd_run = {
	.name = "run",
	.summary = "boot a guest and run it until it stops",
	.run = run_run,
	.usage = run_usage,
};
