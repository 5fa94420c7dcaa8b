/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anti-spoofing for a NIC: spoof.bpf.c, a tc classifier on the tap's
 * clsact ingress (frames from the guest), loaded with libbpf from its
 * bpftool skeleton. It drops a frame whose source MAC is not the NIC's;
 * IPv4 and ARP whose sender address is not one of the VM's (when any is
 * configured); IPv6 whose source is not the NIC's link-local (EUI-64 of
 * its MAC), the unspecified address (DAD), or one configured; and looks
 * through up to two 802.1Q/802.1ad tags in the frame data for all of
 * these (the kernel has moved the outer one to skb->vlan_tci before tc).
 * The same program polices the NIC's rate= (a token bucket): a frame the
 * rules passed is dropped when the bucket has too little for it. Without
 * the rules (spoof=off) but with a rate, it polices only.
 * The rules and counters: Documentation/network.rst.
 */
#ifndef VMCTL_NET_SPOOF_H
#define VMCTL_NET_SPOOF_H

#include <stdbool.h>
#include <stdint.h>

#define SPOOF_MAX_IPV4	8
#define SPOOF_MAX_IPV6	8

/* Why frames were dropped; index of spoof_stats.dropped[]. */
enum spoof_reason {
	SPOOF_DROP_MAC,		/* source MAC not the NIC's */
	SPOOF_DROP_IPV4,	/* IPv4 source not the VM's */
	SPOOF_DROP_ARP,		/* ARP sender MAC or IP not the VM's */
	SPOOF_DROP_IPV6,	/* IPv6 source not the VM's */
	SPOOF_DROP_MALFORMED,	/* too short for the headers it claims */
	SPOOF_DROP_RATE,	/* over the NIC's rate= */
	SPOOF_NR_REASONS,
};

/* The highest rate the policer takes: --nic rate=100000 (Mbit/s). */
#define SPOOF_MAX_RATE	12500000000ULL

struct spoof_config {
	uint8_t mac[6];
	unsigned int nipv4, nipv6;
	uint32_t ipv4[SPOOF_MAX_IPV4];		/* network byte order */
	uint8_t ipv6[SPOOF_MAX_IPV6][16];
	bool no_rules;		/* pass what the rules would drop: police only */
	uint64_t rate;		/* bytes per second, at most SPOOF_MAX_RATE; 0: off */
	uint32_t burst;		/* the bucket in bytes, at least 1 with a rate */
};

struct spoof_stats {
	uint64_t passed;
	uint64_t dropped[SPOOF_NR_REASONS];
};

struct spoof;

/* "mac", "ipv4", ...: for vmctl info's keys. */
const char *spoof_reason_name(enum spoof_reason r);
/* Load the program and fill its maps; not attached. NULL with a message. */
struct spoof *spoof_load(const struct spoof_config *cfg);
/*
 * Attach to @ifindex's clsact ingress (the qdisc made if missing). 0, or
 * -1 after a message.
 */
int spoof_attach(struct spoof *s, int ifindex);
/* The program's fd, for BPF_PROG_RUN in the tests. */
int spoof_prog_fd(struct spoof *s);
/* The counters summed over the CPUs. 0, or -1 after a message. */
int spoof_get_stats(struct spoof *s, struct spoof_stats *st);
/*
 * Detach (if attached) and unload; the clsact qdisc goes too if
 * spoof_attach() made it. NULL is fine.
 */
void spoof_destroy(struct spoof *s);

#endif /* VMCTL_NET_SPOOF_H */
