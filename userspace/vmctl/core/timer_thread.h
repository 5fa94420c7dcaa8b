/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's timer thread: one per device that keeps time (the RTC, the
 * PIT). It calls the device's poll under the device's lock, then sleeps on
 * CLOCK_MONOTONIC until the deadline poll returned, or without a timeout
 * while poll says nothing is due (INT64_MAX), until the device kicks it:
 * an idle device costs the host nothing.
 */
#ifndef VMCTL_TIMER_THREAD_H
#define VMCTL_TIMER_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vmctl_timer_thread {
	pthread_mutex_t *lock;		/* the device's */
	pthread_cond_t kick;		/* on CLOCK_MONOTONIC */
	pthread_t thread;
	bool on, stop;
	/* Called with *lock held: the next deadline (monotonic ns) or INT64_MAX. */
	int64_t (*poll_locked)(void *opaque);
	void *opaque;
};

/* Set up the condition variable; no thread yet. */
void vmctl_timer_thread_init(struct vmctl_timer_thread *t,
			     pthread_mutex_t *lock,
			     int64_t (*poll_locked)(void *), void *opaque);
/* Start the thread: 0, or -1 with a message naming @what. */
int vmctl_timer_thread_start(struct vmctl_timer_thread *t, const char *what);
/* With *lock held: the deadline may have moved, poll again. */
void vmctl_timer_thread_kick(struct vmctl_timer_thread *t);
/* Stop and join the thread if it runs (without *lock held); free the rest. */
void vmctl_timer_thread_destroy(struct vmctl_timer_thread *t);

#endif /* VMCTL_TIMER_THREAD_H */
