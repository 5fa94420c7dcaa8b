// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl net: the named networks of hvx, which are bridges it made and
 * marked (net/bridge.h). A VM joins one, or any bridge of the host, with
 * --nic bridge=NAME; a bridge vmctl did not make is listed but never
 * deleted, and a network is not deleted while a VM's tap is a port of it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "net/bridge.h"
#include "vmctl.h"

#define WHO "vmctl net"

static void net_usage(void)
{
	printf("usage: vmctl net create NAME [--subnet A.B.C.D/N] [--vlan-filtering]\n"
	       "       vmctl net list\n"
	       "       vmctl net delete NAME\n\n"
	       "Networks are Linux bridges that hvx makes and owns; VMs join one with\n"
	       "'vmctl run --nic bridge=NAME'. With --subnet the bridge, i.e. the host,\n"
	       "takes the subnet's first address. --vlan-filtering lets NICs take\n"
	       "vlan=ID. 'list' shows every bridge, hvx's and the host's, with the\n"
	       "ports on it; 'delete' removes a network of hvx that no VM uses.\n");
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' ') ||
	    !strcmp(name, ".") || !strcmp(name, "..")) {
		fprintf(stderr, WHO ": a network's name is 1 to 15 characters, no '/' or space: '%s'\n",
			name);
		return false;
	}
	return true;
}

static int net_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "subnet", required_argument, NULL, 's' },
		{ "vlan-filtering", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *subnet = NULL;
	bool vlan = false;
	struct nl_sock *sk;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			subnet = optarg;
			break;
		case 'v':
			vlan = true;
			break;
		case 'h':
			net_usage();
			return VMCTL_OK;
		default:
			return VMCTL_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, WHO " create: one NAME\n");
		return VMCTL_USAGE;
	}
	if (!name_ok(argv[optind]) ||
	    (subnet && bridge_parse_cidr(WHO, subnet)))
		return VMCTL_USAGE;
	sk = bridge_netlink(WHO);
	if (!sk)
		return VMCTL_ERR;
	err = bridge_create(sk, WHO, argv[optind], vlan, subnet);
	bridge_netlink_close(sk);
	return err ? VMCTL_ERR : VMCTL_OK;
}

struct list_state {
	const char *want;	/* delete: the bridge looked for */
	unsigned int ports;
	char first_port[IFNAMSIZ];
};

static void list_one(const struct bridge_info *bi, const char *port,
		     const char *addrs, void *arg)
{
	if (!port)
		printf("%-15s %-5s %-4s %5u %-8s %s\n", bi->name,
		       bi->hvx_owned ? "hvx" : "host", bi->up ? "up" : "down",
		       bi->mtu, bi->vlan_filtering ? "vlans" : "-",
		       *addrs ? addrs : "-");
	else
		printf("  port %s\n", port);
}

static int net_list(void)
{
	struct nl_sock *sk = bridge_netlink(WHO);
	int err;

	if (!sk)
		return VMCTL_ERR;
	printf("%-15s %-5s %-4s %5s %-8s %s\n", "NAME", "OWNER", "LINK", "MTU",
	       "FILTER", "ADDRESSES");
	err = bridge_for_each(sk, WHO, list_one, NULL);
	bridge_netlink_close(sk);
	return err ? VMCTL_ERR : VMCTL_OK;
}

static void count_ports(const struct bridge_info *bi, const char *port,
			const char *addrs, void *arg)
{
	struct list_state *st = arg;

	if (!port || strcmp(bi->name, st->want))
		return;
	if (!st->ports++)
		snprintf(st->first_port, sizeof(st->first_port), "%s", port);
}

static int net_delete(int argc, char **argv)
{
	struct list_state st = { 0 };
	struct bridge_info bi;
	struct nl_sock *sk;
	int err = VMCTL_ERR, found;

	if (argc != 2) {
		fprintf(stderr, WHO " delete: one NAME\n");
		return VMCTL_USAGE;
	}
	if (!name_ok(argv[1]))
		return VMCTL_USAGE;
	sk = bridge_netlink(WHO);
	if (!sk)
		return VMCTL_ERR;
	found = bridge_lookup(sk, WHO, argv[1], &bi);
	if (found > 0) {
		fprintf(stderr, WHO ": no network %s\n", argv[1]);
		goto out;
	}
	if (found < 0)
		goto out;
	if (!bi.hvx_owned) {
		fprintf(stderr, WHO ": %s is a bridge of the host, not a network of hvx: left alone\n",
			argv[1]);
		goto out;
	}
	st.want = argv[1];
	if (bridge_for_each(sk, WHO, count_ports, &st))
		goto out;
	if (st.ports) {
		fprintf(stderr, WHO ": %s is in use: %u port%s (%s%s)\n", argv[1],
			st.ports, st.ports > 1 ? "s" : "", st.first_port,
			st.ports > 1 ? ", ..." : "");
		goto out;
	}
	err = bridge_delete(sk, WHO, argv[1]) ? VMCTL_ERR : VMCTL_OK;
out:
	bridge_netlink_close(sk);
	return err;
}

static int net_run(int argc, char **argv)
{
	if (argc < 2) {
		net_usage();
		return VMCTL_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		net_usage();
		return VMCTL_OK;
	}
	if (!strcmp(argv[1], "create"))
		return net_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") && argc == 2)
		return net_list();
	if (!strcmp(argv[1], "delete"))
		return net_delete(argc - 1, argv + 1);
	fprintf(stderr, WHO ": unknown or malformed: '%s' (create, list, delete)\n",
		argv[1]);
	return VMCTL_USAGE;
}

const struct vmctl_cmd vmctl_cmd_net = {
	.name = "net",
	.summary = "create, list and delete the virtual networks (bridges) of hvx",
	.run = net_run,
	.usage = net_usage,
};
