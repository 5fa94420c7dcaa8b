#!/bin/sh
# The HA soak (make soak, not make check): three hosts with corosync and
# hvxd (ha_lib.sh), two HA VMs, and rounds of random failures: a host
# powered off or cut from the network, a powered-off host started again, a
# cut host reconnected, an hvxd killed and started again, a relocation;
# each followed by a random pause. After every round the overlap checker
# reads both VMs' consoles: no two instances of a VM may ever have run at
# once. At the end every host comes back and both VMs must run. Prints
# TAP and a summary of what happened.
#
#   HVX_HA_SOAK_ROUNDS (default 40), HVX_HA_SOAK_SEED (default: the time)

. /guest_lib.sh	# ok, not_ok, check, check_eval, fail_rest
. /ha_lib.sh

ROUNDS=${HVX_HA_SOAK_ROUNDS:-40}
SEED=${HVX_HA_SOAK_SEED:-$(date +%s)}
TESTS="ha_soak_setup ha_soak_no_overlap ha_soak_all_run_at_the_end"
echo "1..3"
echo "# seed $SEED, $ROUNDS rounds (HVX_HA_SOAK_SEED=$SEED replays them)"
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || fail_rest "insmod hvx failed"

# rnd N DRAW: a number from 0 to N-1, from the seed, the round and the
# draw's number in the round (rnd runs in $(...), a subshell, so it can
# keep no counter of its own).
rnd() {
	awk -v s="$SEED" -v k=$((r * 8 + $2)) -v n="$1" 'BEGIN { srand(s + k * 7919); print int(rand() * n) }'
}
is_up() { [ ! -e "$HA_DIR/n$1/off" ]; }
is_cut() { [ -e "$HA_DIR/n$1/cut" ]; }
power_on() { ha_start_corosync "$1" && hvxd_start "$1"; }
hvxd_kill() { kill -9 $(ha_pids "$1" /bin/hvxd); }

ha_setup 3 && for i in 1 2 3; do ha_start_corosync $i || exit 1; done &&
	ha_wait_members 1 3 60 >/dev/null && for i in 1 2 3; do hvxd_start $i || exit 1; done &&
	hactl 1 add web -- --kernel $HA_HB --memory 8 --append hb_ms=200 >/dev/null &&
	hactl 1 add db -- --kernel $HA_HB --memory 8 --append hb_ms=200 >/dev/null
rc=$?
check ha_soak_setup "status $rc" [ $rc -eq 0 ]
[ $rc -eq 0 ] || fail_rest "no cluster"

actions=""
overlaps=0
r=1
while [ $r -le $ROUNDS ]; do
	h=$(($(rnd 3 1) + 1))
	case $(rnd 6 2) in
	0) is_up $h && { ha_power_off $h; a="power-off n$h"; } || { power_on $h; a="power-on n$h"; } ;;
	1) is_cut $h && { ha_restore $h; a="restore n$h"; } || { is_up $h && ha_cut $h; a="cut n$h"; } ;;
	2) is_up $h && { hvxd_kill $h; sleep 1; hvxd_start $h; a="hvxd restart n$h"; } || a="none" ;;
	3) vm=web
	   [ "$(rnd 2 3)" = 0 ] || vm=db
	   hactl $h relocate $vm n$(($(rnd 3 4) + 1)) >/dev/null 2>&1
	   a="relocate $vm (from n$h): status $?" ;;
	*) # bring a host back, so that the cluster does not stay down
	   for i in 1 2 3; do
		if ! is_up $i; then power_on $i; a="power-on n$i"; break; fi
		if is_cut $i; then ha_restore $i; a="restore n$i"; break; fi
		a="none"
	   done ;;
	esac
	pause=$(rnd 15 5)
	sleep "$pause"
	for vm in web db; do
		if ! ha_overlaps "$HA_CONSOLE/$vm.log" >/tmp/ov; then
			overlaps=$((overlaps + 1))
			sed "s/^/# round $r: $vm: /" /tmp/ov
		fi
	done
	echo "# round $r at $(ha_now): $a, then ${pause} s; web: $(hb web), db: $(hb db)"
	actions="$actions $(echo "$a" | cut -d' ' -f1)"
	r=$((r + 1))
done
check ha_soak_no_overlap "$overlaps rounds saw an overlap" [ $overlaps -eq 0 ]

# Everything back; then both VMs must run (each somewhere, once).
for i in 1 2 3; do
	is_up $i || power_on $i
	! is_cut $i || ha_restore $i
done
ha_wait_members 1 3 60 >/dev/null
t0=$(ha_now)
while :; do
	w=$(where 1 web) d=$(where 1 db)
	case "$w $d" in *running*running*) break ;; esac
	awk -v t="$(ha_since "$t0")" 'BEGIN { exit !(t > 60) }' && break
	sleep 0.5
done
check_eval ha_soak_all_run_at_the_end "web: $w; db: $d; overlaps $overlaps" \
	'echo "$w" | grep -q " running " && echo "$d" | grep -q " running " &&
	 ha_overlaps $HA_CONSOLE/web.log >/dev/null && ha_overlaps $HA_CONSOLE/db.log >/dev/null'
echo "# actions:$(echo $actions | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ' | tr -s ' ')"
echo "# starts: web $(grep -c '^HB-START' $HA_CONSOLE/web.log), db $(grep -c '^HB-START' $HA_CONSOLE/db.log)"
echo "# decisions:"
grep -h 'what=place' $HA_DIR/n*/audit.log | sed 's/.*by=\([^ ]*\) what=place vm=\([^ ]*\) gen=\([0-9]*\) on=\([^ ]*\) why="\([^";]*\).*/\2 gen \3 on \4 by \1: \5/' |
	sort -u -k1,1 -k3,3n | sed 's/^/#   /'
ha_teardown
exit 0
