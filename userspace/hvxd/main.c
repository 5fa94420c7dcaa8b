// SPDX-License-Identifier: GPL-2.0
/*
 * hvxd's command line and its one event loop: corosync's CPG and
 * votequorum fds, the control socket, a pidfd per local VM, signals, and a
 * 250 ms tick (watchdog, fence delays, back-offs, stop timeouts). Nothing
 * in the loop blocks, so that the watchdog is fed only by a loop that
 * turns.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hvxd.h"

#define TICK_NS		250000000L
#define LOAD_EVERY_S	10.0

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void logmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvxd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: hvxd [OPTIONS]\n"
"\n"
"The hvx cluster daemon: one per host of a corosync cluster (three votes or\n"
"more). It keeps the HA VMs that `vmctl ha add` defines running on the hosts\n"
"that have quorum, restarts them elsewhere when their host fails, and never\n"
"runs one on two hosts at once.\n"
"\n"
"  --socket PATH        control socket for vmctl ha (default /run/hvx/hvxd.sock)\n"
"  --state-dir DIR      replicated state and VM pidfiles (default /var/lib/hvxd)\n"
"  --console-dir DIR    VM consoles, DIR/NAME.log (default /var/log/hvx)\n"
"  --audit FILE         the audit log (default /var/log/hvx/audit.log)\n"
"  --watchdog DEV|none  armed while HA VMs run here (default /dev/watchdog);\n"
"                       none only where something else fences the host\n"
"  --vmctl PATH         the vmctl to run VMs with (default vmctl, from PATH)\n"
"  --memory MIB         memory offered to HA VMs (default: 3/4 of MemTotal)\n"
"  --cpus N             vCPUs offered to HA VMs (default: the online CPUs)\n"
"  --fence-timeout S    F: quorum loss to HA VMs killed or the host reset\n"
"                       (default 5; the watchdog's timeout)\n"
"  --stop-timeout S     graceful stop before SIGKILL (default 10)\n"
"  --max-restarts N     crash restarts in a row before a VM fails (default 3)\n"
"  --stable S           a run this long resets the crash count (default 60)\n"
"  -h, --help\n");
}

static uint32_t mem_total_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long kib = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint32_t)(kib / 1024);
}

static int number(const char *opt, const char *arg, double min, double max,
		  double *v)
{
	char *end;

	*v = strtod(arg, &end);
	if (end == arg || *end || *v < min || *v > max) {
		fprintf(stderr, "hvxd: --%s: %s is not a number from %g to %g\n",
			opt, arg, min, max);
		return -1;
	}
	return 0;
}

static int parse_args(struct hvxd_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "state-dir", required_argument, NULL, 'D' },
		{ "console-dir", required_argument, NULL, 'C' },
		{ "audit", required_argument, NULL, 'a' },
		{ "watchdog", required_argument, NULL, 'w' },
		{ "vmctl", required_argument, NULL, 'v' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "fence-timeout", required_argument, NULL, 'F' },
		{ "stop-timeout", required_argument, NULL, 'T' },
		{ "max-restarts", required_argument, NULL, 'R' },
		{ "stable", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int o;

	*c = (struct hvxd_config){
		.socket_path = "/run/hvx/hvxd.sock",
		.state_dir = "/var/lib/hvxd",
		.console_dir = "/var/log/hvx",
		.audit_path = "/var/log/hvx/audit.log",
		.watchdog = "/dev/watchdog",
		.vmctl = "vmctl",
		.cap_mem_mib = mem_total_mib() / 4 * 3,
		.cap_cpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN),
		.fence_s = 5,
		.stop_timeout_s = 10,
		.max_restarts = 3,
		.stable_s = 60,
	};
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'S': c->socket_path = optarg; break;
		case 'D': c->state_dir = optarg; break;
		case 'C': c->console_dir = optarg; break;
		case 'a': c->audit_path = optarg; break;
		case 'w': c->watchdog = strcmp(optarg, "none") ? optarg : NULL; break;
		case 'v': c->vmctl = optarg; break;
		case 'm':
			if (number("memory", optarg, 1, 1 << 24, &v))
				return -1;
			c->cap_mem_mib = (uint32_t)v;
			break;
		case 'c':
			if (number("cpus", optarg, 1, 4096, &v))
				return -1;
			c->cap_cpus = (uint32_t)v;
			break;
		case 'F':
			if (number("fence-timeout", optarg, 1, 600, &c->fence_s))
				return -1;
			break;
		case 'T':
			if (number("stop-timeout", optarg, 0, 600, &c->stop_timeout_s))
				return -1;
			break;
		case 'R':
			if (number("max-restarts", optarg, 0, 1000, &v))
				return -1;
			c->max_restarts = (uint32_t)v;
			break;
		case 'B':
			if (number("stable", optarg, 0, 86400, &c->stable_s))
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int tick_fd(void)
{
	struct itimerspec it = {
		.it_interval = { 0, TICK_NS }, .it_value = { 0, TICK_NS },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0)
		timerfd_settime(fd, 0, &it, NULL);
	return fd;
}

enum { P_SIG, P_TICK, P_CPG, P_VQ, P_CTL, P_FIXED };

static int run(struct hvxd *d, int sig_fd, int tk_fd)
{
	struct pollfd p[P_FIXED + HVXD_MAX_VMS + 16];
	struct local_vm *owner[HVXD_MAX_VMS];
	double last_load = now_s();
	int i, n, nl;

	for (;;) {
		p[P_SIG] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		p[P_TICK] = (struct pollfd){ .fd = tk_fd, .events = POLLIN };
		p[P_CPG] = (struct pollfd){ .fd = d->cpg_fd, .events = POLLIN };
		p[P_VQ] = (struct pollfd){ .fd = d->vq_fd, .events = POLLIN };
		p[P_CTL] = (struct pollfd){ .fd = d->control_fd, .events = POLLIN };
		n = P_FIXED;
		nl = 0;
		for (i = 0; i < HVXD_MAX_VMS; i++)
			if (d->local[i].used && d->local[i].pidfd >= 0) {
				owner[nl++] = &d->local[i];
				p[n++] = (struct pollfd){ .fd = d->local[i].pidfd,
							  .events = POLLIN };
			}
		n += control_pollfds(p + n, 16);
		if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
			return 1;

		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si) &&
			    !d->shutting_down) {
				d->shutting_down = true;
				audit(d, d->my_nodeid, "shutdown", "-",
				      "signal %u: stopping this node's HA VMs",
				      si.ssi_signo);
				local_shutdown(d);
			}
		}
		if (p[P_CPG].revents && cluster_dispatch_cpg(d)) {
			logmsg("lost corosync (cpg): fencing this node's HA VMs");
			local_fence(d, "lost corosync");
			return 1;
		}
		if (p[P_VQ].revents && cluster_dispatch_vq(d)) {
			logmsg("lost corosync (votequorum): fencing this node's HA VMs");
			local_fence(d, "lost corosync");
			return 1;
		}
		for (i = 0; i < nl; i++)
			if (p[P_FIXED + i].revents)
				local_exited(d, owner[i]);
		if (p[P_CTL].revents)
			control_accept(d);
		control_read(d);
		if (p[P_TICK].revents) {
			uint64_t ticks;

			if (read(tk_fd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			local_tick(d);
			local_reconcile(d);
			decide(d);
			if (d->synced && now_s() - last_load > LOAD_EVERY_S) {
				struct ha_msg m = {
					.type = MSG_LOAD, .mem_mib = d->cfg.cap_mem_mib,
					.cpus = d->cfg.cap_cpus,
				};

				cluster_send(d, &m);
				last_load = now_s();
			}
		}
		watchdog_update(d);
		cluster_flush(d);
		if (d->shutting_down && !local_count(d))
			return 0;
	}
}

int main(int argc, char **argv)
{
	static struct ha_state state;
	static struct hvxd d;
	int sig_fd, tk_fd, ret;

	if (parse_args(&d.cfg, argc, argv))
		return 2;
	d.state = &state;
	d.watchdog_fd = d.control_fd = d.audit_fd = -1;
	mkdir(d.cfg.state_dir, 0700);
	mkdir(d.cfg.console_dir, 0750);
	if (audit_open(&d) || ha_state_load(&d))
		return 1;
	sig_fd = signal_fd();
	tk_fd = tick_fd();
	if (sig_fd < 0 || tk_fd < 0 || cluster_init(&d))
		return 1;
	if (control_open(&d))
		return 1;
	audit(&d, d.my_nodeid, "start", "-",
	      "memory=%u cpus=%u fence=%.1f watchdog=%s state-version=%llu",
	      d.cfg.cap_mem_mib, d.cfg.cap_cpus, d.cfg.fence_s,
	      d.cfg.watchdog ? d.cfg.watchdog : "none",
	      (unsigned long long)d.state->version);
	/* VMs of a previous hvxd: ours again if the sync says so. */
	local_adopt(&d);
	if (!d.quorate)
		local_fence(&d, "started without quorum");
	ret = run(&d, sig_fd, tk_fd);
	control_close(&d);
	/* VMs left behind (corosync lost): the watchdog stays armed. */
	if (!local_count(&d))
		watchdog_close(&d);
	cluster_fini(&d);
	audit(&d, d.my_nodeid, "exit", "-", "status %d", ret);
	return ret;
}
