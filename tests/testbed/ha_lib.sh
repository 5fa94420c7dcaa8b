# shellcheck shell=sh
# The HA fixture of the testbed (busybox sh; sourced by ha_test.sh): N
# "hosts" in one testbed kernel, each with its own corosync 3 (knet over
# UDP), its hvxd and its VMs, on one Ethernet segment.
#
#   root netns: bridge hvxha0, ports n1..nN (veth)
#   host I: netns nI (eth0 = 10.77.0.I/24, lo), and a mount + UTS namespace
#     of its own (hostname nI) where /var/run, /var/lib/corosync and
#     /dev/shm are its directories under /run/ha/nI/. Everything of the
#     host runs through ha_in I, which enters all three.
#
# Why the mount namespace: the corosyncs of one kernel share one
# filesystem, and corosync takes an fcntl lock on /var/run/corosync.pid
# (a path built in, LOCALSTATEDIR "/run/corosync.pid"): a second instance
# refuses to start. Its ring IDs (/var/lib/corosync/ringid_NODEID) and
# libqb's files in /dev/shm (the 8 MiB blackbox qb-corosync-PID-blackbox-*
# and one directory of ring buffers per IPC connection) do not collide
# (node IDs and pids differ), but a powered-off host must lose its
# /var/run and /dev/shm as a real one does at reboot, not leak 8 MiB per
# crash into a shared /dev/shm. libqb's IPC sockets are abstract UNIX
# sockets (@cmap, @quorum, @votequorum, @cfg, @cpg), which Linux scopes to
# the network namespace: a client in nI reaches nI's corosync. The ring
# buffers, though, are files that the client opens by name under
# /dev/shm: clients (corosync-quorumtool, hvxd) must see the server's
# /dev/shm, so they enter the same mount namespace (ha_in).
#
# Contract (what the HA test script uses):
#   ha_setup N             bridge, N hosts, their corosync.conf
#   ha_start_corosync I    start I's corosync, return once it takes clients
#   ha_stop_corosync I     corosync of I shut down cleanly (SIGTERM)
#   ha_in I CMD...         run the program CMD (not a shell function) in I
#   ha_power_off I         every process of I killed at once, link down
#   ha_power_on I          I "rebooted": volatile dirs empty, link up
#   ha_cut I / ha_restore I   I's link down / up, I keeps running
#   ha_now                 monotonic seconds (2 decimals, /proc/uptime)
#   ha_since T0            seconds from T0 (an ha_now) to now
#   ha_quorate I           status 0 quorate, 2 not quorate, 1 no answer
#   ha_members I           number of members I's corosync sees
#   ha_wait_quorum I yes|no TIMEOUT [T0]     until I's quorate is yes|no
#   ha_wait_members I COUNT TIMEOUT [T0]     until I sees COUNT members
#                          both print the seconds taken (from T0 if given)
#   ha_memberships I       how many memberships I's corosync has formed
#   ha_mark NAME           remember now as NAME, for ha_log_delay
#   ha_log_delay I NAME REGEX   seconds from NAME to that line of I's log
#   ha_overlaps FILE       overlapping VM instances in a shared console
#   ha_last_hb FILE        "NODE GEN" of the last heartbeat line
#   ha_first_hb_of_gen FILE GEN   "LINENO NODE SEQ" of GEN's first one
#   ha_teardown            everything killed, namespaces and bridge gone
#   hvxd_start I           I's hvxd (HA_WATCHDOG, HA_FENCE), until it answers
#   hactl I WORDS...       vmctl ha through I's hvxd
#   where I VM             "NODE STATE GEN RESTARTS" of VM, as I's hvxd says
#   hb VM                  "NODE GEN" of VM's last heartbeat (HA_CONSOLE)
#   wait_hb VM NOT_NODE MIN_GEN T0   until VM beats elsewhere; seconds from T0
#   ha_pids I PROGRAM      the pids of I's processes running PROGRAM
#   vmctls I               the number of vmctl processes that run on I
#   ha_audit_delay I NAME REGEX   seconds from mark NAME to I's audit line
# Functions return non-zero on failure with a message on stderr; none of
# them exits.

HA_DIR=/run/ha
HA_BRIDGE=hvxha0
HA_SUBNET=10.77.0
HA_N=${HA_N:-0}
# Debian's programs by path (mkinitramfs.sh --program puts them in /bin;
# /usr/sbin links to /bin there as it does on the host's usr-merged
# Debian): for a bare name busybox sh runs its own applet, and busybox's
# ip knows no netns. unshare, nsenter, mount and awk are busybox's.
HA_IP=${HA_IP:-/bin/ip}
HA_COROSYNC=${HA_COROSYNC:-/usr/sbin/corosync}
HA_QUORUMTOOL=${HA_QUORUMTOOL:-/usr/sbin/corosync-quorumtool}
# util-linux's setpriv (busybox's cannot change the bounding set): see
# ha_start_corosync.
HA_SETPRIV=${HA_SETPRIV:-/usr/bin/setpriv}
# Emulated seconds for a corosync to take clients: its first membership
# (alone: after the consensus timeout) comes before the IPC opens.
HA_START_TIMEOUT=${HA_START_TIMEOUT:-60}

# Totem timers (ms). The emulated machine runs at ~200 MIPS of guest time
# and its two vCPUs are shared by three corosyncs, their clients and the
# VMs; corosync runs SCHED_RR (its default), so what delays it is mostly
# kernel work, not other processes. Membership after a failure costs
# about token + consensus: with 1000 + 1200 ms the token loss was in the
# log 0.9 s after a cut and the 2-of-3 membership 2.2 s after it, under
# the 3 s target, and 300 s idle had no token warning (75% of the
# token) and no membership change. token_coefficient 0: corosync would
# add 650 ms per node beyond two. join 100 (default 50): join messages
# from the 3 nodes must be processed within it, cheap insurance against
# an extra round. Each knet link is pinged every 250 ms and declared down
# after 1000 ms without a pong (corosync's defaults are token/4 and
# token/2): a link must not drop out before the token, which decides.
HA_TOKEN=${HA_TOKEN:-1000}
HA_CONSENSUS=${HA_CONSENSUS:-1200}
HA_JOIN=${HA_JOIN:-100}
HA_KNET_PING_INTERVAL=${HA_KNET_PING_INTERVAL:-250}
HA_KNET_PING_TIMEOUT=${HA_KNET_PING_TIMEOUT:-1000}

ha_err() { echo "ha: $*" >&2; }

# _ha_conf I: node I's corosync.conf on stdout.
_ha_conf() {
	cat <<EOF
# Node n$1 of $HA_N, written by ha_lib.sh's ha_setup.
totem {
	version: 2
	cluster_name: hvxtest
	transport: knet
	crypto_cipher: none
	crypto_hash: none
	token: $HA_TOKEN
	token_coefficient: 0
	consensus: $HA_CONSENSUS
	join: $HA_JOIN
	interface {
		linknumber: 0
		knet_ping_interval: $HA_KNET_PING_INTERVAL
		knet_ping_timeout: $HA_KNET_PING_TIMEOUT
	}
}
nodelist {
EOF
	_j=1
	while [ $_j -le "$HA_N" ]; do
		printf '\tnode {\n\t\tring0_addr: %s.%d\n\t\tname: n%d\n\t\tnodeid: %d\n\t}\n' \
			"$HA_SUBNET" $_j $_j $_j
		_j=$((_j + 1))
	done
	cat <<EOF
}
quorum {
	provider: corosync_votequorum
}
logging {
	to_logfile: yes
	logfile: $HA_DIR/n$1/corosync.log
	to_stderr: no
	to_syslog: no
	timestamp: hires
}
EOF
}

# _ha_ns I: node I's mount and UTS namespaces, made persistent by binding
# them on $HA_DIR/nI/ns/{mnt,uts}. A holder process sets them up and
# waits; the binding is done from here, in the root namespace (the
# kernel binds a mount namespace only in an older one), as util-linux's
# unshare --mount=FILE does, whichever unshare is installed.
_ha_ns() {
	_d=$HA_DIR/n$1
	mkdir -p "$_d/ns" && : >"$_d/ns/mnt" && : >"$_d/ns/uts" || return 1
	rm -f "$_d/ns/ready"
	unshare -m -u --propagation private sh -c '
		mount --bind "$1/var-run" /var/run &&
		mount --bind "$1/var-lib-corosync" /var/lib/corosync &&
		mount --bind "$1/dev-shm" /dev/shm &&
		hostname "$2" && : >"$1/ns/ready" && exec sleep 600' sh "$_d" "n$1" &
	_holder=$!
	_k=0
	while [ ! -e "$_d/ns/ready" ]; do
		kill -0 $_holder 2>/dev/null && [ $_k -lt 300 ] ||
			{ ha_err "n$1: its mount namespace could not be set up"; kill $_holder 2>/dev/null; return 1; }
		_k=$((_k + 1))
		sleep 0.1
	done
	mount --bind "/proc/$_holder/ns/mnt" "$_d/ns/mnt" &&
		mount --bind "/proc/$_holder/ns/uts" "$_d/ns/uts"
	_rc=$?
	kill $_holder
	wait $_holder 2>/dev/null
	[ $_rc -eq 0 ] || ha_err "n$1: cannot bind its namespaces"
	return $_rc
}

ha_setup() {	# ha_setup N
	case $1 in [1-9] | [1-9][0-9]) ;; *) ha_err "ha_setup: N must be 1..99, got '$1'"; return 1 ;; esac
	HA_N=$1
	"$HA_IP" -V 2>/dev/null | grep -q iproute2 ||
		{ ha_err "$HA_IP is not iproute2's ip (mkinitramfs.sh --program /usr/sbin/ip)"; return 1; }
	[ -x "$HA_COROSYNC" ] || { ha_err "no $HA_COROSYNC (mkinitramfs.sh --program)"; return 1; }
	# /var/run must be a directory to mount over; where it is the usual
	# link to /run (a Debian host), covering it would hide /run/ha.
	if [ -L /var/run ]; then
		ha_err "/var/run is a link (to $(readlink /var/run)): run the fixture in the testbed"
		return 1
	fi
	mkdir -p /var/run /var/lib/corosync /dev/shm "$HA_DIR" || return 1
	# Namespace files can only be bound on a mount that does not
	# propagate: a private mount of its own.
	grep -q " $HA_DIR " /proc/self/mountinfo || mount --bind "$HA_DIR" "$HA_DIR" || return 1
	mount --make-private "$HA_DIR" || return 1
	"$HA_IP" link add "$HA_BRIDGE" type bridge && "$HA_IP" link set "$HA_BRIDGE" up || return 1
	_i=1
	while [ $_i -le "$HA_N" ]; do
		_d=$HA_DIR/n$_i
		rm -rf "$_d"
		mkdir -p "$_d/var-run" "$_d/var-lib-corosync" "$_d/dev-shm" || return 1
		"$HA_IP" netns add "n$_i" &&
			"$HA_IP" link add "n$_i" type veth peer name eth0 netns "n$_i" &&
			"$HA_IP" link set "n$_i" master "$HA_BRIDGE" &&
			"$HA_IP" link set "n$_i" up &&
			"$HA_IP" -n "n$_i" addr add "$HA_SUBNET.$_i/24" dev eth0 &&
			"$HA_IP" -n "n$_i" link set eth0 up &&
			"$HA_IP" -n "n$_i" link set lo up || { ha_err "n$_i: network setup failed"; return 1; }
		_ha_ns $_i || return 1
		_ha_conf $_i >"$_d/corosync.conf" || return 1
		_i=$((_i + 1))
	done
}

ha_in() {	# ha_in I CMD...
	_n=$1
	shift
	[ -e "$HA_DIR/n$_n/ns/mnt" ] || { ha_err "ha_in: no node n$_n"; return 1; }
	nsenter --net="/run/netns/n$_n" --mount="$HA_DIR/n$_n/ns/mnt" --uts="$HA_DIR/n$_n/ns/uts" \
		--wd="$PWD" "$@"
}

ha_quorate() {	# ha_quorate I: corosync-quorumtool's status: 0 yes, 2 no, 1 error
	ha_in "$1" "$HA_QUORUMTOOL" -s >/dev/null 2>&1
}

ha_members() {	# ha_members I: the number of members I sees (empty: no answer)
	ha_in "$1" "$HA_QUORUMTOOL" -s 2>/dev/null | sed -n 's/^Nodes: *\([0-9]*\).*/\1/p'
}

ha_now() {
	read -r _up _ </proc/uptime
	echo "$_up"
}

ha_since() {	# ha_since T0: seconds from T0 to now, 2 decimals
	awk -v a="$1" -v b="$(ha_now)" 'BEGIN { printf "%.2f\n", b - a }'
}

ha_start_corosync() {	# ha_start_corosync I
	_d=$HA_DIR/n$1
	[ -f "$_d/corosync.conf" ] || { ha_err "ha_start_corosync: no node n$1"; return 1; }
	# A powered-off host boots first.
	[ ! -e "$_d/off" ] || ha_power_on "$1" || return 1
	rm -f "$_d/corosync.pid"
	# corosync raises RLIMIT_MEMLOCK to infinity and mlockall()s: ~130
	# MiB resident each (every thread's whole stack), 390 of the
	# testbed's 512 MiB for three. Without CAP_SYS_RESOURCE the raise
	# fails and it runs unlocked ("not locking memory" in its log), which
	# costs nothing where there is no swap.
	_nolock=
	if [ -x "$HA_SETPRIV" ]; then
		_nolock="$HA_SETPRIV --bounding-set=-sys_resource"
	else
		ha_err "no $HA_SETPRIV: n$1's corosync locks its memory"
	fi
	# shellcheck disable=SC2086
	ha_in "$1" $_nolock "$HA_COROSYNC" -f -c "$_d/corosync.conf" </dev/null >>"$_d/corosync.out" 2>&1 &
	_job=$!	# the shell's job: it lasts as long as corosync
	_t0=$(ha_now)
	while :; do
		ha_quorate "$1"
		case $? in 0 | 2) break ;; esac
		if ! kill -0 $_job 2>/dev/null; then
			ha_err "n$1: corosync exited: $(tail -n 3 "$_d/corosync.out" "$_d/corosync.log" 2>/dev/null | tr '\n' ' ')"
			return 1
		fi
		if [ "$(ha_since "$_t0" | cut -d. -f1)" -ge "$HA_START_TIMEOUT" ]; then
			ha_err "n$1: corosync takes no clients after $HA_START_TIMEOUT s"
			return 1
		fi
		sleep 0.2
	done
	# Its pid, from the lock file it holds (the job may be a subshell).
	cp "$_d/var-run/corosync.pid" "$_d/corosync.pid"
}

ha_stop_corosync() {	# ha_stop_corosync I: SIGTERM, wait up to 30 s
	_pid=$(cat "$HA_DIR/n$1/corosync.pid" 2>/dev/null)
	[ -n "$_pid" ] && kill "$_pid" 2>/dev/null || return 0
	_k=0
	while kill -0 "$_pid" 2>/dev/null; do
		[ $_k -lt 300 ] || { ha_err "n$1: corosync ignores SIGTERM"; return 1; }
		_k=$((_k + 1))
		sleep 0.1
	done
	wait "$_pid" 2>/dev/null
	return 0
}

# The link of I is up when I is neither cut nor powered off.
_ha_link() {	# _ha_link I
	if [ -e "$HA_DIR/n$1/cut" ] || [ -e "$HA_DIR/n$1/off" ]; then
		"$HA_IP" link set "n$1" down
	else
		"$HA_IP" link set "n$1" up
	fi
}

ha_cut() {	# ha_cut I: the cable pulled (root side of the veth down)
	: >"$HA_DIR/n$1/cut" && _ha_link "$1"
}

ha_restore() {	# ha_restore I
	rm -f "$HA_DIR/n$1/cut" && _ha_link "$1"
}

# ha_power_off I: every process of I (all of its netns: corosync, hvxd,
# vmctl and its VMs) killed at once. "At once": all are stopped first
# (SIGSTOP, listing again until no new pid shows up, so that a fork in
# between is caught), the link goes down while they are frozen (a dead
# host neither answers nor sends, not even ICMP port unreachable from a
# kernel that would still be alive here), then SIGKILL to all. Nothing of
# I runs between the first SIGSTOP and its death: no heartbeat, packet or
# disk write after the "power cut".
ha_power_off() {
	_all=" "
	while :; do
		_new=
		for _p in $("$HA_IP" netns pids "n$1" 2>/dev/null); do
			case $_all in *" $_p "*) ;; *) _new="$_new $_p" ;; esac
		done
		[ -n "$_new" ] || break
		# shellcheck disable=SC2086
		kill -STOP $_new 2>/dev/null
		_all="$_all${_new# } "
	done
	: >"$HA_DIR/n$1/off"
	_ha_link "$1"
	# shellcheck disable=SC2086
	[ "$_all" = " " ] || kill -KILL $_all 2>/dev/null
	# Gone means reaped or zombie; a zombie has left its namespaces.
	_k=0
	while [ -n "$("$HA_IP" netns pids "n$1" 2>/dev/null)" ]; do
		[ $_k -lt 100 ] || { ha_err "n$1: processes survive SIGKILL: $("$HA_IP" netns pids "n$1")"; return 1; }
		_k=$((_k + 1))
		sleep 0.1
	done
	return 0
}

# ha_power_on I: the host boots again: its /var/run and /dev/shm empty
# (/var/lib/corosync is its disk, kept), its link up unless it is cut.
ha_power_on() {
	_d=$HA_DIR/n$1
	[ -z "$("$HA_IP" netns pids "n$1" 2>/dev/null)" ] || { ha_err "n$1 is not off"; return 1; }
	rm -rf "${_d:?}/var-run/"* "${_d:?}/dev-shm/"* "$_d/corosync.pid"
	rm -f "$_d/off"
	_ha_link "$1"
}

# _ha_wait WHAT TIMEOUT T0 CMD...: until CMD succeeds, every 0.1 s (plus
# the time CMD takes); prints the seconds from T0. corosync-quorumtool
# costs ~0.1 s of testbed time: that is the resolution of what it prints.
_ha_wait() {
	_what=$1 _max=$2 _from=$3
	shift 3
	while :; do
		if "$@"; then
			ha_since "$_from"
			return 0
		fi
		_el=$(ha_since "$_from")
		if awk -v e="$_el" -v m="$_max" 'BEGIN { exit !(e >= m) }'; then
			ha_err "$_what: not after $_el s"
			return 1
		fi
		sleep 0.1
	done
}

_ha_quorate_is() {	# I yes|no
	ha_quorate "$1"
	_q=$?
	case $2 in yes) [ $_q -eq 0 ] ;; *) [ $_q -eq 2 ] ;; esac
}

ha_wait_quorum() {	# ha_wait_quorum I yes|no TIMEOUT [T0]
	case $2 in yes | no) ;; *) ha_err "ha_wait_quorum: want yes or no, got '$2'"; return 1 ;; esac
	_ha_wait "n$1 quorate $2" "$3" "${4:-$(ha_now)}" _ha_quorate_is "$1" "$2"
}

_ha_members_are() { [ "$(ha_members "$1")" = "$2" ]; }

ha_wait_members() {	# ha_wait_members I COUNT TIMEOUT [T0]
	_ha_wait "n$1 with $2 members" "$3" "${4:-$(ha_now)}" _ha_members_are "$1" "$2"
}

# ha_mark NAME: the moment of an action, as the mtime of $HA_DIR/NAME.mark
# (the real-time clock, which corosync's log timestamps are in: busybox's
# date has no sub-second format).
ha_mark() { : >"$HA_DIR/$1.mark"; }

# ha_log_delay I NAME REGEX: seconds (2 decimals) from mark NAME to the
# first line of I's corosync.log at or after it that matches REGEX (awk);
# status 1 if none. What corosync itself saw, without the polling delay
# of ha_wait_*. The log's times are of the day (midnight is handled).
ha_log_delay() { _ha_delay "$2" "$3" "$HA_DIR/n$1/corosync.log" 0; }

# ha_audit_delay I NAME REGEX: the same for the first line of I's hvxd
# audit log at or after mark NAME (its time: "...T20:00:44.183Z ...").
ha_audit_delay() { _ha_delay "$2" "$3" "$HA_DIR/n$1/audit.log" 1; }

# _ha_delay MARK REGEX FILE AUDIT: the two above; the time of a line is
# its third field in corosync's log, in the first field's ISO 8601 time
# of day in hvxd's audit log (AUDIT=1).
_ha_delay() {
	_m=$(stat -c %y "$HA_DIR/$1.mark" 2>/dev/null | cut -d' ' -f2)
	[ -n "$_m" ] || { ha_err "no mark $1"; return 1; }
	awk -v m="$_m" -v re="$2" -v audit="$4" '
		function sec(t, a) { split(t, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
		BEGIN { ms = sec(m) }
		{ d = sec(audit ? substr($1, 12, 12) : $3) - ms; if (d < -43200) d += 86400 }
		d >= 0 && $0 ~ re { printf "%.2f\n", d; found = 1; exit }
		END { exit !found }' "$3"
}

# ha_memberships I: the memberships I's corosync formed (its log's "A new
# membership" lines, this run of it and the ones before): a change in an
# idle cluster is a spurious one.
ha_memberships() {
	grep -c 'A new membership' "$HA_DIR/n$1/corosync.log" 2>/dev/null || true
}

# --- The shared console of one VM ------------------------------------------
# Every instance of a VM appends (O_APPEND) its console to the same file,
# so the file's order is the order of the writes. A heartbeat is
#   HB name=NAME node=NODE gen=GEN seq=K
# anywhere in a line (after a prefix, or glued to another instance's
# unfinished line: each match in a line counts; carriage returns are
# dropped). _ha_hb FILE prints "LINENO NAME NODE GEN SEQ" per heartbeat.
_ha_hb() {
	tr -d '\r' <"$1" | awk '{
		s = $0
		while (match(s, /HB name=[^ ]+ node=[^ ]+ gen=[0-9]+ seq=[0-9]+/)) {
			split(substr(s, RSTART, RLENGTH), f, /[ =]/)
			print NR, f[3], f[5], f[7], f[9]
			s = substr(s, RSTART + RLENGTH)
		}
	}'
}

# ha_overlaps FILE: status 1, and a line per overlap, if two instances of
# a VM ran at once: after a heartbeat of generation G, one of a lower
# generation, or one of G from another node than G's first. 0 if none.
ha_overlaps() {
	[ -r "$1" ] || { ha_err "ha_overlaps: cannot read $1"; return 2; }
	_ha_hb "$1" | awk '
	{
		line = $1; name = $2; node = $3; gen = $4 + 0; seq = $5
		if (!(name in max)) { max[name] = gen; owner[name] = node; at[name] = line; next }
		if (gen > max[name]) { max[name] = gen; owner[name] = node; at[name] = line; next }
		if (gen < max[name] || node != owner[name]) {
			printf "overlap: line %d: name=%s node=%s gen=%d seq=%s after gen=%d of node %s (line %d)\n",
				line, name, node, gen, seq, max[name], owner[name], at[name]
			bad = 1
		}
	}
	END { exit bad }'
}

ha_last_hb() {	# ha_last_hb FILE: "NODE GEN" of the last heartbeat
	_ha_hb "$1" | awk '{ last = $3 " " $4 } END { if (last == "") exit 1; print last }'
}

ha_first_hb_of_gen() {	# ha_first_hb_of_gen FILE GEN: "LINENO NODE SEQ"
	_ha_hb "$1" | awk -v g="$2" '$4 == g { print $1, $3, $5; found = 1; exit } END { exit !found }'
}

# --- hvxd on the hosts --------------------------------------------------------
# Each host's hvxd has its own state, audit log and vmctl run directory
# under $HA_DIR/nI; the console logs of all hosts are in one directory,
# so that every instance of a VM appends (O_APPEND) to one file whose line
# order is the global order of its heartbeats (ha_overlaps). The three
# hosts share one kernel and so one watchdog: HA_WATCHDOG is none unless
# a test owns the watchdog.
HA_HB=/guests/ha_heartbeat.elf
HA_CONSOLE=$HA_DIR/console
HA_FENCE=${HVX_HA_FENCE:-5}
HA_WATCHDOG=${HA_WATCHDOG:-none}

hvxd_start() {	# hvxd_start I: hvxd on I, until it answers
	mkdir -p "$HA_DIR/n$1/vmctl" "$HA_CONSOLE"
	ha_in "$1" env HVX_RUN_DIR="$HA_DIR/n$1/vmctl" /bin/hvxd \
		--socket "$HA_DIR/n$1/hvxd.sock" --state-dir "$HA_DIR/n$1/state" \
		--console-dir "$HA_CONSOLE" --audit "$HA_DIR/n$1/audit.log" \
		--watchdog "$HA_WATCHDOG" --vmctl /bin/vmctl --memory 64 --cpus 2 \
		--fence-timeout "$HA_FENCE" --stable 30 \
		</dev/null >>"$HA_DIR/n$1/hvxd.log" 2>&1 &
	_k=0
	until hactl "$1" status >/dev/null 2>&1; do
		[ $_k -lt 100 ] || { ha_err "n$1: hvxd does not answer"; return 1; }
		_k=$((_k + 1))
		sleep 0.2
	done
}
hactl() {	# hactl I WORDS...: vmctl ha through I's hvxd
	_h=$1
	shift
	HVXD_SOCKET=$HA_DIR/n$_h/hvxd.sock vmctl ha "$@"
}
# where I VM: "NODE STATE GEN RESTARTS" of VM as I's hvxd sees it.
where() { hactl "$1" status 2>/dev/null | awk -v vm="$2" '$1 == vm { print $2, $3, $4, $5 }'; }
hb() { ha_last_hb "$HA_CONSOLE/$1.log"; }	# hb VM: "NODE GEN" of its last heartbeat
# wait_hb VM NOT_NODE MIN_GEN T0: until VM's last heartbeat comes from a
# node other than NOT_NODE with a generation of MIN_GEN or more; prints the
# seconds from T0 (nothing after $WAIT_HB s).
WAIT_HB=60
wait_hb() {
	while :; do
		set -- "$1" "$2" "$3" "$4" $(hb "$1")
		if [ -n "${5:-}" ] && [ "$5" != "$2" ] && [ "${6:-0}" -ge "$3" ]; then
			ha_since "$4"
			return 0
		fi
		awk -v t="$(ha_since "$4")" -v m=$WAIT_HB 'BEGIN { exit !(t <= m) }' || return 1
		sleep 0.1
	done
}
# ha_pids I PROGRAM: the pids of host I's processes that run PROGRAM
# (argv[0], e.g. /bin/hvxd).
ha_pids() {
	for _p in $("$HA_IP" netns pids "n$1" 2>/dev/null); do
		case $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null) in "$2 "*) echo "$_p" ;; esac
	done
}
# vmctls I: the vmctl processes that run on I.
vmctls() { ha_pids "$1" "/bin/vmctl run" | wc -l; }


# ha_teardown: every host powered off, its namespaces and link deleted,
# the bridge too. What is in $HA_DIR (logs, configurations) stays.
ha_teardown() {
	_i=1
	while [ -e "$HA_DIR/n$_i" ] || "$HA_IP" netns list 2>/dev/null | grep -q "^n$_i\b"; do
		ha_power_off $_i 2>/dev/null
		umount "$HA_DIR/n$_i/ns/mnt" "$HA_DIR/n$_i/ns/uts" 2>/dev/null
		"$HA_IP" link del "n$_i" 2>/dev/null
		"$HA_IP" netns del "n$_i" 2>/dev/null
		_i=$((_i + 1))
	done
	"$HA_IP" link del "$HA_BRIDGE" 2>/dev/null
	umount "$HA_DIR" 2>/dev/null
	HA_N=0
	return 0
}
