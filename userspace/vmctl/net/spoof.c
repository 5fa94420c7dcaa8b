// SPDX-License-Identifier: GPL-2.0
/*
 * The anti-spoofing filter's user side: spoof.bpf.c, embedded in vmctl as
 * its bpftool skeleton (so that the static binary needs no file beside
 * it), loaded with libbpf, its config map filled from struct spoof_config,
 * and attached to a tap's clsact ingress over netlink (bpf_tc_*).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "net/spoof.h"
#include "net/spoof_maps.h"
#include "net/spoof.skel.h"

/* spoof_maps.h restates spoof.h for the BPF side: they must agree. */
_Static_assert(SPOOF_MAP_MAX_IPV4 == SPOOF_MAX_IPV4, "SPOOF_MAX_IPV4");
_Static_assert(SPOOF_MAP_MAX_IPV6 == SPOOF_MAX_IPV6, "SPOOF_MAX_IPV6");
_Static_assert(SPOOF_CNT_DROP_MAC == SPOOF_CNT_DROP + SPOOF_DROP_MAC &&
	       SPOOF_CNT_DROP_IPV4 == SPOOF_CNT_DROP + SPOOF_DROP_IPV4 &&
	       SPOOF_CNT_DROP_ARP == SPOOF_CNT_DROP + SPOOF_DROP_ARP &&
	       SPOOF_CNT_DROP_IPV6 == SPOOF_CNT_DROP + SPOOF_DROP_IPV6 &&
	       SPOOF_CNT_DROP_MALFORMED == SPOOF_CNT_DROP + SPOOF_DROP_MALFORMED &&
	       SPOOF_CNT_DROP_RATE == SPOOF_CNT_DROP + SPOOF_DROP_RATE &&
	       SPOOF_NR_COUNTERS == SPOOF_CNT_DROP + SPOOF_NR_REASONS,
	       "counter indices follow enum spoof_reason");

struct spoof {
	struct spoof_bpf *skel;
	struct bpf_tc_hook hook;
	struct bpf_tc_opts tc;		/* handle and priority, once attached */
	bool attached;
	bool hook_created;		/* the clsact qdisc is ours to remove */
};

static const char *const spoof_reason_names[SPOOF_NR_REASONS] = {
	[SPOOF_DROP_MAC] = "mac",
	[SPOOF_DROP_IPV4] = "ipv4",
	[SPOOF_DROP_ARP] = "arp",
	[SPOOF_DROP_IPV6] = "ipv6",
	[SPOOF_DROP_MALFORMED] = "malformed",
	[SPOOF_DROP_RATE] = "rate",
};

const char *spoof_reason_name(enum spoof_reason r)
{
	if ((unsigned int)r >= SPOOF_NR_REASONS)
		return "unknown";
	return spoof_reason_names[r];
}

/*
 * While a call whose failure vmctl handles itself runs, libbpf's warnings
 * are held here, and printed only if it failed otherwise: creating a
 * clsact that exists makes the kernel say "Exclusivity flag on", which
 * would be noise on every NIC that shares its qdisc.
 */
static _Thread_local struct {
	bool on;
	size_t len;
	char buf[1024];
} spoof_held;

/*
 * libbpf talks on stderr by default, debug included. vmctl's messages all
 * start with "vmctl: ", so its warnings do too (the verifier's log on a
 * failed load among them); libbpf's own "libbpf: " is not repeated.
 */
static int spoof_libbpf_print(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	static const char own[] = "libbpf: ";
	int n;

	if (level != LIBBPF_WARN)
		return 0;
	if (!strncmp(fmt, own, sizeof(own) - 1))
		fmt += sizeof(own) - 1;
	if (spoof_held.on) {
		size_t room = sizeof(spoof_held.buf) - spoof_held.len;

		n = vsnprintf(spoof_held.buf + spoof_held.len, room, fmt, ap);
		if (n > 0)
			spoof_held.len += (size_t)n < room ? (size_t)n : room - 1;
		return n;
	}
	fputs("vmctl: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void spoof_hold_messages(void)
{
	spoof_held.on = true;
	spoof_held.len = 0;
	spoof_held.buf[0] = '\0';
}

/* Print what was held, one "vmctl: libbpf: " line each, or drop it. */
static void spoof_release_messages(bool print)
{
	char *line, *next;

	spoof_held.on = false;
	if (!print)
		return;
	for (line = spoof_held.buf; *line; line = next) {
		next = strchrnul(line, '\n');
		fprintf(stderr, "vmctl: libbpf: %.*s\n", (int)(next - line), line);
		if (*next)
			next++;
	}
}

struct spoof *spoof_load(const struct spoof_config *cfg)
{
	struct spoof_map_config mc = { 0 };
	struct spoof *s;
	__u32 key = 0;
	int err;

	if (cfg->nipv4 > SPOOF_MAX_IPV4 || cfg->nipv6 > SPOOF_MAX_IPV6) {
		fprintf(stderr, "vmctl: spoof: at most %d IPv4 and %d IPv6 addresses\n",
			SPOOF_MAX_IPV4, SPOOF_MAX_IPV6);
		return NULL;
	}
	/* The program's arithmetic (burst * 10^9) stays within 64 bits. */
	if (cfg->rate > SPOOF_MAX_RATE || (cfg->rate && !cfg->burst)) {
		fprintf(stderr, "vmctl: spoof: a rate of at most %llu bytes/s, with a burst\n",
			SPOOF_MAX_RATE);
		return NULL;
	}
	memcpy(mc.mac, cfg->mac, sizeof(mc.mac));
	mc.nipv4 = cfg->nipv4;
	mc.nipv6 = cfg->nipv6;
	memcpy(mc.ipv4, cfg->ipv4, sizeof(mc.ipv4));
	memcpy(mc.ipv6, cfg->ipv6, sizeof(mc.ipv6));
	mc.flags = cfg->no_rules ? SPOOF_CFG_NO_RULES : 0;
	mc.rate = cfg->rate;
	mc.burst = cfg->rate ? cfg->burst : 0;

	/* Process-wide in libbpf; setting it again is harmless. */
	libbpf_set_print(spoof_libbpf_print);
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "vmctl: spoof: %s\n", strerror(ENOMEM));
		return NULL;
	}
	s->skel = spoof_bpf__open_and_load();
	if (!s->skel) {
		fprintf(stderr, "vmctl: spoof: cannot load the anti-spoofing filter: %s\n",
			strerror(errno));
		free(s);
		return NULL;
	}
	/*
	 * After the load: the config is a plain map, not .rodata, so that the
	 * verifier checks one program for every config and the map can be
	 * read back with bpftool.
	 */
	err = bpf_map__update_elem(s->skel->maps.spoof_config, &key, sizeof(key),
				   &mc, sizeof(mc), BPF_ANY);
	if (err) {
		fprintf(stderr, "vmctl: spoof: cannot fill the config map: %s\n",
			strerror(-err));
		spoof_bpf__destroy(s->skel);
		free(s);
		return NULL;
	}
	return s;
}

int spoof_prog_fd(struct spoof *s)
{
	return bpf_program__fd(s->skel->progs.spoof_filter);
}

/*
 * What detaching says when the tap is gone already, or its qdisc: the
 * kernel removes both with the tap's last fd, which tap_destroy() may
 * have closed first. ENODEV: no such device; EINVAL: "Parent Qdisc
 * doesn't exists"; ENOENT: no such filter.
 */
static bool spoof_gone(int err)
{
	return err == -ENODEV || err == -EINVAL || err == -ENOENT;
}

/* The whole clsact qdisc: libbpf's way to say "remove it", not "flush". */
static void spoof_destroy_hook(struct spoof *s)
{
	int err;

	s->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	spoof_hold_messages();
	err = bpf_tc_hook_destroy(&s->hook);
	spoof_release_messages(err && !spoof_gone(err));
	if (err && !spoof_gone(err))
		fprintf(stderr, "vmctl: spoof: cannot remove the clsact qdisc: %s\n",
			strerror(-err));
	s->hook.attach_point = BPF_TC_INGRESS;
	s->hook_created = false;
}

int spoof_attach(struct spoof *s, int ifindex)
{
	int err;

	if (s->attached) {
		fprintf(stderr, "vmctl: spoof: already attached\n");
		return -1;
	}
	memset(&s->hook, 0, sizeof(s->hook));
	s->hook.sz = sizeof(s->hook);
	s->hook.ifindex = ifindex;
	s->hook.attach_point = BPF_TC_INGRESS;
	spoof_hold_messages();
	err = bpf_tc_hook_create(&s->hook);
	spoof_release_messages(err && err != -EEXIST);
	if (!err) {
		s->hook_created = true;
	} else if (err != -EEXIST) {
		/* EEXIST: a clsact is there already, which is as good. */
		fprintf(stderr, "vmctl: spoof: cannot add clsact to ifindex %d: %s\n",
			ifindex, strerror(-err));
		return -1;
	}

	/* Handle and priority 0: the kernel picks them, libbpf fills them in. */
	memset(&s->tc, 0, sizeof(s->tc));
	s->tc.sz = sizeof(s->tc);
	s->tc.prog_fd = spoof_prog_fd(s);
	err = bpf_tc_attach(&s->hook, &s->tc);
	if (err) {
		fprintf(stderr, "vmctl: spoof: cannot attach to ifindex %d: %s\n",
			ifindex, strerror(-err));
		if (s->hook_created)
			spoof_destroy_hook(s);
		return -1;
	}
	s->attached = true;
	return 0;
}

int spoof_get_stats(struct spoof *s, struct spoof_stats *st)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *v;
	__u32 key;
	int err, i;

	if (ncpus < 0) {
		fprintf(stderr, "vmctl: spoof: cannot count the CPUs: %s\n",
			strerror(-ncpus));
		return -1;
	}
	/* A per-CPU map reads as one value per possible CPU. */
	v = calloc(ncpus, sizeof(*v));
	if (!v) {
		fprintf(stderr, "vmctl: spoof: %s\n", strerror(ENOMEM));
		return -1;
	}
	memset(st, 0, sizeof(*st));
	for (key = 0; key < SPOOF_NR_COUNTERS; key++) {
		uint64_t sum = 0;

		err = bpf_map__lookup_elem(s->skel->maps.spoof_counters, &key,
					   sizeof(key), v, ncpus * sizeof(*v), 0);
		if (err) {
			fprintf(stderr, "vmctl: spoof: cannot read the counters: %s\n",
				strerror(-err));
			free(v);
			return -1;
		}
		for (i = 0; i < ncpus; i++)
			sum += v[i];
		if (key == SPOOF_CNT_PASSED)
			st->passed = sum;
		else
			st->dropped[key - SPOOF_CNT_DROP] = sum;
	}
	free(v);
	return 0;
}

void spoof_destroy(struct spoof *s)
{
	int err;

	if (!s)
		return;
	if (s->attached) {
		/* bpf_tc_detach() wants only handle and priority set. */
		s->tc.prog_fd = 0;
		s->tc.prog_id = 0;
		s->tc.flags = 0;
		spoof_hold_messages();
		err = bpf_tc_detach(&s->hook, &s->tc);
		spoof_release_messages(err && !spoof_gone(err));
		if (err && !spoof_gone(err))
			fprintf(stderr, "vmctl: spoof: cannot detach: %s\n",
				strerror(-err));
		s->attached = false;
	}
	if (s->hook_created)
		spoof_destroy_hook(s);
	spoof_bpf__destroy(s->skel);
	free(s);
}
