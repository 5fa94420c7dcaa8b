// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of vmctl's NICs (userspace/vmctl/net/): --nic parsing,
 * the names and MACs a NIC gets, and bridges and taps for real, in a
 * network namespace of the test's own so that the host's links are never
 * touched. Root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare) is needed: a
 * host without them fails these cases, it does not skip them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>

#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "unit.h"
#include "net/bridge.h"
#include "net/opts.h"
#include "net/tap.h"

static char err[256];

static void test_parse_defaults(void)
{
	struct nic_opts o;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, !nic_opts_parse("bridge=br0", &o, err, sizeof(err)),
	      "bridge=br0: %s", err);
	check(&tc, !strcmp(o.bridge, "br0"), "bridge '%s'", o.bridge);
	check(&tc, !o.mac_set && !o.vlan && o.queues == 1 && o.spoof &&
	      o.vhost && !o.nipv4 && !o.nipv6 && !o.rate_mbit,
	      "defaults: mac_set %d vlan %u queues %u spoof %d vhost %d rate %u",
	      o.mac_set, o.vlan, o.queues, o.spoof, o.vhost, o.rate_mbit);
	case_end(&tc, "nic_opts: bridge= alone takes the defaults");
}

static void test_parse_all(void)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t v6[16];
	struct nic_opts o;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, !nic_opts_parse("bridge=hvxnet0,mac=52:54:00:12:34:56,vlan=20,queues=4,rate=100000,ip=10.0.0.5+fd00::5+10.0.0.6,spoof=off,vhost=off",
				   &o, err, sizeof(err)), "parse: %s", err);
	check(&tc, o.mac_set && !memcmp(o.mac, mac, 6), "mac");
	check(&tc, o.vlan == 20 && o.queues == 4 && !o.spoof && !o.vhost &&
	      o.rate_mbit == 100000,
	      "vlan %u queues %u spoof %d vhost %d rate %u", o.vlan, o.queues,
	      o.spoof, o.vhost, o.rate_mbit);
	check(&tc, o.nipv4 == 2 && o.ipv4[0] == inet_addr("10.0.0.5") &&
	      o.ipv4[1] == inet_addr("10.0.0.6"), "ipv4: %u", o.nipv4);
	inet_pton(AF_INET6, "fd00::5", v6);
	check(&tc, o.nipv6 == 1 && !memcmp(o.ipv6[0], v6, 16), "ipv6: %u",
	      o.nipv6);
	case_end(&tc, "nic_opts: every option, IPv4 and IPv6 addresses mixed");
}

static void test_parse_refusals(void)
{
	static const struct {
		const char *arg, *why;
	} bad[] = {
		{ "mac=0e:00:00:00:00:01", "no bridge=" },
		{ "bridge=", "1 to 15 characters" },
		{ "bridge=a-name-of-16-chars", "1 to 15 characters" },
		{ "bridge=br0,mac=01:00:5e:00:00:01", "not a unicast MAC" },
		{ "bridge=br0,mac=00:00:00:00:00:00", "all-zero" },
		{ "bridge=br0,mac=0e:00:00:00:00", "xx:xx" },
		{ "bridge=br0,mac=0e:00:00:00:00:01x", "xx:xx" },
		{ "bridge=br0,vlan=0", "1 to 4094" },
		{ "bridge=br0,vlan=4095", "1 to 4094" },
		{ "bridge=br0,vlan=-1", "1 to 4094" },
		{ "bridge=br0,queues=0", "1 to 8" },
		{ "bridge=br0,queues=9", "1 to 8" },
		{ "bridge=br0,ip=10.0.0.256", "not an IPv4" },
		{ "bridge=br0,ip=fd00:::1", "not an IPv6" },
		{ "bridge=br0,ip=", "not an IP" },
		{ "bridge=br0,ip=1.1.1.1+1.1.1.2+1.1.1.3+1.1.1.4+1.1.1.5+1.1.1.6+1.1.1.7+1.1.1.8+1.1.1.9",
		  "too many IPv4" },
		{ "bridge=br0,spoof=no", "on or off" },
		{ "bridge=br0,rate=100001", "1 to 100000" },
		{ "bridge=br0,rate=junk", "1 to 100000" },
		{ "bridge=br0,rate=10M", "1 to 100000" },
		{ "bridge=br0,rate=-1", "1 to 100000" },
		{ "bridge=br0,rate=", "1 to 100000" },
		{ "bridge=br0,burst=10", "unknown NIC option" },
	};
	struct nic_opts o;
	struct tcase tc;
	size_t i;

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		check(&tc, nic_opts_parse(bad[i].arg, &o, err, sizeof(err)) == -1,
		      "'%s' accepted", bad[i].arg);
		check(&tc, strstr(err, bad[i].why) != NULL,
		      "'%s': message '%s' lacks '%s'", bad[i].arg, err,
		      bad[i].why);
	}
	case_end(&tc, "nic_opts: %zu malformed --nic arguments refused, each saying why",
		 ARRAY_SIZE(bad));
}

static void test_parse_rate(void)
{
	static const struct {
		const char *arg;
		unsigned int mbit;
	} ok[] = {
		{ "bridge=br0,rate=10", 10 },
		{ "bridge=br0,rate=1", 1 },
		{ "bridge=br0,rate=100000", 100000 },
		{ "bridge=br0,rate=0", 0 },
		{ "rate=250,bridge=br0,spoof=off", 250 },
	};
	struct nic_opts o;
	struct tcase tc;
	size_t i;

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		check(&tc, !nic_opts_parse(ok[i].arg, &o, err, sizeof(err)),
		      "'%s': %s", ok[i].arg, err);
		check(&tc, o.rate_mbit == ok[i].mbit, "'%s': rate %u",
		      ok[i].arg, o.rate_mbit);
	}
	case_end(&tc, "nic_opts: rate= 0 (unlimited), 1 to 100000 Mbit/s");

	case_begin(&tc);
	check(&tc, nic_rate_bytes(0) == 0 && nic_rate_bytes(10) == 1250000 &&
	      nic_rate_bytes(100000) == 12500000000ULL, "nic_rate_bytes");
	/* A 64 KiB GSO frame fits at any rate; a few ms of the rate above. */
	check(&tc, nic_rate_burst(1) == 131072 && nic_rate_burst(10) == 131072,
	      "burst at 1, 10 Mbit/s: %u, %u", nic_rate_burst(1),
	      nic_rate_burst(10));
	check(&tc, nic_rate_burst(1000) == 500000 &&
	      nic_rate_burst(100000) == 50000000,
	      "burst at 1000, 100000 Mbit/s: %u, %u", nic_rate_burst(1000),
	      nic_rate_burst(100000));
	case_end(&tc, "nic: rate= in bytes/s, and its burst: at least 128 KiB, else 4 ms of the rate");
}

static void test_names_and_macs(void)
{
	uint8_t a[6], b[6], c[6];
	char n1[IFNAMSIZ], n2[IFNAMSIZ], n3[IFNAMSIZ];
	struct tcase tc;

	case_begin(&tc);
	nic_default_mac(a, "web1", 0);
	nic_default_mac(b, "web1", 0);
	nic_default_mac(c, "web1", 1);
	check(&tc, !memcmp(a, b, 6), "not stable");
	check(&tc, memcmp(a, c, 6), "NIC 0 and 1 share a MAC");
	check(&tc, a[0] == 0x0e && !(a[0] & 1) && (a[0] & 2),
	      "first byte %02x: not locally administered unicast", a[0]);
	nic_default_mac(b, "web2", 0);
	check(&tc, memcmp(a, b, 6), "web1 and web2 share a MAC");
	nic_tap_name(n1, "web1", 0);
	check(&tc, !strcmp(n1, "hvxweb1.0"), "tap '%s'", n1);
	nic_tap_name(n2, "a-rather-long-vm-name-1", 7);
	nic_tap_name(n3, "a-rather-long-vm-name-2", 7);
	check(&tc, strlen(n2) <= 15 && strlen(n3) <= 15 && strcmp(n2, n3) &&
	      !strncmp(n2, "hvx", 3) && strstr(n2, ".7"),
	      "long names: '%s' '%s'", n2, n3);
	case_end(&tc, "nic: default MACs are stable, unicast, local and distinct; tap names fit IFNAMSIZ");
}

static bool link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static int read_sys(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

struct seen {
	bool bridge, owned, port;
	char addrs[128];
};

static void seen_fn(const struct bridge_info *bi, const char *port,
		    const char *addrs, void *arg)
{
	struct seen *s = arg;

	if (strcmp(bi->name, "hvxt0"))
		return;
	if (!port) {
		s->bridge = true;
		s->owned = bi->hvx_owned;
		snprintf(s->addrs, sizeof(s->addrs), "%s", addrs);
	} else if (!strcmp(port, "hvxvm.0")) {
		s->port = true;
	}
}

static void test_bridge_and_tap(void)
{
	static const uint8_t mac[6] = { 0x0e, 0x00, 0x11, 0x22, 0x33, 0x44 };
	struct nic_opts o;
	struct bridge_info bi;
	struct seen seen = { 0 };
	char buf[64], path[128];
	struct nl_sock *sk;
	struct tap t;
	struct tcase tc;
	int r;

	case_begin(&tc);
	sk = bridge_netlink("nic_test");
	check(&tc, sk != NULL, "no netlink socket");
	if (!sk)
		goto out;
	check(&tc, !bridge_create(sk, "nic_test", "hvxt0", false, "10.77.0.0/24"),
	      "bridge_create failed");
	check(&tc, bridge_create(sk, "nic_test", "hvxt0", false, NULL) == -1,
	      "a second bridge of the same name was made");
	r = bridge_lookup(sk, "nic_test", "hvxt0", &bi);
	check(&tc, !r && bi.hvx_owned && bi.up && bi.mtu == 1500,
	      "lookup %d: owned %d up %d mtu %u", r, bi.hvx_owned, bi.up, bi.mtu);
	check(&tc, bridge_lookup(sk, "nic_test", "lo", &bi) == 1,
	      "lo taken for a bridge");

	check(&tc, !nic_opts_parse("bridge=hvxt0,queues=2", &o, err, sizeof(err)),
	      "%s", err);
	check(&tc, !tap_create(&t, "hvxvm.0", "hvxt0", &o, mac),
	      "tap_create failed");
	check(&tc, t.nqueues == 2 && t.fds[0] >= 0 && t.fds[1] >= 0 &&
	      t.fds[2] == -1 && t.mtu == 1500 && t.ifindex > 0,
	      "tap: %u queues, fds %d %d %d, mtu %u", t.nqueues, t.fds[0],
	      t.fds[1], t.fds[2], t.mtu);
	read_sys("/sys/class/net/hvxvm.0/address", buf, sizeof(buf));
	check(&tc, !strcmp(buf, "fe:00:11:22:33:44"), "tap MAC %s", buf);
	snprintf(path, sizeof(path), "/sys/class/net/hvxvm.0/master/ifindex");
	read_sys(path, buf, sizeof(buf));
	check(&tc, atoi(buf) == (int)if_nametoindex("hvxt0"),
	      "tap's master ifindex %s", buf);
	read_sys("/sys/class/net/hvxvm.0/flags", buf, sizeof(buf));
	check(&tc, strtoul(buf, NULL, 0) & IFF_UP, "tap not up: flags %s", buf);
	read_sys("/sys/class/net/hvxvm.0/tun_flags", buf, sizeof(buf));
	check(&tc, (strtoul(buf, NULL, 0) & 0x5102) == 0x5102,
	      "tun_flags %s: want TAP|NO_PI|VNET_HDR|MULTI_QUEUE", buf);
	check(&tc, bridge_for_each(sk, "nic_test", seen_fn, &seen) == 0,
	      "bridge_for_each failed");
	check(&tc, seen.bridge && seen.owned && seen.port &&
	      !strcmp(seen.addrs, "10.77.0.1/24"),
	      "listed: bridge %d owned %d port %d addrs '%s'", seen.bridge,
	      seen.owned, seen.port, seen.addrs);

	/* A second tap of the name is refused, the first left as it was. */
	{
		struct tap t2;

		check(&tc, tap_create(&t2, "hvxvm.0", "hvxt0", &o, mac) == -1,
		      "a second tap hvxvm.0 made");
		check(&tc, link_exists("hvxvm.0"), "the first tap went");
	}
	check(&tc, !nic_opts_parse("bridge=nosuch", &o, err, sizeof(err)), "%s", err);
	{
		struct tap t3;

		check(&tc, tap_create(&t3, "hvxvm.1", "nosuch", &o, mac) == -1,
		      "a tap made into a missing bridge");
		check(&tc, !link_exists("hvxvm.1"), "hvxvm.1 left behind");
	}
	/* A frame "from the guest" (written on a queue) counts as its TX. */
	{
		uint8_t frame[12 + 60] = { 0 };
		struct tap_stats ts0 = { 0 }, ts1 = { 0 };

		memset(frame + 12, 0xff, 6);		/* broadcast */
		memcpy(frame + 12 + 6, mac, 6);
		frame[12 + 12] = 0x88;			/* a local ethertype */
		frame[12 + 13] = 0xb5;
		check(&tc, !tap_get_stats(&t, &ts0), "tap_get_stats failed");
		check(&tc, write(t.fds[0], frame, sizeof(frame)) == sizeof(frame),
		      "write to the tap: %s", strerror(errno));
		check(&tc, !tap_get_stats(&t, &ts1), "tap_get_stats failed");
		check(&tc, ts1.tx_packets == ts0.tx_packets + 1 &&
		      ts1.tx_bytes == ts0.tx_bytes + 60,
		      "guest TX %llu/%llu -> %llu/%llu",
		      (unsigned long long)ts0.tx_packets,
		      (unsigned long long)ts0.tx_bytes,
		      (unsigned long long)ts1.tx_packets,
		      (unsigned long long)ts1.tx_bytes);
	}
	tap_destroy(&t);
	check(&tc, !link_exists("hvxvm.0"), "tap outlived its fds");
	check(&tc, t.fds[0] == -1 && t.nqueues == 0, "tap_destroy left fds");
	check(&tc, !bridge_delete(sk, "nic_test", "hvxt0") &&
	      !link_exists("hvxt0"), "bridge not deleted");
	bridge_netlink_close(sk);
out:
	case_end(&tc, "nic: a bridge of hvx and a multi-queue tap in it, over netlink, gone with their fds");
}

/* The root qdisc of @ifindex, from a fresh cache (put it), or NULL. */
static struct rtnl_qdisc *root_qdisc(struct nl_sock *sk, int ifindex,
				     struct nl_cache **cache)
{
	struct rtnl_qdisc *q;

	*cache = NULL;
	if (rtnl_qdisc_alloc_cache(sk, cache) < 0)
		return NULL;
	q = rtnl_qdisc_get_by_parent(*cache, ifindex, TC_H_ROOT);
	return q;
}

static bool near(long long got, long long want)
{
	return llabs(got - want) <= want / 100;
}

/*
 * rate=: a TBF root qdisc of the rate on the tap, read back over libnl.
 * rate=10 goes through libnl's TBF API; rate=20000 and 100000 (over
 * INT_MAX bytes/s; the latter over 4 GB/s) through the hand-built request
 * with TCA_TBF_RATE64.
 */
static void test_tap_rate(void)
{
	static const uint8_t mac[6] = { 0x0e, 0x00, 0x11, 0x22, 0x33, 0x55 };
	static const struct {
		const char *arg;
		unsigned int mbit;
	} taps[] = {
		{ "bridge=hvxt1,rate=10", 10 },
		{ "bridge=hvxt1,queues=2,rate=20000", 20000 },
		{ "bridge=hvxt1,rate=100000", 100000 },
		{ "bridge=hvxt1", 0 },
	};
	struct nl_sock *sk;
	struct tcase tc;
	size_t i;

	case_begin(&tc);
	sk = bridge_netlink("nic_test");
	check(&tc, sk != NULL, "no netlink socket");
	if (!sk)
		goto out;
	check(&tc, !bridge_create(sk, "nic_test", "hvxt1", false, NULL),
	      "bridge_create failed");
	for (i = 0; i < ARRAY_SIZE(taps); i++) {
		struct nl_cache *cache;
		struct rtnl_qdisc *q;
		struct nic_opts o;
		struct tap t;
		const char *kind;

		check(&tc, !nic_opts_parse(taps[i].arg, &o, err, sizeof(err)),
		      "%s", err);
		if (tap_create(&t, "hvxvm.2", "hvxt1", &o, mac)) {
			check(&tc, false, "tap_create '%s' failed", taps[i].arg);
			continue;
		}
		q = root_qdisc(sk, t.ifindex, &cache);
		kind = q ? rtnl_tc_get_kind(TC_CAST(q)) : NULL;
		if (!taps[i].mbit) {
			check(&tc, !kind || strcmp(kind, "tbf"),
			      "'%s': a tbf root without rate=", taps[i].arg);
		} else {
			uint64_t rate = nic_rate_bytes(taps[i].mbit);
			uint32_t burst = nic_rate_burst(taps[i].mbit);
			/*
			 * The 32-bit rate: exact below 4 GB/s, saturated above
			 * (libnl 3.7 parses no TCA_TBF_RATE64).
			 */
			uint32_t rate32 = rate > UINT32_MAX ? UINT32_MAX :
					  (uint32_t)rate;

			check(&tc, kind && !strcmp(kind, "tbf"),
			      "'%s': root qdisc %s", taps[i].arg,
			      kind ? kind : "(none)");
			check(&tc, q && (uint32_t)rtnl_qdisc_tbf_get_rate(q) == rate32,
			      "'%s': rate %u bytes/s, want %u", taps[i].arg,
			      q ? (uint32_t)rtnl_qdisc_tbf_get_rate(q) : 0, rate32);
			/*
			 * Back from the kernel's ticks, times the 32-bit rate:
			 * near, not exact, and only where that rate is.
			 */
			check(&tc, q && (rate > UINT32_MAX ||
				  near(rtnl_qdisc_tbf_get_rate_bucket(q), burst)),
			      "'%s': bucket %d, want %u", taps[i].arg,
			      q ? rtnl_qdisc_tbf_get_rate_bucket(q) : 0, burst);
			check(&tc, q && rtnl_qdisc_tbf_get_limit(q) > (int)burst,
			      "'%s': limit %d under the bucket", taps[i].arg,
			      q ? rtnl_qdisc_tbf_get_limit(q) : 0);
		}
		if (q)
			rtnl_qdisc_put(q);
		nl_cache_free(cache);
		tap_destroy(&t);
		check(&tc, !link_exists("hvxvm.2"), "tap outlived its fds");
	}
	check(&tc, !bridge_delete(sk, "nic_test", "hvxt1"), "bridge not deleted");
	bridge_netlink_close(sk);
out:
	case_end(&tc, "nic: rate= puts a TBF of the rate at the tap's root (libnl and TCA_TBF_RATE64), none without");
}

int main(void)
{
	test_parse_defaults();
	test_parse_all();
	test_parse_refusals();
	test_parse_rate();
	test_names_and_macs();
	/*
	 * Links made below live and die in the test's own network namespace;
	 * a mount namespace too, for a /sys that shows that network's links.
	 */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		struct tcase tc;

		case_begin(&tc);
		check(&tc, false, "unshare(CLONE_NEWNET | CLONE_NEWNS), sysfs: %s (run as root)",
		      strerror(errno));
		case_end(&tc, "nic: a network namespace of the test's own");
	} else {
		test_bridge_and_tap();
		test_tap_rate();
	}
	return tap_finish();
}
