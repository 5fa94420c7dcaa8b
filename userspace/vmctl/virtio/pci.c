// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-PCI transport (pci.h; virtio 1.2, 4.1).
 *
 * Locks, in the order they may nest:
 *   p->lock      the common configuration (vCPU threads)
 *   p->ioev_lock the ioeventfd registrations; also taken by bar_moved,
 *                which the PCI core calls with the device's config lock
 *                held, so nothing here takes that lock inside ioev_lock:
 *                the BAR's address is our own copy, kept by bar_moved
 *   p->call_lock the call eventfds' routes; taken under p->lock (queue
 *                vector writes, a reset stopping a vhost device) and
 *                under the PCI device's lock (MSI-X control writes reach
 *                us through msix.c's control_changed), so inside it only
 *                msix.c's lock (pci_msix_message, pci_msix_notify) and
 *                the module's ioctls: never isr_lock nor the PCI lock
 *   p->isr_lock  ISR and the INTx line (I/O thread and vCPU threads)
 * A reset stops the device's I/O thread while holding p->lock; that
 * thread takes only isr_lock and msix.c's locks, so it always finishes.
 * The relay thread signals a queue (isr_lock, then the PCI lock, or
 * msix.c's lock) with call_lock dropped; removing a route waits for that
 * signal to end (call_cond), which it always does, since the relay needs
 * neither p->lock nor call_lock for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/vm.h"
#include "virtio/pci.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* struct virtio_pci_common_cfg (4.1.4.3), by offset. */
enum {
	CC_DFSELECT = 0, CC_DF = 4, CC_GFSELECT = 8, CC_GF = 12,
	CC_MSIX_CONFIG = 16, CC_NUM_QUEUES = 18, CC_STATUS = 20,
	CC_CFG_GENERATION = 21, CC_Q_SELECT = 22, CC_Q_SIZE = 24,
	CC_Q_MSIX = 26, CC_Q_ENABLE = 28, CC_Q_NOTIFY_OFF = 30,
	CC_Q_DESC = 32, CC_Q_DRIVER = 40, CC_Q_DEVICE = 48,
};

/* The width of the field at @off, 0 between fields; 64-bit ones in halves. */
static unsigned int field_width(uint64_t off)
{
	if (off >= CC_Q_DESC && off < VIRTIO_PCI_COMMON_LEN)
		return off % 4 ? 0 : 4;
	switch (off) {
	case CC_DFSELECT: case CC_DF: case CC_GFSELECT: case CC_GF:
		return 4;
	case CC_STATUS: case CC_CFG_GENERATION:
		return 1;
	case CC_MSIX_CONFIG: case CC_NUM_QUEUES: case CC_Q_SELECT:
	case CC_Q_SIZE: case CC_Q_MSIX: case CC_Q_ENABLE: case CC_Q_NOTIFY_OFF:
		return 2;
	}
	return 0;
}

/* ---- interrupts ---- */

static void isr_raise(struct virtio_pci *p, uint8_t bit)
{
	pthread_mutex_lock(&p->isr_lock);
	p->isr |= bit;
	pci_dev_set_intx(&p->pci, true);
	pthread_mutex_unlock(&p->isr_lock);
}

static uint8_t isr_read_clear(struct virtio_pci *p)
{
	uint8_t v;

	pthread_mutex_lock(&p->isr_lock);
	v = p->isr;
	p->isr = 0;
	pci_dev_set_intx(&p->pci, false);
	pthread_mutex_unlock(&p->isr_lock);
	return v;
}

static void signal_queue(void *transport, unsigned int q)
{
	struct virtio_pci *p = transport;

	/* 4.1.5.4: with MSI-X on, only the vector; no ISR, no INTx. */
	if (pci_msix_enabled(&p->pci))
		pci_msix_notify(&p->pci, atomic_load(&p->q[q].vector));
	else
		isr_raise(p, VIRTIO_PCI_ISR_QUEUE);
}

static void signal_config(void *transport)
{
	struct virtio_pci *p = transport;

	if (pci_msix_enabled(&p->pci))
		pci_msix_notify(&p->pci, atomic_load(&p->config_vector));
	else
		isr_raise(p, VIRTIO_PCI_ISR_CONFIG);
}

/* ---- call eventfds ---- */

/*
 * Make queue @i's route match what can be: an irqfd with the message of
 * its vector while MSI-X is enabled and the vector unmasked (deassigned
 * and reassigned when the message changes: an irqfd has no update), else
 * nothing in the kernel, and the relay reads the eventfd. A signal that
 * comes between deassign and assign stays in the eventfd's count, which
 * the module raises at assignment and the relay reads, so none is lost.
 * A signal the irqfd raises just after the guest masked the vector, and
 * before this ran, reaches the guest as the write before the mask would
 * have: an interrupt in flight, as on hardware. Under call_lock.
 */
static void call_sync(struct virtio_pci *p, unsigned int i)
{
	struct virtio_pci_queue *q = &p->q[i];
	struct vmctl_vm *vm = p->vdev.vm;
	uint64_t addr = 0;
	uint32_t data = 0;
	bool want;

	want = q->call_fd >= 0 && vm->irqfd && p->pci.msix &&
	       pci_msix_message(&p->pci, atomic_load(&q->vector), &addr, &data);
	if (q->irqfd && (!want || addr != q->call_addr || data != q->call_data)) {
		if (vmctl_vm_irqfd(vm, q->call_fd, 0, 0, true))
			fprintf(stderr, "vmctl: %s: removing the irqfd of queue %u: %s\n",
				p->pci.name, i, strerror(errno));
		q->irqfd = false;
	}
	if (!want || q->irqfd)
		return;
	if (!vmctl_vm_irqfd(vm, q->call_fd, addr, data, false)) {
		q->irqfd = true;
		q->call_addr = addr;
		q->call_data = data;
	} else if (!p->irqfd_told) {
		p->irqfd_told = true;
		fprintf(stderr, "vmctl: %s: no irqfd for queue %u (%s): its interrupts go through vmctl\n",
			p->pci.name, i, strerror(errno));
	}
}

static void relay_kick(struct virtio_pci *p)
{
	if (p->relay_started && eventfd_write(p->relay_wake, 1))
		fprintf(stderr, "vmctl: %s: waking the interrupt relay: %s\n",
			p->pci.name, strerror(errno));
}

/* Re-route every queue whose vector is @vec (all: PCI_MSIX_NO_VECTOR). */
static void call_sync_vector(struct virtio_pci *p, unsigned int vec)
{
	unsigned int i;

	pthread_mutex_lock(&p->call_lock);
	for (i = 0; i < p->nqueues; i++)
		if (p->q[i].call_fd >= 0 &&
		    (vec == PCI_MSIX_NO_VECTOR || atomic_load(&p->q[i].vector) == vec))
			call_sync(p, i);
	relay_kick(p);
	pthread_mutex_unlock(&p->call_lock);
}

/* msix.c's hooks: a table entry, or Enable / Function Mask, changed. */
static void msix_vector_changed(void *opaque, unsigned int vec)
{
	call_sync_vector(opaque, vec);
}

static void msix_control_changed(void *opaque)
{
	call_sync_vector(opaque, PCI_MSIX_NO_VECTOR);
}

/*
 * The relay: poll the call eventfds that are not irqfds now, and signal
 * their queues the ordinary way (INTx and the ISR, or the MSI-X vector,
 * whose pending bit msix.c sets while it is masked). A thread of the
 * transport's own, started by the first route: a vhost device has no
 * thread of its own to lend, and a vCPU thread must not wait on eventfds.
 * It is idle in poll() while every route is an irqfd.
 */
static void *relay_main(void *arg)
{
	struct virtio_pci *p = arg;
	struct pollfd pfd[1 + VIRTIO_PCI_MAX_QUEUES];
	unsigned int qn[1 + VIRTIO_PCI_MAX_QUEUES];
	unsigned int gen[1 + VIRTIO_PCI_MAX_QUEUES];
	unsigned int i, k, n;
	eventfd_t cnt;

	pthread_mutex_lock(&p->call_lock);
	while (!p->relay_stop) {
		pfd[0] = (struct pollfd){ .fd = p->relay_wake, .events = POLLIN };
		n = 1;
		for (i = 0; i < p->nqueues; i++) {
			if (p->q[i].call_fd < 0 || p->q[i].irqfd)
				continue;
			pfd[n] = (struct pollfd){ .fd = p->q[i].call_fd,
						  .events = POLLIN };
			qn[n] = i;
			gen[n] = p->q[i].call_gen;
			n++;
		}
		pthread_mutex_unlock(&p->call_lock);
		if (poll(pfd, n, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "vmctl: %s: interrupt relay: poll: %s\n",
				p->pci.name, strerror(errno));
			pthread_mutex_lock(&p->call_lock);
			break;
		}
		if (pfd[0].revents & POLLIN)
			(void)!read(p->relay_wake, &cnt, sizeof(cnt));
		pthread_mutex_lock(&p->call_lock);
		for (k = 1; k < n; k++) {
			struct virtio_pci_queue *q = &p->q[qn[k]];

			/* The route may have changed while we polled. */
			if (!(pfd[k].revents & POLLIN) || q->call_gen != gen[k] ||
			    q->irqfd || q->call_fd < 0)
				continue;
			/* Non-blocking: the module may have taken the count. */
			if (read(q->call_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
				continue;
			p->relaying = qn[k];
			pthread_mutex_unlock(&p->call_lock);
			signal_queue(p, qn[k]);
			pthread_mutex_lock(&p->call_lock);
			p->relaying = -1;
			pthread_cond_broadcast(&p->call_cond);
		}
	}
	pthread_mutex_unlock(&p->call_lock);
	return NULL;
}

/* Under call_lock. 0, or -1 with a message. */
static int relay_start(struct virtio_pci *p)
{
	sigset_t all, old;
	int err;

	if (p->relay_started)
		return 0;
	p->relay_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->relay_wake < 0) {
		fprintf(stderr, "vmctl: %s: eventfd: %s\n", p->pci.name,
			strerror(errno));
		return -1;
	}
	p->relay_stop = false;
	/* Signals are for the main and vCPU threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&p->relay, NULL, relay_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "vmctl: %s: interrupt relay thread: %s\n",
			p->pci.name, strerror(err));
		close(p->relay_wake);
		return -1;
	}
	p->relay_started = true;
	return 0;
}

static void relay_shutdown(struct virtio_pci *p)
{
	pthread_mutex_lock(&p->call_lock);
	if (!p->relay_started) {
		pthread_mutex_unlock(&p->call_lock);
		return;
	}
	p->relay_stop = true;
	relay_kick(p);
	pthread_mutex_unlock(&p->call_lock);
	pthread_join(p->relay, NULL);
	close(p->relay_wake);
	p->relay_started = false;
}

/* Replace queue @i's eventfd by @fd (-1: none). Under call_lock. */
static void call_set(struct virtio_pci *p, unsigned int i, int fd)
{
	struct virtio_pci_queue *q = &p->q[i];

	if (q->irqfd) {
		if (vmctl_vm_irqfd(p->vdev.vm, q->call_fd, 0, 0, true))
			fprintf(stderr, "vmctl: %s: removing the irqfd of queue %u: %s\n",
				p->pci.name, i, strerror(errno));
		q->irqfd = false;
	}
	q->call_fd = fd;
	q->call_gen++;
	/* A signal of the old fd the relay is delivering ends first. */
	while (p->relaying == (int)i)
		pthread_cond_wait(&p->call_cond, &p->call_lock);
	call_sync(p, i);
	relay_kick(p);
}

static int set_queue_callfd(void *transport, unsigned int i, int fd)
{
	struct virtio_pci *p = transport;
	int flags;

	if (i >= p->nqueues) {
		fprintf(stderr, "vmctl: %s: no queue %u to route\n", p->pci.name, i);
		return -1;
	}
	/* The relay must never block in read() on a count the module took. */
	flags = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
	if (flags < 0 || (fd >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)) {
		fprintf(stderr, "vmctl: %s: call eventfd of queue %u: %s\n",
			p->pci.name, i, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&p->call_lock);
	if (fd >= 0 && relay_start(p)) {
		pthread_mutex_unlock(&p->call_lock);
		return -1;
	}
	call_set(p, i, fd);
	pthread_mutex_unlock(&p->call_lock);
	return 0;
}

/* At reset: routes the device left behind go too. */
static void call_clear(struct virtio_pci *p)
{
	unsigned int i;

	pthread_mutex_lock(&p->call_lock);
	for (i = 0; i < p->nqueues; i++)
		if (p->q[i].call_fd >= 0)
			call_set(p, i, -1);
	pthread_mutex_unlock(&p->call_lock);
}

static const struct virtio_transport_ops virtio_pci_transport_ops = {
	.signal_queue = signal_queue,
	.signal_config = signal_config,
	.set_queue_callfd = set_queue_callfd,
};

/* 4.1.5.1.2: a vector the table lacks reads back as NO_VECTOR. */
static uint16_t vector_checked(struct virtio_pci *p, uint16_t v)
{
	return v < p->msix.nvec ? v : PCI_MSIX_NO_VECTOR;
}

/* ---- ioeventfds ---- */

static uint64_t notify_addr(struct virtio_pci *p, unsigned int q)
{
	return p->bar_addr + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q;
}

/*
 * Make the registrations match what is wanted: a queue the driver
 * enabled, DRIVER_OK, the BAR decoded, and a module that has
 * HVX_IOEVENTFD. Without one, the notify write exits to vmctl and
 * notify_write() signals the same eventfd: slower, same behaviour.
 */
static void ioev_sync(struct virtio_pci *p)
{
	struct vmctl_vm *vm = p->vdev.vm;
	unsigned int i;

	for (i = 0; i < p->nqueues; i++) {
		struct virtio_pci_queue *q = &p->q[i];
		bool want = vm->ioeventfd && p->ioev_on && q->ioev_want &&
			    p->bar_mapped;
		int fd = p->vdev.q[i].kick_fd;

		if (q->ioev_registered &&
		    (!want || q->ioev_addr != notify_addr(p, i))) {
			if (vmctl_vm_ioeventfd(vm, q->ioev_addr, 2, false, false,
					       0, fd, true))
				fprintf(stderr, "vmctl: %s: removing ioeventfd at %#llx: %s\n",
					p->pci.name,
					(unsigned long long)q->ioev_addr,
					strerror(errno));
			q->ioev_registered = false;
		}
		if (!want || q->ioev_registered)
			continue;
		q->ioev_addr = notify_addr(p, i);
		if (!vmctl_vm_ioeventfd(vm, q->ioev_addr, 2, false, false, 0,
					fd, false)) {
			q->ioev_registered = true;
		} else if (!p->ioev_told) {
			p->ioev_told = true;
			fprintf(stderr, "vmctl: %s: no ioeventfd at %#llx (%s): kicks exit to vmctl\n",
				p->pci.name, (unsigned long long)q->ioev_addr,
				strerror(errno));
		}
	}
}

static void ioev_set(struct virtio_pci *p, bool on)
{
	unsigned int i;

	pthread_mutex_lock(&p->ioev_lock);
	p->ioev_on = on;
	for (i = 0; i < p->nqueues; i++)
		p->q[i].ioev_want = on && p->vdev.q[i].enabled;
	ioev_sync(p);
	pthread_mutex_unlock(&p->ioev_lock);
}

static void bar_moved(struct pci_dev *d, int bar, bool was_mapped,
		      uint64_t old, bool now_mapped, uint64_t new)
{
	struct virtio_pci *p = container_of(d, struct virtio_pci, pci);

	(void)was_mapped;
	(void)old;
	if (bar != VIRTIO_PCI_BAR)
		return;
	pthread_mutex_lock(&p->ioev_lock);
	p->bar_mapped = now_mapped;
	p->bar_addr = new;
	ioev_sync(p);
	pthread_mutex_unlock(&p->ioev_lock);
}

static const struct pci_dev_ops virtio_pci_dev_ops = {
	.bar_moved = bar_moved,
};

/* ---- common configuration ---- */

static void reset(struct virtio_pci *p)
{
	unsigned int i;

	ioev_set(p, false);
	/* Stops the I/O thread: from here on guest memory is left alone. */
	virtio_dev_reset(&p->vdev);
	call_clear(p);
	p->device_feature_select = p->driver_feature_select = 0;
	p->queue_select = 0;
	atomic_store(&p->config_vector, PCI_MSIX_NO_VECTOR);
	for (i = 0; i < p->nqueues; i++)
		atomic_store(&p->q[i].vector, PCI_MSIX_NO_VECTOR);
	isr_read_clear(p);
}

static void status_write(struct virtio_pci *p, uint8_t v)
{
	struct virtio_dev *vdev = &p->vdev;
	uint8_t old = atomic_load(&vdev->status), want;

	if (!v) {
		reset(p);
		return;
	}
	/* 3.1.1: FEATURES_OK sticks only if we accept the features. */
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK) && !virtio_dev_features_ok(vdev))
		v &= ~VIRTIO_STATUS_FEATURES_OK;
	if (!(v & VIRTIO_STATUS_FEATURES_OK))
		v &= ~VIRTIO_STATUS_DRIVER_OK;
	/* NEEDS_RESET is the device's to set, and only a reset clears it. */
	do {
		want = (v & ~VIRTIO_STATUS_NEEDS_RESET) |
		       (old & VIRTIO_STATUS_NEEDS_RESET);
	} while (!atomic_compare_exchange_weak(&vdev->status, &old, want));
	if ((want & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!virtio_dev_driver_ok(vdev))
			ioev_set(p, true);
	}
}

static struct virtio_queue *selected(struct virtio_pci *p)
{
	return p->queue_select < p->nqueues ? &p->vdev.q[p->queue_select] : NULL;
}

static uint32_t common_read(struct virtio_pci *p, uint64_t off)
{
	struct virtio_dev *vdev = &p->vdev;
	struct virtio_queue *q = selected(p);
	uint32_t sel;

	switch (off) {
	case CC_DFSELECT:
		return p->device_feature_select;
	case CC_DF:
		sel = p->device_feature_select;
		return sel < 2 ? (uint32_t)(vdev->host_features >> (32 * sel)) : 0;
	case CC_GFSELECT:
		return p->driver_feature_select;
	case CC_GF:
		sel = p->driver_feature_select;
		return sel < 2 ? (uint32_t)(vdev->guest_features >> (32 * sel)) : 0;
	case CC_MSIX_CONFIG:
		return atomic_load(&p->config_vector);
	case CC_NUM_QUEUES:
		return p->nqueues;
	case CC_STATUS:
		return atomic_load(&vdev->status);
	case CC_CFG_GENERATION:
		return p->config_generation;
	case CC_Q_SELECT:
		return p->queue_select;
	}
	if (!q)
		return 0;	/* queue_size 0: no such queue (4.1.4.3.2) */
	switch (off) {
	case CC_Q_SIZE:
		return q->size;
	case CC_Q_MSIX:
		return atomic_load(&p->q[p->queue_select].vector);
	case CC_Q_ENABLE:
		return q->enabled;
	case CC_Q_NOTIFY_OFF:
		return p->queue_select;
	case CC_Q_DESC:
		return (uint32_t)q->desc;
	case CC_Q_DESC + 4:
		return q->desc >> 32;
	case CC_Q_DRIVER:
		return (uint32_t)q->driver;
	case CC_Q_DRIVER + 4:
		return q->driver >> 32;
	case CC_Q_DEVICE:
		return (uint32_t)q->device;
	case CC_Q_DEVICE + 4:
		return q->device >> 32;
	}
	return 0;
}

static void set_half(uint64_t *v, uint64_t off, uint32_t val)
{
	if (off % 8)
		*v = (*v & 0xffffffffull) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffull) | val;
}

static void common_write(struct virtio_pci *p, uint64_t off, uint32_t val)
{
	struct virtio_dev *vdev = &p->vdev;
	struct virtio_queue *q = selected(p);
	uint8_t status = atomic_load(&vdev->status);
	uint32_t sel;

	switch (off) {
	case CC_DFSELECT:
		p->device_feature_select = val;
		return;
	case CC_GFSELECT:
		p->driver_feature_select = val;
		return;
	case CC_GF:
		sel = p->driver_feature_select;
		/* Features are fixed once FEATURES_OK is set (3.1.1). */
		if (sel >= 2 || (status & VIRTIO_STATUS_FEATURES_OK))
			return;
		vdev->guest_features &= ~(0xffffffffull << (32 * sel));
		vdev->guest_features |= (uint64_t)val << (32 * sel);
		return;
	case CC_MSIX_CONFIG:
		atomic_store(&p->config_vector, vector_checked(p, val));
		return;
	case CC_STATUS:
		status_write(p, val);
		return;
	case CC_Q_SELECT:
		p->queue_select = val;
		return;
	}
	if (!q)
		return;
	if (off == CC_Q_MSIX) {
		atomic_store(&p->q[p->queue_select].vector, vector_checked(p, val));
		pthread_mutex_lock(&p->call_lock);
		if (p->q[p->queue_select].call_fd >= 0) {
			call_sync(p, p->queue_select);
			relay_kick(p);
		}
		pthread_mutex_unlock(&p->call_lock);
		return;
	}
	/*
	 * A queue is set up before it is enabled and before DRIVER_OK; the
	 * I/O thread owns it after. Later writes are ignored, so the rings
	 * it uses never change under it.
	 */
	if (q->enabled || (status & VIRTIO_STATUS_DRIVER_OK))
		return;
	switch (off) {
	case CC_Q_SIZE:
		/*
		 * A power of two up to the maximum (2.7), else the write is
		 * ignored: the driver reads back what the queue will be.
		 */
		if (val && !(val & (val - 1)) &&
		    val <= p->vdev.ops->queue_max_size)
			q->size = val;
		return;
	case CC_Q_ENABLE:
		if (val == 1)
			virtio_dev_queue_enable(vdev, p->queue_select);
		return;
	case CC_Q_DESC: case CC_Q_DESC + 4:
		set_half(&q->desc, off, val);
		return;
	case CC_Q_DRIVER: case CC_Q_DRIVER + 4:
		set_half(&q->driver, off, val);
		return;
	case CC_Q_DEVICE: case CC_Q_DEVICE + 4:
		set_half(&q->device, off, val);
		return;
	}
}

/* ---- BAR 0 ---- */

static uint64_t le_get(const void *data, unsigned int len)
{
	uint64_t v = 0;

	memcpy(&v, data, len > 8 ? 8 : len);
	return v;
}

static void bar_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct virtio_pci *p = opaque;
	uint64_t v = 0;

	memset(data, 0, len);
	if (off < VIRTIO_PCI_COMMON_LEN) {
		pthread_mutex_lock(&p->lock);
		if (len == 8 && field_width(off) == 4 && off >= CC_Q_DESC && !(off % 8))
			v = common_read(p, off) |
			    (uint64_t)common_read(p, off + 4) << 32;
		else if (len == field_width(off))
			v = common_read(p, off);
		pthread_mutex_unlock(&p->lock);
		memcpy(data, &v, len);
	} else if (off == VIRTIO_PCI_ISR_OFF) {
		*(uint8_t *)data = isr_read_clear(p);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF &&
		   off - VIRTIO_PCI_DEVICE_OFF < p->vdev.ops->config_size &&
		   len <= p->vdev.ops->config_size - (off - VIRTIO_PCI_DEVICE_OFF)) {
		p->vdev.ops->config_read(p->vdev.dev, off - VIRTIO_PCI_DEVICE_OFF,
					 data, len);
	}
	/* The notify area and the gaps read 0. */
}

static void notify_write(struct virtio_pci *p, uint64_t off)
{
	uint64_t q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;

	/*
	 * The same eventfd an ioeventfd would signal: the I/O thread cannot
	 * tell the paths apart. A queue not yet live keeps the count; the
	 * thread looks at every queue when it starts anyway.
	 */
	if (q < p->nqueues && eventfd_write(p->vdev.q[q].kick_fd, 1))
		fprintf(stderr, "vmctl: %s: kick: %s\n", p->pci.name,
			strerror(errno));
}

static void bar_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
	struct virtio_pci *p = opaque;
	uint64_t v = le_get(data, len);

	if (off < VIRTIO_PCI_COMMON_LEN) {
		pthread_mutex_lock(&p->lock);
		if (len == 8 && field_width(off) == 4 && off >= CC_Q_DESC && !(off % 8)) {
			common_write(p, off, (uint32_t)v);
			common_write(p, off + 4, v >> 32);
		} else if (len == field_width(off)) {
			common_write(p, off, (uint32_t)v);
		}
		pthread_mutex_unlock(&p->lock);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF &&
		   off - VIRTIO_PCI_DEVICE_OFF < p->vdev.ops->config_size &&
		   len <= p->vdev.ops->config_size - (off - VIRTIO_PCI_DEVICE_OFF)) {
		p->vdev.ops->config_write(p->vdev.dev, off - VIRTIO_PCI_DEVICE_OFF,
					  data, len);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		notify_write(p, off);
	}
	/* ISR is read-only; the gaps ignore writes. */
}

static const struct vmctl_io_ops virtio_pci_bar_ops = {
	.read = bar_read,
	.write = bar_write,
};

/* ---- creation ---- */

/* struct virtio_pci_cap (4.1.4), plus notify_off_multiplier for NOTIFY. */
static unsigned int add_cap(struct virtio_pci *p, uint8_t type, uint32_t off,
			    uint32_t len)
{
	uint8_t cap[20] = { 0 };
	unsigned int cap_len = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16;
	uint32_t mult = VIRTIO_PCI_NOTIFY_MULT;

	cap[2] = cap_len;
	cap[3] = type;
	cap[4] = VIRTIO_PCI_BAR;
	memcpy(&cap[8], &off, 4);
	memcpy(&cap[12], &len, 4);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		memcpy(&cap[16], &mult, 4);
	/* Read-only: the driver finds the structures, it does not move them. */
	return pci_dev_add_cap(&p->pci, PCI_CAP_ID_VNDR, cap_len, &cap[2], NULL);
}

struct virtio_pci *virtio_pci_create(struct vmctl_vm *vm,
				     struct pci_host *host,
				     const struct virtio_dev_ops *ops,
				     void *dev, uint32_t pci_class)
{
	struct virtio_pci *p;
	unsigned int i;

	if (!ops->nqueues || ops->nqueues > VIRTIO_PCI_MAX_QUEUES ||
	    ops->config_size > VIRTIO_PCI_DEVICE_MAX) {
		fprintf(stderr, "vmctl: %s: %u queues, %u config bytes: more than virtio-pci has room for\n",
			ops->name, ops->nqueues, ops->config_size);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto err_nomem;
	p->nqueues = ops->nqueues;
	p->q = calloc(p->nqueues, sizeof(*p->q));
	if (!p->q) {
		free(p);
		goto err_nomem;
	}
	atomic_store(&p->config_vector, PCI_MSIX_NO_VECTOR);
	for (i = 0; i < p->nqueues; i++) {
		atomic_store(&p->q[i].vector, PCI_MSIX_NO_VECTOR);
		p->q[i].call_fd = -1;
	}
	p->relaying = -1;
	p->relay_wake = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->call_lock, NULL);
	pthread_cond_init(&p->call_cond, NULL);
	pthread_mutex_init(&p->isr_lock, NULL);
	pthread_mutex_init(&p->ioev_lock, NULL);

	pci_dev_init(&p->pci, ops->name, &virtio_pci_dev_ops, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_DEVICE_BASE + ops->device_id, pci_class, 1,
		     VIRTIO_PCI_VENDOR, ops->device_id);
	p->pci.vm = vm;
	if (pci_dev_add_bar(&p->pci, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, false,
			    &virtio_pci_bar_ops, p))
		goto err_pci;
	if (!add_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		     VIRTIO_PCI_COMMON_LEN) ||
	    !add_cap(p, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1) ||
	    !add_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		     VIRTIO_PCI_NOTIFY_MULT * p->nqueues) ||
	    (ops->config_size &&
	     !add_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
		      ops->config_size))) {
		fprintf(stderr, "vmctl: %s: no room for the virtio capabilities\n",
			ops->name);
		goto err_pci;
	}
	/*
	 * One vector per queue and one for configuration changes, only where the module delivers MSIs (HVX_CAP_SIGNAL_MSI), else
	 * INTx alone: a driver would enable MSI-X and wait for interrupts
	 * that never come.
	 */
	if (vm->msi && pci_msix_init(&p->pci, &p->msix, p->nqueues + 1,
				     VIRTIO_PCI_MSIX_BAR))
		goto err_pci;
	if (p->pci.msix) {
		p->msix.vector_changed = msix_vector_changed;
		p->msix.control_changed = msix_control_changed;
		p->msix.opaque = p;
	}
	if (virtio_dev_init(&p->vdev, vm, ops, dev, &virtio_pci_transport_ops, p))
		goto err_msix;
	if (pci_host_add(host, &p->pci))
		goto err_vdev;
	/* Where pci_host_add() put BAR 0; bar_moved keeps it from now on. */
	pthread_mutex_lock(&p->pci.lock);
	p->bar_mapped = p->pci.bar[VIRTIO_PCI_BAR].mapped;
	p->bar_addr = p->pci.bar[VIRTIO_PCI_BAR].addr;
	pthread_mutex_unlock(&p->pci.lock);
	return p;

err_vdev:
	virtio_dev_destroy(&p->vdev);
err_msix:
	if (p->pci.msix)
		pci_msix_destroy(&p->msix);
err_pci:
	pci_dev_destroy(&p->pci);
	pthread_mutex_destroy(&p->ioev_lock);
	pthread_mutex_destroy(&p->isr_lock);
	pthread_cond_destroy(&p->call_cond);
	pthread_mutex_destroy(&p->call_lock);
	pthread_mutex_destroy(&p->lock);
	free(p->q);
	free(p);
	return NULL;
err_nomem:
	fprintf(stderr, "vmctl: %s: out of memory\n", ops->name);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	reset(p);
	pthread_mutex_unlock(&p->lock);
	relay_shutdown(p);
	virtio_dev_destroy(&p->vdev);
	if (p->pci.msix)
		pci_msix_destroy(&p->msix);
	pci_dev_destroy(&p->pci);
	pthread_mutex_destroy(&p->ioev_lock);
	pthread_mutex_destroy(&p->isr_lock);
	pthread_cond_destroy(&p->call_cond);
	pthread_mutex_destroy(&p->call_lock);
	pthread_mutex_destroy(&p->lock);
	free(p->q);
	free(p);
}
