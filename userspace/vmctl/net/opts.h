/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --nic bridge=BR[,mac=MAC][,vlan=ID][,queues=N][,rate=MBIT]
 *       [,ip=ADDR[+ADDR...]][,spoof=on|off][,vhost=on|off]: a NIC's options, parsed and checked
 * before anything is made.
 */
#ifndef VMCTL_NET_OPTS_H
#define VMCTL_NET_OPTS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/spoof.h"

/* rate=: Mbit/s, the policer's SPOOF_MAX_RATE. */
#define NIC_MAX_RATE_MBIT	100000u

struct nic_opts {
	char bridge[IFNAMSIZ];
	uint8_t mac[6];
	bool mac_set;			/* else derived from the VM name */
	uint16_t vlan;			/* 1..4094; 0: the bridge's default */
	unsigned int queues;		/* queue pairs, 1..VIRTIO_NET_MAX_QUEUE_PAIRS */
	unsigned int rate_mbit;		/* each way, 1..NIC_MAX_RATE_MBIT; 0: unlimited */
	bool spoof;			/* the anti-spoof filter (default on) */
	bool vhost;			/* vhost-net where it loads (default on) */
	/* ip=: the VM's addresses, for the filter. */
	unsigned int nipv4, nipv6;
	uint32_t ipv4[SPOOF_MAX_IPV4];
	uint8_t ipv6[SPOOF_MAX_IPV6][16];
};

/* Parse @arg; 0, or -1 with what is wrong with it in @err. */
int nic_opts_parse(const char *arg, struct nic_opts *o, char *err,
		   size_t errlen);
/* rate= in bytes per second (0 for unlimited). */
uint64_t nic_rate_bytes(unsigned int rate_mbit);
/*
 * The burst of rate=, in bytes: the bucket of both the tap's TBF (to the
 * guest) and the filter's policer (from it), so that both ways behave
 * alike. See opts.c for why it is what it is.
 */
uint32_t nic_rate_burst(unsigned int rate_mbit);
/*
 * A stable locally administered unicast MAC for NIC @index of VM @name:
 * 0e:, then a hash of the name and the index (QEMU's are 52:54:00:...).
 */
void nic_default_mac(uint8_t mac[6], const char *vm_name, unsigned int index);
/* The tap's name for NIC @index of VM @name: at most IFNAMSIZ - 1 chars. */
void nic_tap_name(char name[IFNAMSIZ], const char *vm_name, unsigned int index);

#endif /* VMCTL_NET_OPTS_H */
