/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bridges over rtnetlink with libnl-route-3: the ones a NIC joins, and
 * the named networks of `vmctl net`, which are bridges hvx made and marks
 * with the alias BRIDGE_ALIAS. Nothing here runs ip or brctl.
 *
 * Each call takes a connected NETLINK_ROUTE socket (bridge_netlink()) and
 * reports failures on stderr, prefixed by @who ("vmctl run", "vmctl net").
 */
#ifndef VMCTL_NET_BRIDGE_H
#define VMCTL_NET_BRIDGE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct nl_sock;

#define BRIDGE_ALIAS	"hvx network"

struct bridge_info {
	char name[IFNAMSIZ];
	int ifindex;
	unsigned int mtu;
	bool vlan_filtering;
	bool hvx_owned;			/* made by vmctl net create */
	bool up;
};

/* A NETLINK_ROUTE socket, or NULL after a message. */
struct nl_sock *bridge_netlink(const char *who);
void bridge_netlink_close(struct nl_sock *sk);

/* Bridge @name: 0, 1 if there is no such bridge (nothing said), -1 on error. */
int bridge_lookup(struct nl_sock *sk, const char *who, const char *name,
		  struct bridge_info *bi);
/*
 * Make bridge @name, up, marked as hvx's, VLAN filtering as asked, with
 * @cidr's first host address on it when @cidr ("10.0.0.0/24") is given
 * (checked by bridge_parse_cidr()). 0 or -1; nothing is left on failure.
 */
int bridge_create(struct nl_sock *sk, const char *who, const char *name,
		  bool vlan_filtering, const char *cidr);
int bridge_delete(struct nl_sock *sk, const char *who, const char *name);
/* Check "A.B.C.D/N" (N 1..30): 0, or -1 after a message. */
int bridge_parse_cidr(const char *who, const char *cidr);
/*
 * Call @fn for each bridge (@bi), and each of its ports: @port is the
 * port's name, NULL for the call about the bridge itself.
 */
int bridge_for_each(struct nl_sock *sk, const char *who,
		    void (*fn)(const struct bridge_info *bi, const char *port,
			       const char *addrs, void *arg),
		    void *arg);
/*
 * Port @ifindex of a VLAN-filtering bridge: untagged member of VLAN @vid
 * only, which is also its PVID (the bridge's default VLAN 1 removed).
 */
int bridge_port_set_vlan(struct nl_sock *sk, const char *who,
			 const char *port, int ifindex, uint16_t vid);

#endif /* VMCTL_NET_BRIDGE_H */
