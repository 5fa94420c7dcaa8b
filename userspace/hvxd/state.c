// SPDX-License-Identifier: GPL-2.0
/*
 * The replicated state machine. Every change arrives over CPG in the same
 * total order at every member, and ha_apply() is deterministic: it looks
 * only at the message, its sender and the state, never at the clock or at
 * this host. So all synced members hold the same state, with the same
 * version. Local consequences (start a VM here, answer a vmctl) are drawn
 * from the new state afterwards, by local.c and control.c.
 *
 * Each applied change is saved (state_dir/state), so a cluster restarted
 * as a whole keeps its HA VMs: the sync after the restart picks the
 * highest version that any member kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/run_options.h"
#include "hvxd.h"

static const char *const state_names[HA_NR_STATES] = {
	[HA_STOPPED] = "stopped",
	[HA_STARTING] = "starting",
	[HA_RUNNING] = "running",
	[HA_CRASHED] = "crashed",
	[HA_POWERED_OFF] = "powered-off",
	[HA_FAILED] = "failed",
};

const char *ha_state_name(uint32_t state)
{
	return state < HA_NR_STATES ? state_names[state] : "?";
}

bool ha_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > HVXD_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') &&
		    !strchr("._-", name[i]))
			return false;
	/* As vmctl's: the name is its VM's cgroup's directory too. */
	return strcmp(name, ".") && strcmp(name, "..");
}

struct ha_vm *ha_vm_find(struct ha_state *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->nr_vms; i++)
		if (!strcmp(s->vms[i].name, name))
			return &s->vms[i];
	return NULL;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/*
 * Parse a definition (vmctl run options, NUL-separated) with vmctl run's
 * own option table and getopt_long, as vmctl will: what is checked here is
 * what vmctl sees, abbreviations and "-mVALUE" included. hvxd owns --name
 * (the HA name) and the console (--no-console, output to the console
 * log), so a definition must not carry them; nor stray words, which
 * vmctl would refuse. Memory and vCPUs default as vmctl's do.
 */
int ha_def_parse(const char *def, uint32_t len, struct ha_def *out,
		 char *err, size_t errlen)
{
	char *argv[HVXD_MAX_ARGS + 2];
	const char *a, *end = def + len;
	bool have_mem = false, kernel = false, raw = false;
	int argc = 0, opt, idx;

	memset(out, 0, sizeof(*out));
	out->cpus = 1;
	if (!len || def[len - 1]) {
		snprintf(err, errlen, "no run options");
		return -EINVAL;
	}
	argv[argc++] = "run";
	for (a = def; a < end; a += strlen(a) + 1) {
		if (argc == HVXD_MAX_ARGS + 1) {
			snprintf(err, errlen, "more than %d run options", HVXD_MAX_ARGS);
			return -EINVAL;
		}
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;
	optind = 0;	/* glibc: start over, whatever was parsed before */
	opterr = 0;
	/* "+": stop at a stray word instead of moving it (it is refused). */
	while ((opt = getopt_long(argc, argv, "+:" RUN_SHORT_OPTIONS,
				  run_long_options, &idx)) != -1) {
		switch (opt) {
		case 'n':
		case RUN_OPT_NO_CONSOLE:
			snprintf(err, errlen,
				 "%s is hvxd's: the HA name is the VM's name, and its console goes to the console log",
				 opt == 'n' ? "--name" : "--no-console");
			return -EINVAL;
		case 'h':
			snprintf(err, errlen, "--help is not a run option");
			return -EINVAL;
		case ':':
			snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		case '?':
			snprintf(err, errlen, "unknown run option %s", argv[optind - 1]);
			return -EINVAL;
		case 'k':
			kernel = true;
			break;
		case 'r':
			raw = true;
			break;
		case 'm':
			if (parse_u32(optarg, 1, 3072, &out->mem_mib)) {
				snprintf(err, errlen, "bad --memory %s", optarg);
				return -EINVAL;
			}
			have_mem = true;
			break;
		case 'c':
			if (parse_u32(optarg, 1, 64, &out->cpus)) {
				snprintf(err, errlen, "bad --cpus %s", optarg);
				return -EINVAL;
			}
			break;
		case 'A':
			out->append = optarg;
			continue;	/* hvxd writes its own --append */
		}
		out->opts[out->nr].code = opt;
		out->opts[out->nr++].val = optarg;
	}
	if (optind < argc) {
		snprintf(err, errlen, "stray word %s in the run options", argv[optind]);
		return -EINVAL;
	}
	if (kernel == raw) {
		snprintf(err, errlen, "a definition needs --kernel or --raw");
		return -EINVAL;
	}
	if (!have_mem)
		out->mem_mib = kernel ? 256 : 16;
	return 0;
}

/* The long name of an option code of vmctl run. */
const char *ha_def_opt_name(int code)
{
	const struct option *o;

	for (o = run_long_options; o->name; o++)
		if (o->val == code)
			return o->name;
	return NULL;
}

static int apply_add(struct ha_state *s, const struct ha_msg *m)
{
	struct ha_vm *v;
	static struct ha_def def;
	char err[128];

	if (!ha_name_ok(m->name))
		return -EINVAL;
	if (ha_vm_find(s, m->name))
		return -EEXIST;
	if (s->nr_vms == HVXD_MAX_VMS)
		return -ENOSPC;
	if (ha_def_parse(m->def, m->def_len, &def, err, sizeof(err)))
		return -EINVAL;
	v = &s->vms[s->nr_vms++];
	memset(v, 0, sizeof(*v));
	strcpy(v->name, m->name);
	v->state = HA_STOPPED;
	v->mem_mib = def.mem_mib;
	v->cpus = def.cpus;
	v->def_len = m->def_len;
	memcpy(v->def, m->def, m->def_len);
	return 0;
}

static int apply_remove(struct ha_state *s, const struct ha_msg *m)
{
	struct ha_vm *v = ha_vm_find(s, m->name);
	size_t i;

	if (!v)
		return -ENOENT;
	i = (size_t)(v - s->vms);
	memmove(v, v + 1, (s->nr_vms - i - 1) * sizeof(*v));
	s->nr_vms--;
	return 0;
}

/*
 * A start of generation gen + 1 on m->node. It applies only to the
 * generation the sender saw: of two decisions about the same start (the
 * leader failing a VM over, its owner restarting it), the first in the
 * total order wins and the other finds the generation moved on.
 */
static int apply_place(struct ha_state *s, const struct ha_msg *m)
{
	struct ha_vm *v = ha_vm_find(s, m->name);

	if (!v)
		return -ENOENT;
	if (v->gen != m->gen || !m->node)
		return -ESTALE;
	v->node = m->node;
	v->gen++;
	v->state = HA_STARTING;
	/*
	 * A placement consumes a relocation request, on its target or (if
	 * the target had no room) elsewhere: a target left behind would have
	 * the new owner stop the VM again.
	 */
	v->target = 0;
	return 0;
}

/* Only the owner of the current generation reports on it. */
static int apply_state(struct ha_state *s, const struct ha_msg *m,
		       uint32_t from)
{
	struct ha_vm *v = ha_vm_find(s, m->name);

	if (!v)
		return -ENOENT;
	if (v->gen != m->gen || v->node != from)
		return -ESTALE;
	switch (m->state) {
	case HA_RUNNING:
		if (v->state != HA_STARTING)
			return -ESTALE;
		v->state = HA_RUNNING;
		break;
	case HA_CRASHED:
		v->state = HA_CRASHED;
		v->restarts = m->restarts;
		break;
	case HA_STOPPED:
	case HA_POWERED_OFF:
	case HA_FAILED:
		v->state = m->state;
		v->node = 0;
		if (m->state == HA_FAILED)
			v->restarts = m->restarts;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * A relocation. A running VM gets a target, and its owner stops it; a VM
 * that is not running (stopped, powered off, failed) is placed on the
 * target at once, with its restart count cleared: relocate is also how an
 * operator starts a failed VM again.
 */
static int apply_relocate(struct ha_state *s, const struct ha_msg *m)
{
	struct ha_vm *v = ha_vm_find(s, m->name);

	if (!v)
		return -ENOENT;
	if (!m->node)
		return -EINVAL;
	if (v->node == m->node && v->state != HA_CRASHED)
		return -EALREADY;
	v->target = m->node;
	if (v->state == HA_POWERED_OFF || v->state == HA_FAILED ||
	    v->state == HA_STOPPED) {
		v->state = HA_STOPPED;
		v->node = 0;
		v->restarts = 0;
	}
	return 0;
}

int ha_apply(struct hvxd *d, const struct ha_msg *m, uint32_t from)
{
	struct ha_state *s = d->state;
	int ret;

	switch (m->type) {
	case MSG_ADD:
		ret = apply_add(s, m);
		break;
	case MSG_REMOVE:
		ret = apply_remove(s, m);
		break;
	case MSG_PLACE:
		ret = apply_place(s, m);
		break;
	case MSG_STATE:
		ret = apply_state(s, m, from);
		break;
	case MSG_RELOCATE:
		ret = apply_relocate(s, m);
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret)
		s->version++;
	return ret;
}

static char *state_path(struct hvxd *d, const char *suffix)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/state%s", d->cfg.state_dir, suffix);
	return path;
}

/* Write the state to state.tmp, then rename it over state: all or nothing. */
int ha_state_save(struct hvxd *d)
{
	static unsigned char buf[WIRE_MAX];
	size_t len = wire_state_encode(d->state, buf, sizeof(buf));
	char tmp[4096];
	int fd, ret = -1;

	snprintf(tmp, sizeof(tmp), "%s", state_path(d, ".tmp"));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !len)
		goto out;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
		goto out;
	ret = rename(tmp, state_path(d, ""));
out:
	if (ret)
		logmsg("cannot save %s: %s", state_path(d, ""), strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

int ha_state_load(struct hvxd *d)
{
	static unsigned char buf[WIRE_MAX];
	ssize_t len;
	int fd = open(state_path(d, ""), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0 || wire_state_decode(buf, (size_t)len, d->state)) {
		logmsg("%s is not a state file of hvxd: starting empty",
		       state_path(d, ""));
		memset(d->state, 0, sizeof(*d->state));
	}
	return 0;
}
