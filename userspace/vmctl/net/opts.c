// SPDX-License-Identifier: GPL-2.0
/* --nic's argument (opts.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/optparse.h"
#include "net/opts.h"
#include "virtio/net.h"

static int parse_mac(const char *v, size_t len, uint8_t mac[6])
{
	unsigned int b[6];
	char buf[18], tail;
	int i;

	if (len != 17)
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* ip=A[+B...]: IPv4 and IPv6 addresses, '+' between them (',' is taken). */
static int parse_ips(struct nic_opts *o, const char *v, size_t len,
		     char *err, size_t errlen)
{
	const char *p = v, *end = v + len;

	if (!len)
		return optparse_bad(err, errlen, "not an IP address", v, len);
	while (p < end) {
		const char *q = memchr(p, '+', end - p);
		size_t n = (q ? q : end) - p;
		char buf[INET6_ADDRSTRLEN];

		if (!n || n >= sizeof(buf))
			return optparse_bad(err, errlen, "not an IP address", p, n);
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (strchr(buf, ':')) {
			if (o->nipv6 == SPOOF_MAX_IPV6)
				return optparse_bad(err, errlen, "too many IPv6 addresses", v, len);
			if (inet_pton(AF_INET6, buf, o->ipv6[o->nipv6]) != 1)
				return optparse_bad(err, errlen, "not an IPv6 address", p, n);
			o->nipv6++;
		} else {
			if (o->nipv4 == SPOOF_MAX_IPV4)
				return optparse_bad(err, errlen, "too many IPv4 addresses", v, len);
			if (inet_pton(AF_INET, buf, &o->ipv4[o->nipv4]) != 1)
				return optparse_bad(err, errlen, "not an IPv4 address", p, n);
			o->nipv4++;
		}
		p += n + 1;
	}
	return 0;
}

static int parse_onoff(const char *v, size_t len, bool *out)
{
	if (len == 2 && !strncmp(v, "on", 2))
		*out = true;
	else if (len == 3 && !strncmp(v, "off", 3))
		*out = false;
	else
		return -1;
	return 0;
}

int nic_opts_parse(const char *arg, struct nic_opts *o, char *err,
		   size_t errlen)
{
	const char *p = arg, *item, *v;
	unsigned long n;
	size_t len, vl;

	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->spoof = true;
	o->vhost = true;
	while (p) {
		item = p;
		p = strchr(item, ',');
		len = p ? (size_t)(p - item) : strlen(item);
		if (p)
			p++;
		v = NULL;
		vl = 0;
		if (memchr(item, '=', len)) {
			v = (const char *)memchr(item, '=', len) + 1;
			vl = len - (size_t)(v - item);
		}
		if (optparse_value(item, len, "bridge")) {
			if (!vl || vl >= IFNAMSIZ || memchr(v, '/', vl))
				return optparse_bad(err, errlen, "a bridge name is 1 to 15 characters",
					   v, vl);
			memcpy(o->bridge, v, vl);
			o->bridge[vl] = '\0';
		} else if (optparse_value(item, len, "mac")) {
			if (parse_mac(v, vl, o->mac))
				return optparse_bad(err, errlen, "a MAC is xx:xx:xx:xx:xx:xx, not", v, vl);
			if (o->mac[0] & 1)
				return optparse_bad(err, errlen, "not a unicast MAC", v, vl);
			if (!(o->mac[0] | o->mac[1] | o->mac[2] | o->mac[3] |
			      o->mac[4] | o->mac[5]))
				return optparse_bad(err, errlen, "the all-zero MAC is no MAC", v, vl);
			o->mac_set = true;
		} else if (optparse_value(item, len, "vlan")) {
			if (optparse_uint(v, vl, 1, 4094, &n))
				return optparse_bad(err, errlen, "a VLAN is 1 to 4094, not", v, vl);
			o->vlan = n;
		} else if (optparse_value(item, len, "queues")) {
			if (optparse_uint(v, vl, 1, VIRTIO_NET_MAX_QUEUE_PAIRS, &n))
				return optparse_bad(err, errlen, "queues is 1 to 8, not", v, vl);
			o->queues = n;
		} else if (optparse_value(item, len, "rate")) {
			if (optparse_uint(v, vl, 0, NIC_MAX_RATE_MBIT, &n))
				return optparse_bad(err, errlen,
					   "rate is 1 to 100000 (Mbit/s; 0: unlimited), not",
					   v, vl);
			o->rate_mbit = n;
		} else if (optparse_value(item, len, "ip")) {
			if (parse_ips(o, v, vl, err, errlen))
				return -1;
		} else if (optparse_value(item, len, "spoof")) {
			if (parse_onoff(v, vl, &o->spoof))
				return optparse_bad(err, errlen, "spoof is on or off, not", v, vl);
		} else if (optparse_value(item, len, "vhost")) {
			if (parse_onoff(v, vl, &o->vhost))
				return optparse_bad(err, errlen, "vhost is on or off, not", v, vl);
		} else {
			return optparse_bad(err, errlen,
				   "unknown NIC option (bridge=, mac=, vlan=, queues=, rate=, ip=, spoof=, vhost=)",
				   item, len);
		}
	}
	if (!o->bridge[0])
		return optparse_bad(err, errlen, "no bridge= in", arg, strlen(arg));
	return 0;
}

uint64_t nic_rate_bytes(unsigned int rate_mbit)
{
	return (uint64_t)rate_mbit * (1000000 / 8);
}

/*
 * A 64 KiB GSO frame is one skb both ways: the guest's TSO frames reach
 * the policer whole (skb->len up to 64 KiB and its headers), and the TBF
 * sees the frames to the guest before they are segmented, counting each
 * segment's headers again (qdisc_pkt_len). A bucket smaller than that
 * would drop every such frame from the guest, and make the TBF segment
 * every one to it; 128 KiB holds one with room for the headers.
 */
#define NIC_RATE_MIN_BURST	(128u * 1024)
/*
 * Above that, rate/250 (4 ms at the rate, a jiffy at HZ=250): the TBF's
 * tokens are spent in bursts as softirqs and its watchdog timer run, and
 * the guest's queues are kicked in batches, so a bucket of a few ms is
 * what lets a NIC reach its rate rather than only approach it.
 */
#define NIC_RATE_BURST_DIV	250

uint32_t nic_rate_burst(unsigned int rate_mbit)
{
	uint64_t b = nic_rate_bytes(rate_mbit) / NIC_RATE_BURST_DIV;

	/* At most 50 MB, at rate=100000: a u32 for both netlink and the map. */
	return b > NIC_RATE_MIN_BURST ? (uint32_t)b : NIC_RATE_MIN_BURST;
}

/* FNV-1a: small, stable across builds and hosts, good enough to spread names. */
static uint32_t fnv1a(const char *s, unsigned int salt)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ salt) * 16777619u;
	return h;
}

void nic_default_mac(uint8_t mac[6], const char *vm_name, unsigned int index)
{
	uint32_t h = fnv1a(vm_name, index);

	/* 0x0e: locally administered (bit 1), unicast (bit 0 clear). */
	mac[0] = 0x0e;
	mac[1] = index;
	mac[2] = h >> 24;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

void nic_tap_name(char name[IFNAMSIZ], const char *vm_name, unsigned int index)
{
	/*
	 * "hvx" marks the taps vmctl made; the VM name when it fits, else a
	 * hash of it, so that two long names sharing a prefix stay apart.
	 */
	if (snprintf(name, IFNAMSIZ, "hvx%s.%u", vm_name, index) >= IFNAMSIZ)
		snprintf(name, IFNAMSIZ, "hvx%08x.%u", fnv1a(vm_name, 0), index);
}
