// SPDX-License-Identifier: GPL-2.0
/*
 * The server half of the per-VM control socket (see control.h): a thread
 * that accepts one client at a time on $HVX_RUN_DIR/NAME.sock, reads its
 * one-line request and answers through the VM's vmctl_control_ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/control.h"

/*
 * How long a client may take to send its request or read the answer:
 * clients are served one at a time, so a stuck one holds up the others
 * for at most this long.
 */
#define CLIENT_TIMEOUT_S	2
#define REQUEST_MAX		64

static struct {
	bool running;
	pthread_t thread;
	int listen_fd;
	int wake[2];		/* written by vmctl_control_stop() */
	char name[VMCTL_NAME_MAX + 1];
	const struct vmctl_control_ops *ops;
	void *opaque;
} ctl = { .listen_fd = -1, .wake = { -1, -1 } };

/*
 * Separate from ctl so that vmctl_control_unlink() can run in a signal
 * handler: set before the socket exists, cleared only once it is gone.
 */
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

bool vmctl_control_name_valid(const char *name)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
	size_t len = strlen(name);

	/* Not "." or "..": a name is also a directory's (its cgroup's). */
	return len >= 1 && len <= VMCTL_NAME_MAX && strspn(name, ok) == len &&
	       strcmp(name, ".") && strcmp(name, "..");
}

const char *vmctl_run_dir(void)
{
	const char *dir = getenv("HVX_RUN_DIR");

	return dir && *dir ? dir : VMCTL_RUN_DIR_DEFAULT;
}

int vmctl_control_addr(const char *name, struct sockaddr_un *addr)
{
	int n;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s.sock",
		     vmctl_run_dir(), name);
	return n < 0 || (size_t)n >= sizeof(addr->sun_path) ? -1 : 0;
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* MSG_NOSIGNAL: a client that hangs up early must not SIGPIPE the VM. */
static void send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* The request line without its newline; -1 if none came (a probe, a timeout). */
static int read_request(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;
	char *nl;

	while (used < len - 1) {
		n = recv(fd, buf + used, len - 1 - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			buf[strcspn(buf, "\r")] = '\0';
			return 0;
		}
	}
	buf[used] = '\0';
	/* A full buffer without a newline is a request too long to be ours. */
	return used == len - 1 ? 0 : -1;
}

/*
 * Before close: read what the client sent beyond its request line (a
 * request too long), so that the close does not reset the connection
 * before it has read the answer. Bounded by the receive timeout.
 */
static void drain(int fd)
{
	char buf[256];
	int i;

	shutdown(fd, SHUT_WR);
	for (i = 0; i < 16; i++)
		if (recv(fd, buf, sizeof(buf), 0) <= 0)
			break;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void reply_info(int fd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out) {
		send_str(fd, "error: out of memory\n");
		return;
	}
	fprintf(out, "name: %s\n", ctl.name);
	ctl.ops->info(ctl.opaque, out);
	fputs("ok\n", out);
	if (fclose(out))
		send_str(fd, "error: out of memory\n");
	else
		send_all(fd, buf, len);
	free(buf);
}

/* "balloon MIB": a decimal number of MiB, nothing else. */
static void reply_balloon(int fd, const char *arg)
{
	char msg[160], *end;
	unsigned long long mib;
	const char *why;

	errno = 0;
	mib = strtoull(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno) {
		send_str(fd, "error: balloon takes a size in MiB\n");
		return;
	}
	why = ctl.ops->balloon(ctl.opaque, mib);
	if (why) {
		snprintf(msg, sizeof(msg), "error: %s\n", why);
		send_str(fd, msg);
		return;
	}
	send_str(fd, "ok\n");
}

static void serve_client(int fd)
{
	char req[REQUEST_MAX], msg[REQUEST_MAX + 80];
	size_t i;

	set_timeouts(fd, CLIENT_TIMEOUT_S);
	/*
	 * Read the request even from a client we refuse: closing with
	 * unread data resets the connection, and it would not see why.
	 */
	if (read_request(fd, req, sizeof(req)))
		return;

	if (!peer_allowed(fd)) {
		snprintf(msg, sizeof(msg),
			 "error: permission denied: this VM belongs to uid %u\n",
			 (unsigned int)geteuid());
		send_str(fd, msg);
	} else if (!strcmp(req, "info") && ctl.ops->info) {
		reply_info(fd);
	} else if (!strcmp(req, "powerdown") && ctl.ops->power_button) {
		ctl.ops->power_button(ctl.opaque);
		send_str(fd, "ok\n");
	} else if (!strcmp(req, "quit") && ctl.ops->force_stop) {
		ctl.ops->force_stop(ctl.opaque);
		send_str(fd, "ok\n");
	} else if (!strncmp(req, "balloon ", 8) && ctl.ops->balloon) {
		reply_balloon(fd, req + 8);
	} else if (!strcmp(req, "info") || !strcmp(req, "powerdown") ||
		   !strcmp(req, "quit") || !strncmp(req, "balloon ", 8)) {
		snprintf(msg, sizeof(msg), "error: this VM does not support %s\n",
			 req);
		send_str(fd, msg);
	} else {
		/* Echoed back: keep a confused client's bytes printable. */
		for (i = 0; req[i]; i++)
			if (req[i] < 0x20 || req[i] > 0x7e)
				req[i] = '?';
		snprintf(msg, sizeof(msg),
			 "error: unknown request '%s' (info, powerdown, quit or balloon MIB)\n",
			 req);
		send_str(fd, msg);
	}
	drain(fd);
}

static void *control_thread(void *arg)
{
	struct pollfd pfd[2] = {
		{ .fd = ctl.listen_fd, .events = POLLIN },
		{ .fd = ctl.wake[0], .events = POLLIN },
	};
	int fd;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of fds or memory: don't spin on it. */
			if (errno != EINTR && errno != ECONNABORTED)
				usleep(100 * 1000);
			continue;
		}
		serve_client(fd);
		close(fd);
	}
	return NULL;
}

/*
 * Bind, replacing a stale socket left by a VM that died without cleaning
 * up (nothing listens: ECONNREFUSED) but never a live one.
 */
static int bind_socket(int fd, const struct sockaddr_un *addr)
{
	int probe, err;

	if (!bind(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		return 0;
	if (errno != EADDRINUSE) {
		fprintf(stderr, "vmctl: cannot create %s: %s\n", addr->sun_path,
			strerror(errno));
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		fprintf(stderr, "vmctl: socket: %s\n", strerror(errno));
		return -1;
	}
	err = connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) ?
	      errno : 0;
	close(probe);
	if (!err) {
		fprintf(stderr,
			"vmctl: a VM named '%s' is already running (%s): pick another --name, or stop it with 'vmctl stop %s'\n",
			ctl.name, addr->sun_path, ctl.name);
		return -1;
	}
	if (err != ECONNREFUSED) {
		fprintf(stderr, "vmctl: %s exists and cannot be checked: %s\n",
			addr->sun_path, strerror(err));
		return -1;
	}
	if (unlink(addr->sun_path) && errno != ENOENT) {
		fprintf(stderr, "vmctl: cannot remove the stale %s: %s\n",
			addr->sun_path, strerror(errno));
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr))) {
		fprintf(stderr, "vmctl: cannot create %s: %s\n", addr->sun_path,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void close_fds(void)
{
	if (ctl.listen_fd >= 0)
		close(ctl.listen_fd);
	if (ctl.wake[0] >= 0)
		close(ctl.wake[0]);
	if (ctl.wake[1] >= 0)
		close(ctl.wake[1]);
	ctl.listen_fd = ctl.wake[0] = ctl.wake[1] = -1;
}

/*
 * The run directory, and its parents if need be (a minimal root has no
 * /run): parents as 0755, the directory itself as 0700.
 */
static int make_run_dir(const char *dir)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	if (!mkdir(dir, 0700) || errno == EEXIST)
		return 0;
	if (errno != ENOENT || strlen(dir) >= sizeof(path))
		return -1;
	strcpy(path, dir);
	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0700) && errno != EEXIST ? -1 : 0;
}

int vmctl_control_start(const char *name, const struct vmctl_control_ops *ops,
			void *opaque)
{
	const char *dir = vmctl_run_dir();
	struct sockaddr_un addr;
	sigset_t all, old;
	int err;

	if (ctl.running) {
		fprintf(stderr, "vmctl: the control socket is already started\n");
		return -1;
	}
	if (!vmctl_control_name_valid(name)) {
		fprintf(stderr,
			"vmctl: bad VM name '%s': use 1 to %d of A-Z a-z 0-9 _ . -\n",
			name, VMCTL_NAME_MAX);
		return -1;
	}
	if (make_run_dir(dir)) {
		fprintf(stderr,
			"vmctl: cannot create the run directory %s: %s (set HVX_RUN_DIR to a writable directory)\n",
			dir, strerror(errno));
		return -1;
	}
	if (vmctl_control_addr(name, &addr)) {
		fprintf(stderr,
			"vmctl: %s/%s.sock is too long for a unix socket: use a shorter HVX_RUN_DIR\n",
			dir, name);
		return -1;
	}
	strcpy(ctl.name, name);
	ctl.ops = ops;
	ctl.opaque = opaque;

	ctl.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl.listen_fd < 0) {
		fprintf(stderr, "vmctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (bind_socket(ctl.listen_fd, &addr)) {
		close_fds();
		return -1;
	}
	memcpy(ctl_path, addr.sun_path, sizeof(ctl_path));
	/* Before listen(): nobody can connect while the mode is still wider. */
	if (chmod(addr.sun_path, 0600) || listen(ctl.listen_fd, 8) ||
	    pipe2(ctl.wake, O_CLOEXEC)) {
		fprintf(stderr, "vmctl: %s: %s\n", addr.sun_path, strerror(errno));
		goto fail;
	}

	/*
	 * The thread takes no signals: SIGALRM (run --timeout) and SIGINT
	 * must land on the vCPU thread to interrupt HVX_RUN.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&ctl.thread, NULL, control_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "vmctl: cannot start the control thread: %s\n",
			strerror(err));
		goto fail;
	}
	ctl.running = true;
	return 0;

fail:
	unlink(ctl_path);
	ctl_path[0] = '\0';
	close_fds();
	return -1;
}

void vmctl_control_unlink(void)
{
	if (ctl_path[0])
		unlink(ctl_path);
}

void vmctl_control_stop(void)
{
	char c = 0;

	if (!ctl.running)
		return;
	/* First, so that a client waiting for the VM to go sees it gone. */
	vmctl_control_unlink();
	/* The pipe is ours and empty: the write cannot fail. */
	if (write(ctl.wake[1], &c, 1) < 0)
		return;
	/* From an op, i.e. the thread itself: it ends after this client. */
	if (pthread_equal(pthread_self(), ctl.thread))
		return;
	pthread_join(ctl.thread, NULL);
	close_fds();
	ctl_path[0] = '\0';
	ctl.running = false;
}
