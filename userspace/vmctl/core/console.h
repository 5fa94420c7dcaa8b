/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal side of vmctl run: a thread that reads the user's input
 * and feeds it to COM1 (serial.h), with the terminal in raw mode and a
 * Ctrl-A escape to get out, as in QEMU's -nographic.
 */
#ifndef VMCTL_CONSOLE_H
#define VMCTL_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Start reading @in_fd into vmctl_serial_input() of @serial. If it is a terminal, it
 * goes into raw mode (restored by vmctl_console_stop() and at exit) and
 * Ctrl-A x calls @on_quit(@opaque) from the console thread, which then
 * ends; stopping the VM is up to @on_quit. Anything else (a pipe, a file)
 * is forwarded byte for byte. End of file ends the thread, not the VM.
 * It outlives vmctl_serial_detach(): input is dropped while the port is
 * detached and reaches it again after the next vmctl_serial_attach().
 * The thread blocks every signal, so that they reach the vCPU threads.
 * 0, or -1 with a message if the thread cannot start or already runs.
 */
struct vmctl_serial;
int vmctl_console_start(int in_fd, struct vmctl_serial *serial,
			void (*on_quit)(void *), void *opaque);
/*
 * Restore the terminal and tell the thread to end. Async-signal-safe, so
 * SIGINT/SIGTERM handlers may call it, and idempotent. It does not wait:
 * the thread is detached and ends by itself; if it is blocked on a full
 * receive FIFO, vmctl_serial_detach() releases it (call that before
 * vmctl_vm_destroy() in any case).
 */
void vmctl_console_stop(void);

/* The escape key and what console_esc_feed() asks for besides bytes. */
#define CONSOLE_ESC_KEY		0x01	/* Ctrl-A */
#define CONSOLE_ESC_NONE	0
#define CONSOLE_ESC_QUIT	1	/* Ctrl-A x */
#define CONSOLE_ESC_HELP	2	/* Ctrl-A h or Ctrl-A ? */

struct console_esc {
	bool armed;		/* the last byte was an unescaped Ctrl-A */
};

/*
 * Feed one byte typed at the terminal: store the bytes to send to the
 * guest in @out and return their number (0-2); set *@action to one of
 * CONSOLE_ESC_*. Zero-initialise @esc before the first byte.
 */
int console_esc_feed(struct console_esc *esc, uint8_t in, uint8_t out[2],
		     int *action);

#endif /* VMCTL_CONSOLE_H */
