// SPDX-License-Identifier: GPL-2.0
/* A device's timer thread (timer_thread.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/timer_thread.h"

#define NSEC	1000000000LL

void vmctl_timer_thread_init(struct vmctl_timer_thread *t,
			     pthread_mutex_t *lock,
			     int64_t (*poll_locked)(void *), void *opaque)
{
	pthread_condattr_t attr;

	memset(t, 0, sizeof(*t));
	t->lock = lock;
	t->poll_locked = poll_locked;
	t->opaque = opaque;
	/* Deadlines are CLOCK_MONOTONIC: a host clock step moves none. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->kick, &attr);
	pthread_condattr_destroy(&attr);
}

static void *timer_thread(void *arg)
{
	struct vmctl_timer_thread *t = arg;
	struct timespec ts;
	int64_t next;

	pthread_mutex_lock(t->lock);
	while (!t->stop) {
		next = t->poll_locked(t->opaque);
		if (next == INT64_MAX) {
			pthread_cond_wait(&t->kick, t->lock);
			continue;
		}
		if (next < 0)
			next = 0;
		ts.tv_sec = next / NSEC;
		ts.tv_nsec = next % NSEC;
		pthread_cond_timedwait(&t->kick, t->lock, &ts);
	}
	pthread_mutex_unlock(t->lock);
	return NULL;
}

int vmctl_timer_thread_start(struct vmctl_timer_thread *t, const char *what)
{
	int err = pthread_create(&t->thread, NULL, timer_thread, t);

	if (err) {
		fprintf(stderr, "vmctl: %s timer thread: %s\n", what,
			strerror(err));
		return -1;
	}
	t->on = true;
	return 0;
}

void vmctl_timer_thread_kick(struct vmctl_timer_thread *t)
{
	pthread_cond_signal(&t->kick);
}

void vmctl_timer_thread_destroy(struct vmctl_timer_thread *t)
{
	if (t->on) {
		pthread_mutex_lock(t->lock);
		t->stop = true;
		pthread_cond_signal(&t->kick);
		pthread_mutex_unlock(t->lock);
		pthread_join(t->thread, NULL);
		t->on = false;
	}
	pthread_cond_destroy(&t->kick);
}
