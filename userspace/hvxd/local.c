// SPDX-License-Identifier: GPL-2.0
/*
 * This host's HA VMs: one `vmctl run` process each, as a user would start
 * it, watched through a pidfd. What runs here follows the replicated
 * state (local_reconcile): a VM placed here with generation G is started
 * with G; a process whose VM has moved on (another node, a newer
 * generation, removed) is killed. A process is started only when no other
 * process of that VM runs here, so that even locally two never overlap.
 *
 * A pidfile (state_dir/NAME.pid: "PID GEN") outlives hvxd: a restarted
 * hvxd adopts the VMs that still run, and the sync tells it whether they
 * are still its to run. The exit status of an adopted VM is not ours to
 * read (it is not our child): its end counts as a crash.
 *
 * Fencing: when this node loses quorum, every HA VM here is killed at
 * once (local_fence) and none starts until quorum and a sync are back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvxd.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define BACKOFF_MAX_S	30.0

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * Signal a VM through its pidfd: the pid of an adopted VM could have been
 * reused by the time it is signalled; the pidfd names that process only.
 */
static void signal_vm(const struct local_vm *l, int sig)
{
	if (l->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, l->pidfd, sig, NULL, 0);
	else if (l->pid > 0)
		kill(l->pid, sig);
}

struct local_vm *local_find(struct hvxd *d, const char *name)
{
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++)
		if (d->local[i].used && !strcmp(d->local[i].name, name))
			return &d->local[i];
	return NULL;
}

uint32_t local_count(const struct hvxd *d)
{
	uint32_t i, n = 0;

	for (i = 0; i < HVXD_MAX_VMS; i++)
		n += d->local[i].used;
	return n;
}

static struct local_vm *local_new(struct hvxd *d)
{
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++)
		if (!d->local[i].used) {
			memset(&d->local[i], 0, sizeof(d->local[i]));
			d->local[i].used = true;
			d->local[i].pidfd = -1;
			return &d->local[i];
		}
	return NULL;
}

static void pidfile_path(struct hvxd *d, const char *name, char *buf,
			 size_t len)
{
	snprintf(buf, len, "%s/%s.pid", d->cfg.state_dir, name);
}

static void pidfile_write(struct hvxd *d, const struct local_vm *l)
{
	char path[4096];
	FILE *f;

	pidfile_path(d, l->name, path, sizeof(path));
	f = fopen(path, "we");
	if (!f || fprintf(f, "%d %u\n", (int)l->pid, l->gen) < 0)
		logmsg("cannot write %s: %s", path, strerror(errno));
	if (f)
		fclose(f);
}

static void pidfile_remove(struct hvxd *d, const char *name)
{
	char path[4096];

	pidfile_path(d, name, path, sizeof(path));
	unlink(path);
}

static void report(struct hvxd *d, const struct ha_vm *v, uint32_t state,
		   uint32_t restarts, const char *why)
{
	struct ha_msg m = {
		.type = MSG_STATE, .gen = v->gen, .state = state,
		.restarts = restarts,
	};

	/* Also while hvxd stops: the survivors place what it stopped. */
	if (!d->quorate || !d->synced ||
	    !cluster_once(d->reported, v->name, v->gen, state))
		return;
	snprintf(m.name, sizeof(m.name), "%s", v->name);
	snprintf(m.why, sizeof(m.why), "%s", why);
	cluster_send(d, &m);
}

/* Ask for the next generation here (a restart): a PLACE on this node. */
static void place_here(struct hvxd *d, const struct ha_vm *v, const char *why)
{
	struct ha_msg m = { .type = MSG_PLACE, .node = d->my_nodeid, .gen = v->gen };

	if (!cluster_can_act(d) || !cluster_once(d->reported, v->name, v->gen, ONCE_PLACE))
		return;
	snprintf(m.name, sizeof(m.name), "%s", v->name);
	snprintf(m.why, sizeof(m.why), "%s", why);
	cluster_send(d, &m);
}

/*
 * vmctl run's argument vector: --name, --no-console, the definition's
 * options as "--long VALUE", and one --append: the user's command line
 * (or vmctl's default) with hvx_ha.name, .node and .gen added, so that a
 * guest can tell which start it is (the HA tests' guest prints them).
 */
static int build_argv(struct hvxd *d, const struct ha_vm *v, char **argv,
		      char (*longs)[24], char *append, size_t append_len)
{
	static struct ha_def def;
	char err[128];
	uint32_t i;
	int n = 0;

	if (ha_def_parse(v->def, v->def_len, &def, err, sizeof(err))) {
		logmsg("%s: %s", v->name, err);
		return -1;
	}
	argv[n++] = (char *)d->cfg.vmctl;
	argv[n++] = "run";
	argv[n++] = "--name";
	argv[n++] = (char *)v->name;
	argv[n++] = "--no-console";
	for (i = 0; i < def.nr; i++) {
		snprintf(longs[i], sizeof(longs[i]), "--%s",
			 ha_def_opt_name(def.opts[i].code));
		argv[n++] = longs[i];
		if (def.opts[i].val)
			argv[n++] = (char *)def.opts[i].val;
	}
	snprintf(append, append_len, "%s hvx_ha.name=%s hvx_ha.node=%s hvx_ha.gen=%u",
		 def.append ? def.append : "console=ttyS0", v->name,
		 cluster_node_name(d, d->my_nodeid), v->gen);
	argv[n++] = "--append";
	argv[n++] = append;
	argv[n] = NULL;
	return 0;
}

static void start(struct hvxd *d, const struct ha_vm *v)
{
	char *argv[2 * HVXD_MAX_ARGS + 8], append[1024], path[4096];
	char longs[HVXD_MAX_ARGS][24];
	struct local_vm *l;
	int log_fd, null_fd;
	pid_t pid;

	if (watchdog_arm(d)) {
		if (cluster_once(d->reported, v->name, v->gen, ONCE_NO_WATCHDOG))
			audit(d, d->my_nodeid, "not-started", v->name,
			      "gen=%u why=\"the watchdog %s cannot be armed\"",
			      v->gen, d->cfg.watchdog);
		return;
	}
	if (build_argv(d, v, argv, longs, append, sizeof(append)))
		return;
	l = local_new(d);
	if (!l)
		return;
	snprintf(path, sizeof(path), "%s/%s.log", d->cfg.console_dir, v->name);
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log_fd < 0 || null_fd < 0) {
		logmsg("cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0)
		goto fail;
	if (!pid) {
		sigset_t none;

		/* Its own session: it outlives hvxd and its signals. */
		setsid();
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dprintf(log_fd, "hvxd: %s generation %u on %s\n", v->name, v->gen,
			cluster_node_name(d, d->my_nodeid));
		dup2(null_fd, 0);
		dup2(log_fd, 1);
		dup2(log_fd, 2);
		execvp(argv[0], argv);
		dprintf(2, "hvxd: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(log_fd);
	close(null_fd);
	snprintf(l->name, sizeof(l->name), "%s", v->name);
	l->gen = v->gen;
	l->pid = pid;
	l->child = true;
	l->started = now_s();
	l->pidfd = pidfd_open(pid);
	if (l->pidfd < 0) {
		/* Unwatchable: it must not run unsupervised. */
		logmsg("%s: pidfd_open: %s", v->name, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		l->used = false;
		return;
	}
	pidfile_write(d, l);
	watchdog_update(d);
	audit(d, d->my_nodeid, "started", v->name, "gen=%u pid=%d", v->gen, (int)pid);
	report(d, v, HA_RUNNING, v->restarts, "vmctl run started");
	return;
fail:
	if (log_fd >= 0)
		close(log_fd);
	if (null_fd >= 0)
		close(null_fd);
	l->used = false;
}

static void kill_vm(struct hvxd *d, struct local_vm *l, const char *why)
{
	if (l->killing)
		return;
	signal_vm(l, SIGKILL);
	l->killing = true;
	audit(d, d->my_nodeid, "killed", l->name, "gen=%u pid=%d why=\"%s\"",
	      l->gen, (int)l->pid, why);
}

/* A graceful stop: vmctl stops the guest on SIGTERM; SIGKILL after the timeout. */
static void stop_vm(struct hvxd *d, struct local_vm *l, const char *why)
{
	if (l->stopping || l->killing)
		return;
	signal_vm(l, SIGTERM);
	l->stopping = true;
	l->stop_deadline = now_s() + d->cfg.stop_timeout_s;
	audit(d, d->my_nodeid, "stopping", l->name, "gen=%u pid=%d why=\"%s\"",
	      l->gen, (int)l->pid, why);
}

static struct pending_restart *pending_find(struct hvxd *d, const char *name)
{
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++)
		if (d->restarts[i].used && !strcmp(d->restarts[i].name, name))
			return &d->restarts[i];
	return NULL;
}

static void schedule_restart(struct hvxd *d, const struct ha_vm *v, double delay)
{
	struct pending_restart *p = pending_find(d, v->name);
	int i;

	for (i = 0; !p && i < HVXD_MAX_VMS; i++)
		if (!d->restarts[i].used)
			p = &d->restarts[i];
	if (!p)
		return;
	p->used = true;
	snprintf(p->name, sizeof(p->name), "%s", v->name);
	p->gen = v->gen;
	p->at = now_s() + delay;
}

static double backoff(uint32_t restarts)
{
	double s = 1.0;

	while (restarts-- > 1 && s < BACKOFF_MAX_S)
		s *= 2;
	return s < BACKOFF_MAX_S ? s : BACKOFF_MAX_S;
}

void local_reconcile(struct hvxd *d)
{
	char why[HVXD_WHY_MAX];
	struct local_vm *l;
	uint32_t i;
	int what;

	if (!cluster_can_act(d))
		return;
	for (i = 0; i < HVXD_MAX_VMS; i++) {
		struct ha_vm *v;

		l = &d->local[i];
		if (!l->used || l->killing)
			continue;
		v = ha_vm_find(d->state, l->name);
		if (!v)
			stop_vm(d, l, "no longer an HA VM");
		else if (v->node != d->my_nodeid || v->gen != l->gen) {
			snprintf(why, sizeof(why), "stale: generation %u runs on %s",
				 v->gen, cluster_node_name(d, v->node));
			kill_vm(d, l, why);
		} else if (v->target && v->target != d->my_nodeid) {
			snprintf(why, sizeof(why), "relocation to %s",
				 cluster_node_name(d, v->target));
			stop_vm(d, l, why);
		}
	}
	for (i = 0; i < d->state->nr_vms; i++) {
		struct ha_vm *v = &d->state->vms[i];

		if (v->node != d->my_nodeid || local_find(d, v->name))
			continue;
		switch (v->state) {
		case HA_STARTING:
			start(d, v);
			break;
		case HA_RUNNING:
			/*
			 * Ours, and not running: fenced, or it ended while
			 * hvxd was away; unless its end is being reported.
			 */
			what = cluster_sent(d->reported, v->name, v->gen);
			if (what < 0 || what == HA_RUNNING || what == ONCE_PLACE)
				place_here(d, v, "not running on its node: started again");
			break;
		case HA_CRASHED:
			if (!pending_find(d, v->name))
				schedule_restart(d, v, backoff(v->restarts));
			break;
		}
	}
}

/* The process of l ended: reap it and tell the cluster how. */
void local_exited(struct hvxd *d, struct local_vm *l)
{
	siginfo_t si = { 0 };
	struct ha_vm *v = ha_vm_find(d->state, l->name);
	double ran = now_s() - l->started;
	char why[HVXD_WHY_MAX], status[48] = "unknown (adopted)";
	bool powered_off = false;
	uint32_t restarts;

	if (l->child && !waitid(P_PIDFD, (id_t)l->pidfd, &si, WEXITED)) {
		if (si.si_code == CLD_EXITED)
			snprintf(status, sizeof(status), "exit status %d", si.si_status);
		else
			snprintf(status, sizeof(status), "signal %d", si.si_status);
		powered_off = si.si_code == CLD_EXITED && si.si_status == 0;
	}
	if (l->pidfd >= 0)
		close(l->pidfd);
	pidfile_remove(d, l->name);
	audit(d, d->my_nodeid, "exited", l->name, "gen=%u pid=%d %s after %.1f s",
	      l->gen, (int)l->pid, status, ran);
	l->used = false;
	/* Killed as stale or fenced: nothing to report (a stop is one still). */
	if (!v || v->gen != l->gen || v->node != d->my_nodeid ||
	    (l->killing && !l->stopping)) {
		local_reconcile(d);
		watchdog_update(d);
		return;
	}
	if (l->stopping)
		report(d, v, HA_STOPPED, 0, v->target ? "stopped for its relocation" :
		       "stopped: hvxd is stopping");
	else if (powered_off)
		report(d, v, HA_POWERED_OFF, 0, "the guest powered off");
	else {
		restarts = ran >= d->cfg.stable_s ? 1 : v->restarts + 1;
		if (restarts > d->cfg.max_restarts) {
			snprintf(why, sizeof(why),
				 "crashed (%s) %u times in a row: restart limit %u",
				 status, restarts, d->cfg.max_restarts);
			report(d, v, HA_FAILED, restarts, why);
		} else {
			snprintf(why, sizeof(why), "crashed (%s) after %.1f s: restart %u of %u in %.0f s",
				 status, ran, restarts, d->cfg.max_restarts,
				 backoff(restarts));
			report(d, v, HA_CRASHED, restarts, why);
		}
	}
	watchdog_update(d);
}

void local_tick(struct hvxd *d)
{
	double now = now_s();
	char why[HVXD_WHY_MAX];
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++) {
		struct local_vm *l = &d->local[i];

		if (l->used && l->stopping && !l->killing && now >= l->stop_deadline)
			kill_vm(d, l, "did not stop in time");
	}
	for (i = 0; i < HVXD_MAX_VMS; i++) {
		struct pending_restart *p = &d->restarts[i];
		struct ha_vm *v;

		if (!p->used || now < p->at)
			continue;
		v = ha_vm_find(d->state, p->name);
		if (!v || v->gen != p->gen || v->state != HA_CRASHED ||
		    v->node != d->my_nodeid) {
			p->used = false;
			continue;
		}
		if (!cluster_can_act(d))
			continue;
		snprintf(why, sizeof(why), "restart %u of %u after a crash",
			 v->restarts, d->cfg.max_restarts);
		place_here(d, v, why);
		p->used = false;
	}
}

void local_fence(struct hvxd *d, const char *why)
{
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++) {
		if (d->local[i].used)
			kill_vm(d, &d->local[i], why);
		d->restarts[i].used = false;
	}
}

void local_shutdown(struct hvxd *d)
{
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++)
		if (d->local[i].used)
			stop_vm(d, &d->local[i], "hvxd is stopping");
}

/* Is pid a vmctl running NAME? (Its pidfile may be older than a reboot.) */
static bool is_vmctl_of(pid_t pid, const char *name)
{
	char path[64], buf[4096];
	const char *a;
	bool run = false, named = false, vmctl = false;
	int word = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	for (a = buf; a < buf + len; a += strlen(a) + 1, word++) {
		/* argv[0] is vmctl, or argv[1] if vmctl is a script */
		if (word < 2 && strstr(a, "vmctl"))
			vmctl = true;
		if (!strcmp(a, "run"))
			run = true;
		if (!strcmp(a, "--name") && a + strlen(a) + 1 < buf + len &&
		    !strcmp(a + strlen(a) + 1, name))
			named = true;
	}
	return run && named && vmctl;
}

/* At start: take back the VMs that a previous hvxd started and that still run. */
void local_adopt(struct hvxd *d)
{
	DIR *dir = opendir(d->cfg.state_dir);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char name[HVXD_NAME_MAX + 1], path[4096];
		size_t n = strlen(e->d_name);
		struct local_vm *l;
		unsigned int gen;
		FILE *f;
		int pid;

		if (n < 5 || n - 4 > HVXD_NAME_MAX || strcmp(e->d_name + n - 4, ".pid"))
			continue;
		memcpy(name, e->d_name, n - 4);
		name[n - 4] = '\0';
		pidfile_path(d, name, path, sizeof(path));
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%d %u", &pid, &gen) != 2 || pid <= 0 ||
		    !is_vmctl_of(pid, name) || !(l = local_new(d))) {
			fclose(f);
			unlink(path);
			continue;
		}
		fclose(f);
		snprintf(l->name, sizeof(l->name), "%s", name);
		l->gen = gen;
		l->pid = pid;
		l->started = now_s();
		l->pidfd = pidfd_open(pid);
		if (l->pidfd < 0) {
			l->used = false;
			continue;
		}
		audit(d, d->my_nodeid, "adopted", name, "gen=%u pid=%d", gen, pid);
	}
	closedir(dir);
	watchdog_update(d);
}
