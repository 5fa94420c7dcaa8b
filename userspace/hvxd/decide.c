// SPDX-License-Identifier: GPL-2.0
/*
 * The leader's decisions: where a VM that runs nowhere starts, and when a
 * VM of a node that left may start elsewhere. The leader is the lowest
 * nodeid of the group; it decides only when synced and quorate, and its
 * decisions are MSG_PLACE changes like any other: if two are made about
 * the same generation (a leader that changed, an owner restarting a crash)
 * the total order applies the first and the generation check drops the
 * rest (state.c).
 *
 * Fencing. A VM of a node that left is started elsewhere only once that
 * node must have fenced itself: cluster_fence_delay() after its hvxd was
 * seen leaving (local.c kills HA VMs on quorum loss; the watchdog resets a
 * node whose hvxd cannot).
 */
#include <stdio.h>
#include <string.h>

#include "hvxd.h"

struct load {
	uint32_t mem_mib, cpus, vms;
};

/* What the state places on a node: every VM that it runs or will run. */
static struct load node_load(const struct hvxd *d, uint32_t nodeid)
{
	struct load l = { 0, 0, 0 };
	uint32_t i;

	for (i = 0; i < d->state->nr_vms; i++) {
		const struct ha_vm *v = &d->state->vms[i];

		if (v->node != nodeid)
			continue;
		l.mem_mib += v->mem_mib;
		l.cpus += v->cpus;
		l.vms++;
	}
	return l;
}

static bool fits(const struct hvxd *d, const struct ha_node *n,
		 const struct ha_vm *v, struct load *l)
{
	*l = node_load(d, n->nodeid);
	return n->member && n->voting && n->cap_mem_mib &&
	       l->mem_mib + v->mem_mib <= n->cap_mem_mib &&
	       l->cpus + v->cpus <= n->cap_cpus;
}

/*
 * The member with the most free memory that has room for v (then: fewer
 * VMs, then the lower nodeid); 0 if none has.
 */
static uint32_t pick_node(struct hvxd *d, const struct ha_vm *v)
{
	uint32_t i, best = 0, best_free = 0, best_vms = 0;
	struct load l;

	for (i = 0; i < d->nr_nodes; i++) {
		const struct ha_node *n = &d->nodes[i];
		uint32_t free_mem;

		if (!fits(d, n, v, &l))
			continue;
		free_mem = n->cap_mem_mib - l.mem_mib;
		if (!best || free_mem > best_free ||
		    (free_mem == best_free && l.vms < best_vms) ||
		    (free_mem == best_free && l.vms == best_vms &&
		     n->nodeid < best)) {
			best = n->nodeid;
			best_free = free_mem;
			best_vms = l.vms;
		}
	}
	return best;
}

static void place(struct hvxd *d, const struct ha_vm *v, uint32_t node,
		  const char *why)
{
	struct ha_msg m = { .type = MSG_PLACE, .node = node, .gen = v->gen };

	if (!cluster_once(d->placed, v->name, v->gen, ONCE_PLACE))
		return;
	snprintf(m.name, sizeof(m.name), "%s", v->name);
	snprintf(m.why, sizeof(m.why), "%s", why);
	cluster_send(d, &m);
}

/* A VM that runs nowhere: on its relocation target if it fits, or anywhere. */
static void place_stopped(struct hvxd *d, const struct ha_vm *v)
{
	struct ha_node *t = v->target ? cluster_node(d, v->target) : NULL;
	struct load l;
	char why[HVXD_WHY_MAX];
	uint32_t node;

	if (t && fits(d, t, v, &l)) {
		snprintf(why, sizeof(why), "relocation to %s", t->name);
		place(d, v, t->nodeid, why);
		return;
	}
	node = pick_node(d, v);
	if (!node) {
		if (cluster_once(d->placed, v->name, v->gen, ONCE_NO_ROOM))
			audit(d, d->my_nodeid, "no-room", v->name,
			      "mem=%u cpus=%u why=\"no member has room for it\"",
			      v->mem_mib, v->cpus);
		return;
	}
	snprintf(why, sizeof(why), "%s; most free memory: %s",
		 t ? "relocation target has no room" :
		 v->gen ? "placed again" : "new HA VM",
		 cluster_node_name(d, node));
	place(d, v, node, why);
}

/* A VM whose node left: elsewhere, once that node must have fenced itself. */
static void fail_over(struct hvxd *d, const struct ha_vm *v)
{
	struct ha_node *gone = cluster_node(d, v->node);
	double delay = cluster_fence_delay(d), now = now_s();
	char why[HVXD_WHY_MAX];
	uint32_t node;

	if (!gone)
		return;
	if (!gone->left_at)	/* never seen here as a member */
		gone->left_at = now;
	if (now - gone->left_at < delay)
		return;
	node = pick_node(d, v);
	if (!node)
		return;
	snprintf(why, sizeof(why),
		 "%s left %.1f s ago, fenced by now (fence delay %.1f s)",
		 gone->name, now - gone->left_at, delay);
	place(d, v, node, why);
}

void decide(struct hvxd *d)
{
	uint32_t i;

	if (!cluster_can_act(d) || cluster_leader(d) != d->my_nodeid)
		return;
	for (i = 0; i < d->state->nr_vms; i++) {
		const struct ha_vm *v = &d->state->vms[i];

		if (v->state == HA_STOPPED && !v->node)
			place_stopped(d, v);
		else if (v->node && !cluster_is_member(d, v->node))
			fail_over(d, v);
	}
}
