// SPDX-License-Identifier: GPL-2.0
/*
 * The console thread of vmctl run (see console.h).
 *
 * vmctl_console_stop() may run in a signal handler, on any thread, at any
 * moment: it only swaps atomics, calls tcsetattr() and write()s to a pipe
 * the thread polls, all async-signal-safe. That is also why the thread is
 * detached rather than joined: a handler that interrupted a vCPU thread
 * holding COM1's lock could never see the console thread finish.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/console.h"
#include "hw/serial.h"

static struct console {
	int in_fd;
	bool is_tty;
	struct termios saved;
	atomic_int raw;		/* in_fd is in raw mode and saved restores it */
	atomic_int stop;	/* vmctl_console_stop() was called */
	atomic_int running;	/* the thread has not returned yet */
	/*
	 * Wakes the thread's poll(). Made once and kept for the life of the
	 * process: a signal handler may write to it at any time, so closing
	 * it could hand the number to another file in between.
	 */
	int wake[2];
	void (*on_quit)(void *opaque);
	void *opaque;
	struct vmctl_serial *serial;
} con = { .in_fd = -1, .wake = { -1, -1 } };

static const char help[] =
	"\r\n[vmctl] Ctrl-A x: quit, Ctrl-A Ctrl-A: send Ctrl-A\r\n";

int console_esc_feed(struct console_esc *esc, uint8_t in, uint8_t out[2],
		     int *action)
{
	*action = CONSOLE_ESC_NONE;
	if (!esc->armed) {
		if (in == CONSOLE_ESC_KEY) {
			esc->armed = true;
			return 0;
		}
		out[0] = in;
		return 1;
	}
	esc->armed = false;
	switch (in) {
	case 'x':
		*action = CONSOLE_ESC_QUIT;
		return 0;
	case 'h':
	case '?':
		*action = CONSOLE_ESC_HELP;
		return 0;
	case CONSOLE_ESC_KEY:
		out[0] = CONSOLE_ESC_KEY;
		return 1;
	default:
		/* Not ours: the guest gets what was typed. */
		out[0] = CONSOLE_ESC_KEY;
		out[1] = in;
		return 2;
	}
}

static void restore_terminal(void)
{
	if (atomic_exchange(&con.raw, 0))
		tcsetattr(con.in_fd, TCSANOW, &con.saved);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/*
 * Turn one read's worth of input into what the guest gets, acting on the
 * escapes on the way; *@quit when Ctrl-A x came (the bytes before it are
 * in @out, the ones after it are dropped).
 */
static size_t translate(struct console_esc *esc, const uint8_t *in, size_t len,
			uint8_t *out, bool *quit)
{
	size_t i, n = 0;
	int action;

	for (i = 0; i < len; i++) {
		n += console_esc_feed(esc, in[i], out + n, &action);
		if (action == CONSOLE_ESC_HELP)
			write_all(STDERR_FILENO, help, sizeof(help) - 1);
		if (action == CONSOLE_ESC_QUIT) {
			*quit = true;
			break;
		}
	}
	return n;
}

static void *console_thread(void *arg)
{
	struct console_esc esc = { 0 };
	uint8_t in[256], out[2 * sizeof(in)];
	struct pollfd pfd[2];
	bool quit = false;
	size_t len;
	ssize_t n;

	while (!atomic_load(&con.stop)) {
		pfd[0] = (struct pollfd){ .fd = con.in_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = con.wake[0], .events = POLLIN };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents || atomic_load(&con.stop))
			break;
		if (!pfd[0].revents)
			continue;
		n = read(con.in_fd, in, sizeof(in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;	/* end of input: the guest runs on without it */
		if (con.is_tty) {
			len = translate(&esc, in, n, out, &quit);
		} else {
			memcpy(out, in, n);
			len = n;
		}
		/*
		 * Short only while COM1 is detached: between two boots of a
		 * guest that reset, or after the last. What was typed then
		 * is lost, as on a machine in reset; the next boot gets the
		 * keys typed after it attached.
		 */
		vmctl_serial_input(con.serial, out, len);
		if (quit) {
			con.on_quit(con.opaque);
			break;
		}
	}
	atomic_store(&con.running, 0);
	return NULL;
}

static int make_raw(int fd)
{
	struct termios raw;

	if (tcgetattr(fd, &con.saved))
		return -1;
	raw = con.saved;
	/*
	 * No signals, echo or line editing: every key goes to the guest,
	 * whose tty does all that. No output processing either: the guest
	 * already sends "\r\n".
	 */
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw))
		return -1;
	atomic_store(&con.raw, 1);
	return 0;
}

static void drain_wake(void)
{
	char buf[64];

	while (read(con.wake[0], buf, sizeof(buf)) > 0)
		;
}

int vmctl_console_start(int in_fd, struct vmctl_serial *serial,
			void (*on_quit)(void *), void *opaque)
{
	static bool atexit_done;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (atomic_load(&con.running)) {
		fprintf(stderr, "vmctl: the console already runs\n");
		return -1;
	}
	if (con.wake[0] < 0 && pipe2(con.wake, O_CLOEXEC | O_NONBLOCK)) {
		fprintf(stderr, "vmctl: console: pipe: %s\n", strerror(errno));
		return -1;
	}
	drain_wake();
	con.in_fd = in_fd;
	con.on_quit = on_quit;
	con.opaque = opaque;
	con.serial = serial;
	con.is_tty = isatty(in_fd);
	atomic_store(&con.stop, 0);
	if (con.is_tty) {
		if (!atexit_done && !atexit(restore_terminal))
			atexit_done = true;
		if (make_raw(in_fd))
			/* Still usable, just cooked: the guest echoes twice. */
			fprintf(stderr, "vmctl: console: cannot set raw mode: %s\n",
				strerror(errno));
	}

	/* Signals are for the vCPU threads: SIGALRM must interrupt HVX_RUN. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_store(&con.running, 1);
	err = pthread_create(&thread, &attr, console_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		atomic_store(&con.running, 0);
		restore_terminal();
		fprintf(stderr, "vmctl: console: %s\n", strerror(err));
		return -1;
	}
	return 0;
}

void vmctl_console_stop(void)
{
	int saved_errno = errno;
	ssize_t n = 0;

	restore_terminal();
	atomic_store(&con.stop, 1);
	/* If the pipe is full, a wake-up is waiting already. */
	if (con.wake[1] >= 0)
		n = write(con.wake[1], "", 1);
	(void)n;
	errno = saved_errno;
}
