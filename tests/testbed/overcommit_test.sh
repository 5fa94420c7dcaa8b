#!/bin/sh
# Guest memory that the host can reclaim, inside the testbed (busybox sh).
# Prints TAP.
#
# The guest is memtouch (tests/guests/tk/memtouch.c): it fills its RAM,
# one word per page made of the page's number and its seed, and reads it
# back. zram is the swap: it keeps such pages in no memory, so swapping
# costs the emulated CPU little. hvx pins nothing: each check below
# would fail, or the host would run out of memory, if it did.
#   oc_zram_swap                     a zram disk is the testbed's swap
#   oc_memory_max_holds              a 128 MiB guest under --memory-max 64:
#                                    its cgroup stays within 64 MiB, the rest
#                                    swapped, and the guest reads its memory back
#   oc_ksm_merges_two_guests         two --mergeable guests of one seed: KSM
#                                    shares their pages, and both read them back
#   oc_three_guests_beyond_the_ram   three 256 MiB guests at once, more than the
#                                    testbed's RAM: each has memory in swap once
#                                    all filled theirs, each reads all of it back,
#                                    no OOM kill
#   oc_swap_comes_back               swapoff brings every page back in

. /guest_lib.sh	# ok, not_ok, check, check_eval, fail_rest, wait_for, wait_exit

TESTS="oc_zram_swap oc_memory_max_holds oc_ksm_merges_two_guests
oc_three_guests_beyond_the_ram oc_swap_comes_back"
CG=/sys/fs/cgroup
KSM=/sys/kernel/mm/ksm
GUEST=/guests/memtouch.elf

echo "1..$(echo $TESTS | wc -w)"
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko $HVX_MODULE_PARAMS || fail_rest "insmod hvx failed"
grep -q "^[^ ]* $CG cgroup2 " /proc/mounts || { mkdir -p $CG && mount -t cgroup2 none $CG; }

# touch NAME MIB SEED PASSES [VMCTL_OPTION...]: memtouch in the background,
# its pid in pid_NAME, its console in /tmp/NAME.out (wait_for reads it).
touch_vm() {
	_name=$1 _mib=$2 _seed=$3 _passes=$4
	shift 4
	: >"/tmp/$_name.out"	# there before wait_for looks
	vmctl run --kernel $GUEST --name "$_name" --memory "$_mib" --exit-port \
		--append "seed=$_seed passes=$_passes" --timeout 3000 "$@" \
		</dev/null >"/tmp/$_name.out" 2>"/tmp/$_name.err" &
	eval "pid_$_name=$!"
}
# passes NAME: how many read-back passes a forever guest (passes=0) has done.
passes() { grep -c '^# memtouch: pass [0-9]* ok' "/tmp/$1.out"; }
vmstat() { sed -n "s/^$1 //p" /proc/vmstat; }
meminfo_kib() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
oom_kills() { dmesg | grep -c -e 'invoked oom-killer' -e 'Out of memory'; }
stop_vm() {	# stop_vm NAME: vmctl stop --force, and wait for its end
	vmctl stop "$1" --force >/dev/null 2>&1
	eval "wait_exit \$pid_$1 60"
}

# A 1 GiB zram disk: far more than the guests will leave in it, and
# same-filled pages cost it a table entry only.
zram=
if insmod /lib/modules/zsmalloc.ko 2>/dev/null || [ -d /sys/module/zsmalloc ]; then
	insmod /lib/modules/zram.ko num_devices=1 2>/dev/null || [ -d /sys/module/zram ]
fi
if [ -e /sys/block/zram0/disksize ] && echo 1G >/sys/block/zram0/disksize &&
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
	zram=yes
fi
check oc_zram_swap "$(cat /proc/swaps; dmesg | grep -i zram | tail -n 3)" grep -q '^/dev/zram0 ' /proc/swaps
[ -n "$zram" ] || fail_rest "no zram swap"
oom0=$(oom_kills)

# --- a VM's memory.max: its pages go to swap, not the host's other memory.
touch_vm capped 128 11 0 --memory-max 64
wait_for capped '^# memtouch: pass 1 ok' 900
cur=$(cat $CG/hvx.slice/capped/memory.current 2>/dev/null)
swp=$(cat $CG/hvx.slice/capped/memory.swap.current 2>/dev/null)
echo "# --memory 128 --memory-max 64: memory.current $cur, memory.swap.current $swp, $(grep VmSwap /proc/$pid_capped/status)"
check_eval oc_memory_max_holds "memory.current $cur, swap $swp; $(tail_of capped)" \
	'[ "$(passes capped)" -ge 1 ] && [ -n "$cur" ] && [ "$cur" -le 67108864 ] &&
	 [ "${swp:-0}" -ge 33554432 ] && ! grep -q "^not ok" /tmp/capped.out'
stop_vm capped

# --- KSM: two guests of one seed hold the same 62 MiB.
echo 4000 >$KSM/pages_to_scan
echo 20 >$KSM/sleep_millisecs
echo 1 >$KSM/run
touch_vm k1 64 7 0 --mergeable
touch_vm k2 64 7 0 --mergeable
wait_for k1 '^# memtouch: pass 1 ok' 600 && wait_for k2 '^# memtouch: pass 1 ok' 600
# 62 MiB each is 15872 pages: most of them shared, within 10 min.
i=0
while [ $i -lt 600 ] && [ "$(cat $KSM/pages_sharing)" -lt 12000 ]; do
	sleep 1
	i=$((i + 1))
done
sharing=$(cat $KSM/pages_sharing)
# Each guest reads its memory, merged, back once more.
p1=$(passes k1) p2=$(passes k2)
wait_for k1 "^# memtouch: pass $((p1 + 1)) ok" 300
wait_for k2 "^# memtouch: pass $((p2 + 1)) ok" 300
echo "# KSM: pages_sharing $sharing, pages_shared $(cat $KSM/pages_shared) after $i s; passes $(passes k1) and $(passes k2)"
check_eval oc_ksm_merges_two_guests "pages_sharing $sharing; passes $p1 -> $(passes k1), $p2 -> $(passes k2); $(tail_of k1) $(tail_of k2)" \
	'[ "$sharing" -ge 12000 ] && [ "$(passes k1)" -gt "$p1" ] && [ "$(passes k2)" -gt "$p2" ] &&
	 ! grep -q "^not ok" /tmp/k1.out /tmp/k2.out'
stop_vm k1
stop_vm k2
echo 2 >$KSM/run	# unmerge, and stop ksmd

# --- three 256 MiB guests, more than the testbed's RAM with its own.
total=$(meminfo_kib MemTotal)
out0=$(vmstat pswpout)
touch_vm g1 256 1 1
touch_vm g2 256 2 1
touch_vm g3 256 3 1
# vmctl top while they run: the table of the note, with their swap.
wait_for g3 '^# memtouch: filled' 900 && vmctl top --once --interval 1 >/tmp/oc-top.txt 2>&1
sed 's/^/# top: /' /tmp/oc-top.txt
# Each one's memory partly in swap then, with its reading back ahead.
swapped=0
for p in $pid_g1 $pid_g2 $pid_g3; do
	[ "$(sed -n 's/^VmSwap:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$p/status 2>/dev/null)" -gt 0 ] 2>/dev/null &&
		swapped=$((swapped + 1))
done
wait_exit $pid_g1 1800; s1=$?
wait_exit $pid_g2 1800; s2=$?
wait_exit $pid_g3 1800; s3=$?
out=$(( $(vmstat pswpout) - out0 ))
echo "# 3 x 256 MiB on $((total / 1024)) MiB of RAM: statuses $s1 $s2 $s3, $swapped of them with swapped memory once all had filled theirs, $out pages swapped out, $(($(oom_kills) - oom0)) OOM kills"
# Status 1: the kernel's exit-port verdict, every check passed.
check_eval oc_three_guests_beyond_the_ram "statuses $s1 $s2 $s3; $swapped swapped; swapped out $out; $(tail_of g1) $(tail_of g2) $(tail_of g3)" \
	'[ $((total / 1024)) -lt 768 ] && [ "$s1" = 1 ] && [ "$s2" = 1 ] && [ "$s3" = 1 ] &&
	 [ "$swapped" -eq 3 ] && [ "$out" -gt 0 ] && [ "$(oom_kills)" -eq "$oom0" ] &&
	 [ "$(grep -c "^ok [0-9]* - memory_reads_back" /tmp/g1.out /tmp/g2.out /tmp/g3.out |
	      awk -F: "{ s += \$2 } END { print s }")" -eq 3 ]'

check_eval oc_swap_comes_back "$(cat /proc/swaps)" 'swapoff /dev/zram0 && ! grep -q zram0 /proc/swaps'
exit 0
