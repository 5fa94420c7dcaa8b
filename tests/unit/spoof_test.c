// SPDX-License-Identifier: GPL-2.0
/*
 * The anti-spoofing filter (userspace/vmctl/net/spoof.bpf.c), loaded with
 * spoof_load() as vmctl loads it and run by the kernel on crafted frames
 * (BPF_PROG_RUN): each case checks the verdict and that exactly one
 * counter moved, the one the verdict should be counted in. Every frame
 * is tried untagged, behind one 802.1Q tag and behind QinQ (802.1ad, then
 * 802.1Q), all in the frame data as BPF_PROG_RUN leaves them. The
 * policer of rate= is run on bursts of frames (BPF_PROG_RUN's repeat)
 * against a bucket of a known number of them.
 *
 * Needs BPF (root, or CAP_BPF with CAP_NET_ADMIN): without it the test
 * fails rather than skips, since a vmctl that cannot load the filter
 * would run guests unfiltered. The attach cases use the loopback device
 * of a network namespace of their own, so the host's devices are not
 * touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>

#include "unit.h"
#include "net/spoof.h"

#define WANT_PASS	(-1)
/*
 * BPF_PROG_RUN itself refuses an untagged IPv4 or IPv6 frame shorter than
 * its L3 header (EINVAL, 6.1 as today); the tap cases below send those
 * through the real receive path instead.
 */
#define WANT_REFUSED	(-2)
#define MAX_TAGS	3
#define ETH_HLEN_BYTES	14

static const uint8_t vm_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define IP4(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
static const uint32_t vm_ipv4[] = { IP4(10, 0, 0, 2), IP4(10, 0, 0, 3) };

/* fe80:: + the modified EUI-64 of vm_mac: 52 ^ 02 = 50, ff:fe inserted. */
static const uint8_t vm_ll[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				   0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 };
/* The same without the U/L flip: what a wrong EUI-64 would give. */
static const uint8_t other_ll[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				      0x52, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 };
static const uint8_t vm_global[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0, 0, 0x02 };
static const uint8_t other_global[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 0x03 };
static const uint8_t unspec6[16];
static const uint8_t allnodes6[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0, 0, 0x01 };

struct frame {
	uint8_t b[128];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint8_t *frame_put(struct frame *f, size_t n)
{
	uint8_t *p = f->b + f->len;

	memset(p, 0, n);
	f->len += n;
	return p;
}

/* Ethernet from @src with @tags tags: 802.1ad outermost, then 802.1Q. */
static void frame_eth(struct frame *f, const uint8_t *src, int tags,
		      uint16_t proto)
{
	uint8_t *p;
	int i;

	f->len = 0;
	p = frame_put(f, 12);
	memcpy(p, bcast_mac, 6);
	memcpy(p + 6, src, 6);
	for (i = 0; i < tags; i++) {
		p = frame_put(f, 4);
		put16(p, i == 0 && tags > 1 ? 0x88a8 : 0x8100);
		put16(p + 2, 100 + i);		/* the VLAN IDs, PCP 0 */
	}
	put16(frame_put(f, 2), proto);
}

static void frame_arp(struct frame *f, const uint8_t *sha, uint32_t spa)
{
	uint8_t *p = frame_put(f, 28);

	put16(p, 1);			/* Ethernet */
	put16(p + 2, 0x0800);		/* IPv4 */
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);		/* request */
	memcpy(p + 8, sha, 6);
	put32(p + 14, spa);
	put32(p + 24, IP4(10, 0, 0, 1));
}

static void frame_ipv4_udp(struct frame *f, uint32_t saddr, uint16_t sport,
			   uint16_t dport)
{
	uint8_t *p = frame_put(f, 28);

	p[0] = 0x45;
	put16(p + 2, 28);
	p[8] = 64;
	p[9] = 17;			/* UDP */
	put32(p + 12, saddr);
	put32(p + 16, IP4(255, 255, 255, 255));
	put16(p + 20, sport);
	put16(p + 22, dport);
	put16(p + 24, 8);
}

static void frame_ipv6_udp(struct frame *f, const uint8_t *saddr)
{
	uint8_t *p = frame_put(f, 48);

	p[0] = 0x60;
	put16(p + 4, 8);
	p[6] = 17;
	p[7] = 255;
	memcpy(p + 8, saddr, 16);
	memcpy(p + 24, allnodes6, 16);
	put16(p + 40, 546);
	put16(p + 42, 547);
	put16(p + 44, 8);
}

/* The cases: one builder each, @tags from 0 to 2. */
static void unknown_ethertype(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x88b5);	/* IEEE local experimental */
	memset(frame_put(f, 46), 0xa5, 46);
}

static void wrong_mac(struct frame *f, int tags)
{
	frame_eth(f, other_mac, tags, 0x88b5);
	frame_put(f, 46);
}

static void wrong_mac_ipv4(struct frame *f, int tags)
{
	frame_eth(f, other_mac, tags, 0x0800);
	frame_ipv4_udp(f, vm_ipv4[0], 1234, 53);
}

static void arp_ok(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0806);
	frame_arp(f, vm_mac, vm_ipv4[1]);
}

static void arp_wrong_sha(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0806);
	frame_arp(f, other_mac, vm_ipv4[0]);
}

static void arp_wrong_spa(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0806);
	frame_arp(f, vm_mac, IP4(10, 0, 0, 9));
}

static void arp_probe(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0806);
	frame_arp(f, vm_mac, 0);
}

static void arp_short(struct frame *f, int tags)
{
	arp_ok(f, tags);
	f->len -= 4;		/* no target protocol address */
}

static void ipv4_ok(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0800);
	frame_ipv4_udp(f, vm_ipv4[1], 1234, 53);
}

static void ipv4_wrong(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0800);
	frame_ipv4_udp(f, IP4(10, 0, 0, 9), 1234, 53);
}

static void dhcp_discover(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0800);
	frame_ipv4_udp(f, 0, 68, 67);
}

static void zero_src_not_dhcp(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0800);
	frame_ipv4_udp(f, 0, 68, 53);
}

static void ipv4_eth_only(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x0800);
}

static void ipv6_ll_ok(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x86dd);
	frame_ipv6_udp(f, vm_ll);
}

static void ipv6_ll_other(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x86dd);
	frame_ipv6_udp(f, other_ll);
}

static void ipv6_unspec(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x86dd);
	frame_ipv6_udp(f, unspec6);
}

static void ipv6_global_ok(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x86dd);
	frame_ipv6_udp(f, vm_global);
}

static void ipv6_global_other(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x86dd);
	frame_ipv6_udp(f, other_global);
}

static void ipv6_half(struct frame *f, int tags)
{
	ipv6_ll_ok(f, tags);
	f->len -= 48 - 20;
}

/* A tag header cut off: the ethertype says 802.1Q, nothing follows. */
static void tag_cut(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, tags, 0x8100);
}

/*
 * One tag more than the name says, the payload fine: behind three tags
 * (QinQ + 1) it is more than the filter looks through, and dropped.
 */
static void tags_too_many(struct frame *f, int tags)
{
	frame_eth(f, vm_mac, 1 + tags, 0x0800);
	frame_ipv4_udp(f, vm_ipv4[0], 1234, 53);
}

enum { CFG_FULL, CFG_NONE, NR_CFGS };
static const char *const cfg_names[NR_CFGS] = { "", " [no IP configured]" };

struct scase {
	const char *name;
	void (*build)(struct frame *f, int tags);
	int cfg;
	int want[MAX_TAGS];	/* by number of tags: WANT_PASS or a reason */
};

#define SAME(w)	{ w, w, w }

static const struct scase cases[] = {
	{ "unknown ethertype passes", unknown_ethertype, CFG_FULL, SAME(WANT_PASS) },
	{ "wrong source MAC dropped", wrong_mac, CFG_FULL, SAME(SPOOF_DROP_MAC) },
	{ "wrong source MAC, right IPv4, dropped", wrong_mac_ipv4, CFG_FULL,
	  SAME(SPOOF_DROP_MAC) },
	{ "ARP right sender MAC and IP passes", arp_ok, CFG_FULL, SAME(WANT_PASS) },
	{ "ARP wrong sender MAC dropped", arp_wrong_sha, CFG_FULL, SAME(SPOOF_DROP_ARP) },
	{ "ARP wrong sender IP dropped", arp_wrong_spa, CFG_FULL, SAME(SPOOF_DROP_ARP) },
	{ "ARP probe from 0.0.0.0 passes", arp_probe, CFG_FULL, SAME(WANT_PASS) },
	{ "short ARP malformed", arp_short, CFG_FULL, SAME(SPOOF_DROP_MALFORMED) },
	{ "IPv4 right source passes", ipv4_ok, CFG_FULL, SAME(WANT_PASS) },
	{ "IPv4 wrong source dropped", ipv4_wrong, CFG_FULL, SAME(SPOOF_DROP_IPV4) },
	{ "DHCP discover from 0.0.0.0 passes", dhcp_discover, CFG_FULL, SAME(WANT_PASS) },
	{ "0.0.0.0 not to the DHCP server dropped", zero_src_not_dhcp, CFG_FULL,
	  SAME(SPOOF_DROP_IPV4) },
	{ "Ethernet header only, IPv4 ethertype, malformed", ipv4_eth_only, CFG_FULL,
	  { WANT_REFUSED, SPOOF_DROP_MALFORMED, SPOOF_DROP_MALFORMED } },
	{ "IPv4 any source passes", ipv4_wrong, CFG_NONE, SAME(WANT_PASS) },
	{ "ARP any sender IP passes", arp_wrong_spa, CFG_NONE, SAME(WANT_PASS) },
	{ "ARP wrong sender MAC still dropped", arp_wrong_sha, CFG_NONE,
	  SAME(SPOOF_DROP_ARP) },
	{ "IPv6 link-local EUI-64 passes", ipv6_ll_ok, CFG_FULL, SAME(WANT_PASS) },
	{ "IPv6 other link-local dropped", ipv6_ll_other, CFG_FULL, SAME(SPOOF_DROP_IPV6) },
	{ "IPv6 :: passes", ipv6_unspec, CFG_FULL, SAME(WANT_PASS) },
	{ "IPv6 configured global passes", ipv6_global_ok, CFG_FULL, SAME(WANT_PASS) },
	{ "IPv6 other global dropped", ipv6_global_other, CFG_FULL,
	  SAME(SPOOF_DROP_IPV6) },
	{ "IPv6 link-local EUI-64 passes", ipv6_ll_ok, CFG_NONE, SAME(WANT_PASS) },
	{ "IPv6 global dropped", ipv6_global_ok, CFG_NONE, SAME(SPOOF_DROP_IPV6) },
	{ "half an IPv6 header malformed", ipv6_half, CFG_FULL,
	  { WANT_REFUSED, SPOOF_DROP_MALFORMED, SPOOF_DROP_MALFORMED } },
	{ "tag without its header malformed", tag_cut, CFG_FULL,
	  SAME(SPOOF_DROP_MALFORMED) },
	{ "IPv4 behind one tag more", tags_too_many, CFG_FULL,
	  { WANT_PASS, WANT_PASS, SPOOF_DROP_MALFORMED } },
};

static const char *const tag_names[MAX_TAGS] = { "untagged", "802.1Q", "QinQ" };

static const char *want_name(int want)
{
	return want == WANT_PASS ? "passed" : spoof_reason_name(want);
}

/* That exactly the counter of @want moved, by one; none for WANT_REFUSED. */
static void check_moved(struct tcase *tc, const struct spoof_stats *before,
			const struct spoof_stats *after, int want)
{
	int r;

	check(tc, after->passed - before->passed == (want == WANT_PASS),
	      "passed moved by %llu",
	      (unsigned long long)(after->passed - before->passed));
	for (r = 0; r < SPOOF_NR_REASONS; r++)
		check(tc, after->dropped[r] - before->dropped[r] == (want == r),
		      "dropped[%s] moved by %llu", spoof_reason_name(r),
		      (unsigned long long)(after->dropped[r] - before->dropped[r]));
}

static void run_case(struct spoof *s, const struct scase *c, int tags)
{
	struct spoof_stats before, after;
	struct bpf_test_run_opts run;
	int want = c->want[tags];
	struct frame f;
	struct tcase tc;
	int err;

	case_begin(&tc);
	c->build(&f, tags);
	memset(&run, 0, sizeof(run));
	run.sz = sizeof(run);
	run.data_in = f.b;
	run.data_size_in = f.len;
	run.repeat = 1;

	check(&tc, !spoof_get_stats(s, &before), "stats before");
	err = bpf_prog_test_run_opts(spoof_prog_fd(s), &run);
	check(&tc, !spoof_get_stats(s, &after), "stats after");
	if (want == WANT_REFUSED) {
		check(&tc, err == -EINVAL, "BPF_PROG_RUN ran it: %s",
		      err ? strerror(-err) : "verdict given");
	} else {
		int act = want == WANT_PASS ? TC_ACT_OK : TC_ACT_SHOT;

		check(&tc, !err, "BPF_PROG_RUN: %s", strerror(-err));
		check(&tc, err || run.retval == (unsigned int)act,
		      "verdict %u, want %d (%s)", run.retval, act, want_name(want));
	}
	check_moved(&tc, &before, &after, want);
	case_end(&tc, "%s (%s, %zu bytes)%s%s", c->name, tag_names[tags], f.len,
		 cfg_names[c->cfg],
		 want == WANT_REFUSED ? ": BPF_PROG_RUN refuses it" : "");
}

static void names_case(void)
{
	static const char *const want[SPOOF_NR_REASONS] = {
		"mac", "ipv4", "arp", "ipv6", "malformed", "rate",
	};
	struct tcase tc;
	int r;

	case_begin(&tc);
	for (r = 0; r < SPOOF_NR_REASONS; r++)
		check(&tc, !strcmp(spoof_reason_name(r), want[r]),
		      "reason %d is \"%s\"", r, spoof_reason_name(r));
	case_end(&tc, "spoof_reason_name");
}

static void too_many_addresses_case(void)
{
	struct spoof_config cfg = { .nipv4 = SPOOF_MAX_IPV4 + 1 };
	struct spoof *s;
	struct tcase tc;

	case_begin(&tc);
	s = spoof_load(&cfg);
	check(&tc, !s, "loaded with %u IPv4 addresses", cfg.nipv4);
	spoof_destroy(s);
	case_end(&tc, "more than SPOOF_MAX_IPV4 addresses refused");
}

/*
 * The policer (rate=): 64-byte frames, a bucket of exactly 16 of them,
 * refilled at 1000 bytes/s, so that a 17th frame's worth comes back only
 * 64 ms after the bucket ran dry, far longer than one BPF_PROG_RUN of a
 * few dozen repeats takes; the counts are exact.
 */
#define RATE_FRAME	64
#define RATE_BURST	(16 * RATE_FRAME)
#define RATE_BPS	1000

static void rate_frame(struct frame *f, const uint8_t *src)
{
	frame_eth(f, src, 0, 0x88b5);
	memset(frame_put(f, RATE_FRAME - ETH_HLEN_BYTES), 0xa5,
	       RATE_FRAME - ETH_HLEN_BYTES);
}

/*
 * @f run @n times in one BPF_PROG_RUN (repeat): the counters' moves in
 * @d, the last verdict in @retval. 0, or the error.
 */
static int run_repeat(struct spoof *s, struct frame *f, unsigned int n,
		      struct spoof_stats *d, unsigned int *retval)
{
	struct spoof_stats before, after;
	struct bpf_test_run_opts run;
	int err, r;

	memset(&run, 0, sizeof(run));
	run.sz = sizeof(run);
	run.data_in = f->b;
	run.data_size_in = f->len;
	run.repeat = n;
	if (spoof_get_stats(s, &before))
		return -EIO;
	err = bpf_prog_test_run_opts(spoof_prog_fd(s), &run);
	if (spoof_get_stats(s, &after))
		return -EIO;
	d->passed = after.passed - before.passed;
	for (r = 0; r < SPOOF_NR_REASONS; r++)
		d->dropped[r] = after.dropped[r] - before.dropped[r];
	*retval = run.retval;
	return err;
}

/* That @d is @passed passed, @mac dropped as mac, @rate as rate, no other. */
static void check_rate_moves(struct tcase *tc, const char *what,
			     const struct spoof_stats *d, unsigned int passed,
			     unsigned int mac, unsigned int rate)
{
	int r;

	check(tc, d->passed == passed, "%s: %llu passed, want %u", what,
	      (unsigned long long)d->passed, passed);
	for (r = 0; r < SPOOF_NR_REASONS; r++) {
		unsigned int want = r == SPOOF_DROP_RATE ? rate :
				    r == SPOOF_DROP_MAC ? mac : 0;

		check(tc, d->dropped[r] == want, "%s: %llu dropped as %s, want %u",
		      what, (unsigned long long)d->dropped[r],
		      spoof_reason_name(r), want);
	}
}

static void rate_cases(const struct spoof_config *base)
{
	struct spoof_config cfg = *base;
	struct spoof_stats d;
	unsigned int ret;
	struct spoof *s;
	struct frame f;
	struct tcase tc;
	int err;

	cfg.rate = RATE_BPS;
	cfg.burst = RATE_BURST;

	/* Rules on: spoofed frames first, which must cost nothing. */
	case_begin(&tc);
	s = spoof_load(&cfg);
	check(&tc, s, "spoof_load with a rate");
	if (s) {
		rate_frame(&f, other_mac);
		err = run_repeat(s, &f, 20, &d, &ret);
		check(&tc, !err, "BPF_PROG_RUN: %s", strerror(-err));
		check_rate_moves(&tc, "spoofed", &d, 0, 20, 0);
		rate_frame(&f, vm_mac);
		err = run_repeat(s, &f, 40, &d, &ret);
		check(&tc, !err, "BPF_PROG_RUN: %s", strerror(-err));
		check(&tc, ret == TC_ACT_SHOT, "last verdict %u, want shot", ret);
		check_rate_moves(&tc, "burst", &d, RATE_BURST / RATE_FRAME, 0,
				 40 - RATE_BURST / RATE_FRAME);
		/* 100 ms at 1000 bytes/s: one frame's worth and some, not two. */
		usleep(100000);
		err = run_repeat(s, &f, 1, &d, &ret);
		check(&tc, !err && ret == TC_ACT_OK, "after 100 ms: %s, verdict %u",
		      strerror(-err), ret);
		check_rate_moves(&tc, "after 100 ms", &d, 1, 0, 0);
	}
	spoof_destroy(s);
	case_end(&tc, "rate: 20 spoofed frames not charged, then 40 frames: %u pass, %u dropped as rate; one passes 100 ms later",
		 RATE_BURST / RATE_FRAME, 40 - RATE_BURST / RATE_FRAME);

	/* spoof=off with rate=: the rules off, the policer on. */
	case_begin(&tc);
	cfg.no_rules = true;
	s = spoof_load(&cfg);
	check(&tc, s, "spoof_load without rules");
	if (s) {
		rate_frame(&f, other_mac);
		err = run_repeat(s, &f, 20, &d, &ret);
		check(&tc, !err, "BPF_PROG_RUN: %s", strerror(-err));
		check(&tc, ret == TC_ACT_SHOT, "last verdict %u, want shot", ret);
		check_rate_moves(&tc, "spoofed, no rules", &d,
				 RATE_BURST / RATE_FRAME, 0,
				 20 - RATE_BURST / RATE_FRAME);
	}
	spoof_destroy(s);
	case_end(&tc, "rate without the rules: spoofed frames pass, %u of 20, the rest dropped as rate",
		 RATE_BURST / RATE_FRAME);

	/* Rules off, no rate: everything passes (vmctl loads no program then). */
	case_begin(&tc);
	cfg.rate = 0;
	s = spoof_load(&cfg);
	check(&tc, s, "spoof_load without rules or rate");
	if (s) {
		rate_frame(&f, other_mac);
		err = run_repeat(s, &f, 1000, &d, &ret);
		check(&tc, !err && ret == TC_ACT_OK, "BPF_PROG_RUN: %s, verdict %u",
		      strerror(-err), ret);
		check_rate_moves(&tc, "no rules, no rate", &d, 1000, 0, 0);
	}
	spoof_destroy(s);
	case_end(&tc, "neither rules nor rate: 1000 spoofed frames pass");

	case_begin(&tc);
	cfg.no_rules = false;
	cfg.rate = SPOOF_MAX_RATE + 1;
	s = spoof_load(&cfg);
	check(&tc, !s, "loaded with a rate of %llu bytes/s",
	      (unsigned long long)cfg.rate);
	spoof_destroy(s);
	cfg.rate = RATE_BPS;
	cfg.burst = 0;
	s = spoof_load(&cfg);
	check(&tc, !s, "loaded with a rate and no burst");
	spoof_destroy(s);
	case_end(&tc, "a rate over SPOOF_MAX_RATE, or without a burst, refused");
}

/* 0 if a clsact qdisc is on @ifindex, -ENOENT if not. */
static int clsact_present(int ifindex)
{
	libbpf_print_fn_t print;
	struct bpf_tc_hook hook;
	int err;

	memset(&hook, 0, sizeof(hook));
	hook.sz = sizeof(hook);
	hook.ifindex = ifindex;
	hook.attach_point = BPF_TC_INGRESS;
	/* Quiet: the kernel explains EEXIST, which is the answer wanted. */
	print = libbpf_set_print(NULL);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(print);
	if (err == -EEXIST)
		return 0;
	if (!err) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		return -ENOENT;
	}
	return err;
}

static unsigned int prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* The filter lets go of the program RCU-late: wait for it, up to 2 s. */
static bool prog_gone(unsigned int id)
{
	int i, fd;

	for (i = 0; i < 200; i++) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			return true;
		close(fd);
		usleep(10000);
	}
	return false;
}

/*
 * The real receive path: frames written to a tap (as the guest's are),
 * with the filter on its clsact ingress. The kernel moves the outer VLAN
 * tag to skb->vlan_tci before tc, so a frame with n tags reaches the
 * program with n - 1 in its data; and the short untagged frames that
 * BPF_PROG_RUN refuses get through to the program here.
 */
struct rcase {
	const char *name;
	void (*build)(struct frame *f, int tags);
	int tags;
	int want;
};

static const struct rcase tap_cases_list[] = {
	{ "IPv4 right source passes", ipv4_ok, 0, WANT_PASS },
	{ "IPv4 wrong source dropped", ipv4_wrong, 0, SPOOF_DROP_IPV4 },
	{ "wrong source MAC dropped", wrong_mac, 0, SPOOF_DROP_MAC },
	{ "IPv4 right source passes", ipv4_ok, 1, WANT_PASS },
	{ "IPv4 wrong source dropped", ipv4_wrong, 1, SPOOF_DROP_IPV4 },
	{ "IPv4 wrong source dropped", ipv4_wrong, 2, SPOOF_DROP_IPV4 },
	{ "ARP wrong sender IP dropped", arp_wrong_spa, 2, SPOOF_DROP_ARP },
	{ "IPv6 link-local EUI-64 passes", ipv6_ll_ok, 1, WANT_PASS },
	{ "IPv6 other global dropped", ipv6_global_other, 2, SPOOF_DROP_IPV6 },
	/* tags_too_many adds one: three and four tags. */
	{ "IPv4 behind three tags passes", tags_too_many, 2, WANT_PASS },
	{ "IPv4 behind four tags malformed", tags_too_many, 3, SPOOF_DROP_MALFORMED },
	{ "Ethernet header only, IPv4 ethertype, malformed", ipv4_eth_only, 0,
	  SPOOF_DROP_MALFORMED },
	{ "half an IPv6 header malformed", ipv6_half, 0, SPOOF_DROP_MALFORMED },
};

/* A tap "spoof%d", up; its fd, or -1 with @why set. */
static int tap_open(int *ifindex, const char **why)
{
	struct ifreq ifr;
	int fd, sock;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*why = "no /dev/net/tun";
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, "spoof%d");
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		*why = "TUNSETIFF failed";
		close(fd);
		return -1;
	}
	/* Down, tun refuses writes (EIO). */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr)) {
		*why = "cannot read the tap's flags";
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr)) {
		*why = "cannot bring the tap up";
		goto fail;
	}
	close(sock);
	*ifindex = if_nametoindex(ifr.ifr_name);
	return fd;

fail:
	if (sock >= 0)
		close(sock);
	close(fd);
	return -1;
}

/*
 * spoof_destroy(@s) with stderr into a pipe (big enough for a few
 * messages): what it printed, in @said.
 */
static void destroy_capturing(struct spoof *s, char *said, size_t size)
{
	int p[2], saved;
	ssize_t n;

	said[0] = '\0';
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(said, size, "pipe: %s", strerror(errno));
		spoof_destroy(s);
		return;
	}
	fflush(stderr);
	saved = dup(2);
	dup2(p[1], 2);
	spoof_destroy(s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], said, size - 1);
	said[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

static void tap_cases(const struct spoof_config *cfg)
{
	char said[512];
	unsigned int id;
	const char *why = NULL;
	struct spoof *s = NULL;
	struct tcase tc;
	unsigned int i;
	int fd, ifindex = 0;

	fd = tap_open(&ifindex, &why);
	/* No tun driver (a module not loaded in the testbed): not ours. */
	if (fd < 0 && (errno == ENOENT || errno == ENODEV)) {
		skip("tap with the filter on its ingress", strerror(errno));
		return;
	}
	case_begin(&tc);
	check(&tc, fd >= 0, "%s: %s", why ? why : "", strerror(errno));
	if (fd >= 0) {
		s = spoof_load(cfg);
		check(&tc, s, "spoof_load");
		check(&tc, s && !spoof_attach(s, ifindex), "spoof_attach");
	}
	case_end(&tc, "tap with the filter on its ingress");
	if (!tc.ok) {
		spoof_destroy(s);
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(tap_cases_list); i++) {
		const struct rcase *c = &tap_cases_list[i];
		struct spoof_stats before, after;
		struct frame f;
		ssize_t n;
		int tries;

		case_begin(&tc);
		c->build(&f, c->tags);
		check(&tc, !spoof_get_stats(s, &before), "stats before");
		n = write(fd, f.b, f.len);
		check(&tc, n == (ssize_t)f.len, "write: %zd, %s", n,
		      n < 0 ? strerror(errno) : "short");
		/* tun receives in write() itself; allow for a deferred one. */
		for (tries = 0; tries < 100; tries++) {
			if (spoof_get_stats(s, &after))
				break;
			if (memcmp(&before, &after, sizeof(after)))
				break;
			usleep(10000);
		}
		check_moved(&tc, &before, &after, c->want);
		case_end(&tc, "tap: %s (%d tag%s, %zu bytes)", c->name,
			 c->tags + (c->build == tags_too_many), c->tags == 1 ? "" : "s",
			 f.len);
	}

	/* As vmctl may do it: the tap first, and the filter with it. */
	case_begin(&tc);
	id = prog_id(spoof_prog_fd(s));
	close(fd);
	destroy_capturing(s, said, sizeof(said));
	check(&tc, !said[0], "spoof_destroy said: %s", said);
	check(&tc, !id || prog_gone(id), "program %u still held", id);
	case_end(&tc, "tap closed first, then spoof_destroy, quietly");
}

/*
 * The policer on the real receive path: 40 frames written to a tap, as a
 * guest sends them, 16 pass and 24 are dropped as rate. skb->len there
 * is the whole frame (cls_bpf pushes the Ethernet header back at
 * ingress), as BPF_PROG_RUN gives it.
 */
static void tap_rate_case(const struct spoof_config *base)
{
	struct spoof_config cfg = *base;
	struct spoof_stats before, after, d;
	const char *why = NULL;
	struct spoof *s = NULL;
	struct tcase tc;
	struct frame f;
	int fd, i, r, tries, ifindex = 0;

	cfg.rate = RATE_BPS;
	cfg.burst = RATE_BURST;
	fd = tap_open(&ifindex, &why);
	if (fd < 0 && (errno == ENOENT || errno == ENODEV)) {
		skip("tap: rate policed on the receive path", strerror(errno));
		return;
	}
	case_begin(&tc);
	check(&tc, fd >= 0, "%s: %s", why ? why : "", strerror(errno));
	if (fd >= 0) {
		s = spoof_load(&cfg);
		check(&tc, s && !spoof_attach(s, ifindex), "spoof_load, attach");
	}
	if (tc.ok) {
		check(&tc, !spoof_get_stats(s, &before), "stats before");
		rate_frame(&f, vm_mac);
		for (i = 0; i < 40; i++)
			check(&tc, write(fd, f.b, f.len) == (ssize_t)f.len,
			      "write: %s", strerror(errno));
		/* tun receives in write() itself; allow for a deferred one. */
		for (tries = 0; tries < 100; tries++) {
			if (spoof_get_stats(s, &after))
				break;
			if (after.passed + after.dropped[SPOOF_DROP_RATE] -
			    before.passed - before.dropped[SPOOF_DROP_RATE] >= 40)
				break;
			usleep(10000);
		}
		d.passed = after.passed - before.passed;
		for (r = 0; r < SPOOF_NR_REASONS; r++)
			d.dropped[r] = after.dropped[r] - before.dropped[r];
		check_rate_moves(&tc, "tap", &d, RATE_BURST / RATE_FRAME, 0,
				 40 - RATE_BURST / RATE_FRAME);
	}
	spoof_destroy(s);
	if (fd >= 0)
		close(fd);
	case_end(&tc, "tap: 40 frames written, %u pass the policer, the rest dropped as rate",
		 RATE_BURST / RATE_FRAME);
}

/*
 * Attach and destroy on the loopback device of a new network namespace
 * (ifindex 1 there): once making the clsact qdisc, which destroy removes,
 * and once onto a qdisc that was there before, which destroy leaves.
 */
static void attach_cases(const struct spoof_config *cfg)
{
	const int lo = 1;
	bool preexisting;
	int i;

	if (unshare(CLONE_NEWNET)) {
		skip("attach to a tap's clsact ingress", strerror(errno));
		return;
	}
	for (i = 0; i < 2; i++) {
		struct spoof *s;
		struct tcase tc;
		unsigned int id = 0;

		preexisting = i == 1;
		case_begin(&tc);
		if (preexisting) {
			struct bpf_tc_hook hook;

			memset(&hook, 0, sizeof(hook));
			hook.sz = sizeof(hook);
			hook.ifindex = lo;
			hook.attach_point = BPF_TC_INGRESS;
			check(&tc, !bpf_tc_hook_create(&hook), "made clsact first");
		}
		s = spoof_load(cfg);
		check(&tc, s, "spoof_load");
		if (s) {
			id = prog_id(spoof_prog_fd(s));
			check(&tc, id, "program id");
			check(&tc, !spoof_attach(s, lo), "spoof_attach");
			check(&tc, !clsact_present(lo), "clsact on lo");
			check(&tc, spoof_attach(s, lo) == -1, "attached twice");
			spoof_destroy(s);
			check(&tc, !id || prog_gone(id),
			      "program %u still held after spoof_destroy", id);
		}
		if (preexisting)
			check(&tc, !clsact_present(lo),
			      "someone else's clsact removed by spoof_destroy");
		else
			check(&tc, clsact_present(lo) == -ENOENT,
			      "our clsact left behind by spoof_destroy");
		case_end(&tc, "attach and destroy, %s clsact",
			 preexisting ? "existing" : "new");
	}
	tap_cases(cfg);
	tap_rate_case(cfg);
}

int main(void)
{
	struct spoof_config cfg[NR_CFGS];
	struct spoof *s[NR_CFGS] = { NULL };
	struct tcase tc;
	unsigned int i;
	int k, tags;

	memset(cfg, 0, sizeof(cfg));
	for (k = 0; k < NR_CFGS; k++)
		memcpy(cfg[k].mac, vm_mac, 6);
	cfg[CFG_FULL].nipv4 = ARRAY_SIZE(vm_ipv4);
	for (i = 0; i < ARRAY_SIZE(vm_ipv4); i++)
		cfg[CFG_FULL].ipv4[i] = htonl(vm_ipv4[i]);
	cfg[CFG_FULL].nipv6 = 1;
	memcpy(cfg[CFG_FULL].ipv6[0], vm_global, 16);

	names_case();
	/* No BPF here is a failure: a skip would read as a pass. */
	for (k = 0; k < NR_CFGS; k++) {
		case_begin(&tc);
		s[k] = spoof_load(&cfg[k]);
		check(&tc, s[k], "spoof_load failed (is BPF available? root?)");
		case_end(&tc, "spoof_load%s", cfg_names[k]);
	}
	if (s[CFG_FULL] && s[CFG_NONE]) {
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			for (tags = 0; tags < MAX_TAGS; tags++)
				run_case(s[cases[i].cfg], &cases[i], tags);
	}
	/* Policer off (no rate): no number of frames is too many. */
	if (s[CFG_FULL]) {
		struct spoof_stats d;
		unsigned int ret;
		struct frame f;
		int err;

		case_begin(&tc);
		rate_frame(&f, vm_mac);
		err = run_repeat(s[CFG_FULL], &f, 1000, &d, &ret);
		check(&tc, !err && ret == TC_ACT_OK, "BPF_PROG_RUN: %s, verdict %u",
		      strerror(-err), ret);
		check_rate_moves(&tc, "no rate", &d, 1000, 0, 0);
		case_end(&tc, "no rate: 1000 frames in a row all pass");
	}
	for (k = 0; k < NR_CFGS; k++)
		spoof_destroy(s[k]);
	rate_cases(&cfg[CFG_FULL]);
	too_many_addresses_case();
	attach_cases(&cfg[CFG_FULL]);
	return tap_finish();
}
