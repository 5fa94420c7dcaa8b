// SPDX-License-Identifier: GPL-2.0
/*
 * The client half of the per-VM control socket (see control.h), shared by
 * vmctl list, info and stop: connect to NAME.sock, send one request, read
 * the reply up to the server's close, and tell "ok" from "error: ...".
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/control.h"

/* Longer than the server's per-client timeout: we may queue behind one. */
#define REPLY_TIMEOUT_S		5
#define REPLY_MAX		(1 << 20)
#define POLL_INTERVAL_MS	100

static __attribute__((format(printf, 3, 4)))
void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/*
 * Connect to NAME.sock: the fd, or -1 with *status saying why not. A
 * socket nobody listens on is left over from a VM that died without
 * cleaning up: remove it, unless a new VM has taken the name meanwhile
 * (the inode changed).
 */
static int connect_vm(const char *name, enum vmctl_call_status *status,
		      char *err, size_t errlen)
{
	struct sockaddr_un addr;
	struct stat before, after;
	int fd, e;

	if (!vmctl_control_name_valid(name)) {
		set_err(err, errlen, "bad VM name '%s'", name);
		*status = VMCTL_CALL_IO;
		return -1;
	}
	if (vmctl_control_addr(name, &addr)) {
		set_err(err, errlen, "%s/%s.sock is too long: use a shorter HVX_RUN_DIR",
			vmctl_run_dir(), name);
		*status = VMCTL_CALL_IO;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		*status = VMCTL_CALL_IO;
		return -1;
	}
	if (lstat(addr.sun_path, &before)) {
		e = errno;
		goto fail;
	}
	if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return fd;
	e = errno;
	if (e == ECONNREFUSED && !lstat(addr.sun_path, &after) &&
	    after.st_dev == before.st_dev && after.st_ino == before.st_ino)
		unlink(addr.sun_path);
fail:
	close(fd);
	switch (e) {
	case ENOENT:
	case ECONNREFUSED:
		*status = VMCTL_CALL_NO_VM;
		set_err(err, errlen, "no VM named %s (see vmctl list)", name);
		break;
	case EACCES:
	case EPERM:
		*status = VMCTL_CALL_IO;
		set_err(err, errlen,
			"%s: permission denied: the VM belongs to another user (run as that user or root)",
			addr.sun_path);
		break;
	default:
		*status = VMCTL_CALL_IO;
		set_err(err, errlen, "%s: %s", addr.sun_path, strerror(e));
	}
	return -1;
}

bool vmctl_control_alive(const char *name)
{
	enum vmctl_call_status status;
	int fd = connect_vm(name, &status, NULL, 0);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* Can't tell (permission, bad name...): say alive, don't claim it went. */
	return status != VMCTL_CALL_NO_VM;
}

static int send_request(int fd, const char *cmd)
{
	size_t len = strlen(cmd);
	char line[80];
	ssize_t n;

	if (len + 2 > sizeof(line) || strchr(cmd, '\n'))
		return -1;
	memcpy(line, cmd, len);
	line[len++] = '\n';
	/* MSG_NOSIGNAL: a VM exiting under us must not kill vmctl by SIGPIPE. */
	do
		n = send(fd, line, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		return -1;
	shutdown(fd, SHUT_WR);
	return 0;
}

/* Everything up to the server's close; NULL on timeout or error. */
static char *read_reply(int fd, size_t *lenp, int *errp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	ssize_t n;

	*errp = ENOMEM;
	if (!buf)
		return NULL;
	for (;;) {
		if (cap - len < 2) {
			if (cap >= REPLY_MAX) {
				*errp = EMSGSIZE;
				break;
			}
			p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*errp = errno;
			break;
		}
		if (!n) {
			buf[len] = '\0';
			*lenp = len;
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

enum vmctl_call_status vmctl_control_call(const char *name, const char *cmd,
					  char **reply, char *err,
					  size_t errlen)
{
	enum vmctl_call_status status;
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	size_t len;
	char *buf, *last;
	int fd, e;

	if (reply)
		*reply = NULL;
	fd = connect_vm(name, &status, err, errlen);
	if (fd < 0)
		return status;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send_request(fd, cmd)) {
		set_err(err, errlen, "cannot send '%s' to VM %s: %s", cmd, name,
			strerror(errno));
		close(fd);
		return VMCTL_CALL_IO;
	}
	buf = read_reply(fd, &len, &e);
	close(fd);
	if (!buf) {
		if (e == EAGAIN || e == EWOULDBLOCK)
			set_err(err, errlen, "VM %s did not answer within %d s",
				name, REPLY_TIMEOUT_S);
		else
			set_err(err, errlen, "reading from VM %s: %s", name,
				strerror(e));
		return VMCTL_CALL_IO;
	}

	/* The last complete line is the verdict; what precedes it, the data. */
	if (!len || buf[len - 1] != '\n') {
		set_err(err, errlen,
			"VM %s closed the connection without answering (is it shutting down?)",
			name);
		free(buf);
		return VMCTL_CALL_IO;
	}
	buf[--len] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	if (!strcmp(last, "ok")) {
		*last = '\0';
		if (reply) {
			*reply = buf;
			return VMCTL_CALL_OK;
		}
		free(buf);
		return VMCTL_CALL_OK;
	}
	if (!strncmp(last, "error: ", 7)) {
		set_err(err, errlen, "VM %s: %s", name, last + 7);
		status = VMCTL_CALL_REFUSED;
	} else {
		set_err(err, errlen, "VM %s gave a reply vmctl does not understand: '%.60s'",
			name, last);
		status = VMCTL_CALL_IO;
	}
	free(buf);
	return status;
}

const char *vmctl_reply_get(const char *reply, const char *key, char *buf,
			    size_t len)
{
	size_t klen = strlen(key), vlen;
	const char *line, *end;

	for (line = reply; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, key, klen) || strncmp(line + klen, ": ", 2))
			continue;
		line += klen + 2;
		vlen = end ? (size_t)(end - line) : strlen(line);
		if (vlen >= len)
			vlen = len - 1;
		memcpy(buf, line, vlen);
		buf[vlen] = '\0';
		return buf;
	}
	return NULL;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll the socket every 100 ms: true once the VM is gone. */
static bool wait_gone(const char *name, unsigned int timeout_ms)
{
	unsigned long long end = now_ms() + timeout_ms;
	struct timespec pause = { .tv_nsec = POLL_INTERVAL_MS * 1000000L };

	for (;;) {
		if (!vmctl_control_alive(name))
			return true;
		if (now_ms() >= end)
			return false;
		nanosleep(&pause, NULL);
	}
}

enum vmctl_stop_result vmctl_stop_vm(const char *name, unsigned int timeout_ms,
				     unsigned int force_wait_ms, bool force)
{
	enum vmctl_call_status status;
	char err[256];

	if (!force) {
		status = vmctl_control_call(name, "powerdown", NULL, err,
					    sizeof(err));
		switch (status) {
		case VMCTL_CALL_OK:
			if (wait_gone(name, timeout_ms))
				return VMCTL_STOPPED_GRACEFUL;
			fprintf(stderr,
				"vmctl stop: %s did not power off within %u s: forcing it\n",
				name, (timeout_ms + 999) / 1000);
			break;
		case VMCTL_CALL_NO_VM:
			return VMCTL_STOP_NO_VM;
		case VMCTL_CALL_REFUSED:
			fprintf(stderr, "vmctl stop: %s: forcing it\n", err);
			break;
		case VMCTL_CALL_IO:
			/* It may have gone between connect and reply. */
			if (!vmctl_control_alive(name))
				return VMCTL_STOPPED_GRACEFUL;
			fprintf(stderr, "vmctl stop: %s\n", err);
			return VMCTL_STOP_FAILED;
		}
	}

	status = vmctl_control_call(name, "quit", NULL, err, sizeof(err));
	switch (status) {
	case VMCTL_CALL_OK:
		break;
	case VMCTL_CALL_NO_VM:
		/* Gone on its own just before "quit" (or never there). */
		return force ? VMCTL_STOP_NO_VM : VMCTL_STOPPED_GRACEFUL;
	case VMCTL_CALL_REFUSED:
	case VMCTL_CALL_IO:
		if (!vmctl_control_alive(name))
			return VMCTL_STOPPED_FORCED;
		fprintf(stderr, "vmctl stop: %s\n", err);
		if (status == VMCTL_CALL_IO)
			return VMCTL_STOP_FAILED;
		break;
	}
	return wait_gone(name, force_wait_ms) ? VMCTL_STOPPED_FORCED :
						VMCTL_STOP_STILL_THERE;
}

const char *vmctl_name_operand(const char *cmd, int argc, char **argv)
{
	const char *name;

	if (optind + 1 != argc) {
		fprintf(stderr, "vmctl %s: say which VM: vmctl %s NAME (see vmctl list)\n",
			cmd, cmd);
		return NULL;
	}
	name = argv[optind];
	if (!vmctl_control_name_valid(name)) {
		fprintf(stderr, "vmctl %s: bad VM name '%s': names are 1 to %d of A-Z a-z 0-9 _ . -\n",
			cmd, name, VMCTL_NAME_MAX);
		return NULL;
	}
	return name;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vmctl_vm_names(const char *dir, char ***namesp, size_t *countp)
{
	DIR *d = opendir(dir);
	char **names = NULL, **p, *name;
	size_t count = 0, len;
	struct dirent *de;

	*namesp = NULL;
	*countp = 0;
	if (!d)
		return errno == ENOENT ? 0 : -1;	/* no VM ever ran */
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".sock"))
			continue;
		name = strndup(de->d_name, len - 5);
		if (name && !vmctl_control_name_valid(name)) {
			free(name);	/* not a VM's socket */
			continue;
		}
		p = name ? realloc(names, (count + 1) * sizeof(*names)) : NULL;
		if (!p) {
			free(name);
			break;
		}
		names = p;
		names[count++] = name;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof(*names), cmp_names);
	*namesp = names;
	*countp = count;
	return 0;
}
