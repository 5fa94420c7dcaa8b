// SPDX-License-Identifier: GPL-2.0
/*
 * hvxd on corosync. Three services, each for what it is made for:
 *
 *   CPG (closed process group "hvxd"): every change to the state is a
 *   message multicast with agreed ordering, so every member applies the
 *   same changes in the same order (state.c). CPG's virtual synchrony also
 *   says that all members of a configuration see the same messages between
 *   two configuration changes; the sync below relies on it.
 *
 *   votequorum: whether this node's partition is quorate. Nothing is
 *   decided without quorum; losing it kills every HA VM here (local.c).
 *
 *   cmap: the nodelist (names), corosync's token and consensus timeouts
 *   (the fence margin) and two_node, which hvxd refuses.
 *
 * The sync. After every configuration change each member multicasts its
 * whole state (MSG_SYNC, tagged with the membership it saw). Once a member
 * has the offers of all members of its configuration, it takes the one
 * with the highest version (ties: the lowest nodeid). Versions only grow
 * where there is quorum, and two quorate configurations share a member,
 * so the highest version is the newest state. Until the sync completes,
 * changes are dropped, by every member alike (they all see the same
 * messages after the same configuration change), and no member acts.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <corosync/cmap.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>

#include "hvxd.h"

#define GROUP_NAME	"hvxd"
#define SEND_QUEUE	64
#define ONCE_RETRY_S	5.0

static struct ha_state sync_offer;	/* the best offer of the current sync */

/* Messages waiting for CPG's flow control to let them go, in order. */
static struct {
	void *buf;
	size_t len;
} queue[SEND_QUEUE];
static unsigned int queue_len;

static struct hvxd *ctx_of(cpg_handle_t h)
{
	void *ctx = NULL;

	cpg_context_get(h, &ctx);
	return ctx;
}

struct ha_node *cluster_node(struct hvxd *d, uint32_t nodeid)
{
	uint32_t i;

	for (i = 0; i < d->nr_nodes; i++)
		if (d->nodes[i].nodeid == nodeid)
			return &d->nodes[i];
	if (!nodeid || d->nr_nodes == HVXD_MAX_NODES)
		return NULL;
	/* Not in the nodelist (an auto-assigned nodeid): known by number. */
	d->nodes[d->nr_nodes].nodeid = nodeid;
	snprintf(d->nodes[d->nr_nodes].name, sizeof(d->nodes[0].name),
		 "node%u", nodeid);
	return &d->nodes[d->nr_nodes++];
}

const char *cluster_node_name(struct hvxd *d, uint32_t nodeid)
{
	struct ha_node *n = nodeid ? cluster_node(d, nodeid) : NULL;

	return n ? n->name : "-";
}

uint32_t cluster_node_by_name(struct hvxd *d, const char *name)
{
	uint32_t i;

	for (i = 0; i < d->nr_nodes; i++)
		if (!strcmp(d->nodes[i].name, name))
			return d->nodes[i].nodeid;
	return 0;
}

bool cluster_is_member(const struct hvxd *d, uint32_t nodeid)
{
	uint32_t i;

	for (i = 0; i < d->nr_members; i++)
		if (d->members[i].nodeid == nodeid)
			return true;
	return false;
}

/* The lowest nodeid of the group decides placement and failover. */
uint32_t cluster_leader(const struct hvxd *d)
{
	uint32_t i, leader = 0;

	for (i = 0; i < d->nr_members; i++)
		if (!leader || d->members[i].nodeid < leader)
			leader = d->members[i].nodeid;
	return leader;
}

/*
 * How long after a node's hvxd left the group its VMs may start elsewhere.
 * That node fences itself within F of losing quorum (it kills its HA VMs,
 * or its watchdog resets it); it learns of the loss at most a token timeout
 * plus a consensus timeout after we learnt that it left.
 */
double cluster_fence_delay(const struct hvxd *d)
{
	return d->cfg.fence_s + d->token_s + d->consensus_s;
}

bool cluster_can_act(const struct hvxd *d)
{
	return d->quorate && d->synced && !d->shutting_down;
}

bool cluster_once(struct ha_once *t, const char *name, uint32_t gen,
		  uint32_t what)
{
	struct ha_once *free_slot = NULL, *oldest = &t[0];
	double now = now_s();
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++) {
		if (!strcmp(t[i].name, name)) {
			if (t[i].gen == gen && t[i].what == what &&
			    now - t[i].at < ONCE_RETRY_S)
				return false;
			free_slot = &t[i];
			break;
		}
		if (!t[i].name[0] && !free_slot)
			free_slot = &t[i];
		if (t[i].at < oldest->at)
			oldest = &t[i];
	}
	if (!free_slot)
		free_slot = oldest;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->gen = gen;
	free_slot->what = what;
	free_slot->at = now;
	return true;
}

/* What was sent about this generation of name lately; -1: nothing. */
int cluster_sent(const struct ha_once *t, const char *name, uint32_t gen)
{
	int i;

	for (i = 0; i < HVXD_MAX_VMS; i++)
		if (!strcmp(t[i].name, name))
			return t[i].gen == gen && now_s() - t[i].at < ONCE_RETRY_S ?
			       (int)t[i].what : -1;
	return -1;
}

void cluster_forget(struct hvxd *d)
{
	memset(d->placed, 0, sizeof(d->placed));
	memset(d->reported, 0, sizeof(d->reported));
}

static void queue_drop(void)
{
	while (queue_len)
		free(queue[--queue_len].buf);
}

void cluster_flush(struct hvxd *d)
{
	unsigned int sent = 0;
	cs_error_t err = CS_OK;

	while (sent < queue_len) {
		struct iovec iov = { queue[sent].buf, queue[sent].len };

		err = cpg_mcast_joined(d->cpg, CPG_TYPE_AGREED, &iov, 1);
		if (err != CS_OK)
			break;
		free(queue[sent++].buf);
	}
	if (err != CS_OK && err != CS_ERR_TRY_AGAIN)
		logmsg("cpg_mcast_joined: error %d", err);
	memmove(queue, queue + sent, (queue_len - sent) * sizeof(queue[0]));
	queue_len -= sent;
}

static int enqueue(struct hvxd *d, const void *buf, size_t len)
{
	if (!len || queue_len == SEND_QUEUE)
		return -ENOBUFS;
	queue[queue_len].buf = malloc(len);
	if (!queue[queue_len].buf)
		return -ENOMEM;
	memcpy(queue[queue_len].buf, buf, len);
	queue[queue_len++].len = len;
	cluster_flush(d);
	return 0;
}

int cluster_send(struct hvxd *d, const struct ha_msg *m)
{
	static unsigned char buf[sizeof(struct ha_msg) + 256];

	return enqueue(d, buf, wire_msg_encode(m, buf, sizeof(buf)));
}

static void send_sync(struct hvxd *d)
{
	static unsigned char buf[WIRE_MAX];

	if (enqueue(d, buf, wire_sync_encode(d->state, d->members,
					     d->nr_members, buf, sizeof(buf))))
		logmsg("cannot send the state to the group");
}

static void send_load(struct hvxd *d)
{
	struct ha_msg m = {
		.type = MSG_LOAD,
		.mem_mib = d->cfg.cap_mem_mib,
		.cpus = d->cfg.cap_cpus,
	};

	cluster_send(d, &m);
}

static int member_index(const struct hvxd *d, uint32_t nodeid, uint32_t pid)
{
	uint32_t i;

	for (i = 0; i < d->nr_members; i++)
		if (d->members[i].nodeid == nodeid && d->members[i].pid == pid)
			return (int)i;
	return -1;
}

/* Did the sender of a SYNC see the configuration that we see? */
static bool same_view(const struct hvxd *d, const struct ha_member *mb,
		      uint32_t nr)
{
	uint32_t i;

	if (nr != d->nr_members)
		return false;
	for (i = 0; i < nr; i++)
		if (member_index(d, mb[i].nodeid, mb[i].pid) < 0)
			return false;
	return true;
}

static void sync_done(struct hvxd *d)
{
	char from[80];

	snprintf(from, sizeof(from), "%s", cluster_node_name(d, d->sync_best));
	if (sync_offer.version != d->state->version ||
	    memcmp(&sync_offer, d->state, sizeof(sync_offer)))
		memcpy(d->state, &sync_offer, sizeof(sync_offer));
	d->synced = true;
	ha_state_save(d);
	audit(d, d->my_nodeid, "sync", "-",
	      "members=%u version=%llu from=%s quorate=%s", d->nr_members,
	      (unsigned long long)d->state->version, from,
	      d->quorate ? "yes" : "no");
	send_load(d);
	local_reconcile(d);
	decide(d);
}

static void on_sync(struct hvxd *d, uint32_t nodeid, uint32_t pid,
		    const void *msg, size_t len)
{
	static struct ha_state offer;
	struct ha_member mb[HVXD_MAX_NODES];
	uint32_t nr, i;
	int idx;

	if (d->synced)
		return;		/* a late offer for a sync that is over */
	if (wire_sync_decode(msg, len, &offer, mb, &nr) || !same_view(d, mb, nr))
		return;
	idx = member_index(d, nodeid, pid);
	if (idx < 0 || d->sync_seen[idx])
		return;
	d->sync_seen[idx] = true;
	if (!d->sync_best || offer.version > sync_offer.version ||
	    (offer.version == sync_offer.version && nodeid < d->sync_best)) {
		memcpy(&sync_offer, &offer, sizeof(offer));
		d->sync_best = nodeid;
	}
	for (i = 0; i < d->nr_members; i++)
		if (!d->sync_seen[i])
			return;
	sync_done(d);
}

static const char *why_text(const struct ha_msg *m)
{
	return m->why[0] ? m->why : "-";
}

static void on_change(struct hvxd *d, uint32_t nodeid, uint32_t pid,
		      const struct ha_msg *m)
{
	static const char *const what[MSG_NR_TYPES] = {
		[MSG_ADD] = "add", [MSG_REMOVE] = "remove",
		[MSG_PLACE] = "place", [MSG_STATE] = "state",
		[MSG_RELOCATE] = "relocate",
	};
	bool mine = nodeid == d->my_nodeid && pid == d->my_pid;
	int ret;

	if (!d->synced) {
		/* Every member drops it alike; a request of ours is retried. */
		if (mine && m->req)
			control_applied(d, m->req, -EAGAIN, NULL);
		return;
	}
	ret = ha_apply(d, m, nodeid);
	if (mine && m->req)
		control_applied(d, m->req, ret, m->name);
	if (ret)
		return;
	if (m->type == MSG_PLACE)
		audit(d, nodeid, "place", m->name, "gen=%u on=%s why=\"%s\"",
		      m->gen + 1, cluster_node_name(d, m->node), why_text(m));
	else if (m->type == MSG_STATE)
		audit(d, nodeid, "state", m->name,
		      "gen=%u state=%s restarts=%u why=\"%s\"", m->gen,
		      ha_state_name(m->state), m->restarts, why_text(m));
	else if (m->type == MSG_RELOCATE)
		audit(d, nodeid, "relocate", m->name, "to=%s why=\"%s\"",
		      cluster_node_name(d, m->node), why_text(m));
	else
		audit(d, nodeid, what[m->type], m->name, "why=\"%s\"",
		      why_text(m));
	ha_state_save(d);
	local_reconcile(d);
	decide(d);
}

static void deliver(cpg_handle_t h, const struct cpg_name *group,
		    uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	struct hvxd *d = ctx_of(h);
	static struct ha_msg m;
	struct ha_node *n;
	uint32_t type = wire_type(msg, len);

	if (type == MSG_SYNC) {
		on_sync(d, nodeid, pid, msg, len);
		return;
	}
	if (wire_msg_decode(msg, len, &m)) {
		logmsg("dropped a malformed message from node %u", nodeid);
		return;
	}
	if (m.type == MSG_LOAD) {
		n = cluster_node(d, nodeid);
		if (n) {
			n->cap_mem_mib = m.mem_mib;
			n->cap_cpus = m.cpus;
		}
		return;
	}
	on_change(d, nodeid, pid, &m);
}

static const char *reason_text(uint32_t reason)
{
	switch (reason) {
	case CPG_REASON_JOIN: return "joined";
	case CPG_REASON_LEAVE: return "left";
	case CPG_REASON_NODEDOWN: return "node down";
	case CPG_REASON_NODEUP: return "node up";
	case CPG_REASON_PROCDOWN: return "hvxd down";
	default: return "?";
	}
}

static void confchg(cpg_handle_t h, const struct cpg_name *group,
		    const struct cpg_address *members, size_t nr_members,
		    const struct cpg_address *left, size_t nr_left,
		    const struct cpg_address *joined, size_t nr_joined)
{
	struct hvxd *d = ctx_of(h);
	struct ha_node *n;
	size_t i;

	d->nr_members = 0;
	for (i = 0; i < nr_members && i < HVXD_MAX_NODES; i++) {
		d->members[d->nr_members].nodeid = members[i].nodeid;
		d->members[d->nr_members++].pid = members[i].pid;
	}
	for (i = 0; i < d->nr_nodes; i++)
		d->nodes[i].member = cluster_is_member(d, d->nodes[i].nodeid);
	for (i = 0; i < nr_members; i++) {
		n = cluster_node(d, members[i].nodeid);
		if (n)
			n->member = true;
		/* One hvxd per node: the one that joined last goes. */
		if (members[i].nodeid == d->my_nodeid &&
		    members[i].pid != d->my_pid) {
			size_t j;

			for (j = 0; j < nr_joined; j++)
				if (joined[j].nodeid == d->my_nodeid &&
				    joined[j].pid == d->my_pid) {
					logmsg("another hvxd (pid %u) runs on this node",
					       members[i].pid);
					exit(1);
				}
		}
	}
	for (i = 0; i < nr_left; i++) {
		n = cluster_node(d, left[i].nodeid);
		if (!n || n->member)
			continue;
		n->left_at = now_s();
		audit(d, d->my_nodeid, "node-left", "-", "node=%s reason=\"%s\"",
		      n->name, reason_text(left[i].reason));
	}
	for (i = 0; i < nr_joined; i++)
		audit(d, d->my_nodeid, "node-joined", "-", "node=%s",
		      cluster_node_name(d, joined[i].nodeid));

	/* A new configuration: sync again before anything is decided. */
	d->synced = false;
	memset(d->sync_seen, 0, sizeof(d->sync_seen));
	d->sync_best = 0;
	queue_drop();
	cluster_forget(d);
	control_fail_pending(d, "the cluster's membership changed");
	if (member_index(d, d->my_nodeid, d->my_pid) >= 0)
		send_sync(d);
}

static void quorum_notify(votequorum_handle_t h, uint64_t context,
			  uint32_t quorate, uint32_t nr, votequorum_node_t *nodes)
{
	struct hvxd *d = (struct hvxd *)(uintptr_t)context;
	struct votequorum_info info;
	bool was = d->quorate;
	struct ha_node *n;
	uint32_t i;

	for (i = 0; i < d->nr_nodes; i++)
		d->nodes[i].voting = false;
	for (i = 0; i < nr; i++) {
		n = cluster_node(d, nodes[i].nodeid);
		if (n)
			n->voting = nodes[i].state == VOTEQUORUM_NODESTATE_MEMBER;
	}
	if (votequorum_getinfo(d->vq, d->my_nodeid, &info) == CS_OK) {
		d->total_votes = info.total_votes;
		d->expected_votes = info.node_expected_votes;
		d->quorum_votes = info.quorum;
	}
	d->quorate = quorate;
	if (was == d->quorate)
		return;
	audit(d, d->my_nodeid, quorate ? "quorum-gained" : "quorum-lost", "-",
	      "votes=%u expected=%u", d->total_votes, d->expected_votes);
	if (!quorate) {
		local_fence(d, "this node lost quorum");
		return;
	}
	if (d->synced) {
		local_reconcile(d);
		decide(d);
	}
}

int cluster_dispatch_cpg(struct hvxd *d)
{
	cs_error_t err = cpg_dispatch(d->cpg, CS_DISPATCH_ALL);

	return err == CS_OK || err == CS_ERR_TRY_AGAIN ? 0 : -1;
}

int cluster_dispatch_vq(struct hvxd *d)
{
	cs_error_t err = votequorum_dispatch(d->vq, CS_DISPATCH_ALL);

	return err == CS_OK || err == CS_ERR_TRY_AGAIN ? 0 : -1;
}

/*
 * Whether to call corosync again: it says "try again" while it starts.
 *	do err = call(); while (retry(err, &tries));
 */
static bool retry(cs_error_t err, int *tries)
{
	if (err != CS_ERR_TRY_AGAIN || ++*tries > 50)
		return false;
	usleep(100000);
	return true;
}

static void read_cmap(struct hvxd *d)
{
	cmap_iter_handle_t it;
	char key[CMAP_KEYNAME_MAXLEN + 1], nk[CMAP_KEYNAME_MAXLEN + 1];
	size_t len;
	cmap_value_types_t type;
	uint32_t v, idx, nodeid;
	char *name;

	if (cmap_get_uint32(d->cmap, "runtime.config.totem.token", &v) == CS_OK)
		d->token_s = v / 1000.0;
	if (cmap_get_uint32(d->cmap, "runtime.config.totem.consensus", &v) == CS_OK)
		d->consensus_s = v / 1000.0;
	if (cmap_iter_init(d->cmap, "nodelist.node.", &it) != CS_OK)
		return;
	while (cmap_iter_next(d->cmap, it, key, &len, &type) == CS_OK) {
		if (sscanf(key, "nodelist.node.%u.nodeid", &idx) != 1 ||
		    cmap_get_uint32(d->cmap, key, &nodeid) != CS_OK)
			continue;
		struct ha_node *n = cluster_node(d, nodeid);

		if (!n)
			continue;
		snprintf(nk, sizeof(nk), "nodelist.node.%u.name", idx);
		if (cmap_get_string(d->cmap, nk, &name) != CS_OK) {
			snprintf(nk, sizeof(nk), "nodelist.node.%u.ring0_addr", idx);
			if (cmap_get_string(d->cmap, nk, &name) != CS_OK)
				continue;
		}
		snprintf(n->name, sizeof(n->name), "%s", name);
		free(name);
	}
	cmap_iter_finalize(d->cmap, it);
}

int cluster_init(struct hvxd *d)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = deliver,
		.cpg_confchg_fn = confchg,
	};
	votequorum_callbacks_t vqcb = { .votequorum_quorum_notify_fn = quorum_notify };
	struct cpg_name group = { .length = sizeof(GROUP_NAME) - 1 };
	struct votequorum_info info;
	uint8_t two_node = 0;
	cs_error_t err;
	int tries = 0;

	memcpy(group.value, GROUP_NAME, group.length);
	d->token_s = 1.0;	/* corosync's defaults, if cmap says nothing */
	d->consensus_s = 1.2;
	do
		err = cmap_initialize(&d->cmap);
	while (retry(err, &tries));
	if (err != CS_OK) {
		logmsg("cannot reach corosync (cmap: error %d): is it running?", err);
		return -1;
	}
	if (cmap_get_uint8(d->cmap, "quorum.two_node", &two_node) == CS_OK &&
	    two_node) {
		logmsg("corosync.conf sets quorum.two_node: hvxd needs three votes (three nodes, or two and a qdevice); with two_node both halves of a split stay quorate");
		return -1;
	}
	tries = 0;
	do
		err = cpg_model_initialize(&d->cpg, CPG_MODEL_V1,
					   (cpg_model_data_t *)&model, d);
	while (retry(err, &tries));
	if (err == CS_OK)
		err = cpg_local_get(d->cpg, &d->my_nodeid);
	if (err == CS_OK)
		err = cpg_fd_get(d->cpg, &d->cpg_fd);
	if (err != CS_OK) {
		logmsg("cannot reach corosync (cpg: error %d)", err);
		return -1;
	}
	d->my_pid = (uint32_t)getpid();
	read_cmap(d);
	cluster_node(d, d->my_nodeid);

	tries = 0;
	do
		err = votequorum_initialize(&d->vq, &vqcb);
	while (retry(err, &tries));
	if (err == CS_OK)
		err = votequorum_fd_get(d->vq, &d->vq_fd);
	if (err == CS_OK)
		err = votequorum_trackstart(d->vq, (uintptr_t)d, CS_TRACK_CHANGES);
	if (err == CS_OK && votequorum_getinfo(d->vq, d->my_nodeid, &info) == CS_OK)
		d->quorate = info.flags & VOTEQUORUM_INFO_QUORATE;
	if (err != CS_OK) {
		logmsg("cannot reach corosync (votequorum: error %d)", err);
		return -1;
	}
	tries = 0;
	do
		err = cpg_join(d->cpg, &group);
	while (retry(err, &tries));
	if (err != CS_OK) {
		logmsg("cannot join the CPG group %s: error %d", GROUP_NAME, err);
		return -1;
	}
	logmsg("node %s (id %u), token %.2f s, consensus %.2f s, fence delay %.2f s, %s",
	       cluster_node_name(d, d->my_nodeid), d->my_nodeid, d->token_s,
	       d->consensus_s, cluster_fence_delay(d),
	       d->quorate ? "quorate" : "not quorate");
	return 0;
}

void cluster_fini(struct hvxd *d)
{
	struct cpg_name group = { .length = sizeof(GROUP_NAME) - 1 };

	memcpy(group.value, GROUP_NAME, group.length);
	cluster_flush(d);
	cpg_leave(d->cpg, &group);
	cpg_finalize(d->cpg);
	votequorum_finalize(d->vq);
	cmap_finalize(d->cmap);
	queue_drop();
}
