/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvxd: the hvx cluster daemon. One runs on every host of a corosync
 * cluster; together they keep HA VMs running on the hosts that are left
 * when one fails, and never on two hosts at once.
 *
 * The pieces, one file each:
 *   state.c    the replicated state (HA VMs, where each runs, generation)
 *              and the changes that every node applies in the same order;
 *   wire.c     the encoding of changes and snapshots (CPG, the state file);
 *   cluster.c  corosync: CPG (total order, membership, the state sync on
 *              every membership change), votequorum, cmap;
 *   decide.c   the leader's decisions: placement, failover after the
 *              fence delay, relocation;
 *   local.c    this host's VM processes: vmctl run, adoption after a
 *              restart of hvxd, crashes with back-off, fencing on quorum loss;
 *   watchdog.c /dev/watchdog, fed only while quorate and healthy;
 *   control.c  the UNIX socket that vmctl ha talks to;
 *   audit.c    the audit log of every decision.
 */
#ifndef HVXD_H
#define HVXD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HVXD_MAX_VMS		64
#define HVXD_MAX_NODES		32
#define HVXD_NAME_MAX		32	/* as vmctl run --name */
#define HVXD_NODE_NAME_MAX	63
#define HVXD_DEF_MAX		2048	/* run options, NUL-separated */
#define HVXD_WHY_MAX		160
#define HVXD_MAX_ARGS		64

/* What a VM is doing, as the cluster knows it. */
enum ha_vm_state {
	HA_STOPPED,	/* not placed: new, or stopped for a relocation */
	HA_STARTING,	/* placed on .node with .gen, not yet confirmed */
	HA_RUNNING,	/* .node runs generation .gen */
	HA_CRASHED,	/* exited on its own; .node restarts it after a back-off */
	HA_POWERED_OFF,	/* the guest powered itself off: left stopped */
	HA_FAILED,	/* crashed more than the restart limit allows */
	HA_NR_STATES
};

const char *ha_state_name(uint32_t state);

/* One HA VM of the replicated state. */
struct ha_vm {
	char name[HVXD_NAME_MAX + 1];
	uint32_t node;		/* nodeid it is placed on; 0: none */
	uint32_t gen;		/* generation of the current start */
	uint32_t state;		/* enum ha_vm_state */
	uint32_t restarts;	/* crash restarts since it last ran stably */
	uint32_t target;	/* relocation target nodeid; 0: none */
	uint32_t mem_mib;	/* from the definition, for placement */
	uint32_t cpus;
	uint32_t def_len;
	char def[HVXD_DEF_MAX];	/* vmctl run options, each NUL-terminated */
};

/* A definition as vmctl run will parse it (state.c, ha_def_parse). */
struct ha_def {
	uint32_t mem_mib;
	uint32_t cpus;
	const char *append;		/* the user's --append, or NULL */
	uint32_t nr;
	struct {
		int code;		/* vmctl run's option */
		const char *val;	/* its value, or NULL */
	} opts[HVXD_MAX_ARGS];
};

/* The replicated state: the same on every synced node. */
struct ha_state {
	uint64_t version;	/* changes applied since the cluster was made */
	uint32_t nr_vms;
	struct ha_vm vms[HVXD_MAX_VMS];
};

/* The changes; every one is multicast over CPG and applied in order. */
enum ha_msg_type {
	MSG_SYNC = 1,	/* a member's state after a membership change */
	MSG_LOAD,	/* a node's capacity (soft state, not versioned) */
	MSG_ADD,	/* a new HA VM: .name, .def */
	MSG_REMOVE,	/* .name is no longer an HA VM */
	MSG_PLACE,	/* start .name on .node; applied if its gen is .gen */
	MSG_STATE,	/* the owner reports .state of .name generation .gen */
	MSG_RELOCATE,	/* move .name to .node */
	MSG_NR_TYPES
};

struct ha_msg {
	uint32_t type;
	uint32_t req;		/* the sender's control request; 0: none */
	uint32_t node;
	uint32_t gen;
	uint32_t state;
	uint32_t restarts;
	uint32_t mem_mib;
	uint32_t cpus;
	char name[HVXD_NODE_NAME_MAX + 1];	/* VM name, or node name (LOAD) */
	char why[HVXD_WHY_MAX];
	uint32_t def_len;
	char def[HVXD_DEF_MAX];
};

/* A member of the CPG group: one hvxd. */
struct ha_member {
	uint32_t nodeid;
	uint32_t pid;
};

/* What hvxd knows of each node of the corosync nodelist. */
struct ha_node {
	uint32_t nodeid;
	char name[HVXD_NODE_NAME_MAX + 1];
	bool member;		/* its hvxd is in the CPG group */
	bool voting;		/* votequorum counts it */
	uint32_t cap_mem_mib;	/* from its last LOAD; 0: not heard */
	uint32_t cap_cpus;
	double left_at;		/* when its hvxd left the group (monotonic s) */
};

/* A VM process on this host. */
struct local_vm {
	bool used;
	char name[HVXD_NAME_MAX + 1];
	uint32_t gen;
	pid_t pid;
	int pidfd;
	bool child;		/* ours (exit status known), or adopted */
	bool killing;		/* we sent SIGKILL: its exit is no crash */
	bool stopping;		/* stopped for a relocation or shutdown */
	double started;		/* monotonic s */
	double stop_deadline;	/* SIGKILL after this, when stopping */
};

/* A crash restart waiting for its back-off. */
struct pending_restart {
	bool used;
	char name[HVXD_NAME_MAX + 1];
	uint32_t gen;		/* the generation that crashed */
	double at;
};

/*
 * A change sent about one generation of a VM: sent once, and again only
 * if it has not been applied after a while (a membership change drops
 * what was in flight; the tables are cleared then too).
 */
struct ha_once {
	char name[HVXD_NAME_MAX + 1];
	uint32_t gen;
	uint32_t what;		/* a state reported, or ONCE_* */
	double at;
};
#define ONCE_PLACE	100	/* a PLACE asked for */
#define ONCE_NO_ROOM	101	/* "no room" logged */
#define ONCE_NO_WATCHDOG 102	/* "watchdog cannot be armed" logged */

struct hvxd_config {
	const char *socket_path;
	const char *state_dir;
	const char *console_dir;
	const char *audit_path;
	const char *watchdog;		/* device, or NULL for none */
	const char *vmctl;
	uint32_t cap_mem_mib;		/* offered to HA VMs */
	uint32_t cap_cpus;
	double fence_s;			/* F: quorum loss to VMs dead */
	double stop_timeout_s;		/* graceful stop before SIGKILL */
	uint32_t max_restarts;		/* crash restarts before HA_FAILED */
	double stable_s;		/* a run this long resets .restarts */
};

struct hvxd {
	struct hvxd_config cfg;

	/* corosync */
	uint64_t cpg, vq, cmap;		/* handles */
	int cpg_fd, vq_fd;
	uint32_t my_nodeid;
	uint32_t my_pid;
	double token_s, consensus_s;	/* corosync's timers, for the margin */
	bool quorate;
	uint32_t total_votes, expected_votes, quorum_votes;

	struct ha_member members[HVXD_MAX_NODES];
	uint32_t nr_members;
	struct ha_node nodes[HVXD_MAX_NODES];
	uint32_t nr_nodes;

	/* the sync after a membership change */
	bool synced;
	bool sync_seen[HVXD_MAX_NODES];	/* by index in members[] */
	uint32_t sync_best;		/* nodeid of the best offer so far */

	struct ha_state *state;

	struct local_vm local[HVXD_MAX_VMS];
	struct pending_restart restarts[HVXD_MAX_VMS];
	/* What this node has asked of the cluster and not yet seen applied. */
	struct ha_once placed[HVXD_MAX_VMS];	/* decide.c */
	struct ha_once reported[HVXD_MAX_VMS];	/* local.c */

	int watchdog_fd;
	int control_fd;
	int audit_fd;
	bool shutting_down;
};

/* main.c */
double now_s(void);
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* state.c */
struct ha_vm *ha_vm_find(struct ha_state *s, const char *name);
int ha_apply(struct hvxd *d, const struct ha_msg *m, uint32_t from);
int ha_def_parse(const char *def, uint32_t len, struct ha_def *out,
		 char *err, size_t errlen);
const char *ha_def_opt_name(int code);
int ha_state_save(struct hvxd *d);
int ha_state_load(struct hvxd *d);
bool ha_name_ok(const char *name);

/* wire.c */
uint32_t wire_type(const void *buf, size_t len);
size_t wire_msg_encode(const struct ha_msg *m, void *buf, size_t len);
int wire_msg_decode(const void *buf, size_t len, struct ha_msg *m);
size_t wire_sync_encode(const struct ha_state *s, const struct ha_member *mb,
			uint32_t nr, void *buf, size_t len);
int wire_sync_decode(const void *buf, size_t len, struct ha_state *s,
		     struct ha_member *mb, uint32_t *nr);
size_t wire_state_encode(const struct ha_state *s, void *buf, size_t len);
int wire_state_decode(const void *buf, size_t len, struct ha_state *s);
#define WIRE_MAX	(sizeof(struct ha_state) + 4096)

/* cluster.c */
int cluster_init(struct hvxd *d);
void cluster_fini(struct hvxd *d);
int cluster_dispatch_cpg(struct hvxd *d);
int cluster_dispatch_vq(struct hvxd *d);
int cluster_send(struct hvxd *d, const struct ha_msg *m);
void cluster_flush(struct hvxd *d);
bool cluster_is_member(const struct hvxd *d, uint32_t nodeid);
uint32_t cluster_leader(const struct hvxd *d);
struct ha_node *cluster_node(struct hvxd *d, uint32_t nodeid);
const char *cluster_node_name(struct hvxd *d, uint32_t nodeid);
uint32_t cluster_node_by_name(struct hvxd *d, const char *name);
double cluster_fence_delay(const struct hvxd *d);
bool cluster_once(struct ha_once *t, const char *name, uint32_t gen,
		  uint32_t what);
int cluster_sent(const struct ha_once *t, const char *name, uint32_t gen);
void cluster_forget(struct hvxd *d);
bool cluster_can_act(const struct hvxd *d);

/* decide.c */
void decide(struct hvxd *d);

/* local.c */
void local_adopt(struct hvxd *d);
void local_reconcile(struct hvxd *d);
void local_fence(struct hvxd *d, const char *why);
void local_exited(struct hvxd *d, struct local_vm *l);
void local_tick(struct hvxd *d);
void local_shutdown(struct hvxd *d);
struct local_vm *local_find(struct hvxd *d, const char *name);
uint32_t local_count(const struct hvxd *d);

/* watchdog.c */
int watchdog_arm(struct hvxd *d);
void watchdog_update(struct hvxd *d);
void watchdog_close(struct hvxd *d);

/* control.c */
int control_open(struct hvxd *d);
void control_accept(struct hvxd *d);
struct pollfd;
int control_pollfds(struct pollfd *p, int max);
void control_read(struct hvxd *d);
void control_applied(struct hvxd *d, uint32_t req, int err, const char *text);
void control_fail_pending(struct hvxd *d, const char *why);
void control_close(struct hvxd *d);

/* audit.c */
int audit_open(struct hvxd *d);
void audit(struct hvxd *d, uint32_t by, const char *what, const char *vm,
	   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
