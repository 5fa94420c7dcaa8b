#!/bin/sh
# A VM's share of the host (cgroup v2), inside the testbed (busybox sh).
# Prints TAP.
#
# A guest that spins on its vCPU (jmp $, a raw image) runs with resource
# options; the kernel's own files say what vmctl set up, and cpu.stat what
# the VM got: about 20% of a CPU with --cpu-max 20000/100000, about 50%
# once vmctl set gives it 50000/100000, most of the CPU without a limit.
#   res_cgroup2_mounted               cgroup2 at /sys/fs/cgroup
#   res_vm_in_its_cgroup              vmctl is in hvx.slice/spin; vmctl info says so
#   res_settings_applied              cpu.max, cpu.weight, memory.max as given
#   res_cpu_max_holds                 its CPU share over 5 s is 12-28%
#   res_info_counts_exits_while_running  vmctl info's exits grow while the vCPU spins
#   res_top_shows_the_vm              vmctl top --json: its CPU% as cpu.stat has it
#                                     (12-28), exits/s, the top reason; the table too
#   res_stats_prometheus              vmctl stats --prometheus: well formed, its
#                                     exits, exit reasons and CPU time
#   res_set_changes_running_vm        vmctl set --cpu-max: 35-65%, then no limit: > 70%
#   res_set_refusals                  nothing to set, bad values (status 2),
#                                     no such VM, a CPU the host lacks (status 1)
#   res_run_refusals                  bad values: status 2 and nothing made
#   res_io_weight                     io.weight where the kernel has it, else refused
#   res_cgroup_removed                gone once the VM is
#   res_killed_vm_cgroup_taken_over   a kill -9 leaves it; the next VM of that name takes it
#   res_vm_without_options_has_one    a VM without options runs in hvx.slice/NAME too

. /guest_lib.sh	# ok, not_ok, check, check_eval, fail_rest

TESTS="res_cgroup2_mounted res_vm_in_its_cgroup res_settings_applied
res_cpu_max_holds res_info_counts_exits_while_running res_top_shows_the_vm
res_stats_prometheus res_set_changes_running_vm res_set_refusals res_run_refusals
res_io_weight res_cgroup_removed res_killed_vm_cgroup_taken_over
res_vm_without_options_has_one"
CG=/sys/fs/cgroup
SLICE=$CG/hvx.slice
SPIN=/tmp/spin.bin
printf '\353\376' >$SPIN	# jmp $: a vCPU that never stops

echo "1..$(echo $TESTS | wc -w)"
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || fail_rest "insmod hvx failed"
grep -q "^[^ ]* $CG cgroup2 " /proc/mounts || { mkdir -p $CG && mount -t cgroup2 none $CG; }
check res_cgroup2_mounted "$(grep cgroup /proc/mounts)" grep -q "^[^ ]* $CG cgroup2 " /proc/mounts

# spin NAME [OPTION...]: the spinning guest in the background, pid in $pid.
spin() {
	_name=$1
	shift
	vmctl run --raw $SPIN --name "$_name" --timeout 600 --no-console "$@" \
		</dev/null >"/tmp/$_name.out" 2>"/tmp/$_name.err" &
	pid=$!
}
# in_cgroup NAME PID: PID is in NAME's cgroup, within 60 s.
in_cgroup() {
	_i=0
	while [ $_i -lt 60 ]; do
		grep -qx "$2" "$SLICE/$1/cgroup.procs" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}
# share CGROUP SECONDS: its CPU time over SECONDS of testbed time, in per mille.
now_us() { awk '{ printf "%d", $1 * 1000000 }' /proc/uptime; }
usage_us() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }
share() {
	_u0=$(usage_us "$1") _t0=$(now_us)
	sleep "$2"
	_u1=$(usage_us "$1") _t1=$(now_us)
	echo $(((_u1 - _u0) * 1000 / (_t1 - _t0)))
}

spin spin --cpu-max 20000/100000 --cpu-weight 50 --memory-max 64
in_cgroup spin $pid
rc=$?
check_eval res_vm_in_its_cgroup "procs: $(cat $SLICE/spin/cgroup.procs 2>&1 | tr '\n' ' '); info: $(vmctl info spin 2>&1 | grep cgroup); $(cat /tmp/spin.err)" \
	'[ $rc -eq 0 ] && vmctl info spin | grep -qx "cgroup: $SLICE/spin"'
[ $rc -eq 0 ] || fail_rest "the VM is not in its cgroup"
check_eval res_settings_applied "cpu.max $(cat $SLICE/spin/cpu.max), cpu.weight $(cat $SLICE/spin/cpu.weight), memory.max $(cat $SLICE/spin/memory.max)" \
	'[ "$(cat $SLICE/spin/cpu.max)" = "20000 100000" ] && [ "$(cat $SLICE/spin/cpu.weight)" = 50 ] &&
	 [ "$(cat $SLICE/spin/memory.max)" = 67108864 ]'
s20=$(share $SLICE/spin 5)
echo "# --cpu-max 20000/100000: the spinning VM got $s20 per mille of the CPU over 5 s"
check_eval res_cpu_max_holds "$s20 per mille" '[ "$s20" -ge 120 ] && [ "$s20" -le 280 ]'

# The module's counters, read while the vCPU runs (no lock to wait for).
e0=$(vmctl info spin | sed -n 's/^exits: //p')
sleep 1
e1=$(vmctl info spin | sed -n 's/^exits: //p')
check_eval res_info_counts_exits_while_running "exits $e0 -> $e1; $(vmctl info spin | grep exits_by_reason)" \
	'[ -n "$e0" ] && [ "$e1" -gt "$e0" ] && vmctl info spin | grep -q "^exits_by_reason:.* preemption_timer="'

vmctl top --json --interval 2 >/tmp/top.json 2>&1
vmctl top --once --interval 1 >/tmp/top.txt 2>&1
row=$(grep '"name": "spin"' /tmp/top.json)
cpu=$(echo "$row" | sed -n 's/.*"cpu_percent": \([0-9]*\).*/\1/p')
eps=$(echo "$row" | sed -n 's/.*"exits_per_s": \([0-9]*\).*/\1/p')
rss=$(echo "$row" | sed -n 's/.*"rss_kib": \([0-9]*\).*/\1/p')
echo "# vmctl top: $(head -n 2 /tmp/top.txt | tail -n 1); $(grep VmRSS /proc/$pid/status)"
check_eval res_top_shows_the_vm "json: $row; table: $(cat /tmp/top.txt)" \
	'[ -n "$cpu" ] && [ "$cpu" -ge 12 ] && [ "$cpu" -le 28 ] && [ "$eps" -gt 0 ] && [ "${rss:-0}" -gt 0 ] &&
	 echo "$row" | grep -q "\"vcpus\": 1," && echo "$row" | grep -q "\"top_exits_per_s\": {.*\"preemption_timer\"" &&
	 head -n 1 /tmp/top.txt | grep -q "^NAME  *VCPUS  *CPU%" && grep -q "^spin  *1 " /tmp/top.txt'

# The same VM to a scrape: vmctl stats --prometheus, well formed, with
# the exits that vmctl info counts and its cgroup's CPU time.
vmctl stats --prometheus spin >/tmp/stats.prom 2>&1
srow=$(grep '^hvx_vm_exits_total{vm="spin"} ' /tmp/stats.prom | cut -d' ' -f2)
scpu=$(grep '^hvx_vm_cpu_seconds_total{vm="spin"} ' /tmp/stats.prom | cut -d' ' -f2)
sbad=$(grep -v -e '^# HELP hvx_vm_[a-z_]* ' -e '^# TYPE hvx_vm_[a-z_]* \(counter\|gauge\)$' \
	-e '^hvx_vm_[a-z_]*{vm="spin"\(,reason="[a-z_0-9]*"\)\?} [0-9.e+-]*$' /tmp/stats.prom | head -n 1)
echo "# vmctl stats --prometheus: $(wc -l </tmp/stats.prom) lines, exits $srow, cpu $scpu s; $(grep -c '^# TYPE' /tmp/stats.prom) families"
check_eval res_stats_prometheus "exits '$srow', cpu '$scpu', bad line '$sbad'" \
	'[ "${srow:-0}" -gt 0 ] && [ -n "$scpu" ] && [ -z "$sbad" ] &&
	 grep -qx "hvx_vm_up{vm=\"spin\"} 1" /tmp/stats.prom &&
	 grep -q "^hvx_vm_exits_by_reason_total{vm=\"spin\",reason=\"preemption_timer\"} [1-9]" /tmp/stats.prom &&
	 [ "$(grep -c "^# TYPE hvx_vm_exits_total counter$" /tmp/stats.prom)" -eq 1 ]'

vmctl set spin --cpu-max 50000/100000
s50=$(share $SLICE/spin 5)
vmctl set spin --cpu-max max/100000
smax=$(share $SLICE/spin 5)
echo "# vmctl set --cpu-max 50000/100000: $s50 per mille; max/100000: $smax per mille"
check_eval res_set_changes_running_vm "50000/100000: $s50, max: $smax per mille; cpu.max $(cat $SLICE/spin/cpu.max)" \
	'[ "$s50" -ge 350 ] && [ "$s50" -le 650 ] && [ "$smax" -ge 700 ] &&
	 [ "$(cat $SLICE/spin/cpu.max)" = "max 100000" ]'

# want STATUS GREP COMMAND...: COMMAND's status is STATUS and its stderr
# has GREP ("" for any); else $why says which and what it printed.
want() {
	_status=$1 _grep=$2
	shift 2
	"$@" </dev/null >/dev/null 2>/tmp/want.err
	_rc=$?
	[ $_rc -eq "$_status" ] && { [ -z "$_grep" ] || grep -q -- "$_grep" /tmp/want.err; } && return 0
	why="'$*': status $_rc, not $_status: $(cat /tmp/want.err)"
	return 1
}
why=
want 2 "say what to change" vmctl set spin &&
	want 2 "QUOTA/PERIOD" vmctl set spin --cpu-max 5 &&
	want 2 "1 to 10000" vmctl set spin --cpu-weight 0 &&
	want 2 "memory-max" vmctl set spin --memory-max 1G &&
	want 2 "cpuset" vmctl set spin --cpuset "0;1" &&
	want 1 "nosuch" vmctl set nosuch --cpu-weight 5 &&
	want 1 "cpuset.cpus" vmctl set spin --cpuset 7
rc=$?
check_eval res_set_refusals "$why; cpu.weight $(cat $SLICE/spin/cpu.weight)" \
	'[ $rc -eq 0 ] && [ "$(cat $SLICE/spin/cpu.weight)" = 50 ]'

RUN="vmctl run --raw /guests/hello16.bin --name refused"
why=
# shellcheck disable=SC2086
want 2 "cpu-max" $RUN --cpu-max 1000/2 &&
	want 2 "io-weight" $RUN --io-weight 20000 &&
	want 2 "memory-max" $RUN --memory-max -1 &&
	want 1 "cpuset.cpus" $RUN --cpuset 7
rc=$?
check_eval res_run_refusals "$why; left: $(ls $SLICE | tr '\n' ' ')" '[ $rc -eq 0 ] && [ ! -d $SLICE/refused ]'

# io.weight needs an I/O cost model (blk-iocost) or BFQ in the kernel.
mkdir $SLICE/probe && { [ -e $SLICE/probe/io.weight ] && io=yes || io=no; } && rmdir $SLICE/probe
echo "# io.weight in this kernel: $io"
why=
# shellcheck disable=SC2086
if [ "$io" = yes ]; then want 0 "" $RUN --io-weight 200; else want 1 "io.weight" $RUN --io-weight 200; fi
rc=$?
check_eval res_io_weight "io.weight in the kernel: $io; $why" '[ $rc -eq 0 ]'

vmctl stop spin --force >/dev/null 2>&1
wait_exit $pid 60 >/dev/null
check_eval res_cgroup_removed "$(ls $SLICE)" '[ ! -d $SLICE/spin ]'

spin spin2
in_cgroup spin2 $pid
kill -9 $pid
wait_exit $pid 60 >/dev/null
left=$([ -d $SLICE/spin2 ] && echo left || echo gone)
spin spin2 --cpu-weight 300
in_cgroup spin2 $pid
rc=$?
check_eval res_killed_vm_cgroup_taken_over "after kill -9: $left; then rc $rc, cpu.weight $(cat $SLICE/spin2/cpu.weight 2>&1); $(cat /tmp/spin2.err)" \
	'[ $left = left ] && [ $rc -eq 0 ] && [ "$(cat $SLICE/spin2/cpu.weight)" = 300 ]'
vmctl stop spin2 --force >/dev/null 2>&1
wait_exit $pid 60 >/dev/null

spin plain
in_cgroup plain $pid
rc=$?
check_eval res_vm_without_options_has_one "rc $rc: $(cat /tmp/plain.err)" \
	'[ $rc -eq 0 ] && [ "$(cat $SLICE/plain/cpu.max)" = "max 100000" ]'
vmctl stop plain --force >/dev/null 2>&1
wait_exit $pid 60 >/dev/null
[ ! -d $SLICE/plain ] || echo "# hvx.slice/plain left behind"
exit 0
