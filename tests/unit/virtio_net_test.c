// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net end to end, as a guest driver sees it: the real PCI host and
 * MSI-X (pci/), the virtio-PCI transport reached through the MMIO bus,
 * the queue pairs' threads, and SOCK_SEQPACKET socket pairs in place of
 * tap queues (one frame per datagram, with the 12-byte header): the test
 * holds the peer ends and checks every byte that crosses.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pci/pci.h"
#include "unit.h"
#include "virtio/net.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio_driver.h"
#include "virtio_fake_vm.h"

#define MEM_SIZE	(64ull << 20)
#define QSIZE		256
#define HDR		VIRTIO_NET_HDR_LEN

/* virtio-net feature bits (5.1.3). */
#define F_CSUM		(1ull << 0)
#define F_GUEST_CSUM	(1ull << 1)
#define F_MTU		(1ull << 3)
#define F_MAC		(1ull << 5)
#define F_OFFLOADS	(0x3f83ull)	/* CSUM, GUEST_CSUM, 7..13 */
#define F_MRG_RXBUF	(1ull << 15)
#define F_STATUS	(1ull << 16)
#define F_CTRL_VQ	(1ull << 17)
#define F_MQ		(1ull << 22)
#define F_EVENT_IDX	(1ull << 29)
#define F_VERSION_1	(1ull << 32)

static struct vmctl_vm vm;
static struct pci_host host;

struct drv {
	struct vdrv v;
	unsigned int nq;
	struct vdrv_queue q[VIRTIO_NET_MAX_QUEUE_PAIRS * 2 + 1];
	unsigned int npairs;
	const int *fds, *peer;		/* the nic's */
};

/* A device, its driver and the peers of its queue pairs. */
struct nic {
	struct virtio_net *n;
	struct drv dr;
	unsigned int pairs;
	int fds[VIRTIO_NET_MAX_QUEUE_PAIRS];	/* the device's ends */
	int peer[VIRTIO_NET_MAX_QUEUE_PAIRS];	/* the test's */
	uint64_t buf;				/* buffers from here */
};

static const uint8_t mac_a[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static void drain_fd(int fd);

/*
 * Reset, features (offered & @want), @nq queues, DRIVER_OK. What earlier
 * cases left in the socket pairs is dropped while the device is stopped.
 */
static bool drv_init(struct drv *dr, uint64_t want, unsigned int nq)
{
	unsigned int i;

	vdrv_w(&dr->v, STATUS, 0, 1);
	if (vdrv_r(&dr->v, STATUS, 1))
		return false;
	for (i = 0; i < dr->npairs; i++) {
		drain_fd(dr->fds[i]);
		drain_fd(dr->peer[i]);
	}
	if (!vdrv_negotiate(&dr->v, want))
		return false;
	dr->nq = nq;
	for (i = 0; i < nq; i++)
		if (!vdrv_queue_setup(&dr->v, i, &dr->q[i], PCI_MSIX_NO_VECTOR))
			return false;
	vdrv_w(&dr->v, STATUS, 0xf, 1);
	return vdrv_r(&dr->v, STATUS, 1) == 0xf;
}

static uint16_t set_desc(struct vdrv_queue *q, uint64_t addr, uint32_t len,
			 uint16_t flags)
{
	uint16_t i = q->next_desc++ % q->size;

	vdrv_desc(q, i, addr, len, flags, (i + 1) % q->size);
	return i;
}

/* Make chain @head available; used_event asks for the next used entry. */
static void publish(struct vdrv_queue *q, uint16_t head)
{
	vdrv_publish(q, head, vdrv_used_idx(q));
}

static uint16_t *avail_of(struct vdrv_queue *q)
{
	return vdrv_gpa(VDRV_AVAIL(q));
}

static void kick(struct drv *dr, unsigned int qi)
{
	vdrv_kick(&dr->v, qi, dr->q[qi].notify_off);
}

/*
 * Kick as Linux does with EVENT_IDX: only if the device's avail_event lies
 * in what was published since @old (vring_need_event).
 */
static bool kick_if_asked(struct drv *dr, unsigned int qi, uint16_t old)
{
	struct vdrv_queue *q = &dr->q[qi];
	uint16_t ev = __atomic_load_n((uint16_t *)vdrv_gpa(VDRV_USED(q) + 4 + 8 * q->size),
				      __ATOMIC_SEQ_CST);

	if ((uint16_t)(q->avail_idx - ev - 1) < (uint16_t)(q->avail_idx - old)) {
		kick(dr, qi);
		return true;
	}
	return false;
}

/* One writable buffer of @len bytes as a receive chain. */
static uint16_t rx_post(struct drv *dr, unsigned int qi, uint64_t addr,
			uint32_t len)
{
	struct vdrv_queue *q = &dr->q[qi];
	uint16_t head = set_desc(q, addr, len, VIRTQ_DESC_F_WRITE);

	memset(vdrv_gpa(addr), 0xee, len);
	publish(q, head);
	return head;
}

/* A frame @len bytes long (header included) at @addr, @seed-patterned. */
static void make_frame(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed);
	if (len >= HDR)
		memset(p, 0, HDR);	/* no offloads; num_buffers 0 */
	if (len > HDR + 2)
		p[HDR] = seed, p[HDR + 1] = seed >> 8;
}

/* A transmit chain of the frame at @addr in @nseg descriptors. */
static uint16_t tx_post(struct drv *dr, unsigned int qi, uint64_t addr,
			uint32_t len, unsigned int nseg)
{
	struct vdrv_queue *q = &dr->q[qi];
	uint32_t done = 0, part = len / nseg;
	uint16_t head = q->next_desc % q->size;
	unsigned int i;

	for (i = 0; i < nseg; i++) {
		uint32_t l = i == nseg - 1 ? len - done : part;

		set_desc(q, addr + done, l, i == nseg - 1 ? 0 : VIRTQ_DESC_F_NEXT);
		done += l;
	}
	publish(q, head);
	return head;
}

/* Receive one datagram at @fd within @ms, or -1. */
static ssize_t peer_recv(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(fd, buf, len, MSG_DONTWAIT);
}

static void drain_fd(int fd)
{
	static uint8_t junk[70000];

	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
}

static bool peer_send(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, 0) == (ssize_t)len;
}

static uint8_t isr(struct drv *dr)
{
	return vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1);
}

static struct virtio_net_stats stats(struct nic *c)
{
	struct virtio_net_stats st;

	virtio_net_get_stats(c->n, &st);
	return st;
}

static bool nic_create(struct nic *c, unsigned int pairs, uint16_t mtu,
		       uint64_t rings, bool vhost)
{
	struct virtio_net_opts o = {
		.mtu = mtu, .queue_pairs = pairs, .fds = c->fds, .vhost = vhost,
	};
	unsigned int i, s;

	memset(c, 0, sizeof(*c));
	memcpy(o.mac, mac_a, 6);
	c->pairs = pairs;
	for (i = 0; i < pairs; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
			return false;
		c->fds[i] = sv[0];
		c->peer[i] = sv[1];
	}
	c->n = virtio_net_create(&vm, &host, &o);
	if (!c->n)
		return false;
	for (s = PCI_MAX_SLOTS - 1; s > 0 && !host.slot[s]; s--)
		;
	c->dr.v.d = host.slot[s];
	c->dr.npairs = pairs;
	c->dr.fds = c->fds;
	c->dr.peer = c->peer;
	c->dr.v.bar = vdrv_cfg_r(c->dr.v.d, PCI_BASE_ADDRESS_0, 4) & ~0xfull;
	for (i = 0; i < ARRAY_SIZE(c->dr.q); i++)
		c->dr.q[i].base = rings + 0x4000ull * i;
	c->buf = rings + 0x100000;
	return true;
}

static void nic_destroy(struct nic *c)
{
	virtio_net_destroy(c->n);
	for (unsigned int i = 0; i < c->pairs; i++) {
		close(c->fds[i]);
		close(c->peer[i]);
	}
}

static const uint64_t STD = F_MAC | F_STATUS | F_MTU | F_VERSION_1 |
			    F_EVENT_IDX | (1ull << 28);

/* ---- cases ---- */

static void test_config(struct nic *c)
{
	struct drv *dr = &c->dr;
	uint8_t mac[6];
	struct tcase tc;

	case_begin(&tc);
	check(&tc, vdrv_cfg_r(dr->v.d, PCI_VENDOR_ID, 2) == 0x1af4 &&
	      vdrv_cfg_r(dr->v.d, PCI_DEVICE_ID, 2) == 0x1041, "IDs %04x:%04x",
	      vdrv_cfg_r(dr->v.d, PCI_VENDOR_ID, 2), vdrv_cfg_r(dr->v.d, PCI_DEVICE_ID, 2));
	check(&tc, (vdrv_cfg_r(dr->v.d, PCI_REVISION_ID, 4) >> 8) == 0x020000,
	      "class %06x", vdrv_cfg_r(dr->v.d, PCI_REVISION_ID, 4) >> 8);
	check(&tc, vdrv_r(&dr->v, NUM_QUEUES, 2) == 2, "num_queues %u",
	      (unsigned int)vdrv_r(&dr->v, NUM_QUEUES, 2));
	for (int i = 0; i < 6; i++)
		mac[i] = vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + i, 1);
	check(&tc, !memcmp(mac, mac_a, 6), "MAC %02x:%02x:...", mac[0], mac[1]);
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 6, 2) == 1, "status %u",
	      (unsigned int)vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 6, 2));
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 8, 2) == 1, "max pairs %u",
	      (unsigned int)vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 8, 2));
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 10, 2) == 1500, "mtu %u",
	      (unsigned int)vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 10, 2));
	/* 5.1.4.2: a modern driver does not write the MAC; writes are ignored. */
	vdrv_w(&dr->v, VIRTIO_PCI_DEVICE_OFF, 0xff, 1);
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF, 1) == mac_a[0], "MAC written");
	case_end(&tc, "virtio-net: IDs, class, config space (MAC, status, pairs, MTU)");
}

static void test_features(struct nic *c, struct nic *c2)
{
	uint64_t f, f2;
	struct tcase tc;

	case_begin(&tc);
	vdrv_w(&c->dr.v, STATUS, 0, 1);
	vdrv_w(&c->dr.v, STATUS, 3, 1);
	f = vdrv_offered(&c->dr.v);
	check(&tc, (f & (F_MAC | F_STATUS | F_MTU | F_MRG_RXBUF | F_VERSION_1)) ==
	      (F_MAC | F_STATUS | F_MTU | F_MRG_RXBUF | F_VERSION_1),
	      "base features missing: %#llx", (unsigned long long)f);
	check(&tc, !(f & F_OFFLOADS), "offloads without a tap: %#llx",
	      (unsigned long long)(f & F_OFFLOADS));
	check(&tc, !(f & (F_CTRL_VQ | F_MQ)), "CTRL_VQ/MQ with one pair");
	check(&tc, !(f & ((1ull << 10) | (1ull << 14))), "UFO offered");
	vdrv_w(&c2->dr.v, STATUS, 0, 1);
	vdrv_w(&c2->dr.v, STATUS, 3, 1);
	f2 = vdrv_offered(&c2->dr.v);
	check(&tc, (f2 & (F_CTRL_VQ | F_MQ)) == (F_CTRL_VQ | F_MQ) && !(f2 & F_MTU),
	      "two pairs, no MTU: %#llx", (unsigned long long)f2);
	check(&tc, vdrv_r(&c2->dr.v, NUM_QUEUES, 2) == 5, "num_queues %u with two pairs",
	      (unsigned int)vdrv_r(&c2->dr.v, NUM_QUEUES, 2));
	vdrv_w(&c2->dr.v, STATUS, 0, 1);
	vdrv_w(&c->dr.v, STATUS, 0, 1);
	case_end(&tc, "virtio-net: features: no offloads without a tap, MQ only with pairs");
}

static void test_tx(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[1];
	static uint8_t got[2048];
	uint16_t lens[3] = { HDR + 60, HDR + 1000, HDR + 1514 };
	uint16_t heads[3];
	struct virtio_net_stats st0 = stats(c), st;
	struct tcase tc;
	int i;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2), "driver init");
	isr(dr);
	for (i = 0; i < 3; i++) {
		make_frame(vdrv_gpa(c->buf + 0x1000 * i), lens[i], i + 1);
		/* One descriptor, three, and the header split from the frame. */
		heads[i] = tx_post(dr, 1, c->buf + 0x1000 * i, lens[i],
				   i == 0 ? 1 : 3);
	}
	kick(dr, 1);
	check(&tc, vdrv_wait_used(q, 3, 3000), "used idx %u", vdrv_used_idx(q));
	for (i = 0; i < 3; i++) {
		ssize_t n = peer_recv(c->peer[0], got, sizeof(got), 1000);

		check(&tc, n == lens[i] && !memcmp(got, vdrv_gpa(c->buf + 0x1000 * i), n),
		      "frame %d: %zd bytes, want %u, or bytes differ", i, n, lens[i]);
		check(&tc, vdrv_used_id(q, i) == heads[i] && vdrv_used_len(q, i) == 0,
		      "used %d: id %u len %u", i, vdrv_used_id(q, i), vdrv_used_len(q, i));
	}
	check(&tc, peer_recv(c->peer[0], got, sizeof(got), 20) < 0, "a fourth frame");
	check(&tc, isr(dr) & 1, "no queue interrupt");
	st = stats(c);
	check(&tc, st.tx_packets - st0.tx_packets == 3 &&
	      st.tx_bytes - st0.tx_bytes == 60 + 1000 + 1514u && !st.vhost,
	      "stats %llu packets %llu bytes",
	      (unsigned long long)(st.tx_packets - st0.tx_packets),
	      (unsigned long long)(st.tx_bytes - st0.tx_bytes));
	case_end(&tc, "virtio-net: TX frames reach the peer byte-exact, used ring, interrupt");
}

static void test_rx(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[0];
	uint8_t frame[HDR + 100], *b = vdrv_gpa(c->buf);
	struct virtio_net_stats st0 = stats(c), st;
	uint16_t head, nb;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2), "driver init");
	isr(dr);
	head = rx_post(dr, 0, c->buf, 2048);
	kick(dr, 0);
	make_frame(frame, sizeof(frame), 7);
	/* Header fields the tap sets, passed through as they are. */
	frame[0] = 2;			/* DATA_VALID */
	frame[10] = 0x55, frame[11] = 0x66;	/* not ours: overwritten */
	check(&tc, peer_send(c->peer[0], frame, sizeof(frame)), "send");
	check(&tc, vdrv_wait_used(q, 1, 3000), "used idx %u", vdrv_used_idx(q));
	memcpy(&nb, b + 10, 2);
	check(&tc, !memcmp(b, frame, 10) && nb == 1 &&
	      !memcmp(b + HDR, frame + HDR, 100), "header or bytes differ (num_buffers %u)", nb);
	check(&tc, b[sizeof(frame)] == 0xee, "wrote past the frame");
	check(&tc, vdrv_used_id(q, 0) == head && vdrv_used_len(q, 0) == sizeof(frame),
	      "used id %u len %u", vdrv_used_id(q, 0), vdrv_used_len(q, 0));
	check(&tc, isr(dr) & 1, "no queue interrupt");
	st = stats(c);
	check(&tc, st.rx_packets - st0.rx_packets == 1 &&
	      st.rx_bytes - st0.rx_bytes == 100, "stats");
	case_end(&tc, "virtio-net: RX frame lands with header and bytes exact, num_buffers 1");
}

static void test_mrg(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[0];
	static uint8_t frame[HDR + 1500], back[HDR + 1500];
	uint16_t heads[6], nb;
	struct tcase tc;
	int i;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD | F_MRG_RXBUF, 2) && (dr->v.features & F_MRG_RXBUF),
	      "driver init");
	/*
	 * 512-byte buffers: the device takes three (1536 bytes, enough for
	 * MTU 1500 + 30), a 712-byte frame uses two, the third is given back
	 * and taken first for the next frame.
	 */
	for (i = 0; i < 6; i++)
		heads[i] = rx_post(dr, 0, c->buf + 0x1000 * i, 512);
	kick(dr, 0);
	make_frame(frame, 712, 3);
	check(&tc, peer_send(c->peer[0], frame, 712), "send");
	check(&tc, vdrv_wait_used(q, 2, 3000), "used idx %u", vdrv_used_idx(q));
	memcpy(&nb, vdrv_gpa(c->buf + 10), 2);
	check(&tc, nb == 2, "num_buffers %u", nb);
	memcpy(back, vdrv_gpa(c->buf), 512);
	memcpy(back + 512, vdrv_gpa(c->buf + 0x1000), 200);
	check(&tc, !memcmp(back, frame, 10) && !memcmp(back + HDR, frame + HDR, 700),
	      "bytes differ across the chains");
	check(&tc, vdrv_used_id(q, 0) == heads[0] && vdrv_used_len(q, 0) == 512 &&
	      vdrv_used_id(q, 1) == heads[1] && vdrv_used_len(q, 1) == 200,
	      "used: %u/%u %u/%u", vdrv_used_id(q, 0), vdrv_used_len(q, 0),
	      vdrv_used_id(q, 1), vdrv_used_len(q, 1));
	/* The chain given back takes the next frame. */
	make_frame(frame, HDR + 80, 4);
	check(&tc, peer_send(c->peer[0], frame, HDR + 80), "send 2");
	check(&tc, vdrv_wait_used(q, 3, 3000), "used idx %u", vdrv_used_idx(q));
	memcpy(&nb, vdrv_gpa(c->buf + 0x2000 + 10), 2);
	check(&tc, vdrv_used_id(q, 2) == heads[2] && vdrv_used_len(q, 2) == HDR + 80 && nb == 1 &&
	      !memcmp(vdrv_gpa(c->buf + 0x2000 + HDR), frame + HDR, 80),
	      "second frame: id %u len %u nb %u", vdrv_used_id(q, 2), vdrv_used_len(q, 2), nb);
	case_end(&tc, "virtio-net: MRG_RXBUF spans chains, num_buffers right, unused chains reused");
}

static void test_rx_wait(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[0];
	uint8_t frame[HDR + 64];
	struct tcase tc;
	bool kicked;
	uint16_t old;
	int i;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2), "driver init");
	/* No buffers: frames wait in the "tap", in order. */
	for (i = 0; i < 5; i++) {
		make_frame(frame, sizeof(frame), 20 + i);
		check(&tc, peer_send(c->peer[0], frame, sizeof(frame)), "send %d", i);
	}
	usleep(50000);
	check(&tc, vdrv_used_idx(q) == 0, "used moved without buffers");
	/* One buffer, with the kick Linux would make (EVENT_IDX). */
	old = q->avail_idx;
	rx_post(dr, 0, c->buf, 2048);
	kicked = kick_if_asked(dr, 0, old);
	check(&tc, kicked, "the device did not ask for an RX kick");
	check(&tc, vdrv_wait_used(q, 1, 3000), "first frame: used idx %u", vdrv_used_idx(q));
	usleep(20000);
	check(&tc, vdrv_used_idx(q) == 1, "used idx %u with one buffer", vdrv_used_idx(q));
	/* Four more, one kick: the device asked again after running dry. */
	old = q->avail_idx;
	for (i = 1; i < 5; i++)
		rx_post(dr, 0, c->buf + 0x1000 * i, 2048);
	kicked = kick_if_asked(dr, 0, old);
	check(&tc, kicked, "no RX kick asked for the second time");
	check(&tc, vdrv_wait_used(q, 5, 3000), "used idx %u", vdrv_used_idx(q));
	for (i = 0; i < 5; i++) {
		uint8_t *b = vdrv_gpa(c->buf + 0x1000 * i);

		check(&tc, b[HDR] == 20 + i && vdrv_used_len(q, i) == sizeof(frame),
		      "frame %d out of order (%u) or length %u", i, b[HDR],
		      vdrv_used_len(q, i));
	}
	case_end(&tc, "virtio-net: RX without buffers waits; all frames arrive in order after kicks");
}

static void test_rx_drop(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[0];
	static uint8_t frame[HDR + 600];
	uint64_t dropped = stats(c).rx_dropped;
	struct tcase tc;
	uint16_t head;
	bool done;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2) && !(dr->v.features & F_MRG_RXBUF),
	      "driver init");
	head = rx_post(dr, 0, c->buf, 256);
	kick(dr, 0);
	make_frame(frame, sizeof(frame), 9);
	check(&tc, peer_send(c->peer[0], frame, sizeof(frame)), "send");
	for (int i = 0; i < 1000 && stats(c).rx_dropped == dropped; i++)
		usleep(1000);
	check(&tc, stats(c).rx_dropped == dropped + 1 && vdrv_used_idx(q) == 0,
	      "dropped %llu, used idx %u",
	      (unsigned long long)(stats(c).rx_dropped - dropped), vdrv_used_idx(q));
	/* The buffer serves the next frame that fits. */
	make_frame(frame, HDR + 100, 10);
	check(&tc, peer_send(c->peer[0], frame, HDR + 100), "send 2");
	/* Waited for before the message's arguments read the ring. */
	done = vdrv_wait_used(q, 1, 3000);
	check(&tc, done && vdrv_used_id(q, 0) == head &&
	      vdrv_used_len(q, 0) == HDR + 100 &&
	      !memcmp(vdrv_gpa(c->buf + HDR), frame + HDR, 100),
	      "next frame: used %u id %u len %u", vdrv_used_idx(q), vdrv_used_id(q, 0),
	      vdrv_used_len(q, 0));
	case_end(&tc, "virtio-net: without MRG_RXBUF a frame too big is dropped and counted");
}

static void test_link(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2), "driver init");
	isr(dr);
	virtio_net_set_link(c->n, false);
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 6, 2) == 0, "status up");
	check(&tc, isr(dr) == 2, "no config interrupt for link down");
	virtio_net_set_link(c->n, false);
	check(&tc, isr(dr) == 0, "an interrupt without a change");
	virtio_net_set_link(c->n, true);
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 6, 2) == 1, "status down");
	check(&tc, isr(dr) == 2, "no config interrupt for link up");
	case_end(&tc, "virtio-net: link down/up changes status, with a config interrupt");
}

/* A control command; the ack, or -1. */
static int ctrl(struct drv *dr, unsigned int qi, uint64_t at, uint8_t cls,
		uint8_t cmd, const void *data, uint32_t dlen)
{
	struct vdrv_queue *q = &dr->q[qi];
	uint8_t *p = vdrv_gpa(at);
	uint16_t head;

	p[0] = cls;
	p[1] = cmd;
	if (dlen)
		memcpy(p + 2, data, dlen);
	p[64] = 0xee;
	head = set_desc(q, at, 2, VIRTQ_DESC_F_NEXT);
	if (dlen)
		set_desc(q, at + 2, dlen, VIRTQ_DESC_F_NEXT);
	set_desc(q, at + 64, 1, VIRTQ_DESC_F_WRITE);
	publish(q, head);
	kick(dr, qi);
	if (!vdrv_wait_used(q, q->avail_idx, 3000) || vdrv_used_len(q, q->avail_idx - 1) != 1)
		return -1;
	return p[64];
}

static void test_mq(struct nic *c)
{
	struct drv *dr = &c->dr;
	uint64_t at = c->buf + 0x80000;
	uint8_t frame[HDR + 40], got[256];
	uint16_t pairs;
	struct tcase tc;
	int ack;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD | F_CTRL_VQ | F_MQ, 5) &&
	      (dr->v.features & F_MQ), "driver init");
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 8, 2) == 2, "max pairs");
	rx_post(dr, 2, c->buf, 2048);
	kick(dr, 2);
	make_frame(frame, sizeof(frame), 31);
	check(&tc, peer_send(c->peer[1], frame, sizeof(frame)), "send");
	usleep(50000);
	check(&tc, vdrv_used_idx(&dr->q[2]) == 0, "RX1 used before VQ_PAIRS_SET");

	pairs = 0;
	ack = ctrl(dr, 4, at, 4, 0, &pairs, 2);
	check(&tc, ack == 1, "VQ_PAIRS_SET 0: ack %d", ack);
	pairs = 3;
	ack = ctrl(dr, 4, at, 4, 0, &pairs, 2);
	check(&tc, ack == 1, "VQ_PAIRS_SET 3: ack %d", ack);
	ack = ctrl(dr, 4, at, 0, 0, "\1", 1);	/* RX promisc: not ours */
	check(&tc, ack == 1, "CTRL_RX: ack %d", ack);
	ack = ctrl(dr, 4, at, 4, 0, NULL, 0);	/* no data */
	check(&tc, ack == 1, "VQ_PAIRS_SET without data: ack %d", ack);
	usleep(20000);
	check(&tc, vdrv_used_idx(&dr->q[2]) == 0, "RX1 used after refused commands");
	pairs = 2;
	ack = ctrl(dr, 4, at, 4, 0, &pairs, 2);
	check(&tc, ack == 0, "VQ_PAIRS_SET 2: ack %d", ack);
	check(&tc, vdrv_wait_used(&dr->q[2], 1, 3000) &&
	      !memcmp(vdrv_gpa(c->buf + HDR), frame + HDR, 40),
	      "the frame did not reach RX1 after VQ_PAIRS_SET 2");
	/* TX1 goes to pair 1's peer, not pair 0's. */
	make_frame(vdrv_gpa(c->buf + 0x10000), HDR + 50, 33);
	tx_post(dr, 3, c->buf + 0x10000, HDR + 50, 2);
	kick(dr, 3);
	check(&tc, peer_recv(c->peer[1], got, sizeof(got), 1000) == HDR + 50 &&
	      got[HDR] == 33, "TX1 frame");
	check(&tc, peer_recv(c->peer[0], got, sizeof(got), 20) < 0, "TX1 on peer 0");
	/* Back to one pair: RX1 is not read. */
	pairs = 1;
	ack = ctrl(dr, 4, at, 4, 0, &pairs, 2);
	check(&tc, ack == 0, "VQ_PAIRS_SET 1: ack %d", ack);
	rx_post(dr, 2, c->buf + 0x1000, 2048);
	kick(dr, 2);
	check(&tc, peer_send(c->peer[1], frame, sizeof(frame)), "send");
	usleep(50000);
	check(&tc, vdrv_used_idx(&dr->q[2]) == 1, "RX1 used with one pair");
	vdrv_w(&dr->v, STATUS, 0, 1);
	drain_fd(c->fds[1]);
	case_end(&tc, "virtio-net: two pairs; MQ VQ_PAIRS_SET OK for 2, ERR for 0/3/other; RX1 only after");
}

/* A TX chain the device must not send; how the device took it. */
static void hostile_tx(struct nic *c, const char *name, bool breaks,
		       void (*build)(struct nic *c))
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[1];
	uint64_t dropped;
	uint8_t got[256];
	struct tcase tc;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2), "driver init");
	dropped = stats(c).tx_dropped;
	build(c);
	kick(dr, 1);
	if (breaks) {
		check(&tc, vdrv_wait_status(&dr->v, VIRTIO_STATUS_NEEDS_RESET, 2000),
		      "the device did not break");
		check(&tc, vdrv_used_idx(q) == 0, "used idx %u", vdrv_used_idx(q));
	} else {
		bool done = vdrv_wait_used(q, 1, 3000);

		check(&tc, done && vdrv_used_len(q, 0) == 0,
		      "not returned: used idx %u len %u", vdrv_used_idx(q), vdrv_used_len(q, 0));
		check(&tc, stats(c).tx_dropped == dropped + 1, "tx_dropped %llu",
		      (unsigned long long)(stats(c).tx_dropped - dropped));
		check(&tc, !(vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET),
		      "the device broke");
	}
	check(&tc, peer_recv(c->peer[0], got, sizeof(got), 30) < 0,
	      "something was sent");
	/* A good frame after it: served (after a reset if broken). */
	if (breaks)
		check(&tc, drv_init(dr, STD, 2), "re-init");
	make_frame(vdrv_gpa(c->buf + 0x8000), HDR + 20, 5);
	tx_post(dr, 1, c->buf + 0x8000, HDR + 20, 1);
	kick(dr, 1);
	check(&tc, peer_recv(c->peer[0], got, sizeof(got), 1000) == HDR + 20,
	      "a good frame after it was not sent");
	case_end(&tc, "virtio-net: hostile TX: %s -> %s", name,
		 breaks ? "NEEDS_RESET" : "dropped, counted");
}

static void tx_writable(struct nic *c)
{
	struct vdrv_queue *q = &c->dr.q[1];
	uint16_t head;

	make_frame(vdrv_gpa(c->buf), HDR + 60, 1);
	head = set_desc(q, c->buf, HDR + 30, VIRTQ_DESC_F_NEXT);
	set_desc(q, c->buf + HDR + 30, 30, VIRTQ_DESC_F_WRITE);
	publish(q, head);
}

static void tx_zero(struct nic *c)
{
	publish(&c->dr.q[1], set_desc(&c->dr.q[1], c->buf, 0, 0));
}

static void tx_short(struct nic *c)
{
	publish(&c->dr.q[1], set_desc(&c->dr.q[1], c->buf, HDR - 1, 0));
}

static void tx_long(struct nic *c)
{
	make_frame(vdrv_gpa(c->buf), HDR + 65551, 2);
	tx_post(&c->dr, 1, c->buf, HDR + 65551, 4);
}

static void tx_gso(struct nic *c)
{
	uint8_t *p = vdrv_gpa(c->buf);

	make_frame(p, HDR + 100, 3);
	p[1] = 1;	/* GSO_TCPV4 without HOST_TSO4 */
	tx_post(&c->dr, 1, c->buf, HDR + 100, 1);
}

static void tx_csum(struct nic *c)
{
	uint8_t *p = vdrv_gpa(c->buf);

	make_frame(p, HDR + 100, 3);
	p[0] = 1;	/* NEEDS_CSUM without CSUM */
	tx_post(&c->dr, 1, c->buf, HDR + 100, 1);
}

static void tx_outside(struct nic *c)
{
	publish(&c->dr.q[1], set_desc(&c->dr.q[1], MEM_SIZE - 16, 64, 0));
}

static void test_hostile_rx(struct nic *c)
{
	struct drv *dr = &c->dr;
	uint8_t frame[HDR + 40];
	struct tcase tc;
	struct vdrv_queue *q = &dr->q[0];

	case_begin(&tc);
	check(&tc, drv_init(dr, STD, 2), "driver init");
	memset(vdrv_gpa(c->buf), 0x5a, 2048);
	publish(q, set_desc(q, c->buf, 2048, 0));	/* readable only */
	kick(dr, 0);
	make_frame(frame, sizeof(frame), 40);
	check(&tc, peer_send(c->peer[0], frame, sizeof(frame)), "send");
	check(&tc, vdrv_wait_status(&dr->v, VIRTIO_STATUS_NEEDS_RESET, 2000), "not broken");
	check(&tc, vdrv_used_idx(q) == 0 && ((uint8_t *)vdrv_gpa(c->buf))[0] == 0x5a &&
	      ((uint8_t *)vdrv_gpa(c->buf))[2047] == 0x5a,
	      "a readable buffer was written or used");
	/* The frame was not consumed: it is still in the "tap". */
	check(&tc, recv(c->fds[0], frame, sizeof(frame), MSG_PEEK | MSG_DONTWAIT) ==
	      sizeof(frame), "the frame was taken from the tap");
	check(&tc, drv_init(dr, STD, 2), "re-init");
	rx_post(dr, 0, c->buf, 2048);
	kick(dr, 0);
	check(&tc, peer_send(c->peer[0], frame, sizeof(frame)), "send again");
	check(&tc, vdrv_wait_used(q, 1, 3000) && ((uint8_t *)vdrv_gpa(c->buf))[HDR] == 40,
	      "the frame after the reset");
	case_end(&tc, "virtio-net: hostile RX: a readable-only receive chain -> NEEDS_RESET, frame not taken");
}

static void test_reset_traffic(struct nic *c)
{
	struct drv *dr = &c->dr;
	static uint8_t frame[HDR + 1000], got[2048];
	struct tcase tc;
	uint16_t rx_used, tx_used;
	int i;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD | F_MRG_RXBUF, 2), "driver init");
	for (i = 0; i < 64; i++)
		rx_post(dr, 0, c->buf + 0x800 * i, 2048);
	kick(dr, 0);
	for (i = 0; i < 64; i++) {
		make_frame(vdrv_gpa(c->buf + 0x40000 + 0x400 * i), HDR + 500, i);
		tx_post(dr, 1, c->buf + 0x40000 + 0x400 * i, HDR + 500, 2);
	}
	kick(dr, 1);
	for (i = 0; i < 200; i++) {
		make_frame(frame, sizeof(frame), i);
		send(c->peer[0], frame, sizeof(frame), MSG_DONTWAIT);
	}
	/* Reset in the middle of it. */
	vdrv_w(&dr->v, STATUS, 0, 1);
	check(&tc, vdrv_r(&dr->v, STATUS, 1) == 0, "status after reset");
	rx_used = vdrv_used_idx(&dr->q[0]);
	tx_used = vdrv_used_idx(&dr->q[1]);
	usleep(50000);
	check(&tc, vdrv_used_idx(&dr->q[0]) == rx_used && vdrv_used_idx(&dr->q[1]) == tx_used,
	      "the rings moved after reset");
	/* A new driver: both directions work. */
	check(&tc, drv_init(dr, STD | F_MRG_RXBUF, 2), "re-init");
	rx_post(dr, 0, c->buf, 2048);
	kick(dr, 0);
	make_frame(frame, HDR + 300, 77);
	check(&tc, peer_send(c->peer[0], frame, HDR + 300), "send");
	check(&tc, vdrv_wait_used(&dr->q[0], 1, 3000) && vdrv_used_len(&dr->q[0], 0) == HDR + 300 &&
	      !memcmp(vdrv_gpa(c->buf + HDR), frame + HDR, 300), "RX after re-init");
	make_frame(vdrv_gpa(c->buf + 0x10000), HDR + 200, 78);
	tx_post(dr, 1, c->buf + 0x10000, HDR + 200, 1);
	kick(dr, 1);
	check(&tc, peer_recv(c->peer[0], got, sizeof(got), 1000) == HDR + 200 &&
	      got[HDR] == 78, "TX after re-init");
	case_end(&tc, "virtio-net: reset during traffic stops the rings; re-init works");
}

/* A driver that gave its whole (small) ring still receives what fits. */
static void test_small_ring(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *q = &dr->q[0];
	static uint8_t frame[HDR + 1100];
	uint64_t dropped = stats(c).rx_dropped;
	uint16_t nb;
	struct tcase tc;

	case_begin(&tc);
	q->size = 2;
	check(&tc, drv_init(dr, STD | F_MRG_RXBUF, 2), "driver init");
	/* 1024 bytes in all, less than MTU 1500 + 30: the ring is all there is. */
	rx_post(dr, 0, c->buf, 512);
	rx_post(dr, 0, c->buf + 0x1000, 512);
	kick(dr, 0);
	make_frame(frame, 700, 50);
	check(&tc, peer_send(c->peer[0], frame, 700), "send");
	check(&tc, vdrv_wait_used(q, 2, 3000), "used idx %u: the device waits for more", vdrv_used_idx(q));
	memcpy(&nb, vdrv_gpa(c->buf + 10), 2);
	check(&tc, nb == 2 && !memcmp(vdrv_gpa(c->buf + 0x1000), frame + 512, 188),
	      "num_buffers %u / bytes", nb);
	/* A frame larger than the whole ring: dropped, the ring reused. */
	rx_post(dr, 0, c->buf, 512);
	rx_post(dr, 0, c->buf + 0x1000, 512);
	kick(dr, 0);
	make_frame(frame, sizeof(frame), 51);
	check(&tc, peer_send(c->peer[0], frame, sizeof(frame)), "send 2");
	make_frame(frame, HDR + 30, 52);
	check(&tc, peer_send(c->peer[0], frame, HDR + 30), "send 3");
	check(&tc, vdrv_wait_used(q, 3, 3000), "used idx %u", vdrv_used_idx(q));
	check(&tc, stats(c).rx_dropped == dropped + 1 &&
	      ((uint8_t *)vdrv_gpa(c->buf))[HDR] == 52,
	      "dropped %llu, payload %u",
	      (unsigned long long)(stats(c).rx_dropped - dropped),
	      ((uint8_t *)vdrv_gpa(c->buf))[HDR]);
	q->size = QSIZE;
	case_end(&tc, "virtio-net: MRG_RXBUF with a ring smaller than a frame: what fits arrives");
}

/* Per-queue MSI-X vectors and the configuration vector. */
static void test_msix(struct nic *c)
{
	struct drv *dr = &c->dr;
	unsigned int cap, ctrl;
	uint8_t frame[HDR + 40], got[128];
	uint64_t table;
	struct tcase tc;
	int i;

	case_begin(&tc);
	for (cap = vdrv_cfg_r(dr->v.d, PCI_CAPABILITY_LIST, 1);
	     cap && vdrv_cfg_r(dr->v.d, cap, 1) != PCI_CAP_ID_MSIX;
	     cap = vdrv_cfg_r(dr->v.d, cap + 1, 1))
		;
	check(&tc, cap && (vdrv_cfg_r(dr->v.d, cap + 2, 2) & 0x7ff) == 2,
	      "MSI-X table of 3 (2 queues + config)");
	table = vdrv_cfg_r(dr->v.d, PCI_BASE_ADDRESS_0 + 4, 4) & ~0xfull;
	ctrl = vdrv_cfg_r(dr->v.d, cap + 2, 2);
	vdrv_cfg_w(dr->v.d, cap + 2, ctrl | 0x8000, 2);
	for (unsigned int v = 0; v < 3; v++) {
		uint32_t e[4] = { 0xfee00000, 0, 0x41 + v, 0 };

		for (unsigned int k = 0; k < 4; k++)
			vdrv_mmio(table + 16 * v + 4 * k, true, &e[k], 4);
	}
	check(&tc, drv_init(dr, STD, 2), "driver init");
	vdrv_w(&dr->v, MSIX_CONFIG, 2, 2);
	for (i = 0; i < 2; i++) {
		vdrv_w(&dr->v, Q_SELECT, i, 2);
		vdrv_w(&dr->v, Q_MSIX, i, 2);
	}
	atomic_store(&fake_vm.msis, 0);
	make_frame(vdrv_gpa(c->buf + 0x4000), HDR + 40, 60);
	tx_post(dr, 1, c->buf + 0x4000, HDR + 40, 1);
	kick(dr, 1);
	check(&tc, peer_recv(c->peer[0], got, sizeof(got), 1000) == HDR + 40, "TX");
	for (i = 0; i < 1000 && !atomic_load(&fake_vm.msis); i++)
		usleep(1000);
	check(&tc, atomic_load(&fake_vm.msis) == 1 &&
	      atomic_load(&fake_vm.msi_data) == 0x42, "TX: %u MSIs, data %#x",
	      atomic_load(&fake_vm.msis), atomic_load(&fake_vm.msi_data));
	atomic_store(&fake_vm.msis, 0);
	rx_post(dr, 0, c->buf, 2048);
	kick(dr, 0);
	make_frame(frame, sizeof(frame), 61);
	check(&tc, peer_send(c->peer[0], frame, sizeof(frame)) && vdrv_wait_used(&dr->q[0], 1, 3000),
	      "RX");
	for (i = 0; i < 1000 && !atomic_load(&fake_vm.msis); i++)
		usleep(1000);
	check(&tc, atomic_load(&fake_vm.msis) == 1 &&
	      atomic_load(&fake_vm.msi_data) == 0x41, "RX: %u MSIs, data %#x",
	      atomic_load(&fake_vm.msis), atomic_load(&fake_vm.msi_data));
	atomic_store(&fake_vm.msis, 0);
	virtio_net_set_link(c->n, false);
	virtio_net_set_link(c->n, true);
	check(&tc, atomic_load(&fake_vm.msis) == 2 &&
	      atomic_load(&fake_vm.msi_data) == 0x43, "link: %u MSIs, data %#x",
	      atomic_load(&fake_vm.msis), atomic_load(&fake_vm.msi_data));
	check(&tc, isr(dr) == 0, "ISR set with MSI-X on");
	vdrv_w(&dr->v, STATUS, 0, 1);
	vdrv_cfg_w(dr->v.d, cap + 2, ctrl, 2);
	case_end(&tc, "virtio-net: MSI-X: RX, TX and config each on their vector");
}

/*
 * Both directions at once, as a guest under load: a peer thread sends
 * STREAM_N frames of varying sizes into 1 KiB mergeable buffers that the
 * driver recycles, another takes the STREAM_N frames the driver sends,
 * and the driver kicks only when the device asks (EVENT_IDX). Nothing
 * may be lost, reordered or stall.
 */
#define STREAM_N	5000
#define RXBUF		1024

struct stream {
	int fd;
	_Atomic bool stop;
	_Atomic unsigned int done;
	_Atomic bool bad;
};

static uint32_t stream_len(unsigned int k)
{
	return HDR + 60 + (k * 37) % 1455;
}

static void *stream_sender(void *arg)
{
	struct stream *st = arg;
	static uint8_t frame[HDR + 1600];
	unsigned int k;

	for (k = 0; k < STREAM_N && !atomic_load(&st->stop); ) {
		make_frame(frame, stream_len(k), k);
		if (send(st->fd, frame, stream_len(k), MSG_DONTWAIT) < 0) {
			struct pollfd pfd = { .fd = st->fd, .events = POLLOUT };

			poll(&pfd, 1, 10);
			continue;
		}
		atomic_store(&st->done, ++k);
	}
	return NULL;
}

static void *stream_receiver(void *arg)
{
	struct stream *st = arg;
	static uint8_t frame[HDR + 1600];
	unsigned int k = 0;

	while (k < STREAM_N && !atomic_load(&st->stop)) {
		ssize_t n = peer_recv(st->fd, frame, sizeof(frame), 10);

		if (n < 0)
			continue;
		if ((uint32_t)n != stream_len(k) || frame[HDR] != (uint8_t)k ||
		    frame[HDR + 1] != (uint8_t)(k >> 8))
			atomic_store(&st->bad, true);
		atomic_store(&st->done, ++k);
	}
	return NULL;
}

static void test_stream(struct nic *c)
{
	struct drv *dr = &c->dr;
	struct vdrv_queue *rx = &dr->q[0], *tx = &dr->q[1];
	struct stream snd = { .fd = c->peer[0] }, rcv = { .fd = c->peer[0] };
	struct virtio_net_stats st0 = stats(c), st;
	uint16_t rx_seen = 0, tx_seen = 0, old;
	unsigned int rx_frames = 0, tx_posted = 0, i, bad = 0;
	pthread_t ts, tr;
	struct tcase tc;
	time_t end;

	case_begin(&tc);
	check(&tc, drv_init(dr, STD | F_MRG_RXBUF, 2), "driver init");
	for (i = 0; i < QSIZE; i++)
		rx_post(dr, 0, c->buf + RXBUF * i, RXBUF);
	kick(dr, 0);
	pthread_create(&ts, NULL, stream_sender, &snd);
	pthread_create(&tr, NULL, stream_receiver, &rcv);
	end = time(NULL) + 30;
	while ((rx_frames < STREAM_N || atomic_load(&rcv.done) < STREAM_N) &&
	       !bad && time(NULL) < end) {
		bool idle = true;

		/* Receive: whole frames only, then their buffers go back. */
		while (rx_seen != vdrv_used_idx(rx) && !bad) {
			uint8_t *b = vdrv_gpa(c->buf + RXBUF * vdrv_used_id(rx, rx_seen));
			uint16_t nb, k;
			uint32_t len = 0;

			memcpy(&nb, b + 10, 2);
			if (nb < 1 || nb > 2) {
				bad = 1;
				break;
			}
			if ((uint16_t)(vdrv_used_idx(rx) - rx_seen) < nb)
				break;		/* the rest is not there yet */
			for (k = 0; k < nb; k++)
				len += vdrv_used_len(rx, rx_seen + k);
			if (len != stream_len(rx_frames) ||
			    b[HDR] != (uint8_t)rx_frames ||
			    b[HDR + 1] != (uint8_t)(rx_frames >> 8))
				bad = 2;
			old = rx->avail_idx;
			for (k = 0; k < nb; k++) {
				uint16_t *avail = vdrv_gpa(VDRV_AVAIL(rx));

				/* The same descriptor, given again. */
				avail[2 + rx->avail_idx % QSIZE] = vdrv_used_id(rx, rx_seen + k);
				rx->avail_idx++;
			}
			__atomic_store_n(&avail_of(rx)[2 + QSIZE], vdrv_used_idx(rx), __ATOMIC_RELAXED);
			__atomic_store_n(&avail_of(rx)[1], rx->avail_idx, __ATOMIC_RELEASE);
			kick_if_asked(dr, 0, old);
			rx_seen += nb;
			rx_frames++;
			idle = false;
		}
		/* Transmit: up to 128 in flight. */
		while (tx_seen != vdrv_used_idx(tx)) {
			tx_seen++;
			idle = false;
		}
		old = tx->avail_idx;
		while (tx_posted < STREAM_N && (uint16_t)(tx->avail_idx - tx_seen) < 128) {
			uint64_t a = c->buf + 0x100000 + 2048 * (tx_posted % 128);

			make_frame(vdrv_gpa(a), stream_len(tx_posted), tx_posted);
			tx_post(dr, 1, a, stream_len(tx_posted), 1);
			tx_posted++;
		}
		if (tx->avail_idx != old) {
			kick_if_asked(dr, 1, old);
			idle = false;
		}
		if (idle)
			usleep(100);
	}
	atomic_store(&snd.stop, true);
	atomic_store(&rcv.stop, true);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	check(&tc, !bad && rx_frames == STREAM_N, "RX: %u of %u frames (bad %u)",
	      rx_frames, STREAM_N, bad);
	check(&tc, atomic_load(&rcv.done) == STREAM_N && !atomic_load(&rcv.bad),
	      "TX: %u of %u frames at the peer%s", atomic_load(&rcv.done),
	      STREAM_N, atomic_load(&rcv.bad) ? ", some wrong" : "");
	st = stats(c);
	check(&tc, st.rx_packets - st0.rx_packets == STREAM_N &&
	      st.tx_packets - st0.tx_packets == STREAM_N &&
	      st.rx_dropped == st0.rx_dropped && st.tx_dropped == st0.tx_dropped,
	      "stats: rx %llu tx %llu",
	      (unsigned long long)(st.rx_packets - st0.rx_packets),
	      (unsigned long long)(st.tx_packets - st0.tx_packets));
	vdrv_w(&dr->v, STATUS, 0, 1);
	case_end(&tc, "virtio-net: %u frames each way at once, buffers recycled, kicks as asked",
		 STREAM_N);
}

/*
 * vhost asked for: without /dev/vhost-net, the threads serve, silently;
 * with it, vhost cannot take a socket as its backend, and the threads
 * serve as well, from the first DRIVER_OK on.
 */
static void test_vhost_fallback(void)
{
	bool absent = access("/dev/vhost-net", F_OK) != 0, made;
	char path[] = "/tmp/virtio_net_test.XXXXXX";
	struct virtio_net_stats st;
	uint8_t got[128];
	struct tcase tc;
	struct nic c;
	int saved, tmp;
	off_t said;

	case_begin(&tc);
	/* With stderr into a file, to see that nothing is said. */
	tmp = mkstemp(path);
	saved = dup(2);
	fflush(stderr);
	dup2(tmp, 2);
	made = nic_create(&c, 1, 0, 0x2000000, true);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	said = lseek(tmp, 0, SEEK_END);
	close(tmp);
	unlink(path);
	check(&tc, made, "create with vhost");
	if (!made)
		goto out;
	if (absent)
		check(&tc, said == 0, "%lld bytes on stderr without /dev/vhost-net",
		      (long long)said);
	check(&tc, drv_init(&c.dr, STD, 2), "driver init");
	make_frame(vdrv_gpa(c.buf), HDR + 30, 90);
	tx_post(&c.dr, 1, c.buf, HDR + 30, 1);
	kick(&c.dr, 1);
	check(&tc, peer_recv(c.peer[0], got, sizeof(got), 1000) == HDR + 30 &&
	      got[HDR] == 90, "TX by the threads");
	virtio_net_get_stats(c.n, &st);
	check(&tc, !st.vhost, "stats say vhost");
	nic_destroy(&c);
out:
	case_end(&tc, "virtio-net: vhost asked for, not usable (%s) -> vmctl's threads",
		 absent ? "no /dev/vhost-net" : "a socket backend");
}

int main(void)
{
	struct nic c, c2;

	setvbuf(stdout, NULL, _IOLBF, 0);

	if (fake_vm_init(&vm, MEM_SIZE) || pci_host_init(&host, &vm))
		return 1;
	vdrv_use_vm(&vm);
	if (!nic_create(&c, 1, 1500, 0x100000, false) ||
	    !nic_create(&c2, 2, 0, 0x1000000, false)) {
		printf("not ok 1 - virtio-net: create\n");
		return 1;
	}
	test_config(&c);
	test_features(&c, &c2);
	test_tx(&c);
	test_rx(&c);
	test_mrg(&c);
	test_rx_wait(&c);
	test_rx_drop(&c);
	test_link(&c);
	test_small_ring(&c);
	test_msix(&c);
	test_stream(&c);
	test_mq(&c2);
	hostile_tx(&c, "a writable descriptor", false, tx_writable);
	hostile_tx(&c, "a 0-length chain", false, tx_zero);
	hostile_tx(&c, "shorter than the header", false, tx_short);
	hostile_tx(&c, "longer than 12 + 65550", false, tx_long);
	hostile_tx(&c, "GSO not negotiated", false, tx_gso);
	hostile_tx(&c, "NEEDS_CSUM not negotiated", false, tx_csum);
	hostile_tx(&c, "a buffer outside RAM", true, tx_outside);
	test_hostile_rx(&c);
	test_reset_traffic(&c);
	test_vhost_fallback();
	nic_destroy(&c);
	nic_destroy(&c2);
	pci_host_destroy(&host);
	fake_vm_destroy(&vm);
	return tap_finish();
}
