/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-VM control socket: a running `vmctl run` serves
 * $HVX_RUN_DIR/NAME.sock (HVX_RUN_DIR defaults to /run/hvx) so that
 * `vmctl list`, `vmctl info` and `vmctl stop` can reach it.
 *
 * Protocol, one request per connection over a unix stream socket: the
 * client sends one line, "info", "powerdown", "quit" or "balloon MIB"; the server answers
 * with zero or more "key: value" lines, then "ok" or "error: WHY", and
 * closes. Only the socket owner's uid and root may talk to it.
 */
#ifndef VMCTL_CONTROL_H
#define VMCTL_CONTROL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/un.h>

#define VMCTL_RUN_DIR_DEFAULT	"/run/hvx"
#define VMCTL_NAME_MAX		32

/*
 * Called from the control thread, never from the thread that runs the
 * vCPU: each must be safe against that (set a flag, poke immediate_exit)
 * and return quickly. A NULL op answers "error: not supported". They must
 * not call vmctl_control_stop() themselves: that joins the control thread.
 */
struct vmctl_control_ops {
	/* "key: value\n" lines: state, vcpus, memory_mib, kernel, cmdline, uptime_s, exits... */
	void (*info)(void *opaque, FILE *out);
	void (*power_button)(void *opaque);	/* graceful: ACPI power button */
	void (*force_stop)(void *opaque);	/* hard stop now */
	/* Set the balloon's target to @mib: NULL, or why not. */
	const char *(*balloon)(void *opaque, unsigned long long mib);
};

/* --- server (control.c) --------------------------------------------------- */

/* [A-Za-z0-9_.-]{1,32} but . and ..: what --name and the client commands accept. */
bool vmctl_control_name_valid(const char *name);

/* $HVX_RUN_DIR, or /run/hvx when it is unset or empty. */
const char *vmctl_run_dir(void);

/*
 * Create the run directory (0700) if missing, bind NAME.sock (replacing a
 * stale one, refusing a live one) and serve it from a thread. 0, or -1
 * after printing what went wrong to stderr. One server per process.
 */
int vmctl_control_start(const char *name, const struct vmctl_control_ops *ops,
			void *opaque);

/*
 * NAME.sock's address in the run directory; 0, or -1 when the path does
 * not fit in sun_path (a long HVX_RUN_DIR).
 */
int vmctl_control_addr(const char *name, struct sockaddr_un *addr);

/* Stop the thread and remove the socket; safe to call twice, or unstarted. */
void vmctl_control_stop(void);

/*
 * Only remove the socket file: async-signal-safe, for a fatal signal
 * handler or atexit() path that cannot join the thread.
 */
void vmctl_control_unlink(void);

/* --- client (control_client.c) ------------------------------------------ */

enum vmctl_call_status {
	VMCTL_CALL_OK = 0,
	VMCTL_CALL_NO_VM,	/* no such socket, or a stale one (now removed) */
	VMCTL_CALL_REFUSED,	/* the VM answered "error: ..." */
	VMCTL_CALL_IO,		/* could not talk to it */
};

/*
 * Send @cmd to VM @name and collect its reply. On VMCTL_CALL_OK *@reply
 * (if not NULL) holds the "key: value" lines without the final "ok",
 * malloc()ed, for the caller to free. Otherwise @err (if not NULL) gets a
 * one-line reason, without the "vmctl CMD:" prefix.
 */
enum vmctl_call_status vmctl_control_call(const char *name, const char *cmd,
					  char **reply, char *err,
					  size_t errlen);

/*
 * The VM names of the NAME.sock entries of run directory @dir, sorted,
 * each and the array malloc()ed; 0 (none when @dir does not exist) or -1.
 */
int vmctl_vm_names(const char *dir, char ***names, size_t *count);

/* Whether something accepts connections on NAME.sock; removes a stale one. */
bool vmctl_control_alive(const char *name);

/*
 * The value of the first "@key: value" line in @reply, copied to @buf;
 * @buf, or NULL when there is no such line.
 */
const char *vmctl_reply_get(const char *reply, const char *key, char *buf,
			    size_t len);

/*
 * The VM name that vmctl @cmd takes as its one operand, after options:
 * argv[optind], or NULL after saying on stderr what is wrong with it.
 */
const char *vmctl_name_operand(const char *cmd, int argc, char **argv);

enum vmctl_stop_result {
	VMCTL_STOPPED_GRACEFUL,	/* gone after the power button */
	VMCTL_STOPPED_FORCED,	/* gone after "quit" */
	VMCTL_STOP_NO_VM,	/* there was no such VM to begin with */
	VMCTL_STOP_STILL_THERE,	/* still answering after "quit" */
	VMCTL_STOP_FAILED,	/* could not talk to it: see stderr */
};

/*
 * vmctl stop's logic: press the power button (unless @force), wait up to
 * @timeout_ms for the socket to go away, then send "quit" and wait up to
 * @force_wait_ms more. Problems are reported on stderr.
 */
enum vmctl_stop_result vmctl_stop_vm(const char *name, unsigned int timeout_ms,
				     unsigned int force_wait_ms, bool force);

#endif /* VMCTL_CONTROL_H */
