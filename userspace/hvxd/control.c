// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket that `vmctl ha` talks to: a SOCK_SEQPACKET UNIX
 * socket (root only), one request per connection.
 *
 *   request:  the words of the command, each NUL-terminated
 *             ("add" NAME RUN-OPTION..., "remove" NAME,
 *              "relocate" NAME NODE, "status")
 *   reply:    one message: '0' and the text for standard output, '1' and
 *             an error, or '2' and an error worth retrying (the
 *             membership changed while the request was in flight)
 *
 * A change is answered once the cluster has applied it (its message came
 * back through CPG's total order), not when this node sent it: "added"
 * means every member has it.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvxd.h"

#define MAX_CLIENTS	16
#define REQUEST_MAX	(HVXD_DEF_MAX + 256)
#define REPLY_MAX	16384
#define PENDING_S	15.0

static struct client {
	int fd;
	uint32_t req;		/* waiting for this change; 0: not yet asked */
	char verb[16];
	double deadline;
} clients[MAX_CLIENTS];
static uint32_t next_req = 1;

static void reply(struct client *c, char code, const char *text)
{
	char buf[REPLY_MAX];
	int n = snprintf(buf, sizeof(buf), "%c%s", code, text);

	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
		logmsg("control: %s", strerror(errno));
	close(c->fd);
	c->fd = -1;
	c->req = 0;
}

static void replyf(struct client *c, char code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void replyf(struct client *c, char code, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply(c, code, text);
}

int control_open(struct hvxd *d)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)], *slash;
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	if (strlen(d->cfg.socket_path) >= sizeof(addr.sun_path)) {
		logmsg("socket path too long: %s", d->cfg.socket_path);
		return -1;
	}
	strcpy(addr.sun_path, d->cfg.socket_path);
	strcpy(dir, d->cfg.socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	d->control_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->control_fd < 0)
		return -1;
	unlink(addr.sun_path);
	if (bind(d->control_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    chmod(addr.sun_path, 0600) || listen(d->control_fd, 8)) {
		logmsg("%s: %s", addr.sun_path, strerror(errno));
		close(d->control_fd);
		d->control_fd = -1;
		return -1;
	}
	return 0;
}

void control_close(struct hvxd *d)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			reply(&clients[i], '1', "hvxd is stopping");
	if (d->control_fd >= 0) {
		close(d->control_fd);
		unlink(d->cfg.socket_path);
	}
}

/* The pollfds of the clients that have not sent their request yet. */
int control_pollfds(struct pollfd *p, int max)
{
	int i, n = 0;

	for (i = 0; i < MAX_CLIENTS && n < max; i++)
		if (clients[i].fd >= 0 && !clients[i].req) {
			p[n].fd = clients[i].fd;
			p[n++].events = POLLIN;
		}
	return n;
}

static void status(struct hvxd *d, struct client *c)
{
	static char out[REPLY_MAX];
	size_t n = 0;
	uint32_t i;

#define OUT(...) do {							\
	if (n < sizeof(out))						\
		n += (size_t)snprintf(out + n, sizeof(out) - n, __VA_ARGS__); \
} while (0)
	OUT("quorum: %s, %u of %u votes (quorum %u)\n",
	    d->quorate ? "yes" : "NO", d->total_votes, d->expected_votes,
	    d->quorum_votes);
	OUT("this node: %s (id %u), leader %s, %s, fence delay %.1f s\n",
	    cluster_node_name(d, d->my_nodeid), d->my_nodeid,
	    cluster_node_name(d, cluster_leader(d)),
	    d->synced ? "synced" : "syncing", cluster_fence_delay(d));
	OUT("\n%-16s %4s %-7s %-6s %8s %8s %4s\n", "NODE", "ID", "HVXD",
	    "QUORUM", "MEM-FREE", "CPU-FREE", "VMS");
	for (i = 0; i < d->nr_nodes; i++) {
		const struct ha_node *nd = &d->nodes[i];
		uint32_t mem = 0, cpus = 0, vms = 0, j;

		for (j = 0; j < d->state->nr_vms; j++)
			if (d->state->vms[j].node == nd->nodeid) {
				mem += d->state->vms[j].mem_mib;
				cpus += d->state->vms[j].cpus;
				vms++;
			}
		OUT("%-16s %4u %-7s %-6s %7dM %8d %4u\n", nd->name, nd->nodeid,
		    nd->member ? "member" : "-", nd->voting ? "yes" : "no",
		    (int)nd->cap_mem_mib - (int)mem, (int)nd->cap_cpus - (int)cpus,
		    vms);
	}
	OUT("\n%-16s %-16s %-12s %5s %8s %7s %4s\n", "VM", "NODE", "STATE",
	    "GEN", "RESTARTS", "MEM", "CPUS");
	for (i = 0; i < d->state->nr_vms; i++) {
		const struct ha_vm *v = &d->state->vms[i];
		const char *st = ha_state_name(v->state);

		/*
		 * A VM whose node left shows as recovering until it restarts
		 * elsewhere; one that this node killed on losing quorum, as
		 * fenced.
		 */
		if (v->node && !cluster_is_member(d, v->node))
			st = "recovering";
		else if (v->node == d->my_nodeid && !d->quorate &&
			 !local_find(d, v->name))
			st = "fenced";
		OUT("%-16s %-16s %-12s %5u %8u %6uM %4u\n", v->name,
		    cluster_node_name(d, v->node), st, v->gen, v->restarts,
		    v->mem_mib, v->cpus);
	}
#undef OUT
	reply(c, '0', out);
}

/* Refuse a change this node cannot make now; 0 if it can. */
static int cannot_change(struct hvxd *d, struct client *c)
{
	if (!d->quorate) {
		reply(c, '1', "this node's partition has no quorum: nothing is decided here");
		return -1;
	}
	if (!d->synced) {
		reply(c, '2', "the cluster is syncing after a membership change");
		return -1;
	}
	return 0;
}

static void send_change(struct hvxd *d, struct client *c, struct ha_msg *m)
{
	m->req = next_req++;
	if (!next_req)
		next_req = 1;
	if (cluster_send(d, m)) {
		reply(c, '2', "cannot send to the cluster now");
		return;
	}
	c->req = m->req;
	c->deadline = now_s() + PENDING_S;
}

/*
 * The words a request of @verb has, the verb included: -1 for add (a name
 * and any number of run options), 0 for an unknown verb.
 */
static int verb_words(const char *verb)
{
	static const struct {
		const char *verb;
		int words;
	} verbs[] = {
		{ "status", 1 }, { "add", -1 }, { "remove", 2 }, { "relocate", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verb, verbs[i].verb))
			return verbs[i].words;
	return 0;
}

static void request(struct hvxd *d, struct client *c, char *buf, size_t len)
{
	static struct ha_msg m;
	char *words[4] = { NULL }, err[160];
	size_t i, nw = 0, off = 0;
	int want;
	static struct ha_def def;
	struct ha_vm *v;

	for (i = 0; i < len && nw < 4; i++)
		if (!buf[i]) {
			words[nw++] = buf + off;
			off = i + 1;
		}
	if (!nw || buf[len - 1]) {
		reply(c, '1', "malformed request: NUL-terminated words");
		return;
	}
	/*
	 * The verb is checked before anything is read past it, and never
	 * echoed: the reply is printed on a terminal by vmctl.
	 */
	want = verb_words(words[0]);
	if (!want) {
		reply(c, '1', "unknown request: status, add, remove or relocate");
		return;
	}
	if (want > 0 && (size_t)want != nw) {
		replyf(c, '1', "%s takes %s", words[0],
		       want == 1 ? "no argument" :
		       want == 2 ? "a VM name" : "a VM name and a node");
		return;
	}
	snprintf(c->verb, sizeof(c->verb), "%s", words[0]);
	if (!strcmp(words[0], "status")) {
		status(d, c);
		return;
	}
	memset(&m, 0, sizeof(m));
	if (nw < 2 || !ha_name_ok(words[1])) {
		replyf(c, '1', "a VM name: letters, digits, '.', '_', '-', at most %d",
		       HVXD_NAME_MAX);
		return;
	}
	snprintf(m.name, sizeof(m.name), "%s", words[1]);
	v = ha_vm_find(d->state, m.name);
	snprintf(m.why, sizeof(m.why), "vmctl ha %s on %s", words[0],
		 cluster_node_name(d, d->my_nodeid));
	if (!strcmp(words[0], "add")) {
		/* The definition: every word after the name. */
		m.def_len = (uint32_t)(len - (size_t)(words[1] - buf) - strlen(words[1]) - 1);
		if (m.def_len > sizeof(m.def)) {
			replyf(c, '1', "the run options are longer than %d bytes",
			       HVXD_DEF_MAX);
			return;
		}
		memcpy(m.def, words[1] + strlen(words[1]) + 1, m.def_len);
		if (ha_def_parse(m.def, m.def_len, &def, err, sizeof(err))) {
			reply(c, '1', err);
			return;
		}
		if (v) {
			replyf(c, '1', "%s is already an HA VM", m.name);
			return;
		}
		m.type = MSG_ADD;
	} else if (!strcmp(words[0], "remove")) {
		if (!v) {
			replyf(c, '1', "no HA VM %s", m.name);
			return;
		}
		m.type = MSG_REMOVE;
	} else {
		struct ha_node *n;

		m.node = cluster_node_by_name(d, words[2]);
		n = m.node ? cluster_node(d, m.node) : NULL;
		if (!v) {
			replyf(c, '1', "no HA VM %s", m.name);
			return;
		}
		if (!n || !n->member || !n->voting) {
			reply(c, '1', "no such node of the cluster with hvxd and quorum");
			return;
		}
		if (v->node == m.node && v->state != HA_CRASHED) {
			replyf(c, '1', "%s already runs on %s", m.name, n->name);
			return;
		}
		m.type = MSG_RELOCATE;
	}
	if (!cannot_change(d, c))
		send_change(d, c, &m);
}

void control_accept(struct hvxd *d)
{
	int fd, i;

	while ((fd = accept4(d->control_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		for (i = 0; i < MAX_CLIENTS && clients[i].fd >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			close(fd);
			continue;
		}
		clients[i].fd = fd;
		clients[i].req = 0;
		clients[i].deadline = now_s() + PENDING_S;
	}
}

/* A client's request arrived (or it hung up, or took too long). */
void control_read(struct hvxd *d)
{
	static char buf[REQUEST_MAX];
	double now = now_s();
	ssize_t len;
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (c->fd < 0)
			continue;
		if (now > c->deadline) {
			reply(c, '2', "no answer from the cluster in time");
			continue;
		}
		if (c->req)
			continue;
		/* MSG_TRUNC: the message's own length, even past buf. */
		len = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (len <= 0) {
			close(c->fd);
			c->fd = -1;
			continue;
		}
		if ((size_t)len > sizeof(buf)) {
			replyf(c, '1', "a request is at most %zu bytes", sizeof(buf));
			continue;
		}
		request(d, c, buf, (size_t)len);
	}
}

void control_applied(struct hvxd *d, uint32_t req, int err, const char *name)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (c->fd < 0 || c->req != req)
			continue;
		switch (err) {
		case 0:
			replyf(c, '0', "%s: %s\n", name,
			       !strcmp(c->verb, "add") ? "added" :
			       !strcmp(c->verb, "remove") ? "removed" :
			       "relocating");
			break;
		case -EAGAIN:
			reply(c, '2', "the cluster's membership changed");
			break;
		case -EEXIST:
			replyf(c, '1', "%s is already an HA VM", name);
			break;
		case -ENOENT:
			replyf(c, '1', "no HA VM %s", name);
			break;
		case -ENOSPC:
			replyf(c, '1', "at most %d HA VMs", HVXD_MAX_VMS);
			break;
		case -EALREADY:
			replyf(c, '1', "%s already runs there", name);
			break;
		default:
			replyf(c, '1', "refused: %s", strerror(-err));
		}
	}
}

void control_fail_pending(struct hvxd *d, const char *why)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].req)
			reply(&clients[i], '2', why);
}
