// SPDX-License-Identifier: GPL-2.0
/*
 * The anti-spoofing filter of a NIC: a tc classifier (direct action) on
 * the clsact ingress of the VM's tap, where the frames the guest sent come
 * in. A frame passes only if it carries the NIC's own addresses; each
 * verdict moves one counter of spoof_counters (see spoof_maps.h). A frame
 * the rules pass is then policed against the NIC's rate= (police()):
 * one program per tap does both, and a frame the rules drop costs the
 * guest none of its rate.
 *
 * Headers are copied with bpf_skb_load_bytes() rather than read in place:
 * a tap's skb may keep most of a frame in page fragments (vhost-net,
 * zerocopy), which direct packet access cannot see, and a copy also needs
 * no bounds proofs at variable offsets for the verifier.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "net/spoof_maps.h"

/*
 * 802.1Q/802.1ad tags looked through in the frame data. On the receive
 * path the kernel has already moved the outer tag to skb->vlan_tci, so
 * this is enough for QinQ with the outer tag in the data too (as
 * BPF_PROG_RUN gives it) or for a third tag behind QinQ otherwise.
 */
#define SPOOF_MAX_TAGS		2
/* The fragment offset bits of iphdr.frag_off (the kernel's IP_OFFSET). */
#define SPOOF_IP_OFFSET		0x1fff
#define SPOOF_DHCP_CLIENT	68
#define SPOOF_DHCP_SERVER	67

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct spoof_map_config);
} spoof_config SEC(".maps");

/* Per CPU, so that counting needs no atomics; vmctl sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SPOOF_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} spoof_counters SEC(".maps");

/* The policer's bucket; BTF-described, as a bpf_spin_lock needs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct spoof_rate_state);
} spoof_rate SEC(".maps");

#define SPOOF_NSEC_PER_SEC	1000000000ULL

struct spoof_vlan_tag {
	__be16 tci;
	__be16 proto;		/* of what follows the tag */
};

/*
 * ARP for IPv4 over Ethernet, the only kind a NIC of ours has reason to
 * send. Spelled out rather than taken from <linux/if_arp.h>: that header
 * pulls in glibc's <sys/socket.h>, which does not build for -target bpf.
 */
#define SPOOF_ARPHRD_ETHER	1	/* ARPHRD_ETHER */

struct spoof_arp {
	__be16 ar_hrd;
	__be16 ar_pro;
	__u8 ar_hln;
	__u8 ar_pln;
	__be16 ar_op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

static __always_inline int verdict(__u32 counter)
{
	__u64 *c = bpf_map_lookup_elem(&spoof_counters, &counter);

	if (c)
		*c += 1;
	return counter == SPOOF_CNT_PASSED ? TC_ACT_OK : TC_ACT_SHOT;
}

static __always_inline bool mac_eq(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] &&
	       a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

static __always_inline bool ipv4_configured(const struct spoof_map_config *cfg,
					    __be32 addr)
{
	__u32 i;

	/* Bounded by the array, not by nipv4: the verifier needs a constant. */
	for (i = 0; i < SPOOF_MAP_MAX_IPV4; i++) {
		if (i >= cfg->nipv4)
			break;
		if (cfg->ipv4[i] == addr)
			return true;
	}
	return false;
}

static __always_inline bool ip6_eq(const __u32 *a, const __u32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

static __always_inline bool ipv6_configured(const struct spoof_map_config *cfg,
					    const __u32 *addr)
{
	__u32 i;

	for (i = 0; i < SPOOF_MAP_MAX_IPV6; i++) {
		if (i >= cfg->nipv6)
			break;
		if (ip6_eq((const __u32 *)cfg->ipv6[i], addr))
			return true;
	}
	return false;
}

static __always_inline __u32 check_arp(struct __sk_buff *skb, __u32 off,
				       const struct spoof_map_config *cfg)
{
	struct spoof_arp arp;
	__be32 spa;

	if (bpf_skb_load_bytes(skb, off, &arp, sizeof(arp)))
		return SPOOF_CNT_DROP_MALFORMED;
	/* Another hardware or protocol type has no addresses we could check. */
	if (arp.ar_hrd != bpf_htons(SPOOF_ARPHRD_ETHER) ||
	    arp.ar_pro != bpf_htons(ETH_P_IP) ||
	    arp.ar_hln != ETH_ALEN || arp.ar_pln != 4)
		return SPOOF_CNT_DROP_ARP;
	/* The sender MAC is what neighbours cache: poisoning is done here. */
	if (!mac_eq(arp.sha, cfg->mac))
		return SPOOF_CNT_DROP_ARP;
	if (!cfg->nipv4)
		return SPOOF_CNT_PASSED;
	__builtin_memcpy(&spa, arp.spa, sizeof(spa));
	/* 0.0.0.0: an address conflict probe (RFC 5227), claims nothing. */
	if (!spa || ipv4_configured(cfg, spa))
		return SPOOF_CNT_PASSED;
	return SPOOF_CNT_DROP_ARP;
}

static __always_inline __u32 check_ipv4(struct __sk_buff *skb, __u32 off,
					const struct spoof_map_config *cfg)
{
	struct iphdr ip;
	__be16 ports[2];

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return SPOOF_CNT_DROP_MALFORMED;
	if (ip.version != 4 || ip.ihl < 5)
		return SPOOF_CNT_DROP_MALFORMED;
	if (!cfg->nipv4 || ipv4_configured(cfg, ip.saddr))
		return SPOOF_CNT_PASSED;
	/*
	 * A DHCP client has no address yet: its DISCOVER and REQUEST come from
	 * 0.0.0.0, UDP port 68 to 67. Only a first fragment has the ports.
	 */
	if (ip.saddr || ip.protocol != IPPROTO_UDP ||
	    (ip.frag_off & bpf_htons(SPOOF_IP_OFFSET)))
		return SPOOF_CNT_DROP_IPV4;
	if (bpf_skb_load_bytes(skb, off + ip.ihl * 4, ports, sizeof(ports)))
		return SPOOF_CNT_DROP_MALFORMED;
	if (ports[0] == bpf_htons(SPOOF_DHCP_CLIENT) &&
	    ports[1] == bpf_htons(SPOOF_DHCP_SERVER))
		return SPOOF_CNT_PASSED;
	return SPOOF_CNT_DROP_IPV4;
}

static __always_inline __u32 check_ipv6(struct __sk_buff *skb, __u32 off,
					const struct spoof_map_config *cfg)
{
	struct ipv6hdr ip6;
	const __u32 *src;
	__u32 ll[4];
	__u8 *llb = (__u8 *)ll;

	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
		return SPOOF_CNT_DROP_MALFORMED;
	if (ip6.version != 6)
		return SPOOF_CNT_DROP_MALFORMED;
	src = ip6.saddr.in6_u.u6_addr32;
	/* ::, the source of duplicate address detection (RFC 4862). */
	if (!(src[0] | src[1] | src[2] | src[3]))
		return SPOOF_CNT_PASSED;
	/*
	 * fe80::/64 with the modified EUI-64 of the MAC (RFC 4291 app. A):
	 * the U/L bit flipped, ff:fe in the middle. Built here from the MAC
	 * so that the config cannot disagree with it.
	 */
	ll[0] = bpf_htonl(0xfe800000);
	ll[1] = 0;
	llb[8] = cfg->mac[0] ^ 0x02;
	llb[9] = cfg->mac[1];
	llb[10] = cfg->mac[2];
	llb[11] = 0xff;
	llb[12] = 0xfe;
	llb[13] = cfg->mac[3];
	llb[14] = cfg->mac[4];
	llb[15] = cfg->mac[5];
	if (ip6_eq(src, ll) || ipv6_configured(cfg, src))
		return SPOOF_CNT_PASSED;
	return SPOOF_CNT_DROP_IPV6;
}

/*
 * The rules (spoof.h, Documentation/network.rst): the counter of the
 * frame's verdict, SPOOF_CNT_PASSED or a drop reason's.
 */
static __always_inline __u32 check_rules(struct __sk_buff *skb,
					 const struct spoof_map_config *cfg)
{
	struct spoof_vlan_tag tag;
	struct ethhdr eth;
	__u32 off = ETH_HLEN;
	__be16 proto;
	int i;

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return SPOOF_CNT_DROP_MALFORMED;
	if (!mac_eq(eth.h_source, cfg->mac))
		return SPOOF_CNT_DROP_MAC;

	proto = eth.h_proto;
	for (i = 0; i < SPOOF_MAX_TAGS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if (bpf_skb_load_bytes(skb, off, &tag, sizeof(tag)))
			return SPOOF_CNT_DROP_MALFORMED;
		proto = tag.proto;
		off += sizeof(tag);
	}
	/*
	 * Still a tag: more than we look through. Passing it would let any
	 * payload by behind enough tags, for whoever strips them later.
	 */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return SPOOF_CNT_DROP_MALFORMED;

	switch (proto) {
	case bpf_htons(ETH_P_ARP):
		return check_arp(skb, off, cfg);
	case bpf_htons(ETH_P_IP):
		return check_ipv4(skb, off, cfg);
	case bpf_htons(ETH_P_IPV6):
		return check_ipv6(skb, off, cfg);
	default:
		/* Carries no address of ours to check; the MAC was. */
		return SPOOF_CNT_PASSED;
	}
}

/*
 * The token bucket of rate=: true if the frame fits (and is charged),
 * false if it is over the rate. The bucket holds up to cfg->burst bytes,
 * kept as the time the rate takes to send them; it starts full (last is
 * 0, so the first refill is the whole uptime). skb->len is what is
 * charged: the Ethernet header and, for a GSO frame from the guest, all
 * of its payload at once, which is why the burst holds a 64 KiB frame.
 */
static __always_inline bool police(struct __sk_buff *skb,
				   const struct spoof_map_config *cfg)
{
	struct spoof_rate_state *st;
	__u64 now, cost, full, tokens;
	__u32 zero = 0;
	bool fits;

	st = bpf_map_lookup_elem(&spoof_rate, &zero);
	if (!st)
		return false;
	/* Helpers and divisions before the lock: only loads and stores in it. */
	now = bpf_ktime_get_ns();
	cost = (__u64)skb->len * SPOOF_NSEC_PER_SEC / cfg->rate;
	full = (__u64)cfg->burst * SPOOF_NSEC_PER_SEC / cfg->rate;

	bpf_spin_lock(&st->lock);
	tokens = st->tokens;
	/* Another CPU may have refilled with a later clock than ours. */
	if (now > st->last) {
		tokens += now - st->last;
		st->last = now;
	}
	if (tokens > full)
		tokens = full;
	fits = tokens >= cost;
	if (fits)
		tokens -= cost;
	st->tokens = tokens;
	bpf_spin_unlock(&st->lock);
	return fits;
}

SEC("tc")
int spoof_filter(struct __sk_buff *skb)
{
	const struct spoof_map_config *cfg;
	__u32 zero = 0, counter;

	cfg = bpf_map_lookup_elem(&spoof_config, &zero);
	/* An array always has its entry; the verifier wants the check. */
	if (!cfg)
		return TC_ACT_SHOT;
	if (cfg->flags & SPOOF_CFG_NO_RULES)
		counter = SPOOF_CNT_PASSED;
	else
		counter = check_rules(skb, cfg);
	/* Only what the rules let by is charged: a spoofed frame costs nothing. */
	if (counter == SPOOF_CNT_PASSED && cfg->rate && !police(skb, cfg))
		counter = SPOOF_CNT_DROP_RATE;
	return verdict(counter);
}

char LICENSE[] SEC("license") = "GPL";
