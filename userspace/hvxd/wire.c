// SPDX-License-Identifier: GPL-2.0
/*
 * The encoding of what hvxd sends over CPG and keeps in its state file:
 * little-endian fixed-width fields and length-prefixed strings, every
 * length checked on decode. The peers are hvxds of the same cluster, but
 * a message is still parsed as if it could be anything: a bad one is
 * dropped, never read past its end.
 */
#include <string.h>

#include "hvxd.h"

#define WIRE_MAGIC	0x44585648u	/* "HVXD" */
#define WIRE_VERSION	1
#define STATE_MAGIC	0x54535848u	/* "HXST" */

struct wbuf {
	unsigned char *p;
	size_t len, pos;
	bool bad;
};

struct rbuf {
	const unsigned char *p;
	size_t len, pos;
	bool bad;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->bad || n > w->len - w->pos) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->pos, src, n);
	w->pos += n;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(w, b, 4);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

static void put_bytes(struct wbuf *w, const void *src, uint32_t n)
{
	put_u32(w, n);
	put(w, src, n);
}

static void put_str(struct wbuf *w, const char *s)
{
	put_bytes(w, s, (uint32_t)strlen(s));
}

static const unsigned char *get(struct rbuf *r, size_t n)
{
	const unsigned char *q;

	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	q = r->p + r->pos;
	r->pos += n;
	return q;
}

static uint32_t get_u32(struct rbuf *r)
{
	const unsigned char *b = get(r, 4);

	return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		   (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0;
}

static uint64_t get_u64(struct rbuf *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

/* A byte string of at most max bytes into dst; *n gets its length. */
static void get_bytes(struct rbuf *r, void *dst, uint32_t max, uint32_t *n)
{
	uint32_t len = get_u32(r);
	const unsigned char *q;

	*n = 0;
	if (len > max) {
		r->bad = true;
		return;
	}
	q = get(r, len);
	if (q)
		memcpy(dst, q, len);
	*n = q ? len : 0;
}

/* A string of at most size - 1 bytes, with no NUL in it. */
static void get_str(struct rbuf *r, char *dst, size_t size)
{
	uint32_t n = 0;

	get_bytes(r, dst, (uint32_t)size - 1, &n);
	dst[n] = '\0';
	if (strlen(dst) != n)
		r->bad = true;
}

static void put_vm(struct wbuf *w, const struct ha_vm *v)
{
	put_str(w, v->name);
	put_u32(w, v->node);
	put_u32(w, v->gen);
	put_u32(w, v->state);
	put_u32(w, v->restarts);
	put_u32(w, v->target);
	put_u32(w, v->mem_mib);
	put_u32(w, v->cpus);
	put_bytes(w, v->def, v->def_len);
}

static void get_vm(struct rbuf *r, struct ha_vm *v)
{
	get_str(r, v->name, sizeof(v->name));
	v->node = get_u32(r);
	v->gen = get_u32(r);
	v->state = get_u32(r);
	v->restarts = get_u32(r);
	v->target = get_u32(r);
	v->mem_mib = get_u32(r);
	v->cpus = get_u32(r);
	get_bytes(r, v->def, sizeof(v->def), &v->def_len);
	if (v->state >= HA_NR_STATES || !ha_name_ok(v->name) ||
	    (v->def_len && v->def[v->def_len - 1]))
		r->bad = true;
}

static void put_state(struct wbuf *w, const struct ha_state *s)
{
	uint32_t i;

	put_u64(w, s->version);
	put_u32(w, s->nr_vms);
	for (i = 0; i < s->nr_vms; i++)
		put_vm(w, &s->vms[i]);
}

static void get_state(struct rbuf *r, struct ha_state *s)
{
	uint32_t i;

	s->version = get_u64(r);
	s->nr_vms = get_u32(r);
	if (s->nr_vms > HVXD_MAX_VMS) {
		r->bad = true;
		s->nr_vms = 0;
	}
	for (i = 0; i < s->nr_vms && !r->bad; i++)
		get_vm(r, &s->vms[i]);
}

static void put_header(struct wbuf *w, uint32_t type)
{
	put_u32(w, WIRE_MAGIC);
	put_u32(w, WIRE_VERSION);
	put_u32(w, type);
}

/* The type of a message, or 0 if it is not one of ours. */
static uint32_t get_header(struct rbuf *r)
{
	if (get_u32(r) != WIRE_MAGIC || get_u32(r) != WIRE_VERSION)
		return 0;
	return get_u32(r);
}

size_t wire_msg_encode(const struct ha_msg *m, void *buf, size_t len)
{
	struct wbuf w = { buf, len, 0, false };

	put_header(&w, m->type);
	put_u32(&w, m->req);
	put_u32(&w, m->node);
	put_u32(&w, m->gen);
	put_u32(&w, m->state);
	put_u32(&w, m->restarts);
	put_u32(&w, m->mem_mib);
	put_u32(&w, m->cpus);
	put_str(&w, m->name);
	put_str(&w, m->why);
	put_bytes(&w, m->def, m->def_len);
	return w.bad ? 0 : w.pos;
}

int wire_msg_decode(const void *buf, size_t len, struct ha_msg *m)
{
	struct rbuf r = { buf, len, 0, false };

	memset(m, 0, sizeof(*m));
	m->type = get_header(&r);
	if (m->type == MSG_SYNC || !m->type || m->type >= MSG_NR_TYPES)
		return -1;
	m->req = get_u32(&r);
	m->node = get_u32(&r);
	m->gen = get_u32(&r);
	m->state = get_u32(&r);
	m->restarts = get_u32(&r);
	m->mem_mib = get_u32(&r);
	m->cpus = get_u32(&r);
	get_str(&r, m->name, sizeof(m->name));
	get_str(&r, m->why, sizeof(m->why));
	get_bytes(&r, m->def, sizeof(m->def), &m->def_len);
	return r.bad || r.pos != len ? -1 : 0;
}

/* The type of a buffer from a peer, before the full decode; 0: not ours. */
uint32_t wire_type(const void *buf, size_t len)
{
	struct rbuf r = { buf, len, 0, false };
	uint32_t type = get_header(&r);

	return r.bad ? 0 : type;
}

size_t wire_sync_encode(const struct ha_state *s, const struct ha_member *mb,
			uint32_t nr, void *buf, size_t len)
{
	struct wbuf w = { buf, len, 0, false };
	uint32_t i;

	put_header(&w, MSG_SYNC);
	put_u32(&w, nr);
	for (i = 0; i < nr; i++) {
		put_u32(&w, mb[i].nodeid);
		put_u32(&w, mb[i].pid);
	}
	put_state(&w, s);
	return w.bad ? 0 : w.pos;
}

int wire_sync_decode(const void *buf, size_t len, struct ha_state *s,
		     struct ha_member *mb, uint32_t *nr)
{
	struct rbuf r = { buf, len, 0, false };
	uint32_t i;

	if (get_header(&r) != MSG_SYNC)
		return -1;
	*nr = get_u32(&r);
	if (*nr > HVXD_MAX_NODES)
		return -1;
	for (i = 0; i < *nr; i++) {
		mb[i].nodeid = get_u32(&r);
		mb[i].pid = get_u32(&r);
	}
	get_state(&r, s);
	return r.bad || r.pos != len ? -1 : 0;
}

size_t wire_state_encode(const struct ha_state *s, void *buf, size_t len)
{
	struct wbuf w = { buf, len, 0, false };

	put_u32(&w, STATE_MAGIC);
	put_u32(&w, WIRE_VERSION);
	put_state(&w, s);
	return w.bad ? 0 : w.pos;
}

int wire_state_decode(const void *buf, size_t len, struct ha_state *s)
{
	struct rbuf r = { buf, len, 0, false };

	if (get_u32(&r) != STATE_MAGIC || get_u32(&r) != WIRE_VERSION)
		return -1;
	get_state(&r, s);
	return r.bad || r.pos != len ? -1 : 0;
}
