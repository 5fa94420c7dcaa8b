// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (net.h): the device side of virtio 1.2, 5.1, over tap queues
 * (or, in the unit tests, datagram sockets) that carry one frame per
 * read() or write(), each prefixed by the 12-byte struct virtio_net_hdr_v1
 * that the driver reads and writes too. So the data path copies nothing:
 * a transmitted chain goes to the fd with writev() as the driver laid it
 * out (behind our own copy of its header, net_tx.c), and a received
 * frame is readv() straight into the driver's receive buffers (net_rx.c).
 *
 * This file: creation, the configuration space, the features offered,
 * the tap's offloads and queues, start and stop (vhost or threads), and
 * the pairs' threads. The receive path is net_rx.c, the transmit path
 * net_tx.c, the control queue net_ctrl.c; what they share, net_internal.h.
 *
 * Threading: one thread per queue pair, started at DRIVER_OK (ops->start)
 * and joined at reset or destruction (ops->stop). It waits in poll() on
 * its tap queue, its RX and TX kick eventfds, a wake eventfd (the number
 * of pairs in use changed) and the stop eventfd; pair 0's thread also
 * serves the control queue. With vhost (opts->vhost and /dev/vhost-net),
 * the kernel serves the pairs and only the control queue has a thread.
 *
 * Every chain comes from a possibly hostile guest: a ring or descriptor
 * breach breaks the device (DEVICE_NEEDS_RESET); what each queue does
 * with a chain it can walk is said in net_rx.c, net_tx.c and net_ctrl.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "virtio/net.h"
#include "virtio/net_internal.h"
#include "virtio/pci.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"

#define VIRTIO_ID_NET		1
#define VIRTIO_NET_PCI_CLASS	0x020000	/* network, Ethernet */

#define VIRTIO_NET_S_LINK_UP		1

/*
 * Without GUEST_TSO*, a received frame is at most the MTU, the Ethernet
 * header and a VLAN tag (with them, NET_RX_MAX_GSO).
 */
#define NET_DEFAULT_MTU			1500
#define NET_MIN_MTU			68	/* 5.1.4.1 */

/* The features the model serves itself, whatever the data path. */
#define NET_MODEL_FEATURES	(VIRTIO_BIT(VIRTIO_NET_F_MAC) | \
				 VIRTIO_BIT(VIRTIO_NET_F_STATUS) | \
				 VIRTIO_BIT(VIRTIO_NET_F_MTU) | \
				 VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) | \
				 VIRTIO_BIT(VIRTIO_NET_F_MQ))
/*
 * The features that change how the rings are walked and how long the
 * header is: vhost serves those, so with vhost they are what it reports.
 * The offloads are the tap's (TUNSETOFFLOAD), whatever reads the tap.
 */
#define NET_RING_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
				 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
				 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))
#define NET_TAP_OFFLOADS	(VIRTIO_BIT(VIRTIO_NET_F_CSUM) | \
				 VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | \
				 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | \
				 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) | \
				 VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | \
				 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | \
				 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | \
				 VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN))

/* ---- shared by the queues (net_internal.h) ---- */

void net_io_error(struct virtio_net *n, const char *what, int err)
{
	if (!atomic_exchange(&n->io_told, true))
		fprintf(stderr, "vmctl: virtio-net: %s: %s (frames are dropped)\n",
			what, strerror(err));
}

void net_iov_read_head(const struct iovec *iov, unsigned int n, void *dst,
		       size_t len)
{
	unsigned int i;
	char *d = dst;

	for (i = 0; i < n && len; i++) {
		size_t take = iov[i].iov_len < len ? iov[i].iov_len : len;

		virtq_guest_read(d, iov[i].iov_base, take);
		d += take;
		len -= take;
	}
}

/* ---- the tap ---- */

/* The offloads the tap may hand us, from what the driver accepted. */
static unsigned int tap_offloads(const struct virtio_dev *vdev)
{
	unsigned int f = 0;

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
		return 0;	/* TSO needs the checksum offload (5.1.3.1) */
	f |= TUN_F_CSUM;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if ((f & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN))
		f |= TUN_F_TSO_ECN;
	return f;
}

static void tap_set_offload(struct virtio_net *n, unsigned int flags)
{
	unsigned int i;

	if (!n->tap)
		return;
	for (i = 0; i < n->npairs; i++)
		if (ioctl(n->pair[i]->fd, TUNSETOFFLOAD, flags) < 0)
			net_io_error(n, "TUNSETOFFLOAD", errno);
}

/*
 * A multiqueue tap steers frames to its attached queues only: a pair the
 * driver does not use is detached, so that no flow lands where nobody
 * reads (QEMU does the same). Pair 0 is never detached.
 */
void net_tap_attach_pairs(struct virtio_net *n, unsigned int pairs)
{
	unsigned int i;

	if (!n->tap || n->npairs < 2)
		return;
	for (i = 1; i < n->npairs; i++) {
		struct net_pair *p = n->pair[i];
		bool want = i < pairs;
		struct ifreq ifr = {
			.ifr_flags = want ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE,
		};

		if (p->attached == want)
			continue;
		if (ioctl(p->fd, TUNSETQUEUE, &ifr) < 0) {
			net_io_error(n, "TUNSETQUEUE", errno);
			continue;
		}
		p->attached = want;
	}
}

/* ---- the pair's thread ---- */

enum { PFD_TAP, PFD_RX, PFD_TX, PFD_WAKE, PFD_STOP, PFD_CTRL, PFD_N };

static void drain(int fd)
{
	eventfd_t v;

	eventfd_read(fd, &v);	/* non-blocking */
}

static void poll_setup(struct net_pair *p, struct pollfd *pfd, bool data)
{
	struct virtio_net *n = p->n;
	struct virtio_dev *vdev = n->vdev;
	bool broken = virtio_dev_is_broken(vdev);

	for (int i = 0; i < PFD_N; i++)
		pfd[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
	/*
	 * A negative fd is not polled: the tap only while RX can take frames
	 * or TX waits for room.
	 */
	pfd[PFD_TAP].events = 0;
	if (data && !broken && net_rx_active(p) && !p->rx_waiting)
		pfd[PFD_TAP].events |= POLLIN;
	if (data && !broken && p->tx_waiting)
		pfd[PFD_TAP].events |= POLLOUT;
	if (pfd[PFD_TAP].events)
		pfd[PFD_TAP].fd = p->fd;
	if (data) {
		pfd[PFD_RX].fd = vdev->q[net_rxq(p)].kick_fd;
		pfd[PFD_TX].fd = vdev->q[net_txq(p)].kick_fd;
		pfd[PFD_WAKE].fd = p->wake_fd;
	}
	pfd[PFD_STOP].fd = n->stop_fd;
	if (p->index == 0 && n->ctrl_q >= 0)
		pfd[PFD_CTRL].fd = vdev->q[n->ctrl_q].kick_fd;
}

/*
 * Pair @p's thread; @data false for pair 0's with vhost (the control
 * queue only).
 */
static void pair_loop(struct net_pair *p, bool data)
{
	struct virtio_net *n = p->n;
	struct pollfd pfd[PFD_N];

	/* Kicks that came before DRIVER_OK are in the rings already. */
	if (data) {
		net_tx_serve(p);
		net_rx_serve(p);
	}
	if (p->index == 0)
		net_ctrl_serve(n, p);
	while (!atomic_load(&n->stopping)) {
		bool try_rx;

		poll_setup(p, pfd, data);
		if (poll(pfd, PFD_N, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vmctl: virtio-net: poll: %s\n",
				strerror(errno));
			break;
		}
		if (pfd[PFD_STOP].revents)
			break;
		if (pfd[PFD_CTRL].revents & POLLIN) {
			drain(pfd[PFD_CTRL].fd);
			net_ctrl_serve(n, p);
		}
		if (!data)
			continue;
		if (pfd[PFD_TAP].revents & POLLOUT)
			p->tx_waiting = false;
		if (pfd[PFD_TX].revents & POLLIN)
			drain(pfd[PFD_TX].fd);
		if (pfd[PFD_TX].revents & POLLIN || pfd[PFD_TAP].revents & POLLOUT)
			net_tx_serve(p);
		try_rx = pfd[PFD_TAP].revents & POLLIN;
		if (pfd[PFD_RX].revents & POLLIN) {
			/* The driver gave buffers: the tap is read again. */
			drain(pfd[PFD_RX].fd);
			p->rx_waiting = false;
			try_rx = true;
		}
		if (pfd[PFD_WAKE].revents & POLLIN) {
			drain(pfd[PFD_WAKE].fd);
			p->rx_waiting = false;
			try_rx = true;
		}
		/*
		 * An error on a queue still in use: it will not come back.
		 * RX stops; TX writes, fails and drops what the driver sends.
		 */
		if (pfd[PFD_TAP].revents & (POLLERR | POLLHUP | POLLNVAL) &&
		    !(pfd[PFD_TAP].revents & (POLLIN | POLLOUT)) &&
		    (net_rx_active(p) || p->tx_waiting)) {
			net_io_error(n, "the tap queue", EPIPE);
			p->fd_gone = true;
			if (p->tx_waiting) {
				p->tx_waiting = false;
				net_tx_serve(p);
			}
		}
		if (try_rx)
			net_rx_serve(p);
	}
}

static void *pair_thread(void *arg)
{
	struct net_pair *p = arg;

	pair_loop(p, !p->n->vhost_running);
	return NULL;
}

/* ---- start and stop ---- */

static int start_thread(struct virtio_net *n, struct net_pair *p)
{
	int err = pthread_create(&p->thread, NULL, pair_thread, p);

	if (err) {
		fprintf(stderr, "vmctl: virtio-net: queue pair %u thread: %s\n",
			p->index, strerror(err));
		return -1;
	}
	p->running = true;
	return 0;
}

static void join_threads(struct virtio_net *n)
{
	unsigned int i;

	atomic_store(&n->stopping, true);
	if (eventfd_write(n->stop_fd, 1))
		fprintf(stderr, "vmctl: virtio-net: stop: %s\n", strerror(errno));
	for (i = 0; i < n->npairs; i++) {
		if (!n->pair[i]->running)
			continue;
		/* The frame in flight completes; then nothing touches the guest. */
		pthread_join(n->pair[i]->thread, NULL);
		n->pair[i]->running = false;
	}
}

static void stop_vhost(struct virtio_net *n, unsigned int upto)
{
	unsigned int i;

	for (i = 0; i < upto; i++)
		vhost_net_stop(n->pair[i]->vhost);
	n->vhost_running = false;
}

/*
 * Hand the pairs to vhost; false (none left running) if any refuses: the
 * threads serve the run instead, with the same features.
 */
static bool start_vhost(struct virtio_net *n, struct virtio_dev *vdev)
{
	uint64_t f = vdev->guest_features & ~NET_MODEL_FEATURES;
	unsigned int i;

	for (i = 0; i < n->usable_pairs; i++) {
		if (vhost_net_start(n->pair[i]->vhost, vdev, 2 * i, f,
				    n->pair[i]->fd)) {
			stop_vhost(n, i);
			/* It would fail the same way next time: threads from now. */
			atomic_store(&n->use_vhost, false);
			fprintf(stderr, "vmctl: virtio-net: vhost-net did not start; vmctl's threads serve the queues\n");
			return false;
		}
	}
	n->vhost_running = true;
	return true;
}

static int net_start(void *dev, struct virtio_dev *vdev)
{
	struct virtio_net *n = dev;
	bool mq = virtio_has_feature(vdev, VIRTIO_NET_F_MQ);
	unsigned int i, mtu = n->mtu ? n->mtu : NET_DEFAULT_MTU;
	eventfd_t v;

	n->vdev = vdev;
	eventfd_read(n->stop_fd, &v);	/* a stop from a previous run */
	atomic_store(&n->stopping, false);
	/* 5.1.2: the control queue is 2N with MQ, else queue 2. */
	n->usable_pairs = mq ? n->npairs : 1;
	n->ctrl_q = -1;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ))
		n->ctrl_q = mq ? 2 * n->npairs : 2;
	/* 5.1.6.5.5: one pair until the driver sets more. */
	atomic_store(&n->active_pairs, 1);
	n->mrg_rxbuf = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	n->rx_need = VIRTIO_NET_HDR_LEN + mtu + 14 + 4;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4) ||
	    virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
		n->rx_need = NET_RX_MAX_GSO;
	for (i = 0; i < n->npairs; i++) {
		struct net_pair *p = n->pair[i];

		p->rx_waiting = p->tx_waiting = p->fd_gone = false;
		drain(p->wake_fd);
	}
	tap_set_offload(n, tap_offloads(vdev));
	net_tap_attach_pairs(n, 1);

	if (atomic_load(&n->use_vhost) && start_vhost(n, vdev)) {
		/* vhost serves the pairs; pair 0's thread, the control queue. */
		if (n->ctrl_q >= 0 && start_thread(n, n->pair[0]))
			goto fail;
		return 0;
	}
	for (i = 0; i < n->usable_pairs; i++)
		if (start_thread(n, n->pair[i]))
			goto fail;
	return 0;

fail:
	join_threads(n);
	if (n->vhost_running)
		stop_vhost(n, n->usable_pairs);
	tap_set_offload(n, 0);
	net_tap_attach_pairs(n, n->npairs);
	return -1;
}

static void net_stop(void *dev)
{
	struct virtio_net *n = dev;

	join_threads(n);
	if (n->vhost_running)
		stop_vhost(n, n->usable_pairs);
	/* The next driver starts from a tap that offloads nothing. */
	tap_set_offload(n, 0);
	net_tap_attach_pairs(n, n->npairs);
}

/* ---- virtio_dev_ops ---- */

static uint64_t net_features(void *dev)
{
	return ((struct virtio_net *)dev)->features;
}

static void net_config_read(void *dev, uint32_t off, void *data,
			    unsigned int len)
{
	struct virtio_net *n = dev;

	/* The transport checked the range. */
	pthread_mutex_lock(&n->config_lock);
	memcpy(data, (uint8_t *)&n->config + off, len);
	pthread_mutex_unlock(&n->config_lock);
}

static void net_config_write(void *dev, uint32_t off, const void *data,
			     unsigned int len)
{
	/*
	 * Only the MAC is writable, and only for a legacy driver or without
	 * CTRL_MAC_ADDR (5.1.4.2): a modern driver does not write it, and the
	 * tap's filters know the MAC we were given.
	 */
	(void)dev, (void)off, (void)data, (void)len;
}

static const struct virtio_dev_ops virtio_net_ops_template = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.queue_max_size = NET_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.features = net_features,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.start = net_start,
	.stop = net_stop,
};

/* ---- creation ---- */

static struct net_pair *pair_new(struct virtio_net *n, unsigned int i, int fd)
{
	struct net_pair *p = calloc(1, sizeof(*p));
	int fl;

	if (!p) {
		fprintf(stderr, "vmctl: virtio-net: out of memory\n");
		return NULL;
	}
	p->n = n;
	p->index = i;
	p->fd = fd;
	p->attached = true;	/* as the tap was made */
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->discard = malloc(NET_RX_DISCARD);
	if (p->wake_fd < 0 || !p->discard)
		goto err;
	/*
	 * The thread reads until the fd is empty and never waits in a read
	 * or write: poll() is where it waits, for the stop eventfd too.
	 */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		goto err;
	return p;
err:
	fprintf(stderr, "vmctl: virtio-net: queue pair %u: %s\n", i,
		strerror(errno ? errno : ENOMEM));
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	free(p->discard);
	free(p);
	return NULL;
}

static void pair_free(struct net_pair *p)
{
	if (!p)
		return;
	vhost_net_close(p->vhost);
	close(p->wake_fd);
	free(p->discard);
	free(p);
}

/*
 * vhost for every pair, or for none: the offered features then follow
 * what the kernel serves of the ring's (the offloads are the tap's).
 */
static void open_vhost(struct virtio_net *n)
{
	uint64_t vf = ~0ull;
	unsigned int i;

	for (i = 0; i < n->npairs; i++) {
		n->pair[i]->vhost = vhost_net_open();
		if (!n->pair[i]->vhost) {
			if (errno != ENOENT)
				fprintf(stderr, "vmctl: virtio-net: /dev/vhost-net: %s; vmctl's threads serve the queues\n",
					strerror(errno));
			goto none;
		}
		vf &= vhost_net_features(n->pair[i]->vhost);
	}
	/* The core offers the ring features always: vhost must serve them. */
	if ((vf & NET_RING_FEATURES) != NET_RING_FEATURES) {
		fprintf(stderr, "vmctl: virtio-net: vhost-net lacks ring features (%#llx); vmctl's threads serve the queues\n",
			(unsigned long long)vf);
		goto none;
	}
	if (!(vf & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)))
		n->features &= ~VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	atomic_store(&n->use_vhost, true);
	return;
none:
	for (i = 0; i < n->npairs; i++) {
		vhost_net_close(n->pair[i]->vhost);
		n->pair[i]->vhost = NULL;
	}
}

static uint64_t offered_features(const struct virtio_net_opts *o)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		     VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);

	if (o->mtu)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
	if (o->queue_pairs > 1)
		f |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) | VIRTIO_BIT(VIRTIO_NET_F_MQ);
	/* Only a tap can take and give frames that want offloads. */
	if (o->tap)
		f |= NET_TAP_OFFLOADS;
	return f;
}

static bool opts_ok(const struct virtio_net_opts *o)
{
	if (!o->queue_pairs || o->queue_pairs > VIRTIO_NET_MAX_QUEUE_PAIRS ||
	    !o->fds) {
		fprintf(stderr, "vmctl: virtio-net: %u queue pairs (1 to %u)\n",
			o->queue_pairs, VIRTIO_NET_MAX_QUEUE_PAIRS);
		return false;
	}
	if (o->mtu && o->mtu < NET_MIN_MTU) {
		fprintf(stderr, "vmctl: virtio-net: MTU %u below %u\n", o->mtu,
			NET_MIN_MTU);
		return false;
	}
	return true;
}

struct virtio_net *virtio_net_create(struct vmctl_vm *vm, struct pci_host *host,
				     const struct virtio_net_opts *opts)
{
	struct virtio_net *n;
	unsigned int i;

	if (!opts_ok(opts))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		fprintf(stderr, "vmctl: virtio-net: out of memory\n");
		return NULL;
	}
	n->npairs = opts->queue_pairs;
	n->nqueues = 2 * n->npairs + (n->npairs > 1);
	n->tap = opts->tap;
	n->mtu = opts->mtu;
	n->features = offered_features(opts);
	n->ctrl_q = -1;
	pthread_mutex_init(&n->config_lock, NULL);
	memcpy(n->config.mac, opts->mac, sizeof(n->config.mac));
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->config.max_virtqueue_pairs = n->npairs;
	n->config.mtu = opts->mtu;
	n->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->stop_fd < 0) {
		fprintf(stderr, "vmctl: virtio-net: eventfd: %s\n",
			strerror(errno));
		goto err_free;
	}
	for (i = 0; i < n->npairs; i++) {
		errno = 0;
		n->pair[i] = pair_new(n, i, opts->fds[i]);
		if (!n->pair[i])
			goto err_pairs;
	}
	if (opts->vhost)
		open_vhost(n);

	n->ops = virtio_net_ops_template;
	n->ops.nqueues = n->nqueues;
	n->pci = virtio_pci_create(vm, host, &n->ops, n, VIRTIO_NET_PCI_CLASS);
	if (!n->pci)
		goto err_pairs;
	return n;

err_pairs:
	for (i = 0; i < n->npairs; i++)
		pair_free(n->pair[i]);
	close(n->stop_fd);
err_free:
	pthread_mutex_destroy(&n->config_lock);
	free(n);
	return NULL;
}

void virtio_net_destroy(struct virtio_net *n)
{
	unsigned int i;

	if (!n)
		return;
	virtio_pci_destroy(n->pci);	/* stops the threads or vhost */
	for (i = 0; i < n->npairs; i++)
		pair_free(n->pair[i]);
	close(n->stop_fd);
	pthread_mutex_destroy(&n->config_lock);
	free(n);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
	struct virtio_dev *vdev = &n->pci->vdev;
	uint16_t want = up ? VIRTIO_NET_S_LINK_UP : 0;
	bool changed;

	pthread_mutex_lock(&n->config_lock);
	changed = n->config.status != want;
	n->config.status = want;
	pthread_mutex_unlock(&n->config_lock);
	/*
	 * 4.1.5.1.4: a configuration change interrupt, for a driver that is
	 * there to take it: before DRIVER_OK an INTx would have no handler.
	 */
	if (changed && (atomic_load(&vdev->status) & VIRTIO_STATUS_DRIVER_OK))
		vdev->tops->signal_config(vdev->transport);
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < n->npairs; i++) {
		struct net_pair *p = n->pair[i];

		st->rx_packets += atomic_load(&p->rx_packets);
		st->rx_bytes += atomic_load(&p->rx_bytes);
		st->rx_dropped += atomic_load(&p->rx_dropped);
		st->tx_packets += atomic_load(&p->tx_packets);
		st->tx_bytes += atomic_load(&p->tx_bytes);
		st->tx_dropped += atomic_load(&p->tx_dropped);
	}
	st->vhost = atomic_load(&n->use_vhost);
}
