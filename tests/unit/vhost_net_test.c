// SPDX-License-Identifier: GPL-2.0
/*
 * virtio/vhost.c against the real kernel's vhost-net, with no VMX and no
 * /dev/hvx: "guest memory" is an anonymous mapping of the test's (the fake
 * VM), the test is the driver (it writes descriptors and avail rings as a
 * guest would, and reads the used rings), and the transport is a stand-in
 * whose set_queue_callfd keeps the call eventfds so that the test can
 * wait on them where the irqfd would raise the guest's interrupt.
 *
 * The backend is a tap of the test's (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
 * a 12-byte header, up). A tap has one side, which vhost owns; the host
 * stack is the other end, reached through an AF_PACKET socket bound to
 * the tap:
 *   TX: a frame in the TX ring, a kick; vhost writes it to the tap, the
 *       host stack receives it, the packet socket sees it; the TX used
 *       ring moves and the TX call eventfd fires.
 *   RX: the packet socket sends a frame out of the tap, that is to vhost,
 *       which puts it in an RX buffer after a 12-byte header; the RX used
 *       ring says how long, and the RX call eventfd fires.
 *   stop: the routes are removed, and a frame posted after it stays in
 *       the ring (vhost leaves guest memory alone); a new start (as after
 *       a reset, rings from index 0) carries frames again.
 * Needs root, /dev/net/tun and /dev/vhost-net (modprobe vhost_net); each
 * missing one is a SKIP. Built with the sanitizers for make check on the
 * host (where it skips without vhost_net), and statically for the
 * testbed (vhost.mk: make -C tests/unit vhost-static).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>

#include "unit.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"
#include "virtio_fake_vm.h"

#define MEM_SIZE	(16ull << 20)
#define QSIZE		256
#define RXQ		0
#define TXQ		1
#define NBUF		8
#define BUF_LEN		2048
#define HDR_LEN		12
#define ETHERTYPE	0x88b5		/* IEEE 802 local experimental */
#define F_MRG_RXBUF	15
#define WAIT_MS		10000		/* Bochs is slow */

/* Rings and buffers of queue @q in guest memory. */
#define DESC(q)		(0x10000ull + 0x10000 * (q))
#define AVAIL(q)	(DESC(q) + 0x1000)
#define USED(q)		(DESC(q) + 0x2000)
#define BUF(q, i)	(0x100000ull + 0x100000 * (q) + BUF_LEN * (i))

static struct vmctl_vm vm;
static struct virtio_queue queues[2];
static struct virtio_dev vdev;
static int call_fd[2] = { -1, -1 };
static unsigned int routes_set, routes_removed;
static uint16_t avail_idx[2], used_seen[2];

/* ---- the stand-in transport ---- */

static void t_signal_queue(void *transport, unsigned int q)
{
}

static void t_signal_config(void *transport)
{
}

static int t_set_queue_callfd(void *transport, unsigned int q, int fd)
{
	if (q > 1)
		return -1;
	call_fd[q] = fd;
	if (fd >= 0)
		routes_set++;
	else
		routes_removed++;
	return 0;
}

static const struct virtio_transport_ops tops = {
	.signal_queue = t_signal_queue,
	.signal_config = t_signal_config,
	.set_queue_callfd = t_set_queue_callfd,
};

/* ---- the driver ---- */

static void *gpa(uint64_t a)
{
	return vm.mem + a;
}

static uint16_t *avail(unsigned int q)
{
	return gpa(AVAIL(q));
}

static uint16_t *used(unsigned int q)
{
	return gpa(USED(q));
}

/* As after a reset: empty rings, the indexes from 0. */
static void rings_reset(void)
{
	for (unsigned int q = 0; q < 2; q++) {
		memset(gpa(DESC(q)), 0, 0x3000);
		avail_idx[q] = used_seen[q] = 0;
		queues[q] = (struct virtio_queue){
			.size = QSIZE, .desc = DESC(q), .driver = AVAIL(q),
			.device = USED(q), .enabled = true,
			.kick_fd = queues[q].kick_fd,
		};
	}
}

/* Descriptor @i (a buffer of its own), made available. */
static void post(unsigned int q, uint16_t i, uint64_t addr, uint32_t len,
		 bool writable)
{
	struct virtq_desc *d = gpa(DESC(q));

	d[i] = (struct virtq_desc){ .addr = addr, .len = len,
				    .flags = writable ? VIRTQ_DESC_F_WRITE : 0 };
	avail(q)[2 + avail_idx[q] % QSIZE] = i;
	__atomic_store_n(&avail(q)[1], ++avail_idx[q], __ATOMIC_RELEASE);
}

static void kick(unsigned int q)
{
	eventfd_write(queues[q].kick_fd, 1);
}

static uint16_t used_idx(unsigned int q)
{
	return __atomic_load_n(&used(q)[1], __ATOMIC_ACQUIRE);
}

static struct virtq_used_elem used_elem(unsigned int q, uint16_t n)
{
	struct virtq_used_elem e;

	memcpy(&e, (uint8_t *)gpa(USED(q)) + 4 + 8 * (n % QSIZE), sizeof(e));
	return e;
}

static bool wait_used(unsigned int q, uint16_t n, int ms)
{
	for (int i = 0; i < ms && (uint16_t)(used_idx(q) - used_seen[q]) < n; i++)
		usleep(1000);
	return (uint16_t)(used_idx(q) - used_seen[q]) >= n;
}

/* The call eventfd fired (and is read). */
static bool called(unsigned int q, int ms)
{
	struct pollfd pfd = { .fd = call_fd[q], .events = POLLIN };
	eventfd_t v;

	if (call_fd[q] < 0 || poll(&pfd, 1, ms) != 1)
		return false;
	return read(call_fd[q], &v, sizeof(v)) == sizeof(v) && v > 0;
}

/* ---- the host's side ---- */

static int tap_fd = -1, pkt_fd = -1, ifindex;
static char ifname[IFNAMSIZ];
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac[6] = { 0x02, 0x68, 0x76, 0x78, 0x00, 0x01 };

static const char *tap_open(void)
{
	static char why[128];
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	int hdr = HDR_LEN, s;

	tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap_fd < 0) {
		snprintf(why, sizeof(why), "/dev/net/tun: %s", strerror(errno));
		return why;
	}
	strcpy(ifr.ifr_name, "vhtest%d");
	if (ioctl(tap_fd, TUNSETIFF, &ifr) || ioctl(tap_fd, TUNSETVNETHDRSZ, &hdr)) {
		snprintf(why, sizeof(why), "TUNSETIFF: %s", strerror(errno));
		return why;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr)) {
		snprintf(why, sizeof(why), "SIOCGIFINDEX: %s", strerror(errno));
		return why;
	}
	ifindex = ifr.ifr_ifindex;
	ifr.ifr_flags = IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr)) {
		snprintf(why, sizeof(why), "SIOCSIFFLAGS: %s", strerror(errno));
		return why;
	}
	close(s);
	pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE));
	ll.sll_protocol = htons(ETHERTYPE);
	ll.sll_ifindex = ifindex;
	if (pkt_fd < 0 || bind(pkt_fd, (struct sockaddr *)&ll, sizeof(ll))) {
		snprintf(why, sizeof(why), "AF_PACKET: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static size_t frame(uint8_t *buf, const char *payload)
{
	uint16_t type = htons(ETHERTYPE);
	size_t n = strlen(payload);

	memcpy(buf, bcast, 6);
	memcpy(buf + 6, mac, 6);
	memcpy(buf + 12, &type, 2);
	memcpy(buf + 14, payload, n);
	/* The minimum Ethernet frame, so that no one pads it. */
	if (14 + n < 60) {
		memset(buf + 14 + n, 0, 60 - 14 - n);
		n = 60 - 14;
	}
	return 14 + n;
}

/* A frame with our ethertype and @payload from the host stack's side. */
static bool host_received(const char *payload, int ms)
{
	uint8_t buf[BUF_LEN];
	struct pollfd pfd = { .fd = pkt_fd, .events = POLLIN };
	ssize_t n;

	while (poll(&pfd, 1, ms) == 1) {
		n = recv(pkt_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 14 + (ssize_t)strlen(payload) &&
		    !memcmp(buf + 14, payload, strlen(payload)))
			return true;
	}
	return false;
}

static bool host_send(const char *payload)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE),
		.sll_ifindex = ifindex, .sll_halen = 6,
	};
	uint8_t buf[BUF_LEN];
	size_t n = frame(buf, payload);

	memcpy(ll.sll_addr, bcast, 6);
	return sendto(pkt_fd, buf, n, 0, (struct sockaddr *)&ll, sizeof(ll)) ==
	       (ssize_t)n;
}

/* ---- the cases ---- */

/* TX: the driver's frame reaches the host stack. */
static void tx_one(struct tcase *tc, uint16_t desc, const char *payload)
{
	uint8_t *b = gpa(BUF(TXQ, desc));
	size_t n;

	memset(b, 0, HDR_LEN);		/* no offloads: gso none, no csum */
	n = frame(b + HDR_LEN, payload);
	post(TXQ, desc, BUF(TXQ, desc), HDR_LEN + n, false);
	kick(TXQ);
	check(tc, host_received(payload, WAIT_MS), "'%s' not seen on %s", payload, ifname);
	check(tc, wait_used(TXQ, 1, WAIT_MS), "TX used idx %u, want %u",
	      used_idx(TXQ), (uint16_t)(used_seen[TXQ] + 1));
	if (used_idx(TXQ) != used_seen[TXQ])
		check(tc, used_elem(TXQ, used_seen[TXQ]).id == desc,
		      "TX used id %u, want %u", used_elem(TXQ, used_seen[TXQ]).id, desc);
	used_seen[TXQ] = used_idx(TXQ);
	check(tc, called(TXQ, WAIT_MS), "no TX call");
}

/*
 * RX: the host's frame lands in one of the posted buffers. The host stack
 * sends frames of its own to a new link (IPv6 router and neighbour
 * solicitations, MLD reports) before ours and after it, at times of its
 * choosing: look at each used buffer until ours turns up or the wait
 * ends, and give every other one back so that the ring never runs dry.
 */
static void rx_one(struct tcase *tc, const char *payload)
{
	uint8_t want[BUF_LEN];
	size_t n = frame(want, payload);
	bool found = false;

	check(tc, host_send(payload), "sendto %s: %s", ifname, strerror(errno));
	while (!found && wait_used(RXQ, 1, WAIT_MS)) {
		struct virtq_used_elem e = used_elem(RXQ, used_seen[RXQ]++);
		uint8_t *b = gpa(BUF(RXQ, e.id % NBUF));
		uint16_t nbuf;

		if (e.id >= NBUF || e.len != HDR_LEN + n ||
		    memcmp(b + HDR_LEN, want, n)) {
			if (e.id < NBUF) {
				post(RXQ, e.id, BUF(RXQ, e.id), BUF_LEN, true);
				kick(RXQ);
			}
			continue;
		}
		memcpy(&nbuf, b + 10, 2);
		check(tc, nbuf == 1, "num_buffers %u", nbuf);
		found = true;
	}
	check(tc, found, "'%s' not in the RX buffers (used idx %u)", payload,
	      used_idx(RXQ));
	check(tc, called(RXQ, WAIT_MS), "no RX call");
}

static void post_rx_buffers(void)
{
	for (uint16_t i = 0; i < NBUF; i++)
		post(RXQ, i, BUF(RXQ, i), BUF_LEN, true);
	kick(RXQ);
}

int main(void)
{
	struct vhost_net *v;
	struct tcase tc;
	uint64_t f, want;
	const char *why;

	if (fake_vm_init(&vm, MEM_SIZE))
		return 1;
	for (unsigned int q = 0; q < 2; q++)
		queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vdev = (struct virtio_dev){ .tops = &tops, .vm = &vm, .q = queues };

	v = vhost_net_open();
	if (!v) {
		skip("vhost-net: the data path", errno == ENOENT ?
		     "no /dev/vhost-net (modprobe vhost_net)" : strerror(errno));
		return tap_finish();
	}
	why = tap_open();
	if (why) {
		skip("vhost-net: the data path", why);
		vhost_net_close(v);
		return tap_finish();
	}

	case_begin(&tc);
	f = vhost_net_features(v);
	want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(F_MRG_RXBUF);
	check(&tc, (f & want) == want, "features %#llx lack VERSION_1 or MRG_RXBUF",
	      (unsigned long long)f);
	check(&tc, !(f & (1ull << 27)) && !(f & (1ull << 26)),
	      "vhost-private bits offered: %#llx", (unsigned long long)f);
	case_end(&tc, "vhost-net: features %#llx", (unsigned long long)f);

	/* A queue not enabled: refused, and nothing left routed. */
	case_begin(&tc);
	rings_reset();
	queues[TXQ].enabled = false;
	check(&tc, vhost_net_start(v, &vdev, RXQ, want, tap_fd) == -1,
	      "started with TX not enabled");
	check(&tc, routes_set == routes_removed, "%u routes set, %u removed",
	      routes_set, routes_removed);
	case_end(&tc, "vhost-net: a failed start undoes what it set up");

	case_begin(&tc);
	rings_reset();
	routes_set = routes_removed = 0;
	check(&tc, vhost_net_start(v, &vdev, RXQ, want, tap_fd) == 0, "start failed");
	check(&tc, routes_set == 2 && call_fd[0] >= 0 && call_fd[1] >= 0,
	      "%u call eventfds routed", routes_set);
	tx_one(&tc, 0, "hvx vhost tx 1");
	tx_one(&tc, 1, "hvx vhost tx 2");
	case_end(&tc, "vhost-net: TX: the ring's frames reach the tap, used ring, call");

	case_begin(&tc);
	post_rx_buffers();
	rx_one(&tc, "hvx vhost rx 1");
	rx_one(&tc, "hvx vhost rx 2");
	case_end(&tc, "vhost-net: RX: the tap's frames fill the ring after the header, call");

	case_begin(&tc);
	vhost_net_stop(v);
	check(&tc, routes_removed == 2 && call_fd[0] < 0 && call_fd[1] < 0,
	      "%u routes removed", routes_removed);
	{
		uint8_t *b = gpa(BUF(TXQ, 5));
		size_t n;

		memset(b, 0, HDR_LEN);
		n = frame(b + HDR_LEN, "hvx vhost after stop");
		post(TXQ, 5, BUF(TXQ, 5), HDR_LEN + n, false);
		kick(TXQ);
		check(&tc, !host_received("hvx vhost after stop", 500),
		      "a frame went out after stop");
		check(&tc, used_idx(TXQ) == used_seen[TXQ], "the used ring moved after stop");
	}
	case_end(&tc, "vhost-net: stop: routes removed, guest memory left alone");

	case_begin(&tc);
	rings_reset();
	/* A reset drains the kicks (virtio.c); so does the test. */
	for (unsigned int q = 0; q < 2; q++)
		eventfd_read(queues[q].kick_fd, &(eventfd_t){ 0 });
	check(&tc, vhost_net_start(v, &vdev, RXQ, want, tap_fd) == 0, "restart failed");
	tx_one(&tc, 0, "hvx vhost tx after restart");
	post_rx_buffers();
	rx_one(&tc, "hvx vhost rx after restart");
	vhost_net_close(v);
	check(&tc, call_fd[0] < 0 && call_fd[1] < 0, "close left routes");
	case_end(&tc, "vhost-net: a new start after a reset carries frames again; close");

	close(pkt_fd);
	close(tap_fd);
	fake_vm_destroy(&vm);
	return tap_finish();
}
