// SPDX-License-Identifier: GPL-2.0
/* A virtio device's I/O thread (worker.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/worker.h"

int virtio_worker_init(struct virtio_worker *w, const char *name)
{
	w->name = name;
	w->running = false;
	atomic_store(&w->stopping, false);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0) {
		fprintf(stderr, "vmctl: %s: eventfd: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

void virtio_worker_destroy(struct virtio_worker *w)
{
	virtio_worker_stop(w);
	close(w->stop_fd);
	w->stop_fd = -1;
}

int virtio_worker_start(struct virtio_worker *w, void *(*fn)(void *),
			void *arg)
{
	eventfd_t v;
	int err;

	eventfd_read(w->stop_fd, &v);	/* a stop from a previous run */
	atomic_store(&w->stopping, false);
	err = pthread_create(&w->thread, NULL, fn, arg);
	if (err) {
		fprintf(stderr, "vmctl: %s: I/O thread: %s\n", w->name,
			strerror(err));
		return -1;
	}
	w->running = true;
	return 0;
}

void virtio_worker_stop(struct virtio_worker *w)
{
	if (!w->running)
		return;
	atomic_store(&w->stopping, true);
	if (eventfd_write(w->stop_fd, 1))
		fprintf(stderr, "vmctl: %s: stop: %s\n", w->name, strerror(errno));
	/* The request in flight completes; then nothing touches the guest. */
	pthread_join(w->thread, NULL);
	w->running = false;
}
