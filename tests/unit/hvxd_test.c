// SPDX-License-Identifier: GPL-2.0
/*
 * hvxd's wire.c and state.c, the parts that every node of a cluster must
 * agree on: the encoding of changes, syncs and the state file (round
 * trips; truncated, oversized, malformed and randomly mutated buffers
 * refused, never read past their end: every decode reads from a heap copy
 * of exactly its length, so ASan catches an overread), and the replicated
 * state machine (ha_apply's rules, determinism, ha_def_parse, the state
 * file on disk).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvxd.h"
#include "unit.h"

/* wire.c's constants, which the format on disk and on the wire fixes. */
#define T_WIRE_MAGIC	0x44585648u
#define T_STATE_MAGIC	0x54535848u
#define T_VERSION	1u

/* What wire.c and state.c take from main.c. */
static unsigned int log_count;
static char log_last[512];

void logmsg(const char *fmt, ...)
{
	va_list ap;

	log_count++;
	va_start(ap, fmt);
	vsnprintf(log_last, sizeof(log_last), fmt, ap);
	va_end(ap);
}

/* xorshift64*: the same sequence on every run. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t rng_below(uint32_t n)
{
	return n ? rng() % n : 0;
}

/* A test's own encoder, to build what wire.c would never send. */
struct tb {
	unsigned char b[16384];
	size_t n;
};

static void tb_raw(struct tb *t, const void *p, size_t n)
{
	if (t->n + n > sizeof(t->b))
		abort();
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_u32(struct tb *t, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	tb_raw(t, b, 4);
}

static void tb_u64(struct tb *t, uint64_t v)
{
	tb_u32(t, (uint32_t)v);
	tb_u32(t, (uint32_t)(v >> 32));
}

static void tb_bytes(struct tb *t, const void *p, uint32_t n)
{
	tb_u32(t, n);
	tb_raw(t, p, n);
}

static void tb_str(struct tb *t, const char *s)
{
	tb_bytes(t, s, (uint32_t)strlen(s));
}

/* A message's header and fixed fields, up to its name. */
static void tb_msg_head(struct tb *t, uint32_t magic, uint32_t version,
			uint32_t type)
{
	uint32_t i;

	t->n = 0;
	tb_u32(t, magic);
	tb_u32(t, version);
	tb_u32(t, type);
	for (i = 0; i < 7; i++)		/* req node gen state restarts mem cpus */
		tb_u32(t, i + 1);
}

static const char good_def[] = "--kernel\0/boot/vmlinuz\0--memory\0512\0"
			       "--append\0console=ttyS0 quiet\0";

/* A state file's header. */
static void tb_state_head(struct tb *t, uint64_t version, uint32_t nr)
{
	t->n = 0;
	tb_u32(t, T_STATE_MAGIC);
	tb_u32(t, T_VERSION);
	tb_u64(t, version);
	tb_u32(t, nr);
}

/* One VM of a state, with its name and definition as given. */
static void tb_vm(struct tb *t, const void *name, uint32_t name_len,
		  uint32_t state, const void *def, uint32_t def_len)
{
	uint32_t i;

	tb_bytes(t, name, name_len);
	tb_u32(t, 2);			/* node */
	tb_u32(t, 5);			/* gen */
	tb_u32(t, state);
	for (i = 0; i < 4; i++)		/* restarts target mem cpus */
		tb_u32(t, i);
	tb_bytes(t, def, def_len);
}

/*
 * The decoders, each given a heap copy of exactly len bytes, so that a
 * read past the end is an ASan error rather than a read of the next field.
 */
static struct ha_msg dec_m;
static struct ha_state dec_s;
static struct ha_member dec_mb[HVXD_MAX_NODES];
static uint32_t dec_nr;

static void *exact_copy(const void *buf, size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, buf, len);
	return p;
}

static int dec_msg(const void *buf, size_t len)
{
	void *p = exact_copy(buf, len);
	int r = wire_msg_decode(p, len, &dec_m);

	free(p);
	return r;
}

static int dec_sync(const void *buf, size_t len)
{
	void *p = exact_copy(buf, len);
	int r = wire_sync_decode(p, len, &dec_s, dec_mb, &dec_nr);

	free(p);
	return r;
}

static int dec_state(const void *buf, size_t len)
{
	void *p = exact_copy(buf, len);
	int r = wire_state_decode(p, len, &dec_s);

	free(p);
	return r;
}

static uint32_t type_of(const void *buf, size_t len)
{
	void *p = exact_copy(buf, len);
	uint32_t t = wire_type(p, len);

	free(p);
	return t;
}

/* A message of the type with every field set, strings at their longest. */
static void full_msg(struct ha_msg *m, uint32_t type, bool longest)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->req = 0x11223344;
	m->node = 7;
	m->gen = 0xdeadbeef;
	m->state = HA_RUNNING;
	m->restarts = 3;
	m->mem_mib = 512;
	m->cpus = 4;
	if (longest) {
		memset(m->name, 'n', sizeof(m->name) - 1);
		memset(m->why, 'w', sizeof(m->why) - 1);
		memset(m->def, 'd', sizeof(m->def));
		m->def[sizeof(m->def) - 1] = '\0';
		m->def[100] = '\0';
		m->def_len = sizeof(m->def);
	} else {
		strcpy(m->name, "vm-web.1_A");
		strcpy(m->why, "relocated by the operator: host b goes down");
		memcpy(m->def, good_def, sizeof(good_def) - 1);
		m->def_len = sizeof(good_def) - 1;
	}
}

static void set_vm(struct ha_vm *v, const char *name, uint32_t k,
		   const char *def, uint32_t def_len)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->node = k + 1;
	v->gen = 100 + k;
	v->state = k % HA_NR_STATES;
	v->restarts = k * 3;
	v->target = k ? k + 2 : 0;
	v->mem_mib = 256 << (k % 4);
	v->cpus = k + 1;
	v->def_len = def_len;
	memcpy(v->def, def, def_len);
}

/* A state of a few VMs, the last with the longest name and definition. */
static void sample_state(struct ha_state *s)
{
	char name[HVXD_NAME_MAX + 1];
	char big[HVXD_DEF_MAX];

	memset(s, 0, sizeof(*s));
	s->version = 0x0123456789abcdefULL;
	set_vm(&s->vms[0], "web", 0, good_def, sizeof(good_def) - 1);
	set_vm(&s->vms[1], "db.primary", 1, "--raw\0img\0", 10);
	set_vm(&s->vms[2], "empty-def", 2, "", 0);
	memset(name, 'Z', HVXD_NAME_MAX);
	name[HVXD_NAME_MAX] = '\0';
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	set_vm(&s->vms[3], name, 3, big, sizeof(big));
	set_vm(&s->vms[4], "five_5", 5, "-k\0K\0", 5);
	s->nr_vms = 5;
}

/* A small state, for the tests that try every truncation. */
static void small_state(struct ha_state *s)
{
	memset(s, 0, sizeof(*s));
	s->version = 42;
	set_vm(&s->vms[0], "a", 0, "--raw\0r\0", 8);
	set_vm(&s->vms[1], "b-2", 1, "", 0);
	set_vm(&s->vms[2], "c.3", 2, "-k\0K\0-m\08\0", 10);
	s->nr_vms = 3;
}

static const struct ha_member sample_mb[] = {
	{ 1, 1001 }, { 2, 0x7fffffff }, { 0xfffffffe, 3 },
};

static bool vm_eq(const struct ha_vm *a, const struct ha_vm *b)
{
	return !strcmp(a->name, b->name) && a->node == b->node &&
	       a->gen == b->gen && a->state == b->state &&
	       a->restarts == b->restarts && a->target == b->target &&
	       a->mem_mib == b->mem_mib && a->cpus == b->cpus &&
	       a->def_len == b->def_len && !memcmp(a->def, b->def, a->def_len);
}

static bool state_eq(const struct ha_state *a, const struct ha_state *b)
{
	uint32_t i;

	if (a->version != b->version || a->nr_vms != b->nr_vms)
		return false;
	for (i = 0; i < a->nr_vms; i++)
		if (!vm_eq(&a->vms[i], &b->vms[i]))
			return false;
	return true;
}

static uint32_t le32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static const char *const type_names[MSG_NR_TYPES] = {
	[MSG_SYNC] = "SYNC", [MSG_LOAD] = "LOAD", [MSG_ADD] = "ADD",
	[MSG_REMOVE] = "REMOVE", [MSG_PLACE] = "PLACE", [MSG_STATE] = "STATE",
	[MSG_RELOCATE] = "RELOCATE",
};

/* ---- 1. round trips ---- */

static void test_msg_round_trip(void)
{
	static unsigned char buf[WIRE_MAX];
	struct ha_msg m;
	uint32_t type;
	int longest;

	for (longest = 0; longest < 2; longest++)
		for (type = MSG_LOAD; type < MSG_NR_TYPES; type++) {
			struct tcase tc;
			size_t len;

			case_begin(&tc);
			full_msg(&m, type, longest);
			len = wire_msg_encode(&m, buf, sizeof(buf));
			check(&tc, len > 12, "encoded %zu bytes", len);
			check(&tc, len > 12 && le32_at(buf) == T_WIRE_MAGIC &&
				   le32_at(buf + 4) == T_VERSION &&
				   le32_at(buf + 8) == type, "header");
			check(&tc, type_of(buf, len) == type, "wire_type %u",
			      type_of(buf, len));
			check(&tc, dec_msg(buf, len) == 0, "decode failed");
			check(&tc, !memcmp(&m, &dec_m, sizeof(m)),
			      "decoded message differs (name '%s' why '%s' def_len %u)",
			      dec_m.name, dec_m.why, dec_m.def_len);
			check(&tc, wire_msg_encode(&m, buf, len - 1) == 0,
			      "encoding into a buffer 1 byte short succeeded");
			case_end(&tc, "wire: %s round trip, %s fields", type_names[type],
				 longest ? "longest" : "all");
		}
}

static void test_sync_round_trip(void)
{
	static unsigned char buf[WIRE_MAX];
	static struct ha_state s;
	struct ha_member mb[HVXD_MAX_NODES];
	struct tcase tc;
	size_t len;
	uint32_t i;

	case_begin(&tc);
	sample_state(&s);
	len = wire_sync_encode(&s, sample_mb, ARRAY_SIZE(sample_mb), buf,
			       sizeof(buf));
	check(&tc, len > 0, "encode");
	check(&tc, type_of(buf, len) == MSG_SYNC, "wire_type %u",
	      type_of(buf, len));
	memset(&dec_s, 0, sizeof(dec_s));
	check(&tc, dec_sync(buf, len) == 0, "decode");
	check(&tc, state_eq(&s, &dec_s), "state differs");
	check(&tc, dec_nr == ARRAY_SIZE(sample_mb), "%u members", dec_nr);
	for (i = 0; i < ARRAY_SIZE(sample_mb) && i < dec_nr; i++)
		check(&tc, dec_mb[i].nodeid == sample_mb[i].nodeid &&
			   dec_mb[i].pid == sample_mb[i].pid, "member %u", i);
	check(&tc, wire_sync_encode(&s, sample_mb, ARRAY_SIZE(sample_mb), buf,
				    len - 1) == 0, "short buffer accepted");
	case_end(&tc, "wire: SYNC round trip, %u VMs and %zu members",
		 s.nr_vms, ARRAY_SIZE(sample_mb));

	/* A full state and a full member list fit in WIRE_MAX. */
	case_begin(&tc);
	for (i = 0; i < HVXD_MAX_VMS; i++) {
		char name[16], def[HVXD_DEF_MAX];

		snprintf(name, sizeof(name), "vm%u", i);
		memset(def, 'a' + i % 26, sizeof(def));
		def[sizeof(def) - 1] = '\0';
		set_vm(&s.vms[i], name, i, def, sizeof(def));
	}
	s.nr_vms = HVXD_MAX_VMS;
	for (i = 0; i < HVXD_MAX_NODES; i++) {
		mb[i].nodeid = i + 1;
		mb[i].pid = 1000 + i;
	}
	len = wire_sync_encode(&s, mb, HVXD_MAX_NODES, buf, sizeof(buf));
	check(&tc, len > 0 && len <= WIRE_MAX, "encode %zu", len);
	check(&tc, dec_sync(buf, len) == 0 && state_eq(&s, &dec_s) &&
		   dec_nr == HVXD_MAX_NODES &&
		   !memcmp(mb, dec_mb, sizeof(mb)), "decode");
	case_end(&tc, "wire: SYNC of %u VMs with the longest definitions and %u members fits WIRE_MAX",
		 HVXD_MAX_VMS, HVXD_MAX_NODES);
}

static void test_state_round_trip(void)
{
	static unsigned char buf[WIRE_MAX];
	static struct ha_state s;
	struct tcase tc;
	size_t len;

	case_begin(&tc);
	sample_state(&s);
	len = wire_state_encode(&s, buf, sizeof(buf));
	check(&tc, len > 8 && le32_at(buf) == T_STATE_MAGIC &&
		   le32_at(buf + 4) == T_VERSION, "header");
	check(&tc, type_of(buf, len) == 0, "wire_type of a state file is %u",
	      type_of(buf, len));
	memset(&dec_s, 0, sizeof(dec_s));
	check(&tc, dec_state(buf, len) == 0, "decode");
	check(&tc, state_eq(&s, &dec_s), "state differs");
	check(&tc, wire_state_encode(&s, buf, len - 1) == 0,
	      "short buffer accepted");
	case_end(&tc, "wire: state file round trip, %u VMs", s.nr_vms);

	case_begin(&tc);
	memset(&s, 0, sizeof(s));
	len = wire_state_encode(&s, buf, sizeof(buf));
	check(&tc, len == 20, "empty state is %zu bytes", len);
	dec_s.nr_vms = 7;
	check(&tc, dec_state(buf, len) == 0 && dec_s.nr_vms == 0 &&
		   dec_s.version == 0, "decode");
	case_end(&tc, "wire: empty state round trip");
}

static void test_wire_type(void)
{
	static unsigned char buf[WIRE_MAX];
	struct ha_msg m;
	struct tcase tc;
	struct tb t;
	uint32_t type;
	size_t len, n;

	case_begin(&tc);
	for (type = MSG_LOAD; type < MSG_NR_TYPES; type++) {
		full_msg(&m, type, false);
		len = wire_msg_encode(&m, buf, sizeof(buf));
		check(&tc, type_of(buf, len) == type, "%s", type_names[type]);
		for (n = 0; n < 12; n++)
			check(&tc, type_of(buf, n) == 0,
			      "%s cut to %zu bytes: %u", type_names[type], n,
			      type_of(buf, n));
	}
	tb_msg_head(&t, T_WIRE_MAGIC ^ 1, T_VERSION, MSG_ADD);
	check(&tc, type_of(t.b, t.n) == 0, "bad magic");
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION + 1, MSG_ADD);
	check(&tc, type_of(t.b, t.n) == 0, "bad version");
	check(&tc, type_of("", 0) == 0, "empty");
	case_end(&tc, "wire: wire_type of each type; 0 for short, foreign or other-version buffers");
}

/* ---- 2. hostile input ---- */

static void test_truncations(void)
{
	static unsigned char buf[WIRE_MAX];
	static struct ha_state s;
	struct ha_msg m;
	uint32_t type;
	size_t len, n;
	struct tcase tc;

	for (type = MSG_LOAD; type < MSG_NR_TYPES; type++) {
		unsigned int bad = 0;

		case_begin(&tc);
		full_msg(&m, type, false);
		len = wire_msg_encode(&m, buf, sizeof(buf));
		for (n = 0; n < len; n++)
			if (dec_msg(buf, n) != -1 && bad++ < 5)
				check(&tc, false, "cut to %zu of %zu: accepted", n, len);
		check(&tc, !bad, "%u truncations accepted", bad);
		check(&tc, dec_msg(buf, len) == 0, "the whole still decodes");
		case_end(&tc, "wire: every truncation of a %s message (%zu bytes) is refused",
			 type_names[type], len);
	}

	case_begin(&tc);
	small_state(&s);
	len = wire_sync_encode(&s, sample_mb, ARRAY_SIZE(sample_mb), buf,
			       sizeof(buf));
	for (n = 0; n < len; n++)
		if (dec_sync(buf, n) != -1)
			check(&tc, false, "cut to %zu of %zu: accepted", n, len);
	check(&tc, dec_sync(buf, len) == 0, "the whole still decodes");
	case_end(&tc, "wire: every truncation of a SYNC (%zu bytes) is refused", len);

	case_begin(&tc);
	len = wire_state_encode(&s, buf, sizeof(buf));
	for (n = 0; n < len; n++)
		if (dec_state(buf, n) != -1)
			check(&tc, false, "cut to %zu of %zu: accepted", n, len);
	check(&tc, dec_state(buf, len) == 0, "the whole still decodes");
	case_end(&tc, "wire: every truncation of a state file (%zu bytes) is refused", len);
}

static void test_bad_lengths(void)
{
	static unsigned char big[6000];
	struct tcase tc;
	struct tb t;

	case_begin(&tc);
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_u32(&t, 0xffffffff);
	check(&tc, dec_msg(t.b, t.n) == -1, "name length 0xffffffff");

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_u32(&t, 40);
	tb_raw(&t, "abc", 3);
	check(&tc, dec_msg(t.b, t.n) == -1, "name length 40, 3 bytes there");

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_str(&t, "vm");
	tb_u32(&t, 100);
	tb_raw(&t, "why", 3);
	check(&tc, dec_msg(t.b, t.n) == -1, "why length 100, 3 bytes there");

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_str(&t, "vm");
	tb_str(&t, "why");
	tb_u32(&t, HVXD_DEF_MAX);
	tb_raw(&t, good_def, 10);
	check(&tc, dec_msg(t.b, t.n) == -1, "def length %u, 10 bytes there",
	      HVXD_DEF_MAX);

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_str(&t, "vm");
	tb_str(&t, "why");
	memset(big, 0, sizeof(big));
	tb_bytes(&t, big, HVXD_DEF_MAX + 1);
	check(&tc, dec_msg(t.b, t.n) == -1, "def of %u bytes, all there",
	      HVXD_DEF_MAX + 1);

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_str(&t, "vm");
	tb_str(&t, "why");
	tb_u32(&t, 0xfffffffc);
	check(&tc, dec_msg(t.b, t.n) == -1, "def length 0xfffffffc");

	tb_state_head(&t, 1, 1);
	tb_u32(&t, 0xffffffff);
	check(&tc, dec_state(t.b, t.n) == -1, "state: VM name length 0xffffffff");

	tb_state_head(&t, 1, 1);
	tb_vm(&t, "vm", 2, HA_STOPPED, good_def, 0);
	t.n -= 4;
	tb_u32(&t, 64);
	tb_raw(&t, "--raw\0", 6);
	check(&tc, dec_state(t.b, t.n) == -1, "state: def length 64, 6 there");
	case_end(&tc, "wire: a length field past the end of the buffer, or above its maximum, is refused");
}

static void test_bad_strings(void)
{
	char s[300];
	struct tcase tc;
	struct tb t;

	case_begin(&tc);
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_bytes(&t, "ab\0cd", 5);
	tb_str(&t, "");
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == -1, "name with a NUL inside");

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_bytes(&t, "ab\0", 3);
	tb_str(&t, "");
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == -1, "name ending in a NUL");

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_str(&t, "vm");
	tb_bytes(&t, "why\0not", 7);
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == -1, "why with a NUL inside");

	memset(s, 'n', sizeof(s));
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_RELOCATE);
	tb_bytes(&t, s, HVXD_NODE_NAME_MAX);
	tb_str(&t, "");
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == 0 && strlen(dec_m.name) == HVXD_NODE_NAME_MAX,
	      "name of %u accepted", HVXD_NODE_NAME_MAX);
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_RELOCATE);
	tb_bytes(&t, s, HVXD_NODE_NAME_MAX + 1);
	tb_str(&t, "");
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == -1, "name of %u refused",
	      HVXD_NODE_NAME_MAX + 1);

	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_RELOCATE);
	tb_str(&t, "vm");
	tb_bytes(&t, s, HVXD_WHY_MAX - 1);
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == 0 && strlen(dec_m.why) == HVXD_WHY_MAX - 1,
	      "why of %u accepted", HVXD_WHY_MAX - 1);
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_RELOCATE);
	tb_str(&t, "vm");
	tb_bytes(&t, s, HVXD_WHY_MAX);
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == -1, "why of %u refused", HVXD_WHY_MAX);

	/* In a state: names are VM names (ha_name_ok), at most 32. */
	tb_state_head(&t, 1, 1);
	tb_vm(&t, s, HVXD_NAME_MAX, HA_STOPPED, "", 0);
	check(&tc, dec_state(t.b, t.n) == 0, "state: VM name of %u accepted",
	      HVXD_NAME_MAX);
	tb_state_head(&t, 1, 1);
	tb_vm(&t, s, HVXD_NAME_MAX + 1, HA_STOPPED, "", 0);
	check(&tc, dec_state(t.b, t.n) == -1, "state: VM name of %u refused",
	      HVXD_NAME_MAX + 1);
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "a\0b", 3, HA_STOPPED, "", 0);
	check(&tc, dec_state(t.b, t.n) == -1, "state: VM name with a NUL");
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "", 0, HA_STOPPED, "", 0);
	check(&tc, dec_state(t.b, t.n) == -1, "state: empty VM name");
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "a b", 3, HA_STOPPED, "", 0);
	check(&tc, dec_state(t.b, t.n) == -1, "state: VM name 'a b'");
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "../x", 4, HA_STOPPED, "", 0);
	check(&tc, dec_state(t.b, t.n) == -1, "state: VM name '../x'");
	case_end(&tc, "wire: names with a NUL, too long, or (in a state) not VM names are refused");
}

static void test_bad_state(void)
{
	static struct ha_state s;
	static unsigned char buf[WIRE_MAX];
	struct tcase tc;
	struct tb t;
	uint32_t i;
	size_t len;

	case_begin(&tc);
	tb_state_head(&t, 1, HVXD_MAX_VMS + 1);
	for (i = 0; i < HVXD_MAX_VMS + 1; i++) {
		char name[8];

		snprintf(name, sizeof(name), "v%u", i);
		tb_vm(&t, name, (uint32_t)strlen(name), HA_STOPPED, "", 0);
	}
	check(&tc, dec_state(t.b, t.n) == -1, "%u VMs, all there",
	      HVXD_MAX_VMS + 1);
	tb_state_head(&t, 1, 0xffffffff);
	check(&tc, dec_state(t.b, t.n) == -1, "nr_vms 0xffffffff");

	for (i = HA_NR_STATES; i < HA_NR_STATES + 2; i++) {
		tb_state_head(&t, 1, 1);
		tb_vm(&t, "vm", 2, i, "", 0);
		check(&tc, dec_state(t.b, t.n) == -1, "VM state %u", i);
	}
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "vm", 2, 0xffffffff, "", 0);
	check(&tc, dec_state(t.b, t.n) == -1, "VM state 0xffffffff");
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "vm", 2, HA_FAILED, "", 0);
	check(&tc, dec_state(t.b, t.n) == 0, "VM state HA_FAILED accepted");

	tb_state_head(&t, 1, 1);
	tb_vm(&t, "vm", 2, HA_STOPPED, "--raw\0r", 7);
	check(&tc, dec_state(t.b, t.n) == -1, "def not NUL-terminated");
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "vm", 2, HA_STOPPED, "x", 1);
	check(&tc, dec_state(t.b, t.n) == -1, "def 'x'");

	/* The same in a SYNC. */
	small_state(&s);
	s.vms[1].state = HA_NR_STATES;
	len = wire_sync_encode(&s, sample_mb, 3, buf, sizeof(buf));
	check(&tc, len && dec_sync(buf, len) == -1, "SYNC: VM state %u",
	      HA_NR_STATES);
	small_state(&s);
	s.vms[2].def[s.vms[2].def_len - 1] = 'x';
	len = wire_sync_encode(&s, sample_mb, 3, buf, sizeof(buf));
	check(&tc, len && dec_sync(buf, len) == -1, "SYNC: def not NUL-terminated");
	t.n = 0;
	tb_u32(&t, T_WIRE_MAGIC);
	tb_u32(&t, T_VERSION);
	tb_u32(&t, MSG_SYNC);
	tb_u32(&t, 0);			/* no members */
	tb_u64(&t, 1);
	tb_u32(&t, HVXD_MAX_VMS + 1);
	for (i = 0; i < HVXD_MAX_VMS + 1; i++) {
		char name[8];

		snprintf(name, sizeof(name), "v%u", i);
		tb_vm(&t, name, (uint32_t)strlen(name), HA_STOPPED, "", 0);
	}
	check(&tc, dec_sync(t.b, t.n) == -1, "SYNC: %u VMs", HVXD_MAX_VMS + 1);
	t.b[20] = HVXD_MAX_VMS;		/* nr_vms, after 16 + version */
	check(&tc, dec_sync(t.b, t.n) == -1, "SYNC: %u VMs and one more",
	      HVXD_MAX_VMS);
	small_state(&s);
	len = wire_sync_encode(&s, sample_mb, 3, buf, sizeof(buf));
	/* members count: right after the 12-byte header */
	buf[12] = HVXD_MAX_NODES + 1;
	check(&tc, dec_sync(buf, len) == -1, "SYNC: %u members",
	      HVXD_MAX_NODES + 1);
	buf[12] = 0xff;
	buf[13] = buf[14] = buf[15] = 0xff;
	check(&tc, dec_sync(buf, len) == -1, "SYNC: 0xffffffff members");
	case_end(&tc, "wire: a state or SYNC with more than %u VMs, a bad VM state, a def not NUL-terminated, too many members is refused",
		 HVXD_MAX_VMS);
}

/*
 * A message's def is not checked by wire_msg_decode (only a state's is):
 * the one consumer, ADD, refuses it in ha_def_parse. This records that
 * the cluster still refuses such an ADD.
 */
static void test_msg_def_unterminated(void)
{
	static struct ha_state s;
	struct hvxd d = { .state = &s };
	struct tcase tc;
	struct tb t;

	case_begin(&tc);
	memset(&s, 0, sizeof(s));
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_ADD);
	tb_str(&t, "vm");
	tb_str(&t, "");
	tb_bytes(&t, "--raw\0r", 7);
	if (dec_msg(t.b, t.n) == 0) {
		check(&tc, dec_m.def_len == 7, "def_len %u", dec_m.def_len);
		check(&tc, ha_apply(&d, &dec_m, 1) == -EINVAL,
		      "ADD of an unterminated def applied");
		check(&tc, s.nr_vms == 0 && s.version == 0, "state changed");
	}
	case_end(&tc, "wire+state: an ADD whose def is not NUL-terminated is refused (by decode or by ha_apply)");
}

static void test_headers_and_cross(void)
{
	static unsigned char mbuf[WIRE_MAX], sbuf[WIRE_MAX], fbuf[WIRE_MAX];
	static struct ha_state s;
	size_t mlen, slen, flen;
	struct ha_msg m;
	struct tcase tc;
	struct tb t;
	uint32_t type;

	full_msg(&m, MSG_PLACE, false);
	mlen = wire_msg_encode(&m, mbuf, sizeof(mbuf));
	small_state(&s);
	slen = wire_sync_encode(&s, sample_mb, 3, sbuf, sizeof(sbuf));
	flen = wire_state_encode(&s, fbuf, sizeof(fbuf));

	case_begin(&tc);
	mbuf[0] ^= 1;
	check(&tc, dec_msg(mbuf, mlen) == -1, "msg: bad magic");
	mbuf[0] ^= 1;
	mbuf[4] = 2;
	check(&tc, dec_msg(mbuf, mlen) == -1, "msg: version 2");
	mbuf[4] = 0;
	check(&tc, dec_msg(mbuf, mlen) == -1, "msg: version 0");
	mbuf[4] = 1;
	for (type = 0; type < 0x100; type++) {
		mbuf[8] = (unsigned char)type;
		if (type >= MSG_LOAD && type < MSG_NR_TYPES)
			continue;
		if (dec_msg(mbuf, mlen) != -1)
			check(&tc, false, "msg: type %u accepted", type);
	}
	mbuf[8] = MSG_PLACE;
	mbuf[11] = 0x80;
	check(&tc, dec_msg(mbuf, mlen) == -1, "msg: type 0x80000005");
	mbuf[11] = 0;
	check(&tc, dec_msg(mbuf, mlen) == 0, "msg: restored");

	sbuf[3] ^= 0x40;
	check(&tc, dec_sync(sbuf, slen) == -1, "sync: bad magic");
	sbuf[3] ^= 0x40;
	sbuf[4] = 9;
	check(&tc, dec_sync(sbuf, slen) == -1, "sync: version 9");
	sbuf[4] = 1;
	check(&tc, dec_sync(sbuf, slen) == 0, "sync: restored");

	fbuf[1] ^= 0x10;
	check(&tc, dec_state(fbuf, flen) == -1, "state: bad magic");
	fbuf[1] ^= 0x10;
	fbuf[6] = 1;
	check(&tc, dec_state(fbuf, flen) == -1, "state: version 0x10001");
	fbuf[6] = 0;
	check(&tc, dec_state(fbuf, flen) == 0, "state: restored");
	case_end(&tc, "wire: bad magic, version or type refused");

	case_begin(&tc);
	mbuf[mlen] = 0;
	check(&tc, dec_msg(mbuf, mlen + 1) == -1, "msg + 1 byte");
	memset(mbuf + mlen, 0, 64);
	check(&tc, dec_msg(mbuf, mlen + 64) == -1, "msg + 64 bytes");
	sbuf[slen] = 0;
	check(&tc, dec_sync(sbuf, slen + 1) == -1, "sync + 1 byte");
	fbuf[flen] = 0;
	check(&tc, dec_state(fbuf, flen + 1) == -1, "state + 1 byte");
	memset(fbuf + flen, 0, 4);
	check(&tc, dec_state(fbuf, flen + 4) == -1, "state + 4 bytes");
	case_end(&tc, "wire: trailing bytes refused");

	case_begin(&tc);
	check(&tc, dec_msg(sbuf, slen) == -1, "SYNC given to wire_msg_decode");
	check(&tc, dec_sync(mbuf, mlen) == -1, "PLACE given to wire_sync_decode");
	check(&tc, dec_msg(fbuf, flen) == -1, "state file given to wire_msg_decode");
	check(&tc, dec_sync(fbuf, flen) == -1, "state file given to wire_sync_decode");
	check(&tc, dec_state(mbuf, mlen) == -1, "PLACE given to wire_state_decode");
	check(&tc, dec_state(sbuf, slen) == -1, "SYNC given to wire_state_decode");
	/* A message body under a SYNC header, and a SYNC body under ADD. */
	tb_msg_head(&t, T_WIRE_MAGIC, T_VERSION, MSG_SYNC);
	tb_str(&t, "vm");
	tb_str(&t, "");
	tb_bytes(&t, "", 0);
	check(&tc, dec_msg(t.b, t.n) == -1, "message with a SYNC header");
	memcpy(t.b, sbuf, slen);
	t.b[8] = MSG_ADD;
	check(&tc, dec_msg(t.b, slen) == -1, "SYNC body under an ADD header");
	check(&tc, dec_sync(t.b, slen) == -1, "ADD header to wire_sync_decode");
	case_end(&tc, "wire: each decoder refuses the others' buffers");
}

/*
 * get_bytes() leaves *n at 0 when a length is above its maximum, so that
 * get_vm() never tests v->def[v->def_len - 1] with the def_len that the
 * caller's struct held before the decode (a first version did: with a
 * struct holding garbage that read far past v->def). Run in a child, so
 * that a crash is one failed case, not the end of the run.
 */
static void test_stale_def_len(void)
{
	static char big[HVXD_DEF_MAX + 16];
	struct tcase tc;
	struct tb t;
	int status = 0;
	pid_t pid;

	case_begin(&tc);
	tb_state_head(&t, 1, 1);
	tb_vm(&t, "vm", 2, HA_STOPPED, big, sizeof(big));
	fflush(stdout);
	pid = fork();
	if (!pid) {
		static struct ha_state s;
		void *p = exact_copy(t.b, t.n);

		memset(&s, 0xff, sizeof(s));
		_exit(wire_state_decode(p, t.n, &s) == -1 ? 0 : 2);
	}
	check(&tc, pid > 0 && waitpid(pid, &status, 0) == pid, "fork");
	check(&tc, WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "decoding a def longer than %u into a struct that held garbage: %s %d",
	      HVXD_DEF_MAX, WIFSIGNALED(status) ? "signal" : "exit",
	      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	case_end(&tc, "wire: an oversized def is refused without reading the output struct's old def_len");
}

/* What a successful decode must leave: strings terminated, within bounds. */
static bool msg_sane(const struct ha_msg *m)
{
	return m->type > MSG_SYNC && m->type < MSG_NR_TYPES &&
	       memchr(m->name, 0, sizeof(m->name)) &&
	       memchr(m->why, 0, sizeof(m->why)) &&
	       m->def_len <= sizeof(m->def);
}

static bool state_sane(const struct ha_state *s)
{
	uint32_t i;

	if (s->nr_vms > HVXD_MAX_VMS)
		return false;
	for (i = 0; i < s->nr_vms; i++) {
		const struct ha_vm *v = &s->vms[i];

		if (!memchr(v->name, 0, sizeof(v->name)) || !ha_name_ok(v->name) ||
		    v->state >= HA_NR_STATES || v->def_len > sizeof(v->def) ||
		    (v->def_len && v->def[v->def_len - 1]))
			return false;
	}
	return true;
}

static void test_mutations(void)
{
	static const uint32_t nasty[] = {
		0, 1, 2, 3, 4, 31, 32, 33, 63, 64, 65, 159, 160, 161, 2047,
		2048, 2049, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc,
		0xffffffff,
	};
	static unsigned char bases[MSG_NR_TYPES + 2][WIRE_MAX];
	static unsigned char buf[WIRE_MAX + 64];
	static struct ha_state s;
	size_t base_len[MSG_NR_TYPES + 2], len;
	unsigned int nbases = 0, i, j, accepted = 0, insane = 0;
	struct ha_msg m;
	struct tcase tc;
	uint32_t type;

	for (type = MSG_LOAD; type < MSG_NR_TYPES; type++) {
		full_msg(&m, type, false);
		base_len[nbases] = wire_msg_encode(&m, bases[nbases], WIRE_MAX);
		nbases++;
	}
	small_state(&s);
	base_len[nbases] = wire_sync_encode(&s, sample_mb, 3, bases[nbases],
					    WIRE_MAX);
	nbases++;
	base_len[nbases] = wire_state_encode(&s, bases[nbases], WIRE_MAX);
	nbases++;

	case_begin(&tc);
	rng_seed(0x68767864);	/* "hvxd" */
	for (i = 0; i < 6000; i++) {
		unsigned int b = rng_below(nbases), nmut = 1 + rng_below(4);

		len = base_len[b];
		memcpy(buf, bases[b], len);
		for (j = 0; j < nmut; j++) {
			size_t at = rng_below((uint32_t)len + 1);
			uint32_t v;

			switch (rng_below(6)) {
			case 0:		/* flip a bit */
				if (len)
					buf[rng_below((uint32_t)len)] ^= 1u << rng_below(8);
				break;
			case 1:		/* a random byte */
				if (len)
					buf[rng_below((uint32_t)len)] = (unsigned char)rng();
				break;
			case 2:		/* a nasty 32-bit value */
				v = rng_below(4) ? nasty[rng_below(ARRAY_SIZE(nasty))] : rng();
				if (at + 4 <= len) {
					buf[at] = (unsigned char)v;
					buf[at + 1] = (unsigned char)(v >> 8);
					buf[at + 2] = (unsigned char)(v >> 16);
					buf[at + 3] = (unsigned char)(v >> 24);
				}
				break;
			case 3:		/* cut */
				len = at;
				break;
			case 4:		/* bytes appended */
				v = 1 + rng_below(16);
				while (v-- && len < sizeof(buf))
					buf[len++] = (unsigned char)rng();
				break;
			default:	/* a NUL somewhere */
				if (len)
					buf[rng_below((uint32_t)len)] = 0;
				break;
			}
		}
		if (dec_msg(buf, len) == 0) {
			accepted++;
			if (!msg_sane(&dec_m) && insane++ < 5)
				check(&tc, false, "iteration %u: a bad message decoded", i);
		}
		if (dec_sync(buf, len) == 0) {
			accepted++;
			if ((dec_nr > HVXD_MAX_NODES || !state_sane(&dec_s)) &&
			    insane++ < 5)
				check(&tc, false, "iteration %u: a bad SYNC decoded", i);
		}
		if (dec_state(buf, len) == 0) {
			accepted++;
			if (!state_sane(&dec_s) && insane++ < 5)
				check(&tc, false, "iteration %u: a bad state decoded", i);
		}
		(void)type_of(buf, len);
	}
	/* And buffers of nothing but noise, some with a valid header. */
	for (i = 0; i < 2000; i++) {
		len = rng_below(256);
		for (j = 0; j < len; j++)
			buf[j] = (unsigned char)rng();
		if (len >= 12 && (i & 1)) {
			memcpy(buf, bases[i % nbases], 12);
		}
		if (dec_msg(buf, len) == 0 && !msg_sane(&dec_m))
			insane++;
		if (dec_sync(buf, len) == 0 && !state_sane(&dec_s))
			insane++;
		if (dec_state(buf, len) == 0 && !state_sane(&dec_s))
			insane++;
	}
	check(&tc, !insane, "%u decodes gave a bad struct", insane);
	case_end(&tc, "wire: 8000 random mutations and noise: refused, or decoded into bounded, terminated strings (%u accepted)",
		 accepted);
}

/* ---- 3. ha_apply ---- */

static struct ha_state st;
static struct hvxd dd;

static void reset(void)
{
	memset(&st, 0, sizeof(st));
	memset(&dd, 0, sizeof(dd));
	dd.state = &st;
}

static const char add_def[] = "--kernel\0K\0--memory\0008\0--cpus\0002\0";

static int apply_def(uint32_t type, const char *name, uint32_t node,
		     uint32_t gen, uint32_t state, uint32_t restarts,
		     const char *def, uint32_t def_len, uint32_t from)
{
	struct ha_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.node = node;
	m.gen = gen;
	m.state = state;
	m.restarts = restarts;
	m.def_len = def_len;
	memcpy(m.def, def, def_len);
	return ha_apply(&dd, &m, from);
}

static int add(const char *name)
{
	return apply_def(MSG_ADD, name, 0, 0, 0, 0, add_def,
			 sizeof(add_def) - 1, 1);
}

static int place(const char *name, uint32_t gen, uint32_t node)
{
	return apply_def(MSG_PLACE, name, node, gen, 0, 0, "", 0, 1);
}

static int report(const char *name, uint32_t gen, uint32_t state,
		  uint32_t restarts, uint32_t from)
{
	return apply_def(MSG_STATE, name, 0, gen, state, restarts, "", 0, from);
}

static int relocate(const char *name, uint32_t node)
{
	return apply_def(MSG_RELOCATE, name, node, 0, 0, 0, "", 0, 1);
}

static int removevm(const char *name)
{
	return apply_def(MSG_REMOVE, name, 0, 0, 0, 0, "", 0, 1);
}

/* Count the applied changes as the test makes them. */
static uint64_t applied;

static int counted(int r)
{
	if (!r)
		applied++;
	return r;
}

static void test_apply_add(void)
{
	struct ha_vm *v;
	struct tcase tc;
	char name[40];
	uint32_t i;
	int r;

	reset();
	applied = 0;
	case_begin(&tc);
	check(&tc, counted(add("web")) == 0, "add");
	v = ha_vm_find(&st, "web");
	check(&tc, st.nr_vms == 1 && v, "nr_vms %u", st.nr_vms);
	if (v) {
		check(&tc, v->state == HA_STOPPED && !v->node && !v->gen &&
			   !v->target && !v->restarts, "new VM: state %u node %u gen %u",
		      v->state, v->node, v->gen);
		check(&tc, v->mem_mib == 8 && v->cpus == 2, "mem %u cpus %u",
		      v->mem_mib, v->cpus);
		check(&tc, v->def_len == sizeof(add_def) - 1 &&
			   !memcmp(v->def, add_def, v->def_len), "def kept");
	}
	r = counted(add("web"));
	check(&tc, r == -EEXIST, "duplicate ADD: %d", r);
	r = counted(add("a b"));
	check(&tc, r == -EINVAL, "name 'a b': %d", r);
	r = counted(add(".."));
	check(&tc, r == -EINVAL, "name '..': %d", r);
	r = counted(add(""));
	check(&tc, r == -EINVAL, "empty name: %d", r);
	memset(name, 'x', sizeof(name));
	name[HVXD_NAME_MAX + 1] = '\0';
	r = counted(add(name));
	check(&tc, r == -EINVAL, "name of %u: %d", HVXD_NAME_MAX + 1, r);
	name[HVXD_NAME_MAX] = '\0';
	r = counted(add(name));
	check(&tc, r == 0, "name of %u: %d", HVXD_NAME_MAX, r);
	r = counted(apply_def(MSG_ADD, "nodef", 0, 0, 0, 0, "", 0, 1));
	check(&tc, r == -EINVAL, "empty def: %d", r);
	r = counted(apply_def(MSG_ADD, "named", 0, 0, 0, 0,
			      "--kernel\0K\0--name\0x\0", 20, 1));
	check(&tc, r == -EINVAL, "def with --name: %d", r);
	r = counted(apply_def(MSG_ADD, "unterm", 0, 0, 0, 0, "--raw\0r", 7, 1));
	check(&tc, r == -EINVAL, "def not NUL-terminated: %d", r);
	r = counted(apply_def(MSG_ADD, "nokernel", 0, 0, 0, 0, "--cpus\0002\0", 9, 1));
	check(&tc, r == -EINVAL, "def without --kernel or --raw: %d", r);
	check(&tc, st.nr_vms == 2, "nr_vms %u", st.nr_vms);
	for (i = st.nr_vms; i < HVXD_MAX_VMS; i++) {
		snprintf(name, sizeof(name), "vm%u", i);
		check(&tc, counted(add(name)) == 0, "add %s", name);
	}
	check(&tc, st.nr_vms == HVXD_MAX_VMS, "nr_vms %u", st.nr_vms);
	r = counted(add("one-too-many"));
	check(&tc, r == -ENOSPC, "VM %u: %d", HVXD_MAX_VMS + 1, r);
	r = counted(add("web"));
	check(&tc, r == -EEXIST, "duplicate in a full state: %d", r);
	check(&tc, st.version == applied && applied == HVXD_MAX_VMS,
	      "version %llu, %llu applied", (unsigned long long)st.version,
	      (unsigned long long)applied);
	case_end(&tc, "state: ADD, duplicate (-EEXIST), bad name and def (-EINVAL), VM %u (-ENOSPC)",
		 HVXD_MAX_VMS + 1);
}

static void test_apply_place(void)
{
	struct ha_vm *v;
	struct tcase tc;
	int r;

	reset();
	applied = 0;
	case_begin(&tc);
	counted(add("a"));
	v = ha_vm_find(&st, "a");
	r = counted(place("a", 0, 2));
	check(&tc, r == 0, "PLACE gen 0: %d", r);
	check(&tc, v->gen == 1 && v->state == HA_STARTING && v->node == 2,
	      "gen %u state %u node %u", v->gen, v->state, v->node);
	/* The second decision about the same start: the generation moved on. */
	r = counted(place("a", 0, 3));
	check(&tc, r == -ESTALE, "second PLACE with gen 0: %d", r);
	check(&tc, v->gen == 1 && v->node == 2 && v->state == HA_STARTING,
	      "second PLACE changed it: gen %u node %u", v->gen, v->node);
	r = counted(place("a", 5, 3));
	check(&tc, r == -ESTALE, "PLACE with a future gen: %d", r);
	r = counted(place("a", 1, 0));
	check(&tc, r == -ESTALE, "PLACE on node 0: %d", r);
	r = counted(place("nope", 0, 2));
	check(&tc, r == -ENOENT, "PLACE of an unknown VM: %d", r);
	/* A failover: the current gen, placed elsewhere. */
	r = counted(place("a", 1, 3));
	check(&tc, r == 0 && v->gen == 2 && v->node == 3 &&
		   v->state == HA_STARTING, "failover PLACE: %d gen %u node %u",
	      r, v->gen, v->node);
	check(&tc, st.version == applied && applied == 3, "version %llu",
	      (unsigned long long)st.version);
	case_end(&tc, "state: PLACE applies to its gen only (gen + 1, starting, node); a second PLACE of the same start is -ESTALE");
}

static void test_apply_state(void)
{
	struct ha_vm *v;
	struct tcase tc;
	int r;

	reset();
	applied = 0;
	case_begin(&tc);
	counted(add("a"));
	v = ha_vm_find(&st, "a");
	counted(place("a", 0, 2));		/* gen 1 on node 2 */
	r = counted(report("a", 1, HA_RUNNING, 0, 3));
	check(&tc, r == -ESTALE, "RUNNING from node 3, not the owner: %d", r);
	r = counted(report("a", 0, HA_RUNNING, 0, 2));
	check(&tc, r == -ESTALE, "RUNNING for gen 0: %d", r);
	r = counted(report("a", 2, HA_RUNNING, 0, 2));
	check(&tc, r == -ESTALE, "RUNNING for gen 2: %d", r);
	check(&tc, v->state == HA_STARTING, "state %u", v->state);
	r = counted(report("a", 1, HA_RUNNING, 0, 2));
	check(&tc, r == 0 && v->state == HA_RUNNING && v->node == 2,
	      "RUNNING from the owner: %d state %u", r, v->state);
	r = counted(report("a", 1, HA_RUNNING, 0, 2));
	check(&tc, r == -ESTALE, "RUNNING from RUNNING: %d", r);
	r = counted(report("a", 1, HA_STARTING, 0, 2));
	check(&tc, r == -EINVAL, "STARTING reported: %d", r);
	r = counted(report("a", 1, 99, 0, 2));
	check(&tc, r == -EINVAL, "state 99 reported: %d", r);
	r = counted(report("nope", 1, HA_RUNNING, 0, 2));
	check(&tc, r == -ENOENT, "unknown VM: %d", r);
	r = counted(report("a", 1, HA_CRASHED, 4, 2));
	check(&tc, r == 0 && v->state == HA_CRASHED && v->restarts == 4 &&
		   v->node == 2, "CRASHED: %d state %u restarts %u node %u",
	      r, v->state, v->restarts, v->node);
	r = counted(report("a", 1, HA_RUNNING, 0, 2));
	check(&tc, r == -ESTALE, "RUNNING from CRASHED: %d", r);
	r = counted(report("a", 1, HA_STOPPED, 0, 2));
	check(&tc, r == 0 && v->state == HA_STOPPED && v->node == 0,
	      "STOPPED: %d state %u node %u", r, v->state, v->node);
	r = counted(report("a", 1, HA_RUNNING, 0, 2));
	check(&tc, r == -ESTALE, "report from the old owner after STOPPED: %d", r);

	counted(place("a", 1, 3));		/* gen 2 on node 3 */
	r = counted(report("a", 2, HA_POWERED_OFF, 0, 3));
	check(&tc, r == 0 && v->state == HA_POWERED_OFF && v->node == 0,
	      "POWERED_OFF: %d state %u node %u", r, v->state, v->node);

	counted(place("a", 2, 1));		/* gen 3 on node 1 */
	counted(report("a", 3, HA_RUNNING, 0, 1));
	r = counted(report("a", 3, HA_FAILED, 7, 1));
	check(&tc, r == 0 && v->state == HA_FAILED && v->node == 0 &&
		   v->restarts == 7, "FAILED: %d state %u node %u restarts %u",
	      r, v->state, v->node, v->restarts);
	check(&tc, v->gen == 3, "gen %u", v->gen);
	check(&tc, st.version == applied, "version %llu, %llu applied",
	      (unsigned long long)st.version, (unsigned long long)applied);
	case_end(&tc, "state: STATE only from the owner of the current gen; RUNNING only from STARTING; STOPPED, POWERED_OFF, FAILED clear the node");
}

static void test_apply_relocate(void)
{
	struct ha_vm *v;
	struct tcase tc;
	int r;

	reset();
	applied = 0;
	case_begin(&tc);
	counted(add("a"));
	v = ha_vm_find(&st, "a");
	counted(place("a", 0, 2));
	counted(report("a", 1, HA_RUNNING, 0, 2));
	r = counted(relocate("a", 2));
	check(&tc, r == -EALREADY, "to its own node: %d", r);
	r = counted(relocate("a", 0));
	check(&tc, r == -EINVAL, "to node 0: %d", r);
	r = counted(relocate("nope", 3));
	check(&tc, r == -ENOENT, "unknown VM: %d", r);
	r = counted(relocate("a", 3));
	check(&tc, r == 0 && v->target == 3 && v->state == HA_RUNNING &&
		   v->node == 2 && v->gen == 1,
	      "running VM: %d target %u state %u node %u", r, v->target,
	      v->state, v->node);
	/* Its owner stops it, then the PLACE on the target clears target. */
	counted(report("a", 1, HA_STOPPED, 0, 2));
	check(&tc, v->target == 3 && v->node == 0, "stopped for the move");
	r = counted(place("a", 1, 3));
	check(&tc, r == 0 && v->node == 3 && v->target == 0,
	      "PLACE on the target: %d node %u target %u", r, v->node, v->target);

	/* A failed VM: stopped, restart count cleared, to be placed. */
	counted(report("a", 2, HA_FAILED, 5, 3));
	r = counted(relocate("a", 1));
	check(&tc, r == 0 && v->state == HA_STOPPED && v->node == 0 &&
		   v->restarts == 0 && v->target == 1,
	      "failed VM: %d state %u node %u restarts %u target %u", r,
	      v->state, v->node, v->restarts, v->target);

	counted(place("a", 2, 1));
	counted(report("a", 3, HA_POWERED_OFF, 0, 1));
	r = counted(relocate("a", 1));
	check(&tc, r == 0 && v->state == HA_STOPPED && v->node == 0 &&
		   v->restarts == 0, "powered-off VM, to the node it ran on: %d state %u node %u",
	      r, v->state, v->node);
	/* Placed elsewhere (the target had no room): the request is spent. */
	r = counted(place("a", 3, 2));
	check(&tc, r == 0 && v->node == 2 && v->target == 0,
	      "PLACE off the target: %d node %u target %u", r, v->node, v->target);
	check(&tc, st.version == applied, "version %llu, %llu applied",
	      (unsigned long long)st.version, (unsigned long long)applied);
	case_end(&tc, "state: RELOCATE of a running VM sets target; of a failed or powered-off VM stops it (node 0, restarts 0); to its own node -EALREADY; any PLACE spends it");
}

static void test_apply_remove(void)
{
	struct tcase tc;
	int r;

	reset();
	applied = 0;
	case_begin(&tc);
	counted(add("a"));
	counted(add("b"));
	counted(add("c"));
	counted(place("b", 0, 2));
	r = counted(removevm("b"));
	check(&tc, r == 0 && st.nr_vms == 2 && !ha_vm_find(&st, "b"),
	      "REMOVE b: %d nr %u", r, st.nr_vms);
	check(&tc, !strcmp(st.vms[0].name, "a") && !strcmp(st.vms[1].name, "c"),
	      "order kept: %s %s", st.vms[0].name, st.vms[1].name);
	r = counted(removevm("b"));
	check(&tc, r == -ENOENT, "REMOVE again: %d", r);
	r = counted(removevm("c"));
	check(&tc, r == 0 && st.nr_vms == 1, "REMOVE the last: %d", r);
	r = counted(add("b"));
	check(&tc, r == 0 && ha_vm_find(&st, "b")->gen == 0 &&
		   ha_vm_find(&st, "b")->node == 0, "b added again, fresh: %d", r);
	r = counted(apply_def(MSG_LOAD, "host-a", 0, 0, 0, 0, "", 0, 1));
	check(&tc, r == -EINVAL, "LOAD to ha_apply: %d", r);
	r = counted(apply_def(0, "a", 0, 0, 0, 0, "", 0, 1));
	check(&tc, r == -EINVAL, "type 0: %d", r);
	r = counted(apply_def(MSG_NR_TYPES, "a", 0, 0, 0, 0, "", 0, 1));
	check(&tc, r == -EINVAL, "type %u: %d", MSG_NR_TYPES, r);
	check(&tc, st.version == applied && applied == 7, "version %llu, %llu applied",
	      (unsigned long long)st.version, (unsigned long long)applied);
	case_end(&tc, "state: REMOVE; other types refused; the version counts exactly the applied changes");
}

/* What every sequence of changes keeps: a VM is on a node iff it is placed. */
static bool invariants(const struct ha_state *s)
{
	uint32_t i, j;

	if (s->nr_vms > HVXD_MAX_VMS)
		return false;
	for (i = 0; i < s->nr_vms; i++) {
		const struct ha_vm *v = &s->vms[i];
		bool placed = v->state == HA_STARTING || v->state == HA_RUNNING ||
			      v->state == HA_CRASHED;

		if (v->state >= HA_NR_STATES || placed != (v->node != 0) ||
		    !ha_name_ok(v->name))
			return false;
		for (j = 0; j < i; j++)
			if (!strcmp(s->vms[j].name, v->name))
				return false;
	}
	return true;
}

static void test_determinism(void)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "bad name" };
#define DEF(s)	{ s, sizeof(s) - 1 }
	static const struct {
		const char *def;
		uint32_t len;
	} defs[] = {
		DEF("--kernel\0K\0"), DEF("--raw\0R\0--memory\00032\0"),
		DEF("--kernel\0K\0--cpus\0004\0--memory=100"), /* unterminated */
		DEF("--kernel\0K\0--name\0x\0"),
	};
#undef DEF
	static struct ha_state a, b;
	static unsigned char buf[WIRE_MAX];
	struct hvxd da = { .state = &a }, db = { .state = &b };
	unsigned int i, results[256] = { 0 }, diverged = 0, broken = 0;
	uint64_t napplied = 0;
	struct tcase tc;
	struct ha_msg m;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	case_begin(&tc);
	rng_seed(0x5eed);
	for (i = 0; i < 1000; i++) {
		static const uint32_t types[] = {
			MSG_ADD, MSG_ADD, MSG_REMOVE, MSG_PLACE, MSG_PLACE,
			MSG_PLACE, MSG_STATE, MSG_STATE, MSG_STATE, MSG_STATE,
			MSG_RELOCATE, MSG_RELOCATE, MSG_LOAD,
		};
		uint32_t from = 1 + rng_below(3), k;
		struct ha_vm *v;
		int ra, rb;
		size_t len;

		memset(&m, 0, sizeof(m));
		m.type = types[rng_below(ARRAY_SIZE(types))];
		strcpy(m.name, names[rng_below(ARRAY_SIZE(names))]);
		v = ha_vm_find(&a, m.name);
		/* Mostly the current gen, so that many changes apply. */
		m.gen = v && rng_below(4) ? v->gen : rng_below(6);
		m.node = rng_below(4);
		m.state = rng_below(HA_NR_STATES + 1);
		m.restarts = rng_below(8);
		if (v && m.type == MSG_STATE && rng_below(3))
			from = v->node ? v->node : from;
		k = rng_below(ARRAY_SIZE(defs));
		m.def_len = defs[k].len;
		memcpy(m.def, defs[k].def, m.def_len);
		snprintf(m.why, sizeof(m.why), "step %u", i);

		/* a gets the struct; b what came over the wire. */
		ra = ha_apply(&da, &m, from);
		len = wire_msg_encode(&m, buf, sizeof(buf));
		if (!len || wire_msg_decode(buf, len, &m)) {
			broken++;
			continue;
		}
		rb = ha_apply(&db, &m, from);
		if (ra != rb && diverged++ < 5)
			check(&tc, false, "step %u: %d and %d", i, ra, rb);
		if (!ra)
			napplied++;
		results[ra <= 0 && ra > -256 ? -ra : 255]++;
		if (!invariants(&a) && broken++ < 5)
			check(&tc, false, "step %u: invariants broken", i);
	}
	check(&tc, !broken && !diverged, "%u broken, %u diverged", broken, diverged);
	check(&tc, !memcmp(&a, &b, sizeof(a)), "the two states differ");
	check(&tc, a.version == b.version && a.version == napplied,
	      "versions %llu %llu, %llu applied", (unsigned long long)a.version,
	      (unsigned long long)b.version, (unsigned long long)napplied);
	/* The sequence has to exercise the rules, not only fail. */
	check(&tc, napplied >= 100 && results[ESTALE] && results[EEXIST] &&
		   results[EINVAL] && results[ENOENT] && results[EALREADY],
	      "applied %llu, -ESTALE %u -EEXIST %u -EINVAL %u -ENOENT %u -EALREADY %u",
	      (unsigned long long)napplied, results[ESTALE], results[EEXIST],
	      results[EINVAL], results[ENOENT], results[EALREADY]);
	case_end(&tc, "state: 1000 random changes from 3 nodes, one copy over the wire: byte-identical states, version %llu = changes applied",
		 (unsigned long long)napplied);
}

/* ---- 4. ha_def_parse ---- */

/* ha_def_parse, for what these cases look at: the result, memory, vCPUs. */
static int def_check(const char *def, uint32_t len, uint32_t *mem,
		     uint32_t *cpus, char *err, size_t errlen)
{
	static struct ha_def d;
	int r = ha_def_parse(def, len, &d, err, errlen);

	*mem = d.mem_mib;
	*cpus = d.cpus;
	return r;
}

/* A definition from a NULL-terminated argument list; its length. */
static uint32_t mkdef(char *buf, size_t size, const char *const *args)
{
	size_t n = 0, l;

	for (; *args; args++) {
		l = strlen(*args) + 1;
		if (n + l > size)
			abort();
		memcpy(buf + n, *args, l);
		n += l;
	}
	return (uint32_t)n;
}

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })

struct def_case {
	const char *const *args;
	int ret;
	uint32_t mem, cpus;
};

static void run_def_cases(const struct def_case *t, size_t n, const char *what)
{
	struct tcase tc;
	size_t i;

	case_begin(&tc);
	for (i = 0; i < n; i++) {
		char def[512], err[160] = "", shown[512];
		uint32_t len = mkdef(def, sizeof(def), t[i].args), mem = 77, cpus = 77, j;
		int r = def_check(def, len, &mem, &cpus, err, sizeof(err));

		for (j = 0; j < len; j++)
			shown[j] = def[j] ? def[j] : ' ';
		shown[len ? len - 1 : 0] = '\0';
		check(&tc, r == t[i].ret, "'%s': returned %d (%s)", shown, r, err);
		if (!r && !t[i].ret)
			check(&tc, mem == t[i].mem && cpus == t[i].cpus,
			      "'%s': mem %u cpus %u", shown, mem, cpus);
		if (r)
			check(&tc, err[0], "'%s': no error text", shown);
	}
	case_end(&tc, "%s", what);
}

static void test_def_check(void)
{
	const struct def_case ok[] = {
		{ ARGS("--kernel", "K", "--memory", "8", "--cpus", "2"), 0, 8, 2 },
		{ ARGS("--kernel", "K", "--memory=64"), 0, 64, 1 },
		{ ARGS("--kernel", "K", "--cpus=3", "--memory=3072"), 0, 3072, 3 },
		{ ARGS("--kernel", "K"), 0, 256, 1 },
		{ ARGS("--kernel=/boot/vmlinuz"), 0, 256, 1 },
		{ ARGS("-k", "K"), 0, 256, 1 },
		{ ARGS("--raw", "R"), 0, 16, 1 },
		{ ARGS("-r", "R", "-m", "1", "-c", "64"), 0, 1, 64 },
		{ ARGS("--raw", "R", "--cpus", "4"), 0, 16, 4 },
		{ ARGS("--kernel", "K", "--append", "console=ttyS0 quiet",
		       "--disk", "d.img,cache=none"), 0, 256, 1 },
	};
	const struct def_case bad[] = {
		{ ARGS("--kernel", "K", "--name", "x"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--name=x"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "-n", "x"), -EINVAL, 0, 0 },
		{ ARGS("--no-console", "--kernel", "K"), -EINVAL, 0, 0 },
		{ ARGS("--memory", "8"), -EINVAL, 0, 0 },
		{ ARGS("--cpus", "2", "--append", "x"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--raw", "R"), -EINVAL, 0, 0 },
		{ ARGS("-k", "K", "-r", "R"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "0"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "4000"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "3073"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "abc"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "8M"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", ""), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory="), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory=4000"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "99999999999999999999"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--cpus", "65"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--cpus", "0"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "-c", "x"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--cpus"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "-m"), -EINVAL, 0, 0 },
	};
	char err[64];
	uint32_t mem, cpus;
	struct tcase tc;

	run_def_cases(ok, ARRAY_SIZE(ok),
		      "state: ha_def_parse takes --memory/--cpus in both forms; defaults kernel 256 MiB, raw 16 MiB, 1 vCPU");
	run_def_cases(bad, ARRAY_SIZE(bad),
		      "state: ha_def_parse refuses --name/-n/--no-console, no or both of --kernel/--raw, bad or missing --memory/--cpus values");

	case_begin(&tc);
	check(&tc, def_check("", 0, &mem, &cpus, err, sizeof(err)) == -EINVAL,
	      "empty");
	check(&tc, def_check("--raw\0R", 7, &mem, &cpus, err,
				sizeof(err)) == -EINVAL, "not NUL-terminated");
	check(&tc, def_check("--raw\0R\0\0", 9, &mem, &cpus, err,
			     sizeof(err)) == -EINVAL, "an empty argument: a stray word");
	case_end(&tc, "state: ha_def_parse refuses an empty or unterminated definition");
}

/*
 * vmctl run parses a definition with getopt_long, which also takes a short
 * option's value attached (-nfoo, -m4000), long options abbreviated
 * (--nam foo, --no-con, --time 5) and short flags bundled (-snfoo); an
 * abbreviation of several options (--mem: --memory, --memory-backend or
 * --memory-max; --cpu) is refused by both alike.
 * ha_def_parse uses the same table and parser, so none of these forms
 * slips a --name past it (the VM would run under another name, which hvxd
 * then could not find, stop or adopt) or a size past its limit. (A first
 * ha_def_parse that matched exact words only let all of them through.)
 */
static void test_def_check_getopt_forms(void)
{
	const struct def_case name_forms[] = {
		{ ARGS("--kernel", "K", "-nfoo"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--nam", "foo"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--na=foo"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--no-con"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "-snfoo"), -EINVAL, 0, 0 },
	};
	const struct def_case size_forms[] = {
		{ ARGS("--kernel", "K", "-m4000"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--memory", "4000"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "-m8", "-c2"), 0, 8, 2 },
		{ ARGS("--kernel", "K", "--memory=64", "--cpus=3", "--time", "5"), 0, 64, 3 },
		{ ARGS("--kernel", "K", "--mem=64"), -EINVAL, 0, 0 },
		{ ARGS("--kernel", "K", "--cpu", "3"), -EINVAL, 0, 0 },
	};

	run_def_cases(name_forms, ARRAY_SIZE(name_forms),
		      "state: ha_def_parse refuses --name/--no-console in every form getopt_long takes");
	run_def_cases(size_forms, ARRAY_SIZE(size_forms),
		      "state: ha_def_parse reads --memory/--cpus in every form getopt_long takes");
}

/* ---- 5. the state file ---- */

static char dir[] = "/tmp/hvxd_test.XXXXXX";

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void test_state_file(void)
{
	static const char raw_def[] = "--raw\0R\0--memory\0004\0";
	static struct ha_state saved;
	static unsigned char buf[WIRE_MAX + 16];
	char path[256], tmp[256];
	struct stat sb;
	struct tcase tc;
	size_t len, i;
	int r;

	memset(&sb, 0, sizeof(sb));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s/state.tmp", dir);

	case_begin(&tc);
	reset();
	dd.cfg.state_dir = dir;
	r = ha_state_load(&dd);
	check(&tc, r == 0 && st.nr_vms == 0 && st.version == 0,
	      "no state file: %d", r);
	add("web");
	add("db");
	apply_def(MSG_ADD, "raw-one", 0, 0, 0, 0, raw_def, sizeof(raw_def) - 1, 1);
	place("web", 0, 2);
	report("web", 1, HA_RUNNING, 0, 2);
	relocate("web", 3);
	place("db", 0, 1);
	report("db", 1, HA_CRASHED, 2, 1);
	memcpy(&saved, &st, sizeof(st));
	r = ha_state_save(&dd);
	check(&tc, r == 0, "save: %d (%s)", r, log_last);
	check(&tc, stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	      "state file mode %o", sb.st_mode & 0777);
	check(&tc, stat(tmp, &sb) != 0, "state.tmp left behind");
	memset(&st, 0, sizeof(st));
	r = ha_state_load(&dd);
	check(&tc, r == 0 && state_eq(&saved, &st), "load: %d, %u VMs version %llu",
	      r, st.nr_vms, (unsigned long long)st.version);
	/* Saved again over the old one. */
	removevm("db");
	memcpy(&saved, &st, sizeof(st));
	check(&tc, ha_state_save(&dd) == 0, "save again");
	memset(&st, 0, sizeof(st));
	check(&tc, ha_state_load(&dd) == 0 && state_eq(&saved, &st), "load again");
	case_end(&tc, "state: ha_state_save then ha_state_load gives the state back");

	/* Each corrupt file loads as an empty state, and says so. */
	case_begin(&tc);
	len = wire_state_encode(&saved, buf, sizeof(buf));
	for (i = 0; i < 7; i++) {
		const char *what = "";
		unsigned int logs;

		memcpy(&st, &saved, sizeof(st));
		switch (i) {
		case 0:
			what = "empty file";
			write_file(path, buf, 0);
			break;
		case 1:
			what = "cut by one byte";
			write_file(path, buf, len - 1);
			break;
		case 2:
			what = "one byte more";
			buf[len] = 0;
			write_file(path, buf, len + 1);
			break;
		case 3:
			what = "bad magic";
			buf[0] ^= 0xff;
			write_file(path, buf, len);
			buf[0] ^= 0xff;
			break;
		case 4:
			what = "nr_vms 65";
			buf[16] = HVXD_MAX_VMS + 1;
			write_file(path, buf, len);
			buf[16] = (unsigned char)saved.nr_vms;
			break;
		case 5:
			what = "a SYNC instead";
			write_file(path, buf, wire_sync_encode(&saved, sample_mb, 3,
							       buf, sizeof(buf)));
			len = wire_state_encode(&saved, buf, sizeof(buf));
			break;
		default: {
			static unsigned char noise[WIRE_MAX + 100];
			size_t j;

			what = "noise longer than WIRE_MAX";
			rng_seed(7);
			for (j = 0; j < sizeof(noise); j++)
				noise[j] = (unsigned char)rng();
			write_file(path, noise, sizeof(noise));
			break;
		}
		}
		logs = log_count;
		r = ha_state_load(&dd);
		check(&tc, r == 0, "%s: returned %d", what, r);
		check(&tc, st.nr_vms == 0 && st.version == 0,
		      "%s: %u VMs, version %llu", what, st.nr_vms,
		      (unsigned long long)st.version);
		check(&tc, log_count > logs, "%s: nothing logged", what);
	}
	case_end(&tc, "state: a corrupt state file loads as an empty state, logged");

	case_begin(&tc);
	dd.cfg.state_dir = "/nonexistent/hvxd_test";
	check(&tc, ha_state_save(&dd) == -1, "save into a missing directory");
	check(&tc, strstr(log_last, "/nonexistent/hvxd_test/state") != NULL,
	      "logged '%s'", log_last);
	dd.cfg.state_dir = dir;
	case_end(&tc, "state: ha_state_save reports a failure");
	unlink(path);
	unlink(tmp);
	rmdir(dir);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_msg_round_trip();
	test_sync_round_trip();
	test_state_round_trip();
	test_wire_type();
	test_truncations();
	test_bad_lengths();
	test_bad_strings();
	test_bad_state();
	test_msg_def_unterminated();
	test_headers_and_cross();
	test_stale_def_len();
	test_mutations();
	test_apply_add();
	test_apply_place();
	test_apply_state();
	test_apply_relocate();
	test_apply_remove();
	test_determinism();
	test_def_check();
	test_def_check_getopt_forms();
	test_state_file();
	return tap_finish();
}
