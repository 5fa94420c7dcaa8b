#!/bin/sh
# HA on corosync, inside the testbed (busybox sh; suite "ha"). Three
# "hosts" n1..n3 of one kernel (ha_lib.sh: a netns, mount and UTS
# namespace each, veths on the bridge hvxha0, their own corosync over
# knet): this first part checks the cluster layer that hvxd will stand
# on, and the overlap checker that its tests will read VM consoles with.
#
#   the fixture: three hosts that reach each other, each corosync alone
#     in its namespaces (its lock file, sockets, /dev/shm) and reached by
#     its own clients only;
#   one quorate membership of three; nothing changes while it idles;
#   n3 cut: n3 loses quorum, n1 and n2 keep it with two members;
#   n3 restored: three members again;
#   n2 powered off: n1 and n3 quorate with two; n2's corosync started
#     again: three;
#   n2 and n3 powered off: n1 alone, not quorate.
# Each detection time is printed as a "# time" line and kept in
# /run/ha/times: from the action to the state seen by polling
# corosync-quorumtool (a poll costs ~0.1-0.3 s, one host after the other),
# and, named *_log, to the line of corosync's log that says it (what
# corosync itself saw: "A processor failed" when the token is lost, "A
# new membership" when the new one is formed). At the end, each host's
# membership, token and link events from its log.
#
# To extend it (hvxd): add the scenario's function, its tests to TESTS
# in reporting order, and its name to SCENARIOS. A scenario starts from
# the state the previous one left, which its comment says.

. /guest_lib.sh	# ok, not_ok, check, check_eval, fail_rest
. /ha_lib.sh

# Seconds of testbed time: the idle run that must not see a membership
# change, and the most a membership change may take here (the target is
# 3 s; above 5 s the timers are wrong for this machine).
IDLE=${HVX_HA_IDLE:-20}	# HVX_HA_IDLE=300 for a long run: ~16 min of wall time
DETECT_MAX=${HVX_HA_DETECT_MAX:-5}
WAIT=30	# for a state that must come, before it counts as a failure

TESTS="ha_setup_three_hosts ha_hosts_reach_each_other ha_corosyncs_start
ha_each_client_reaches_its_own_corosync ha_no_corosync_outside_the_hosts
ha_three_members_quorate ha_idle_membership_stable
ha_cut_node_loses_quorum ha_cut_others_keep_quorum ha_cut_detected_in_time
ha_restored_node_rejoins
ha_powered_off_node_killed ha_powered_off_node_leaves ha_restarted_node_rejoins
ha_two_nodes_down_no_quorum
ha_overlaps_clean_console ha_overlaps_older_generation ha_overlaps_same_generation_other_node
ha_last_and_first_heartbeat
ha_hvxd_starts ha_vm_placed_and_running ha_vm_disk_found_blank
ha_control_refuses_malformed ha_control_survives_malformed ha_vmctl_ha_refusals
ha_power_off_fails_over ha_power_off_no_overlap ha_power_off_status ha_power_off_disk_handed_over
ha_powered_off_host_back_runs_nothing
ha_cut_fails_over ha_cut_host_fenced_itself ha_cut_no_overlap ha_cut_disk_handed_over
ha_cut_host_back_runs_nothing
ha_hvxd_restart_adopts ha_relocation ha_relocation_no_overlap ha_relocation_disk_handed_over
ha_crash_restart_limit
ha_no_quorum_runs_nothing ha_no_quorum_refuses_changes ha_no_overlap_in_any_scenario
ha_disk_log_in_order
ha_teardown_leaves_nothing"
echo "1..$(echo $TESTS | wc -w)"
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || fail_rest "insmod hvx failed"

# time_of NAME SECONDS: a measured time, printed and kept.
time_of() {
	echo "# time $1: $2 s"
	echo "$1 $2" >>"$HA_DIR/times"
}
# within SECONDS MAX: the time is a number no larger than MAX.
within() { [ -n "$1" ] && awk -v t="$1" -v m="$2" 'BEGIN { exit !(t <= m) }'; }
# tails: the end of every host's corosync log, for a failure's report.
tails() {
	for _h in 1 2 3; do
		tail -n 5 "$HA_DIR/n$_h/corosync.log" 2>/dev/null | sed "s/^/# n$_h: /"
	done
}
# non_primary I SINCE_LINE: did I's corosync leave the primary component
# after that line of its log?
non_primary() {
	tail -n +"$2" "$HA_DIR/n$1/corosync.log" | grep -q 'within the non-primary component'
}
log_lines() { wc -l <"$HA_DIR/n$1/corosync.log"; }
# log_time NAME I MARK REGEX: the time of that line of I's log from MARK.
log_time() { time_of "$1" "$(ha_log_delay "$2" "$3" "$4" || echo none)"; }
# events: each host's membership, token and knet link events, the time
# of day first (that of ha_mark's files: stat -c %y /run/ha/*.mark).
events() {
	for _h in 1 2 3; do
		grep -E 'A new membership|processor failed|Token has not|not scheduled|no active links|is down|non-primary|Retransmit' \
			"$HA_DIR/n$_h/corosync.log" |
			sed -E "s/^[A-Z][a-z]+ [0-9]+ ([0-9:.]+) \[[0-9]+\] [^ ]+ corosync [a-z]+ +/# n$_h \1 /"
	done
}

# --- scenarios --------------------------------------------------------------

# Nothing before; three hosts, each with its corosync, one membership.
scenario_start() {
	ha_setup 3 2>/tmp/ha_setup.err
	rc=$?
	check ha_setup_three_hosts "status $rc: $(head -c 300 /tmp/ha_setup.err)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || fail_rest "no fixture"
	: >"$HA_DIR/times"
	reach=0
	for a in 1 2 3; do
		for b in 1 2 3; do
			[ $a = $b ] || ! ha_in $a ping -c 1 -W 5 "$HA_SUBNET.$b" >/dev/null 2>&1 || reach=$((reach + 1))
		done
	done
	check ha_hosts_reach_each_other "$reach of 6 pings answered" [ $reach -eq 6 ]

	t0=$(ha_now)
	started=0
	for h in 1 2 3; do
		ha_start_corosync $h 2>>/tmp/ha_start.err && started=$((started + 1))
	done
	check ha_corosyncs_start "$started of 3: $(head -c 300 /tmp/ha_start.err)" [ $started -eq 3 ]
	[ $started -eq 3 ] || { tails; fail_rest "corosync did not start"; }
	time_of start_three_corosyncs "$(ha_since "$t0")"

	# Each host's quorumtool answers with its own node ID: the abstract
	# sockets are per netns, the ring buffers in its own /dev/shm.
	own=0 why=
	for h in 1 2 3; do
		id=$(ha_in $h "$HA_QUORUMTOOL" -s 2>/dev/null | sed -n 's/^Node ID: *//p')
		pid=$(cat "$HA_DIR/n$h/corosync.pid")
		if [ "$id" = $h ] && [ "$(ha_in $h hostname)" = n$h ] &&
			[ -s "$HA_DIR/n$h/var-lib-corosync/ringid_$h" ] &&
			ls "$HA_DIR/n$h/dev-shm/" | grep -q "qb-corosync-$pid-blackbox" &&
			ha_in $h cat /proc/net/unix | grep -q '@quorum'; then
			own=$((own + 1))
		else
			why="$why n$h: node ID '$id', hostname $(ha_in $h hostname), $(ls "$HA_DIR/n$h/dev-shm" "$HA_DIR/n$h/var-lib-corosync" | tr '\n' ' ');"
		fi
	done
	check ha_each_client_reaches_its_own_corosync "$why" [ $own -eq 3 ]
	# From the root namespace (another netns, another /dev/shm) there is
	# no corosync to reach, and no socket of one.
	"$HA_QUORUMTOOL" -s >/dev/null 2>&1
	rc=$?
	check_eval ha_no_corosync_outside_the_hosts "quorumtool status $rc, sockets: $(grep -c '@quorum' /proc/net/unix)" \
		'[ $rc -eq 1 ] && ! grep -q "@quorum" /proc/net/unix'

	t0=$(ha_now)
	formed=0
	for h in 1 2 3; do
		ha_wait_members $h 3 $WAIT "$t0" >/dev/null && ha_wait_quorum $h yes $WAIT "$t0" >/dev/null &&
			formed=$((formed + 1))
	done
	check ha_three_members_quorate "$formed of 3 see 3 members, quorate" [ $formed -eq 3 ]
	[ $formed -eq 3 ] || { tails; fail_rest "no membership of three"; }
	for h in 1 2 3; do
		echo "# n$h: corosync $(cat "$HA_DIR/n$h/corosync.pid"): $(grep VmRSS "/proc/$(cat "$HA_DIR/n$h/corosync.pid")/status" | tr -s ' \t' ' ')"
	done
}

# Three members; the same three, idle for $IDLE s, nothing changed.
scenario_idle() {
	before=$(for h in 1 2 3; do ha_memberships $h; done | tr '\n' ' ')
	t0=$(ha_now)
	sleep "$IDLE"
	after=$(for h in 1 2 3; do ha_memberships $h; done | tr '\n' ' ')
	echo "# idle $(ha_since "$t0") s: memberships formed per host before $before after $after"
	for h in 1 2 3; do
		echo "# n$h: token warnings $(grep -c 'Token has not been received' "$HA_DIR/n$h/corosync.log")," \
			"scheduling pauses $(grep -c 'not scheduled' "$HA_DIR/n$h/corosync.log")," \
			"knet link downs $(grep -c 'has no active links' "$HA_DIR/n$h/corosync.log")"
	done
	members=$(ha_members 1)
	check_eval ha_idle_membership_stable "before $before, after $after, members $members" \
		'[ "$before" = "$after" ] && [ "$members" = 3 ]'
}

# Three members; n3 cut, then restored: three members.
scenario_cut() {
	l1=$(log_lines 1) l2=$(log_lines 2)
	t0=$(ha_now)
	ha_mark cut
	ha_cut 3
	t3=$(ha_wait_quorum 3 no $WAIT "$t0")
	check ha_cut_node_loses_quorum "n3 still quorate after $WAIT s" [ -n "$t3" ]
	t1=$(ha_wait_members 1 2 $WAIT "$t0")
	t2=$(ha_wait_members 2 2 $WAIT "$t0")
	time_of cut_n3_loses_quorum "$t3"
	time_of cut_n1_two_members "$t1"
	time_of cut_n2_two_members "$t2"
	log_time cut_n1_token_lost_log 1 cut 'processor failed'
	log_time cut_n1_membership_log 1 cut 'A new membership'
	log_time cut_n3_non_primary_log 3 cut 'non-primary component'
	check_eval ha_cut_others_keep_quorum "n1 ${t1:-never} s, n2 ${t2:-never} s to 2 members; quorate: $(ha_quorate 1; echo $?) $(ha_quorate 2; echo $?)" \
		'[ -n "$t1" ] && [ -n "$t2" ] && ha_quorate 1 && ha_quorate 2 && ! non_primary 1 $l1 && ! non_primary 2 $l2'
	check_eval ha_cut_detected_in_time "n1 $t1 s, n2 $t2 s, n3 $t3 s (at most $DETECT_MAX s)" \
		'within "$t1" $DETECT_MAX && within "$t2" $DETECT_MAX && within "$t3" $DETECT_MAX'
	[ -n "$t1$t2$t3" ] || tails

	t0=$(ha_now)
	ha_mark restore
	ha_restore 3
	r1=$(ha_wait_members 1 3 $WAIT "$t0")
	r3=$(ha_wait_members 3 3 $WAIT "$t0")
	q3=$(ha_wait_quorum 3 yes $WAIT "$t0")
	time_of restore_n1_three_members "$r1"
	time_of restore_n3_three_members "$r3"
	time_of restore_n3_quorate "$q3"
	log_time restore_n1_membership_log 1 restore 'A new membership.*joined: 3'
	check_eval ha_restored_node_rejoins "n1 ${r1:-never}, n3 ${r3:-never} s to 3 members, n3 quorate ${q3:-never}" \
		'[ -n "$r1" ] && [ -n "$r3" ] && [ -n "$q3" ]'
	[ -n "$r1" ] && [ -n "$r3" ] || tails
}

# Three members; n2 powered off, its corosync started again: three.
scenario_power_off() {
	t0=$(ha_now)
	ha_mark power_off
	ha_power_off 2
	rc=$?
	left=$("$HA_IP" netns pids n2)
	check_eval ha_powered_off_node_killed "status $rc, left: $left" '[ $rc -eq 0 ] && [ -z "$left" ]'
	p1=$(ha_wait_members 1 2 $WAIT "$t0")
	p3=$(ha_wait_members 3 2 $WAIT "$t0")
	time_of power_off_n2_n1_two_members "$p1"
	time_of power_off_n2_n3_two_members "$p3"
	log_time power_off_n1_token_lost_log 1 power_off 'processor failed'
	log_time power_off_n1_membership_log 1 power_off 'A new membership.*left: 2'
	check_eval ha_powered_off_node_leaves "n1 ${p1:-never}, n3 ${p3:-never} s to 2 members; quorate $(ha_quorate 1; echo $?) $(ha_quorate 3; echo $?)" \
		'[ -n "$p1" ] && [ -n "$p3" ] && ha_quorate 1 && ha_quorate 3'
	[ -n "$p1" ] && [ -n "$p3" ] || tails

	t0=$(ha_now)
	ha_mark restart
	ha_start_corosync 2 2>/tmp/ha_start.err
	rc=$?
	time_of restart_n2_takes_clients "$(ha_since "$t0")"
	s1=$(ha_wait_members 1 3 $WAIT "$t0")
	s2=$(ha_wait_members 2 3 $WAIT "$t0")
	time_of restart_n1_three_members "$s1"
	time_of restart_n2_three_members "$s2"
	log_time restart_n1_membership_log 1 restart 'A new membership.*joined: 2'
	check_eval ha_restarted_node_rejoins "start status $rc $(head -c 200 /tmp/ha_start.err); n1 ${s1:-never}, n2 ${s2:-never} s to 3 members" \
		'[ $rc -eq 0 ] && [ -n "$s1" ] && [ -n "$s2" ] && ha_quorate 2'
	[ -n "$s1" ] && [ -n "$s2" ] || tails
}

# Three members; n2 and n3 powered off: n1 alone, not quorate (end state).
scenario_two_down() {
	t0=$(ha_now)
	ha_mark two_down
	ha_power_off 2
	ha_power_off 3
	q1=$(ha_wait_quorum 1 no $WAIT "$t0")
	time_of two_down_n1_not_quorate "$q1"
	log_time two_down_n1_non_primary_log 1 two_down 'non-primary component'
	check_eval ha_two_nodes_down_no_quorum "n1 ${q1:-still quorate} s, members $(ha_members 1)" \
		'[ -n "$q1" ] && [ "$(ha_members 1)" = 1 ]'
	[ -n "$q1" ] || tails
}

# No host needed: the checker on consoles written here.
scenario_checker() {
	c=/tmp/ha_console
	printf '%s\r\n' "boot" "HB name=vm1 node=n1 gen=1 seq=1" "[ 2.0] HB name=vm1 node=n1 gen=1 seq=2" \
		"GUEST: HB name=vm1 node=n2 gen=2 seq=1" "noise" "HB name=vm1 node=n2 gen=2 seq=2" >$c.clean
	out=$(ha_overlaps $c.clean)
	rc=$?
	check_eval ha_overlaps_clean_console "status $rc: $out" '[ $rc -eq 0 ] && [ -z "$out" ]'
	# n1's instance (gen 1) wrote after n2's (gen 2) took over; one of
	# its lines is glued to the end of n2's unfinished one.
	{ cat $c.clean; printf '%s\n' "HB name=vm1 node=n2 gen=2 seHB name=vm1 node=n1 gen=1 seq=3"; } >$c.old
	out=$(ha_overlaps $c.old)
	rc=$?
	check_eval ha_overlaps_older_generation "status $rc: $out" \
		'[ $rc -eq 1 ] && [ "$(echo "$out" | grep -c overlap)" = 1 ] && echo "$out" | grep -q "line 7: name=vm1 node=n1 gen=1 seq=3 after gen=2 of node n2"'
	{ cat $c.clean; echo "HB name=vm1 node=n3 gen=2 seq=1"; } >$c.same
	out=$(ha_overlaps $c.same)
	rc=$?
	check_eval ha_overlaps_same_generation_other_node "status $rc: $out" \
		'[ $rc -eq 1 ] && echo "$out" | grep -q "node=n3 gen=2 seq=1 after gen=2 of node n2"'
	last=$(ha_last_hb $c.clean) first=$(ha_first_hb_of_gen $c.clean 2)
	check_eval ha_last_and_first_heartbeat "last '$last', first of gen 2 '$first'" \
		'[ "$last" = "n2 2" ] && [ "$first" = "4 n2 1" ] && ! ha_first_hb_of_gen $c.clean 3 >/dev/null'
}

# --- hvxd: HA VMs -------------------------------------------------------------
# hvxd on each host (ha_lib.sh: hvxd_start, hactl, where, hb, wait_hb,
# vmctls): --watchdog none, since the three hosts share one kernel and so
# one watchdog; the watchdog has a boot of its own.
BUDGET=${HVX_HA_BUDGET:-15}	# a host's failure to its VM running again
# read_hb VM: hb_node and hb_gen of VM's last heartbeat (not $1 and $2:
# check_eval's conditions run where those are check_eval's arguments).
read_hb() {
	hb_node= hb_gen=
	set -- $(hb "$1")
	hb_node=${1:-} hb_gen=${2:-}
}
no_overlap() { ha_overlaps "$HA_CONSOLE/$1.log" >/tmp/overlaps; }
audit_has() { grep -qE "$2" "$HA_DIR/$1/audit.log"; }	# audit_has NODE REGEX

# idle_cost: what n1's hvxd costs on an idle host, over 10 s: CPU time
# (utime + stime, in clock ticks of 10 ms) and resident memory.
idle_cost() {
	pid=$(ha_pids 1 /bin/hvxd)
	ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
	c0=$(ticks) t0=$(ha_now)
	sleep 10
	c1=$(ticks) t1=$(ha_now)
	echo "# hvxd idle: $((c1 - c0)) ticks of CPU in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s," \
		"$(grep VmRSS "/proc/$pid/status" | tr -s ' \t' ' ')"
}

# All three hosts up (the corosync scenarios may have left some off), an
# hvxd on each; one HA VM, web, placed by the leader, with a disk: an
# image under $HA_DIR, which every host reaches at the same path (the
# storage a real cluster shares), on which the guest logs its heartbeats
# (ha_heartbeat.c, hb_disk=1).
scenario_hvxd_start() {
	for _h in 1 2 3; do
		ha_quorate $_h
		[ $? -ne 1 ] || ha_start_corosync $_h
	done
	ha_wait_members 1 3 $WAIT >/dev/null
	started=0
	for _h in 1 2 3; do hvxd_start $_h && started=$((started + 1)); done
	check ha_hvxd_starts "$started of 3 hvxd answer: $(tail -n 2 $HA_DIR/n*/hvxd.log | tr '\n' ' ')" [ $started -eq 3 ]
	[ $started -eq 3 ] || fail_rest "no hvxd"
	idle_cost
	dd if=/dev/zero of="$WEB_DISK" bs=1M count=0 seek=4 2>/dev/null	# 8192 sectors
	t0=$(ha_now)
	hactl 1 add web -- --kernel $HA_HB --memory 8 --disk "$WEB_DISK" \
		--append "hb_ms=200 hb_disk=1" >/tmp/add.out 2>&1
	rc=$?
	t=$(wait_hb web none 1 "$t0")
	read_hb web
	first=${hb_node:-}
	time_of hvxd_first_start "${t:-none}"
	check_eval ha_vm_placed_and_running "add: status $rc ($(cat /tmp/add.out)); heartbeat ${hb_node:-none} gen ${hb_gen:-} after ${t:-never} s; n2 says: $(where 2 web)" \
		'[ $rc -eq 0 ] && [ -n "$t" ] && [ "${hb_gen:-}" = 1 ] && [ "$(where 2 web)" = "$first running 1 0" ]'
	[ -n "$first" ] || fail_rest "web never ran"
	disk_line 1
	check_eval ha_vm_disk_found_blank "gen 1 says: ${disk:-nothing} $(grep -m1 HB-DISK-ERROR $HA_CONSOLE/web.log)" \
		'[ "$disk" = "last_gen=- last_seq=0 next=0 sectors=8192" ]'
}

# --- the control socket and vmctl ha, refusing what they must ---------------
# ctl_raw REQUEST WANT: REQUEST (printf's format: \0 for the NULs) sent as
# it is to n1's hvxd; its reply must be WANT, or the mismatch is kept.
ctl_raw() {
	_got=$(printf "$1" | seqpacket "$HA_DIR/n1/hvxd.sock" 2>&1)
	[ "$_got" = "$2" ] || ctl_bad="$ctl_bad [$1] -> [$_got];"
}
# ctl_vmctl STATUS REGEX WORDS...: vmctl ha WORDS through n1 exits with
# STATUS and says something matching REGEX.
ctl_vmctl() {
	_st=$1 _re=$2
	shift 2
	_got=$(hactl 1 "$@" 2>&1)
	_rc=$?
	[ $_rc = "$_st" ] && echo "$_got" | grep -qE -e "$_re" ||
		ctl_bad="$ctl_bad [vmctl ha $*] -> status $_rc [$_got];"
}

# web runs on $first. Requests that vmctl would never send, then vmctl's
# own refusals: each answered with its reason, nothing changes, and hvxd
# goes on serving.
scenario_control() {
	pid0=$(ha_pids 1 /bin/hvxd)
	audit0=$(wc -l <"$HA_DIR/n1/audit.log")
	ctl_bad=
	ctl_raw 'status' '1malformed request: NUL-terminated words'
	ctl_raw '\0' '1unknown request: status, add, remove or relocate'
	ctl_raw 'st\033[2Jatus\0web\0' '1unknown request: status, add, remove or relocate'
	ctl_raw 'status\0web\0' '1status takes no argument'
	ctl_raw 'remove\0' '1remove takes a VM name'
	ctl_raw 'remove\0web\0web\0' '1remove takes a VM name'
	ctl_raw 'relocate\0web\0' '1relocate takes a VM name and a node'
	ctl_raw 'relocate\0web\0n1\0n2\0' '1relocate takes a VM name and a node'
	ctl_raw 'relocate\0web\0n9\0' '1no such node of the cluster with hvxd and quorum'
	ctl_raw 'add\0' "1a VM name: letters, digits, '.', '_', '-', at most 32"
	ctl_raw 'add\0../etc\0--kernel\0/x\0' "1a VM name: letters, digits, '.', '_', '-', at most 32"
	ctl_raw 'add\0x\0' '1no run options'
	ctl_raw 'add\0x\0--kernel' '1malformed request: NUL-terminated words'
	ctl_raw 'add\0x\0--kernel\0/x\0--memory\0-5\0' '1bad --memory -5'
	_got=$(head -c 100000 /dev/urandom | seqpacket "$HA_DIR/n1/hvxd.sock" 2>&1)
	[ "$_got" = "1a request is at most 2304 bytes" ] || ctl_bad="$ctl_bad [100000 random bytes] -> [$_got];"
	seqpacket -c "$HA_DIR/n1/hvxd.sock" || ctl_bad="$ctl_bad [hang-up] -> status $?;"
	check_eval ha_control_refuses_malformed "${ctl_bad:-}" '[ -z "$ctl_bad" ]'
	check_eval ha_control_survives_malformed "hvxd $pid0 -> $(ha_pids 1 /bin/hvxd); web: $(where 1 web); audit $audit0 -> $(wc -l <$HA_DIR/n1/audit.log) lines" \
		'[ -n "$pid0" ] && [ "$(ha_pids 1 /bin/hvxd)" = "$pid0" ] && [ "$(where 1 web)" = "$first running 1 0" ] &&
		 [ "$(wc -l <$HA_DIR/n1/audit.log)" = "$audit0" ]'

	ctl_bad=
	ctl_vmctl 1 'no HA VM nosuch' remove nosuch
	ctl_vmctl 1 'no such node' relocate web n9
	ctl_vmctl 1 "already runs on $first" relocate web "$first"
	ctl_vmctl 1 'already an HA VM' add web -- --kernel "$HA_HB" --memory 8
	ctl_vmctl 1 "--name is hvxd's" add other -- --name x --kernel "$HA_HB"
	ctl_vmctl 1 'bad --memory' add other -- --kernel "$HA_HB" --memory 0
	ctl_vmctl 2 'bad command line' bogus
	ctl_vmctl 2 'bad command line' relocate web
	HVXD_SOCKET=$HA_DIR/nowhere.sock vmctl ha status >/dev/null 2>&1
	_rc=$?
	[ $_rc = 3 ] || ctl_bad="$ctl_bad [vmctl ha status, no hvxd] -> status $_rc;"
	check_eval ha_vmctl_ha_refusals "${ctl_bad:-}" \
		'[ -z "$ctl_bad" ] && [ "$(hactl 1 status | grep -c "^other ")" = 0 ] && [ "$(where 1 web)" = "$first running 1 0" ]'
}

# --- web's disk ---------------------------------------------------------------
WEB_DISK=$HA_DIR/web.img
# disk_line GEN: what generation GEN of web found on its disk when it
# started (its HB-DISK line, from last_gen on), in $disk.
disk_line() {
	disk=$(grep -o "HB-DISK name=web node=[^ ]* gen=$1 last_gen=[^ ]* last_seq=[0-9]* next=[0-9]* sectors=[0-9]*" \
		"$HA_CONSOLE/web.log" | head -n 1 | sed 's/.* gen=[0-9]* //')
}
# disk_handed_over GEN: generation GEN found what GEN - 1 left: that
# generation, and a last seq no lower than the last heartbeat GEN - 1
# printed (each heartbeat is on the disk before it is printed).
disk_handed_over() {
	disk_line "$1"
	_prev=$(($1 - 1))
	_printed=$(grep -o "HB name=web node=[^ ]* gen=$_prev seq=[0-9]*" "$HA_CONSOLE/web.log" | tail -n 1 | sed 's/.*seq=//')
	_found=$(echo "$disk" | sed -n "s/^last_gen=$_prev last_seq=\([0-9]*\) .*/\1/p")
	[ -n "$_printed" ] && [ -n "$_found" ] && [ "$_found" -ge "$_printed" ]
}
# disk_log_check: web's disk, read once its last instance is gone:
# records 0, 1, 2, ... without a hole; generations that never go back,
# each one's seqs 1, 2, 3, ... (a stale instance writing after the next
# one started would break either); generations 1 to 4 all there; the
# header a copy of the last record, or of the one before (the last
# instance may have died between the two writes). Prints what is wrong.
disk_log_check() {
	tr -d '\000' <"$WEB_DISK" | awk '
		function val(f) { sub(/^[a-z_]+=/, "", f); return f }
		NR == 1 { if ($1 != "HBDISK") print "no header: " $0; hdr = $0; next }
		$1 != "HBLOG" || $3 != "name=web" { print "sector " NR - 1 ": " $0; exit }
		{
			n = val($2) + 0; g = val($5) + 0; q = val($6) + 0
			if (n != NR - 2)
				print "sector " NR - 1 " holds n=" n
			if (g < gen)
				print "n=" n ": gen " g " after gen " gen
			if (g != gen) {
				if (q != 1)
					print "n=" n ": gen " g " starts at seq " q
				gens++
			} else if (q != seq + 1) {
				print "n=" n ": seq " q " after " seq
			}
			gen = g; seq = q; rec[n] = "HBDISK name=web gen=" g " seq=" q " next=" n + 1
		}
		END {
			if (gens != 4 || gen != 4)
				print gens " generations, the last " gen
			if (hdr != rec[NR - 2] && hdr != rec[NR - 3])
				print "header [" hdr "], last record [" rec[NR - 2] "]"
		}'
}

# web runs on $first; $first powered off: web runs again on a survivor.
# phases SCENARIO MARK OWNER: where the recovery's time went, from the
# audit logs: detection (the action to the new owner seeing the old one's
# hvxd leave), the fence delay (to its placement), the start (to vmctl run).
phases() {
	_left=$(ha_audit_delay ${3#n} "$2" 'what=node-left')
	_placed=$(ha_audit_delay ${3#n} "$2" 'what=place vm=web')
	_started=$(ha_audit_delay ${3#n} "$2" 'what=started vm=web')
	time_of "$1_detect" "${_left:-none}"
	time_of "$1_to_placed" "${_placed:-none}"
	time_of "$1_to_started" "${_started:-none}"
}

scenario_vm_power_off() {
	ha_mark vm_power_off
	t0=$(ha_now)
	ha_power_off ${first#n}
	t=$(wait_hb web "$first" 2 "$t0")
	read_hb web
	second=${hb_node:-}
	time_of hvxd_power_off_recovery "${t:-none}"
	phases hvxd_power_off vm_power_off "$second"
	check_eval ha_power_off_fails_over "web on ${hb_node:-?} gen ${hb_gen:-?} ${t:-never} s after $first went off (budget $BUDGET s)" \
		'[ -n "$t" ] && within "$t" $BUDGET && [ "${hb_gen:-}" = 2 ]'
	check_eval ha_power_off_no_overlap "$(cat /tmp/overlaps)" 'no_overlap web'
	check_eval ha_power_off_status "survivors: $(where ${second#n} web)" \
		'[ "$(where ${second#n} web)" = "$second running 2 0" ]'
	disk_handed_over 2
	rc=$?
	check_eval ha_power_off_disk_handed_over "gen 2 found '${disk:-nothing}'; gen 1's last heartbeat: seq ${_printed:-none}" '[ $rc = 0 ]'
	# Back on: it joins, gets the state, runs nothing.
	ha_start_corosync ${first#n} && hvxd_start ${first#n}
	sleep 2
	check_eval ha_powered_off_host_back_runs_nothing "$first: $(where ${first#n} web), vmctls $(vmctls ${first#n})" \
		'[ "$(where ${first#n} web)" = "$second running 2 0" ] && [ "$(vmctls ${first#n})" = 0 ]'
}

# web runs on $second; $second cut off: it loses quorum and kills web, a
# survivor starts it after the fence delay; then $second comes back.
scenario_vm_cut() {
	ha_mark vm_cut
	t0=$(ha_now)
	ha_cut ${second#n}
	t=$(wait_hb web "$second" 3 "$t0")
	read_hb web
	third=${hb_node:-}
	time_of hvxd_cut_recovery "${t:-none}"
	phases hvxd_cut vm_cut "$third"
	# The cut host's own fencing: the cut to its kill of web.
	time_of hvxd_cut_fenced "$(ha_audit_delay ${second#n} vm_cut 'what=killed vm=web' || echo none)"
	check_eval ha_cut_fails_over "web on ${hb_node:-?} gen ${hb_gen:-?} ${t:-never} s after $second was cut (budget $BUDGET s)" \
		'[ -n "$t" ] && within "$t" $BUDGET && [ "${hb_gen:-}" = 3 ]'
	check_eval ha_cut_host_fenced_itself "$second: vmctls $(vmctls ${second#n}), $(grep -m1 'what=killed' $HA_DIR/$second/audit.log)" \
		'[ "$(vmctls ${second#n})" = 0 ] && audit_has $second "what=killed vm=web gen=2 .*lost quorum"'
	check_eval ha_cut_no_overlap "$(cat /tmp/overlaps)" 'no_overlap web'
	disk_handed_over 3
	rc=$?
	check_eval ha_cut_disk_handed_over "gen 3 found '${disk:-nothing}'; gen 2's last heartbeat: seq ${_printed:-none}" '[ $rc = 0 ]'
	ha_restore ${second#n}
	ha_wait_quorum ${second#n} yes $WAIT >/dev/null
	sleep 2
	check_eval ha_cut_host_back_runs_nothing "$second: $(where ${second#n} web), vmctls $(vmctls ${second#n})" \
		'[ "$(where ${second#n} web)" = "$third running 3 0" ] && [ "$(vmctls ${second#n})" = 0 ]'
}

# web runs on $third; its hvxd killed and started again: web goes on.
scenario_hvxd_restart() {
	pid0=$(cut -d' ' -f1 "$HA_DIR/$third/state/web.pid" 2>/dev/null)
	starts0=$(grep -c '^HB-START' "$HA_CONSOLE/web.log")
	kill -9 $(ha_pids ${third#n} /bin/hvxd)
	sleep 1
	hvxd_start ${third#n}
	sleep 2
	check_eval ha_hvxd_restart_adopts "$(where ${third#n} web); vmctl pid $pid0 -> $(cut -d' ' -f1 $HA_DIR/$third/state/web.pid 2>/dev/null); HB-START $starts0 -> $(grep -c '^HB-START' $HA_CONSOLE/web.log)" \
		'[ "$(where ${third#n} web)" = "$third running 3 0" ] && [ -n "$pid0" ] &&
		 [ "$(cut -d" " -f1 $HA_DIR/$third/state/web.pid)" = "$pid0" ] &&
		 [ "$(grep -c "^HB-START" $HA_CONSOLE/web.log)" = "$starts0" ] && audit_has $third "what=adopted vm=web gen=3"'
}

# web runs on $third: relocated to another host.
scenario_relocate() {
	to=n1
	[ "$third" != n1 ] || to=n2
	t0=$(ha_now)
	hactl 3 relocate web $to >/tmp/reloc.out 2>&1
	rc=$?
	t=$(wait_hb web "$third" 4 "$t0")
	read_hb web
	time_of hvxd_relocation "${t:-none}"
	check_eval ha_relocation "relocate: status $rc ($(cat /tmp/reloc.out)); web on ${hb_node:-?} gen ${hb_gen:-?} after ${t:-never} s" \
		'[ $rc -eq 0 ] && [ "${hb_node:-}" = $to ] && [ "${hb_gen:-}" = 4 ] && [ "$(where 1 web)" = "$to running 4 0" ]'
	check_eval ha_relocation_no_overlap "$(cat /tmp/overlaps)" 'no_overlap web'
	disk_handed_over 4
	rc=$?
	check_eval ha_relocation_disk_handed_over "gen 4 found '${disk:-nothing}'; gen 3's last heartbeat: seq ${_printed:-none}" '[ $rc = 0 ]'
}

# A VM that crashes after 3 heartbeats, every time: restarted 3 times
# with a back-off, then failed (its 4th crash is over the limit).
scenario_crash_loop() {
	hactl 1 add crashy -- --kernel $HA_HB --memory 8 --append "hb_ms=100 crash_after=3" >/dev/null 2>&1
	_k=0
	while [ $_k -lt 600 ] && ! where 1 crashy | grep -q failed; do
		sleep 0.1
		_k=$((_k + 1))
	done
	check_eval ha_crash_restart_limit "crashy: $(where 1 crashy); starts $(grep -c '^HB-START' $HA_CONSOLE/crashy.log), crashes $(grep -c '^HB-CRASH' $HA_CONSOLE/crashy.log)" \
		'[ "$(where 1 crashy)" = "- failed 4 4" ] && [ "$(grep -c "^HB-START" $HA_CONSOLE/crashy.log)" = 4 ] &&
		 [ "$(grep -c "^HB-CRASH" $HA_CONSOLE/crashy.log)" = 4 ]'
}

# web runs on $to; the two other hosts powered off: $to has no quorum,
# kills web and runs nothing.
scenario_two_lost() {
	last=$to
	for _h in 1 2 3; do [ n$_h = "$last" ] || ha_power_off $_h; done
	ha_wait_quorum ${last#n} no $WAIT >/dev/null
	_k=0
	while [ $_k -lt 50 ] && [ "$(vmctls ${last#n})" != 0 ]; do sleep 0.1; _k=$((_k + 1)); done
	beats=$(grep -c "node=$last gen=4" "$HA_CONSOLE/web.log")
	sleep 2
	check_eval ha_no_quorum_runs_nothing "$last: $(where ${last#n} web), vmctls $(vmctls ${last#n}), heartbeats $beats -> $(grep -c "node=$last gen=4" $HA_CONSOLE/web.log)" \
		'[ "$(vmctls ${last#n})" = 0 ] && where ${last#n} web | grep -q "^$last fenced 4 " &&
		 [ "$(grep -c "node=$last gen=4" $HA_CONSOLE/web.log)" = "$beats" ]'
	hactl ${last#n} add other -- --kernel "$HA_HB" --memory 8 >/tmp/noq.out 2>&1
	rc=$?
	check_eval ha_no_quorum_refuses_changes "add on $last: status $rc ($(cat /tmp/noq.out))" \
		'[ $rc = 1 ] && grep -q "no quorum" /tmp/noq.out'
	check_eval ha_no_overlap_in_any_scenario "$(cat /tmp/overlaps)" 'no_overlap web && no_overlap crashy'
	check_eval ha_disk_log_in_order "$(disk_log_check | head -c 400)" '[ -z "$(disk_log_check)" ]'
	echo "# heartbeats of web by node and generation:"
	grep -o 'node=[^ ]* gen=[0-9]*' "$HA_CONSOLE/web.log" | uniq -c | sed 's/^/# /'
}

# Whatever is left; nothing afterwards.
scenario_teardown() {
	ha_teardown
	left="$("$HA_IP" netns list) $("$HA_IP" link show "$HA_BRIDGE" 2>/dev/null) $(pidof corosync)"
	check ha_teardown_leaves_nothing "left: $left" [ -z "$(echo $left)" ]
}

SCENARIOS="start idle cut power_off two_down checker
	hvxd_start control vm_power_off vm_cut hvxd_restart relocate crash_loop two_lost teardown"
for s in $SCENARIOS; do
	echo "# scenario $s at $(ha_now)"
	scenario_$s
done
echo "# corosync's events (the actions: $(for m in "$HA_DIR"/*.mark; do
	echo "$(basename "$m" .mark) $(stat -c %y "$m" | cut -d' ' -f2)"; done | tr '\n' ' '))"
events
echo "# times (s): $(tr '\n' ' ' <"$HA_DIR/times")"
exit 0
