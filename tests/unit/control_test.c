// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's per-VM control socket (userspace/vmctl/
 * control.c, control_client.c) and of the list, info and stop commands
 * built on it, without /dev/hvx: the server runs in this process with
 * fake vmctl_control_ops, in a mkdtemp() run directory named by
 * HVX_RUN_DIR. A second server, when a case needs one, is a forked child.
 *
 * Prints TAP, in the format of unit_test.c, and exits non-zero if any case
 * failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/control.h"
#include "unit.h"
#include "vmctl.h"

/* --- helpers ------------------------------------------------------------ */

static char tmpdir[] = "/tmp/hvx-control-test.XXXXXX";

static char *sock_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s.sock", tmpdir, name);
	return path;
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket file that nobody listens on: what a killed VM leaves behind. */
static void make_stale(const char *name)
{
	struct sockaddr_un addr;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || vmctl_control_addr(name, &addr) || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("make_stale");
		exit(2);
	}
	close(fd);
}

/*
 * Run @fn with stdout and stderr going to a file, then give what they got
 * in @out: the commands' and the server's messages are part of the test.
 */
static char capture_file[300];
static int saved_fds[2] = { -1, -1 };

static void capture_begin(void)
{
	int fd;

	snprintf(capture_file, sizeof(capture_file), "%s/capture", tmpdir);
	fflush(stdout);
	fflush(stderr);
	fd = open(capture_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved_fds[0] = dup(STDOUT_FILENO);
	saved_fds[1] = dup(STDERR_FILENO);
	if (fd < 0 || saved_fds[0] < 0 || saved_fds[1] < 0) {
		perror("capture");
		exit(2);
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void capture_end(char *out, size_t len)
{
	FILE *f;
	size_t n = 0;

	fflush(stdout);
	fflush(stderr);
	dup2(saved_fds[0], STDOUT_FILENO);
	dup2(saved_fds[1], STDERR_FILENO);
	close(saved_fds[0]);
	close(saved_fds[1]);
	f = fopen(capture_file, "r");
	if (f) {
		n = fread(out, 1, len - 1, f);
		fclose(f);
	}
	out[n] = '\0';
}

/* A vmctl command as main() would run it, with its output in @out. */
static int run_cmd(const struct vmctl_cmd *cmd, char *out, size_t len,
		   int argc, char **argv)
{
	int ret;

	optind = 0;	/* getopt starts over */
	capture_begin();
	ret = cmd->run(argc, argv);
	capture_end(out, len);
	return ret;
}

/* --- the fake VM ------------------------------------------------------------ */

enum fake_mode {
	FAKE_IGNORE,	/* the guest does not react */
	FAKE_STOPS,	/* the VM ends (vmctl_control_stop()) 200 ms later */
};

static struct fake {
	atomic_int info, power, force;
	/*
	 * With counters: each info also gives a pid (ours), 2 vCPUs and
	 * counters that grow by a fixed step a call, for vmctl top.
	 */
	bool counters;
	const char *cgroup;	/* what info says it is; NULL: "none" */
	atomic_int balloon_calls;
	unsigned long long balloon_mib;
	enum fake_mode power_mode, force_mode;
	pthread_t stopper;
	atomic_bool stopper_started;
} fake;

static void *stopper(void *arg)
{
	sleep_ms(200);
	vmctl_control_stop();
	return NULL;
}

static void fake_maybe_stop(enum fake_mode mode)
{
	bool no = false;

	/* From the control thread: it must not join itself, hence a thread. */
	if (mode == FAKE_STOPS &&
	    atomic_compare_exchange_strong(&fake.stopper_started, &no, true))
		pthread_create(&fake.stopper, NULL, stopper, NULL);
}

static void fake_info(void *opaque, FILE *out)
{
	atomic_fetch_add(&fake.info, 1);
	unsigned long long k;

	if (!fake.counters) {
		fprintf(out, "state: running\nvcpus: 1\nmemory_mib: 256\n"
			     "cmdline: console=ttyS0 quiet\n");
		return;
	}
	k = atomic_load(&fake.info);
	fprintf(out, "state: running\npid: %d\nvcpus: 2\nmemory_mib: 256\n"
		     "cgroup: %s\nnic0_rx_bytes: %llu\nnic0_tx_bytes: 0\n"
		     "exits: %llu\nexits_by_reason: io=%llu hlt=%llu cpuid=7\n",
		(int)getpid(), fake.cgroup ? fake.cgroup : "none", k * 1000000,
		k * 3000, k * 2000, k * 1000);
}

static const char *fake_balloon(void *opaque, unsigned long long mib)
{
	atomic_fetch_add(&fake.balloon_calls, 1);
	if (mib > 256)
		return "more than the VM's memory";
	fake.balloon_mib = mib;
	return NULL;
}

static void fake_power_button(void *opaque)
{
	atomic_fetch_add(&fake.power, 1);
	fake_maybe_stop(fake.power_mode);
}

static void fake_force_stop(void *opaque)
{
	atomic_fetch_add(&fake.force, 1);
	fake_maybe_stop(fake.force_mode);
}

static const struct vmctl_control_ops fake_ops = {
	.info = fake_info,
	.power_button = fake_power_button,
	.force_stop = fake_force_stop,
	.balloon = fake_balloon,
};

static void fake_reset(enum fake_mode power, enum fake_mode force)
{
	atomic_store(&fake.info, 0);
	atomic_store(&fake.power, 0);
	atomic_store(&fake.force, 0);
	fake.power_mode = power;
	fake.force_mode = force;
	atomic_store(&fake.stopper_started, false);
}

/* After a case whose fake stopped the server: let the stopper finish. */
static void fake_join(void)
{
	if (atomic_load(&fake.stopper_started))
		pthread_join(fake.stopper, NULL);
	atomic_store(&fake.stopper_started, false);
}

static int start_quiet(const char *name, char *out, size_t len)
{
	int ret;

	capture_begin();
	ret = vmctl_control_start(name, &fake_ops, NULL);
	capture_end(out, len);
	return ret;
}

/*
 * A server in a child process, as a second `vmctl run` would be: the pid,
 * once its socket is up.
 */
static pid_t child_server(const char *name)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd)) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (!pid) {
		/* Don't outlive a test run that aborts before kill_child(). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		c = vmctl_control_start(name, &fake_ops, NULL) ? 'n' : 'y';
		if (write(pfd[1], &c, 1) != 1 || c != 'y')
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1 || c != 'y') {
		fprintf(stderr, "child server %s did not start\n", name);
		exit(2);
	}
	close(pfd[0]);
	return pid;
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- cases ----------------------------------------------------------------- */

static void test_names(void)
{
	static const char *const good[] = {
		"a", "vm1234", "web-1.prod_x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
		"...", ".a",
	};
	static const char *const bad[] = {
		"", "a/b", "../x", "a b", "vm\n", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
		"caf\xc3\xa9", ".", "..",
	};
	char out[1024];
	struct tcase tc;
	size_t i;

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(good); i++)
		check(&tc, vmctl_control_name_valid(good[i]), "'%s' refused",
		      good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		check(&tc, !vmctl_control_name_valid(bad[i]), "'%s' accepted",
		      bad[i]);
	check(&tc, start_quiet("a/b", out, sizeof(out)) == -1,
	      "start accepted 'a/b'");
	check(&tc, strstr(out, "bad VM name") != NULL, "message: %s", out);
	check(&tc, !exists(sock_path("a/b")), "a socket was made");
	case_end(&tc, "control: names are [A-Za-z0-9_.-]{1,32}, not . or .. (a cgroup's name too)");
}

static void test_run_dir(void)
{
	char saved[sizeof(tmpdir)], dir[sizeof(tmpdir) + 16], out[1024];
	struct stat st;
	struct tcase tc;

	case_begin(&tc);
	strcpy(saved, tmpdir);
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	setenv("HVX_RUN_DIR", "", 1);
	check(&tc, !strcmp(vmctl_run_dir(), "/run/hvx"),
	      "empty HVX_RUN_DIR gives %s", vmctl_run_dir());
	setenv("HVX_RUN_DIR", dir, 1);
	check(&tc, start_quiet("d", out, sizeof(out)) == 0, "start: %s", out);
	check(&tc, !stat(dir, &st) && S_ISDIR(st.st_mode) &&
		   (st.st_mode & 07777) == 0700,
	      "run dir not created 0700 (mode %o)", st.st_mode & 07777);
	snprintf(dir, sizeof(dir), "%s/run/d.sock", tmpdir);
	check(&tc, !stat(dir, &st) && S_ISSOCK(st.st_mode) &&
		   (st.st_mode & 0777) == 0600,
	      "socket not there or not 0600 (mode %o)", st.st_mode & 0777);
	vmctl_control_stop();
	check(&tc, !exists(dir), "socket left after stop");
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	rmdir(dir);
	setenv("HVX_RUN_DIR", saved, 1);
	case_end(&tc, "control: run dir from HVX_RUN_DIR, created 0700, socket 0600");
}

static void test_requests(void)
{
	char out[1024], err[256], buf[64], *reply = NULL;
	enum vmctl_call_status st;
	struct tcase tc;

	case_begin(&tc);
	fake_reset(FAKE_IGNORE, FAKE_IGNORE);
	check(&tc, start_quiet("t1", out, sizeof(out)) == 0, "start: %s", out);
	check(&tc, exists(sock_path("t1")), "no socket");

	st = vmctl_control_call("t1", "info", &reply, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_OK, "info: status %d, %s", st, err);
	check(&tc, reply && !strcmp(reply,
		   "name: t1\nstate: running\nvcpus: 1\nmemory_mib: 256\n"
		   "cmdline: console=ttyS0 quiet\n"),
	      "info reply: '%s'", reply ? reply : "(null)");
	check(&tc, reply && vmctl_reply_get(reply, "cmdline", buf, sizeof(buf)) &&
		   !strcmp(buf, "console=ttyS0 quiet"),
	      "reply_get cmdline");
	check(&tc, reply && !vmctl_reply_get(reply, "state:", buf, sizeof(buf)) &&
		   !vmctl_reply_get(reply, "stat", buf, sizeof(buf)),
	      "reply_get matched a partial key");
	free(reply);
	check(&tc, fake.info == 1 && fake.power == 0 && fake.force == 0,
	      "info: calls info %d power %d force %d", fake.info, fake.power,
	      fake.force);

	st = vmctl_control_call("t1", "powerdown", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_OK, "powerdown: status %d, %s", st, err);
	check(&tc, fake.power == 1 && fake.force == 0,
	      "powerdown: power_button %d, force_stop %d", fake.power, fake.force);

	st = vmctl_control_call("t1", "quit", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_OK, "quit: status %d, %s", st, err);
	check(&tc, fake.power == 1 && fake.force == 1,
	      "quit: power_button %d, force_stop %d", fake.power, fake.force);

	st = vmctl_control_call("t1", "reboot", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_REFUSED && strstr(err, "unknown request 'reboot'"),
	      "unknown request: status %d, %s", st, err);
	check(&tc, exists(sock_path("t1")), "socket gone while serving");
	case_end(&tc, "control: info, powerdown (power_button once), quit (force_stop), unknown");
}

/* A client that connects and says nothing holds the server only so long. */
static void test_stuck_client(void)
{
	struct sockaddr_un addr;
	char err[256];
	enum vmctl_call_status st;
	unsigned long long t0;
	struct tcase tc;
	int fd;

	case_begin(&tc);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	vmctl_control_addr("t1", &addr);
	check(&tc, fd >= 0 && !connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
	      "connect: %s", strerror(errno));
	t0 = now_ms();
	st = vmctl_control_call("t1", "info", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_OK, "info behind a stuck client: status %d, %s",
	      st, err);
	check(&tc, now_ms() - t0 < 4000, "took %llu ms", now_ms() - t0);
	close(fd);
	case_end(&tc, "control: a silent client times out, the next one is served");
}

static void test_peercred(void)
{
	char err[256];
	enum vmctl_call_status st;
	struct tcase tc;
	int status;
	pid_t pid;

	if (geteuid()) {
		skip("control: another uid is refused (SO_PEERCRED)",
		     "needs root to switch uid");
		return;
	}
	case_begin(&tc);
	/* Let uid 65534 reach the socket so that only the server stops it. */
	chmod(tmpdir, 0755);
	chmod(sock_path("t1"), 0666);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		st = vmctl_control_call("t1", "quit", NULL, err, sizeof(err));
		_exit(st == VMCTL_CALL_REFUSED && strstr(err, "permission denied") ?
		      0 : 20 + st);
	}
	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	check(&tc, WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child exit status %#x", status);
	check(&tc, fake.force == 1, "force_stop called %d times (1 before)",
	      fake.force);
	chmod(sock_path("t1"), 0600);
	chmod(tmpdir, 0700);
	case_end(&tc, "control: another uid is refused (SO_PEERCRED)");
}

static void test_in_use_and_stale(void)
{
	char out[1024], err[256];
	enum vmctl_call_status st;
	struct tcase tc;
	pid_t pid;

	case_begin(&tc);
	/* In this process: one server only. */
	check(&tc, start_quiet("t2", out, sizeof(out)) == -1,
	      "a second start in one process succeeded");

	vmctl_control_stop();	/* t1; and a forked child must start clean */
	pid = child_server("dup");
	check(&tc, start_quiet("dup", out, sizeof(out)) == -1,
	      "took the name of a live VM");
	check(&tc, strstr(out, "already running") != NULL, "message: %s", out);
	st = vmctl_control_call("dup", "info", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_OK, "the live VM broken: status %d, %s", st,
	      err);

	kill_child(pid);	/* SIGKILL: its socket stays, stale */
	check(&tc, exists(sock_path("dup")), "no stale socket left to test");
	check(&tc, start_quiet("dup", out, sizeof(out)) == 0,
	      "stale socket not replaced: %s", out);
	st = vmctl_control_call("dup", "info", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_OK, "after replacing: status %d, %s", st, err);

	vmctl_control_stop();
	check(&tc, !exists(sock_path("dup")), "socket left after stop");
	vmctl_control_stop();	/* twice: harmless */
	make_stale("old");
	check(&tc, start_quiet("old", out, sizeof(out)) == 0,
	      "bound-but-closed socket not replaced: %s", out);
	vmctl_control_stop();
	check(&tc, !exists(sock_path("old")), "socket left after stop");
	case_end(&tc, "control: a live name is refused, a stale socket replaced, stop removes it");
}

static void test_client_missing(void)
{
	char out[2048], err[256], *reply = (char *)"x";
	char *info_argv[] = { "info", "nope", NULL };
	char *info_bad[] = { "info", "no/pe", NULL };
	char *info_none[] = { "info", NULL };
	char *stop_argv[] = { "stop", "nope", NULL };
	char *stop_bad[] = { "stop", "x", "--timeout", "soon", NULL };
	char *list_argv[] = { "list", NULL };
	char *help_argv[] = { "stop", "--help", NULL };
	enum vmctl_call_status st;
	struct tcase tc;
	int ret;

	case_begin(&tc);
	st = vmctl_control_call("nope", "info", &reply, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_NO_VM && !reply, "missing: status %d", st);
	check(&tc, !strcmp(err, "no VM named nope (see vmctl list)"),
	      "missing: '%s'", err);
	check(&tc, !vmctl_control_alive("nope"), "missing VM alive");

	make_stale("gone");
	st = vmctl_control_call("gone", "info", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_NO_VM, "stale: status %d", st);
	check(&tc, !exists(sock_path("gone")), "stale socket not removed");

	st = vmctl_control_call("a/b", "info", NULL, err, sizeof(err));
	check(&tc, st == VMCTL_CALL_IO, "bad name: status %d", st);

	ret = run_cmd(&vmctl_cmd_info, out, sizeof(out), 2, info_argv);
	check(&tc, ret == VMCTL_ERR, "info nope: exit %d", ret);
	check(&tc, strstr(out, "no VM named nope (see vmctl list)") != NULL,
	      "info nope said: %s", out);
	ret = run_cmd(&vmctl_cmd_info, out, sizeof(out), 2, info_bad);
	check(&tc, ret == VMCTL_USAGE, "info no/pe: exit %d", ret);
	ret = run_cmd(&vmctl_cmd_info, out, sizeof(out), 1, info_none);
	check(&tc, ret == VMCTL_USAGE, "info without NAME: exit %d", ret);
	ret = run_cmd(&vmctl_cmd_stop, out, sizeof(out), 2, stop_argv);
	check(&tc, ret == VMCTL_ERR && strstr(out, "no VM named nope"),
	      "stop nope: exit %d, %s", ret, out);
	ret = run_cmd(&vmctl_cmd_stop, out, sizeof(out), 4, stop_bad);
	check(&tc, ret == VMCTL_USAGE, "stop --timeout soon: exit %d", ret);
	ret = run_cmd(&vmctl_cmd_stop, out, sizeof(out), 2, help_argv);
	check(&tc, ret == VMCTL_OK && strstr(out, "usage: vmctl stop"),
	      "stop --help: exit %d", ret);

	make_stale("gone");
	ret = run_cmd(&vmctl_cmd_list, out, sizeof(out), 1, list_argv);
	check(&tc, ret == VMCTL_OK, "list with none: exit %d", ret);
	check(&tc, !strncmp(out, "NAME ", 5) && !strchr(out, '\n')[1],
	      "list with none printed: %s", out);
	check(&tc, !exists(sock_path("gone")), "list left the stale socket");
	case_end(&tc, "client: a missing or stale VM is 'no VM named', usage errors exit 2");
}

static void test_list_info(void)
{
	char out[2048];
	char *list_argv[] = { "list", NULL };
	char *info_argv[] = { "info", "web", NULL };
	struct tcase tc;
	pid_t pid;
	int ret;

	case_begin(&tc);
	fake_reset(FAKE_IGNORE, FAKE_IGNORE);
	pid = child_server("db");
	check(&tc, start_quiet("web", out, sizeof(out)) == 0, "start: %s", out);
	make_stale("zombie");
	ret = run_cmd(&vmctl_cmd_list, out, sizeof(out), 1, list_argv);
	check(&tc, ret == VMCTL_OK, "list: exit %d", ret);
	check(&tc, strstr(out, "NAME") == out &&
		   strstr(out, "\ndb ") && strstr(out, "\nweb ") &&
		   strstr(out, "\ndb ") < strstr(out, "\nweb ") &&
		   strstr(out, "running") && strstr(out, "256 MiB") &&
		   !strstr(out, "zombie"),
	      "list printed:\n%s", out);
	check(&tc, !exists(sock_path("zombie")), "stale socket kept");

	ret = run_cmd(&vmctl_cmd_info, out, sizeof(out), 2, info_argv);
	check(&tc, ret == VMCTL_OK, "info web: exit %d", ret);
	check(&tc, !strcmp(out, "name: web\nstate: running\nvcpus: 1\n"
			       "memory_mib: 256\ncmdline: console=ttyS0 quiet\n"),
	      "info printed:\n%s", out);
	vmctl_control_stop();
	kill_child(pid);
	unlink(sock_path("db"));
	case_end(&tc, "list: live VMs sorted with state and memory, stale ones dropped; info prints the lines");
}

/*
 * vmctl top over a VM whose counters grow by a known step between its two
 * samples (one info call each): exits/s and bytes/s are the step over the
 * interval, the reasons ordered by how much they grew (cpuid did not),
 * memory the process's (ours).
 */
static void test_top(void)
{
	char out[4096], rate[32];
	char *json_argv[] = { "top", "--json", "--interval", "0.5", NULL };
	char *once_argv[] = { "top", "--once", "-i", "0.2", NULL };
	char *bad_argv[] = { "top", "--interval", "0", NULL };
	struct tcase tc;
	const char *p;
	double eps;
	int ret;

	case_begin(&tc);
	fake_reset(FAKE_IGNORE, FAKE_IGNORE);
	fake.counters = true;
	check(&tc, start_quiet("vmA", out, sizeof(out)) == 0, "start: %s", out);
	ret = run_cmd(&vmctl_cmd_top, out, sizeof(out), 4, json_argv);
	check(&tc, ret == VMCTL_OK, "top --json: exit %d", ret);
	p = strstr(out, "\"exits_per_s\": ");
	eps = p ? atof(p + 15) : 0;
	/* One step of 3000 exits over 0.5 s and a little more. */
	check(&tc, eps > 4000 && eps <= 6000, "exits/s %.0f:\n%s", eps, out);
	check(&tc, strstr(out, "\"name\": \"vmA\", \"answered\": true") &&
	      strstr(out, "\"vcpus\": 2,") &&
	      strstr(out, "\"top_exits_per_s\": {\"io\": ") &&
	      strstr(out, ", \"hlt\": ") && !strstr(out, "cpuid"),
	      "top --json printed:\n%s", out);
	p = strstr(out, "\"rss_kib\": ");
	check(&tc, p && atoll(p + 11) > 0, "no resident memory:\n%s", out);
	p = strstr(out, "\"net_rx_bytes_per_s\": ");
	snprintf(rate, sizeof(rate), "%.0f", p ? atof(p + 22) : 0);
	check(&tc, p && atof(p + 22) > 1.6e6 && atof(p + 22) <= 2e6,
	      "rx bytes/s %s", rate);
	ret = run_cmd(&vmctl_cmd_top, out, sizeof(out), 4, once_argv);
	check(&tc, ret == VMCTL_OK && strstr(out, "NAME") == out &&
	      strstr(out, "\nvmA ") && strstr(out, "io="), "top --once: exit %d:\n%s",
	      ret, out);
	ret = run_cmd(&vmctl_cmd_top, out, sizeof(out), 3, bad_argv);
	check(&tc, ret == VMCTL_USAGE && strstr(out, "bad interval"),
	      "--interval 0: exit %d: %s", ret, out);
	vmctl_control_stop();
	fake.counters = false;
	case_end(&tc, "top: exits/s, bytes/s and the top reasons from two samples; JSON and table; bad interval refused");
}

static void test_stats(void)
{
	char out[8192];
	char *prom_argv[] = { "stats", "--prometheus", NULL };
	char *named_argv[] = { "stats", "vmA", "nope", NULL };
	struct tcase tc;
	int ret;

	case_begin(&tc);
	fake_reset(FAKE_IGNORE, FAKE_IGNORE);
	fake.counters = true;
	check(&tc, start_quiet("vmA", out, sizeof(out)) == 0, "start: %s", out);
	ret = run_cmd(&vmctl_cmd_stats, out, sizeof(out), 2, prom_argv);
	check(&tc, ret == VMCTL_OK, "stats --prometheus: exit %d", ret);
	check(&tc, strstr(out, "hvx_vm_up{vm=\"vmA\"} 1\n") &&
	      strstr(out, "hvx_vm_vcpus{vm=\"vmA\"} 2\n") &&
	      strstr(out, "hvx_vm_memory_bytes{vm=\"vmA\"} 268435456\n") &&
	      strstr(out, "hvx_vm_exits_by_reason_total{vm=\"vmA\",reason=\"cpuid\"} 7\n") &&
	      strstr(out, "# TYPE hvx_vm_exits_total counter\nhvx_vm_exits_total{vm=\"vmA\"} "),
	      "stats --prometheus printed:\n%s", out);
	ret = run_cmd(&vmctl_cmd_stats, out, sizeof(out), 3, named_argv);
	check(&tc, ret == VMCTL_ERR && strstr(out, "vmA hvx_vm_up 1\n") &&
	      strstr(out, "nope hvx_vm_up 0\n") && strstr(out, "vmA hvx_vm_vcpus 2\n"),
	      "stats vmA nope: exit %d:\n%s", ret, out);
	vmctl_control_stop();
	fake.counters = false;
	case_end(&tc, "stats: the VM's counters in Prometheus's format and as lines; a VM named that is not there is status 1");
}

/*
 * vmctl set writes only the cgroup that a VM of that name gets: a VM that
 * names another path (its word, and vmctl set may be root) is refused
 * before anything is written; one without a cgroup says so.
 */
static void test_set_cmd(void)
{
	char out[1024], dir[300], file[340], buf[16] = "";
	char *argv[] = { "set", "c", "--cpu-weight", "5", NULL };
	struct tcase tc;
	FILE *f;
	int ret;

	case_begin(&tc);
	fake_reset(FAKE_IGNORE, FAKE_IGNORE);
	fake.counters = true;
	snprintf(dir, sizeof(dir), "%s/cg", tmpdir);
	snprintf(file, sizeof(file), "%s/cpu.weight", dir);
	mkdir(dir, 0700);
	f = fopen(file, "w");
	if (f) {
		fputs("100", f);
		fclose(f);
	}
	check(&tc, start_quiet("c", out, sizeof(out)) == 0, "start: %s", out);
	ret = run_cmd(&vmctl_cmd_set, out, sizeof(out), 4, argv);
	check(&tc, ret == VMCTL_ERR && strstr(out, "no cgroup of its own"),
	      "no cgroup: exit %d: %s", ret, out);
	fake.cgroup = dir;
	ret = run_cmd(&vmctl_cmd_set, out, sizeof(out), 4, argv);
	check(&tc, ret == VMCTL_ERR && strstr(out, "refused"),
	      "a foreign path: exit %d: %s", ret, out);
	f = fopen(file, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	check(&tc, !strcmp(buf, "100"), "cpu.weight written: '%s'", buf);
	vmctl_control_stop();
	fake.cgroup = NULL;
	fake.counters = false;
	unlink(file);
	rmdir(dir);
	case_end(&tc, "set: only the VM's own hvx.slice cgroup is written; a foreign path and no cgroup refused");
}

/* vmctl balloon NAME MIB: the request on the socket, and its refusals. */
static void test_balloon_cmd(void)
{
	char out[1024];
	char *ok_argv[] = { "balloon", "b", "64", NULL };
	char *big_argv[] = { "balloon", "b", "300", NULL };
	char *bad_argv[] = { "balloon", "b", "6x", NULL };
	char *none_argv[] = { "balloon", "nosuch", "1", NULL };
	struct tcase tc;
	int ret;

	case_begin(&tc);
	fake_reset(FAKE_IGNORE, FAKE_IGNORE);
	atomic_store(&fake.balloon_calls, 0);
	check(&tc, start_quiet("b", out, sizeof(out)) == 0, "start: %s", out);
	ret = run_cmd(&vmctl_cmd_balloon, out, sizeof(out), 3, ok_argv);
	check(&tc, ret == VMCTL_OK && fake.balloon_mib == 64, "64: exit %d, target %llu: %s",
	      ret, fake.balloon_mib, out);
	ret = run_cmd(&vmctl_cmd_balloon, out, sizeof(out), 3, big_argv);
	check(&tc, ret == VMCTL_ERR && strstr(out, "more than the VM's memory"),
	      "300: exit %d: %s", ret, out);
	ret = run_cmd(&vmctl_cmd_balloon, out, sizeof(out), 3, bad_argv);
	check(&tc, ret == VMCTL_USAGE && strstr(out, "bad size"), "6x: exit %d: %s",
	      ret, out);
	ret = run_cmd(&vmctl_cmd_balloon, out, sizeof(out), 3, none_argv);
	check(&tc, ret == VMCTL_ERR && strstr(out, "nosuch"), "nosuch: exit %d: %s",
	      ret, out);
	check(&tc, atomic_load(&fake.balloon_calls) == 2, "%d balloon calls, want 2",
	      atomic_load(&fake.balloon_calls));
	vmctl_control_stop();
	case_end(&tc, "balloon: the target reaches the VM; too much, a bad size, no such VM refused");
}

static void test_stop(const char *what, enum fake_mode power,
		      enum fake_mode force, bool force_flag,
		      enum vmctl_stop_result want, int want_power,
		      int want_force)
{
	enum vmctl_stop_result got;
	char out[1024];
	struct tcase tc;

	case_begin(&tc);
	fake_reset(power, force);
	check(&tc, start_quiet("s", out, sizeof(out)) == 0, "start: %s", out);
	capture_begin();
	got = vmctl_stop_vm("s", 1000, 1000, force_flag);
	capture_end(out, sizeof(out));
	check(&tc, got == want, "result %d, want %d; said: %s", got, want, out);
	check(&tc, fake.power == want_power && fake.force == want_force,
	      "power_button %d (want %d), force_stop %d (want %d)",
	      fake.power, want_power, fake.force, want_force);
	fake_join();
	vmctl_control_stop();
	check(&tc, !exists(sock_path("s")), "socket left");
	case_end(&tc, "stop: %s", what);
}

static void test_stop_cmd(void)
{
	char *argv[] = { "stop", "s", "--timeout", "5", NULL };
	char out[1024], start[1024];
	struct tcase tc;
	int ret;

	case_begin(&tc);
	fake_reset(FAKE_STOPS, FAKE_IGNORE);
	check(&tc, start_quiet("s", start, sizeof(start)) == 0, "start: %s",
	      start);
	ret = run_cmd(&vmctl_cmd_stop, out, sizeof(out), 4, argv);
	check(&tc, ret == VMCTL_OK && !strcmp(out, "s: shut down\n"),
	      "exit %d, said: %s", ret, out);
	fake_join();
	vmctl_control_stop();
	case_end(&tc, "stop: vmctl stop NAME exits 0 and says it shut down");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	setenv("HVX_RUN_DIR", tmpdir, 1);

	test_names();
	test_run_dir();
	test_requests();
	test_stuck_client();
	test_peercred();
	test_in_use_and_stale();
	test_client_missing();
	test_list_info();
	test_stop("the guest powers off: graceful", FAKE_STOPS, FAKE_IGNORE,
		  false, VMCTL_STOPPED_GRACEFUL, 1, 0);
	test_stop("the guest ignores the button: forced", FAKE_IGNORE,
		  FAKE_STOPS, false, VMCTL_STOPPED_FORCED, 1, 1);
	test_stop("--force: quit at once, no button", FAKE_IGNORE, FAKE_STOPS,
		  true, VMCTL_STOPPED_FORCED, 0, 1);
	test_stop("nothing stops it: still there", FAKE_IGNORE, FAKE_IGNORE,
		  false, VMCTL_STOP_STILL_THERE, 1, 1);
	test_stop_cmd();
	test_top();
	test_stats();
	test_set_cmd();
	test_balloon_cmd();

	unlink(capture_file);
	if (rmdir(tmpdir))
		fprintf(stderr, "# %s not empty: %s\n", tmpdir, strerror(errno));
	return tap_finish();
}
