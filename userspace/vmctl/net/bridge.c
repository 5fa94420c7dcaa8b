// SPDX-License-Identifier: GPL-2.0
/*
 * Bridges over rtnetlink (bridge.h), with libnl-route-3's link and
 * address objects. libnl 3.7 (Debian 12) has no setters for a bridge's
 * VLAN filtering or a port's VLANs, so those two requests are built with
 * libnl's message API (nlmsg_alloc_simple, nla_nest_start) and sent with
 * nl_send_sync(), which waits for the kernel's acknowledgement.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "net/bridge.h"

struct nl_sock *bridge_netlink(const char *who)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		fprintf(stderr, "%s: no memory for a netlink socket\n", who);
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		fprintf(stderr, "%s: rtnetlink: %s\n", who, nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

void bridge_netlink_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

static bool link_is_bridge(struct rtnl_link *link)
{
	const char *type = rtnl_link_get_type(link);

	return type && !strcmp(type, "bridge");
}

/* The reply to vlan_filtering_of()'s request: IFLA_BR_VLAN_FILTERING. */
static int parse_vlan_filtering(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct nlattr *br[IFLA_BR_MAX + 1];

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb,
			IFLA_MAX, NULL) < 0 || !tb[IFLA_LINKINFO] ||
	    nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !info[IFLA_INFO_DATA] ||
	    nla_parse_nested(br, IFLA_BR_MAX, info[IFLA_INFO_DATA], NULL) < 0 ||
	    !br[IFLA_BR_VLAN_FILTERING])
		return NL_SKIP;
	*(bool *)arg = nla_get_u8(br[IFLA_BR_VLAN_FILTERING]);
	return NL_OK;
}

/*
 * libnl 3.7 parses no IFLA_BR_* attribute, so this asks for the link once
 * more and reads the one it needs. (Not sysfs: /sys shows the links of
 * the network namespace it was mounted in, not necessarily vmctl's.)
 */
static bool vlan_filtering_of(struct nl_sock *sk, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg;
	struct nl_cb *cb;
	bool on = false;

	msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	/* nl_socket_get_cb() takes a reference, the clone one more. */
	cb = nl_socket_get_cb(sk);
	if (cb) {
		struct nl_cb *orig = cb;

		cb = nl_cb_clone(orig);
		nl_cb_put(orig);
	}
	if (msg && cb &&
	    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) >= 0 &&
	    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, parse_vlan_filtering,
		      &on) >= 0 &&
	    nl_send_auto(sk, msg) >= 0 && nl_recvmsgs(sk, cb) >= 0)
		/* libnl asked for an ACK too (auto-ack): take it, or the next
		 * request on this socket would read it as its own reply. */
		nl_wait_for_ack(sk);
	if (cb)
		nl_cb_put(cb);
	nlmsg_free(msg);
	return on;
}

static void fill_info(struct nl_sock *sk, struct rtnl_link *link,
		      struct bridge_info *bi)
{
	const char *alias = rtnl_link_get_ifalias(link);

	memset(bi, 0, sizeof(*bi));
	snprintf(bi->name, sizeof(bi->name), "%s", rtnl_link_get_name(link));
	bi->ifindex = rtnl_link_get_ifindex(link);
	bi->mtu = rtnl_link_get_mtu(link);
	bi->up = rtnl_link_get_flags(link) & IFF_UP;
	bi->hvx_owned = alias && !strcmp(alias, BRIDGE_ALIAS);
	bi->vlan_filtering = vlan_filtering_of(sk, bi->ifindex);
}

int bridge_lookup(struct nl_sock *sk, const char *who, const char *name,
		  struct bridge_info *bi)
{
	struct rtnl_link *link;
	int err;

	err = rtnl_link_get_kernel(sk, 0, name, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		return 1;
	if (err < 0) {
		fprintf(stderr, "%s: looking up %s: %s\n", who, name,
			nl_geterror(err));
		return -1;
	}
	if (!link_is_bridge(link)) {
		rtnl_link_put(link);
		return 1;
	}
	fill_info(sk, link, bi);
	rtnl_link_put(link);
	return 0;
}

/* RTM_NEWLINK on an existing bridge: IFLA_BR_VLAN_FILTERING. */
static int set_vlan_filtering(struct nl_sock *sk, int ifindex, bool on)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nlattr *info, *data;
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, on) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return nl_send_sync(sk, msg);
}

int bridge_parse_cidr(const char *who, const char *cidr)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	struct in_addr a;
	long len;

	if (strlen(cidr) >= sizeof(buf))
		goto bad;
	strcpy(buf, cidr);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	len = strtol(slash + 1, &end, 10);
	if (*end || slash[1] < '0' || slash[1] > '9' || len < 1 || len > 30 ||
	    inet_pton(AF_INET, buf, &a) != 1)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "%s: a subnet is A.B.C.D/N with N from 1 to 30, not '%s'\n",
		who, cidr);
	return -1;
}

/* The subnet's first host address, as "A.B.C.D/N", on the bridge. */
static int add_host_address(struct nl_sock *sk, int ifindex, const char *cidr)
{
	char buf[INET_ADDRSTRLEN + 4], *slash;
	struct nl_addr *local = NULL;
	struct rtnl_addr *addr;
	struct in_addr a;
	uint32_t mask;
	int len, err;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	*slash = '\0';
	len = atoi(slash + 1);
	inet_pton(AF_INET, buf, &a);
	mask = ~0u << (32 - len);
	a.s_addr = htonl((ntohl(a.s_addr) & mask) + 1);
	local = nl_addr_build(AF_INET, &a, 4);
	if (!local)
		return -NLE_NOMEM;
	nl_addr_set_prefixlen(local, len);
	addr = rtnl_addr_alloc();
	if (!addr) {
		nl_addr_put(local);
		return -NLE_NOMEM;
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	err = rtnl_addr_set_local(addr, local);
	if (!err)
		err = rtnl_addr_add(sk, addr, 0);
	rtnl_addr_put(addr);
	nl_addr_put(local);
	return err;
}

int bridge_create(struct nl_sock *sk, const char *who, const char *name,
		  bool vlan_filtering, const char *cidr)
{
	struct rtnl_link *link, *change = NULL;
	struct bridge_info bi;
	const char *step;
	int err;

	link = rtnl_link_bridge_alloc();
	if (!link) {
		fprintf(stderr, "%s: no memory\n", who);
		return -1;
	}
	rtnl_link_set_name(link, name);
	step = "creating the bridge";
	err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (err == -NLE_EXIST) {
		fprintf(stderr, "%s: %s exists already\n", who, name);
		return -1;
	}
	if (err < 0)
		goto fail_nodel;
	if (bridge_lookup(sk, who, name, &bi)) {
		err = -NLE_OBJ_NOTFOUND;
		goto fail;
	}
	step = "turning VLAN filtering on";
	if (vlan_filtering && (err = set_vlan_filtering(sk, bi.ifindex, true)) < 0)
		goto fail;
	step = "adding the subnet's first address";
	if (cidr && (err = add_host_address(sk, bi.ifindex, cidr)) < 0)
		goto fail;
	/* The alias marks it as ours: only then may vmctl net delete it. */
	step = "naming it an hvx network and bringing it up";
	err = -NLE_NOMEM;
	link = rtnl_link_alloc();
	change = rtnl_link_alloc();
	if (!link || !change)
		goto fail;
	rtnl_link_set_ifindex(link, bi.ifindex);
	rtnl_link_set_ifalias(change, BRIDGE_ALIAS);
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, link, change, 0);
	if (err < 0)
		goto fail;
	rtnl_link_put(link);
	rtnl_link_put(change);
	return 0;
fail:
	fprintf(stderr, "%s: %s: %s: %s\n", who, name, step, nl_geterror(err));
	if (link)
		rtnl_link_put(link);
	if (change)
		rtnl_link_put(change);
	link = rtnl_link_alloc();
	if (link) {
		rtnl_link_set_name(link, name);
		rtnl_link_delete(sk, link);
		rtnl_link_put(link);
	}
	return -1;
fail_nodel:
	fprintf(stderr, "%s: %s: %s: %s\n", who, name, step, nl_geterror(err));
	return -1;
}

int bridge_delete(struct nl_sock *sk, const char *who, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link) {
		fprintf(stderr, "%s: no memory\n", who);
		return -1;
	}
	rtnl_link_set_name(link, name);
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	if (err < 0) {
		fprintf(stderr, "%s: deleting %s: %s\n", who, name,
			nl_geterror(err));
		return -1;
	}
	return 0;
}

/* "A.B.C.D/N" of each IPv4 address on @ifindex, space-separated. */
static void addresses_of(struct nl_cache *addrs, int ifindex, char *buf,
			 size_t len)
{
	struct nl_object *o;
	size_t used = 0;

	buf[0] = '\0';
	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		char one[INET6_ADDRSTRLEN + 8];

		if (rtnl_addr_get_ifindex(a) != ifindex ||
		    rtnl_addr_get_family(a) != AF_INET)
			continue;
		nl_addr2str(rtnl_addr_get_local(a), one, sizeof(one));
		used += snprintf(buf + used, used < len ? len - used : 0,
				 "%s%s", used ? " " : "", one);
	}
}

int bridge_for_each(struct nl_sock *sk, const char *who,
		    void (*fn)(const struct bridge_info *bi, const char *port,
			       const char *addrs, void *arg),
		    void *arg)
{
	struct nl_cache *links, *addrs;
	struct nl_object *b, *p;
	char abuf[256];
	int err;

	err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (err < 0) {
		fprintf(stderr, "%s: listing links: %s\n", who, nl_geterror(err));
		return -1;
	}
	err = rtnl_addr_alloc_cache(sk, &addrs);
	if (err < 0) {
		fprintf(stderr, "%s: listing addresses: %s\n", who,
			nl_geterror(err));
		nl_cache_free(links);
		return -1;
	}
	for (b = nl_cache_get_first(links); b; b = nl_cache_get_next(b)) {
		struct rtnl_link *br = (struct rtnl_link *)b;
		struct bridge_info bi;

		if (!link_is_bridge(br))
			continue;
		fill_info(sk, br, &bi);
		addresses_of(addrs, bi.ifindex, abuf, sizeof(abuf));
		fn(&bi, NULL, abuf, arg);
		for (p = nl_cache_get_first(links); p; p = nl_cache_get_next(p))
			if (rtnl_link_get_master((struct rtnl_link *)p) == bi.ifindex)
				fn(&bi, rtnl_link_get_name((struct rtnl_link *)p),
				   NULL, arg);
	}
	nl_cache_free(addrs);
	nl_cache_free(links);
	return 0;
}

/* RTM_SETLINK or RTM_DELLINK of one VLAN on a bridge port (AF_BRIDGE). */
static int port_vlan(struct nl_sock *sk, int type, int ifindex, uint16_t vid,
		     uint16_t flags)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct bridge_vlan_info vi = { .flags = flags, .vid = vid };
	struct nlattr *spec;
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(spec = nla_nest_start(msg, IFLA_AF_SPEC)) ||
	    nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, spec);
	return nl_send_sync(sk, msg);
}

int bridge_port_set_vlan(struct nl_sock *sk, const char *who,
			 const char *port, int ifindex, uint16_t vid)
{
	int err;

	err = port_vlan(sk, RTM_SETLINK, ifindex, vid,
			BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
	/* The default VLAN (1) goes, unless it is the one asked for. */
	if (!err && vid != 1) {
		err = port_vlan(sk, RTM_DELLINK, ifindex, 1, 0);
		if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR)
			err = 0;
	}
	if (err < 0) {
		fprintf(stderr, "%s: %s: setting VLAN %u: %s\n", who, port, vid,
			nl_geterror(err));
		return -1;
	}
	return 0;
}
