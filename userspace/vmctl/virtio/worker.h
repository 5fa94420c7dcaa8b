/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio device's I/O thread (virtio-blk's, virtio-balloon's): started
 * at DRIVER_OK (ops->start), stopped and joined at reset or destruction
 * (ops->stop). The thread polls stop_fd beside its kicks and checks
 * virtio_worker_stopping() between requests, so that a stop waits only
 * for the request in flight.
 */
#ifndef VMCTL_VIRTIO_WORKER_H
#define VMCTL_VIRTIO_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct virtio_worker {
	const char *name;		/* for messages: the device's */
	int stop_fd;			/* eventfd, for the device's life */
	_Atomic bool stopping;
	pthread_t thread;
	bool running;
};

/* The stop eventfd; 0, or -1 with a message. */
int virtio_worker_init(struct virtio_worker *w, const char *name);
void virtio_worker_destroy(struct virtio_worker *w);
/* Run @fn(@arg) on a new thread; 0, or -1 with a message. */
int virtio_worker_start(struct virtio_worker *w, void *(*fn)(void *),
			void *arg);
/* Tell the thread to stop and join it; nothing if it is not running. */
void virtio_worker_stop(struct virtio_worker *w);

static inline bool virtio_worker_stopping(struct virtio_worker *w)
{
	return atomic_load(&w->stopping);
}

#endif
