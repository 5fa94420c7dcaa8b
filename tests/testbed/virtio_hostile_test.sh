#!/bin/sh
# A hostile guest against vmctl's virtio-blk device, inside the testbed
# (busybox sh). Prints TAP.
#
# /guests/virtio_hostile.elf (tests/guests/virtio_hostile.c) is a Multiboot
# kernel that drives the device correctly once, then feeds it bad
# descriptors, chains, rings and register accesses, checking after each
# that the device failed the request (or asked for a reset, or ignored it),
# wrote no guest memory it was not given, and works again after a reset.
# Its TAP lines ("ok N - NAME: DETAIL") become this script's, renumbered,
# NAME made into a stable test name and DETAIL a diagnostic.
#
# Two runs on one image: all the attacks on the disk read-write, then the
# write tests on it read-only (--disk PATH,readonly; the guest's command
# line "readonly" selects them; their names start with readonly_). After
# each run:
#   [readonly_]vmctl_exits_0         the guest powered off: vmctl stayed up
#   [readonly_]guest_ran_to_the_end  its "HOSTILE-VIRTIO: done" line came
# and, after the first, image_unchanged_but_sector_8 (the guest's only
# write request, to sector 8 with its data outside RAM, must fail, but a
# device may have written something there first), after the second,
# readonly_image_unchanged; at the end, host_log_clean: no BUG, WARNING or
# Oops in the host's log.
#
# The image: 1 MiB of random data, "hvx-hostile-s0" at the start of sector
# 0 and "hvx-hostile-end" at the start of the last one, which the guest
# checks its reads against.

GUEST=/guests/virtio_hostile.elf
IMG=/tmp/virtio_hostile.img
SECTORS=2048
OUT=/tmp/virtio_hostile.out
MARK="hvx-virtio-hostile: start $$"

n=0
failed=0

# The image less sector 8 / all of it, for the comparisons.
image_sum_but_8() {
	{ dd if=$IMG bs=512 count=8; dd if=$IMG bs=512 skip=9; } 2>/dev/null | md5sum
}
image_sum() { md5sum <$IMG; }

# A guest test name as a result name: lower case, runs of other characters
# as one underscore.
slug() {
	echo "$1" | tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9]\{1,\}/_/g' -e 's/^_//' -e 's/_$//'
}

result() {	# result NAME WHY CONDITION...
	name=$1 why=$2
	shift 2
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		failed=$((failed + 1))
		echo "not ok $n $name # $why"
	fi
}

# run_guest TAG DISK APPEND: vmctl run the guest, output in $OUT.TAG
# (carriage returns dropped), exit status in $OUT.TAG.rc.
run_guest() {
	vmctl run --kernel $GUEST --disk "$2" --append "$3" --memory 32 \
		--no-console --timeout 600 </dev/null >$OUT.$1.raw 2>$OUT.$1.err
	echo $? >$OUT.$1.rc
	tr -d '\r' <$OUT.$1.raw >$OUT.$1
}

# relay TAG PREFIX: the guest's TAP lines and diagnostics as this script's.
relay() {
	while IFS= read -r line; do
		case $line in
		"ok "*" # SKIP "*)
			rest=${line#ok * - }
			n=$((n + 1))
			echo "ok $n $2$(slug "${rest%% # SKIP *}") # SKIP ${rest#* # SKIP }"
			;;
		"ok "*|"not ok "*)
			rest=${line#*ok [0-9]* - }
			name=${rest%%: *}
			why=${rest#*: }
			n=$((n + 1))
			case $line in
			"not "*)
				failed=$((failed + 1))
				echo "not ok $n $2$(slug "$name") # $why" ;;
			*)
				echo "ok $n $2$(slug "$name")"
				echo "# $name: $why" ;;
			esac
			;;
		"# attack: "*) ;;	# the guest's progress, for a hang: see below
		"#"*|"HOSTILE-VIRTIO: "*) echo "# guest: $line" ;;
		esac
	done <$OUT.$1
}

# check_run TAG PREFIX: did vmctl stay up, did the guest get to its end.
check_run() {
	rc=$(cat $OUT.$1.rc)
	result "$2vmctl_exits_0" "vmctl run exit $rc: $(tail -n 3 $OUT.$1.err | tr '\n' ' ')" \
		[ "$rc" -eq 0 ]
	result "$2guest_ran_to_the_end" "no 'HOSTILE-VIRTIO: done' line; output ends: $(tail -n 2 $OUT.$1 | tr '\n' ' ')" \
		grep -q '^HOSTILE-VIRTIO: done' $OUT.$1
}

[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || exit 1

dd if=/dev/urandom of=$IMG bs=512 count=$SECTORS 2>/dev/null
printf 'hvx-hostile-s0\n' | dd of=$IMG conv=notrunc 2>/dev/null
printf 'hvx-hostile-end\n' | dd of=$IMG bs=512 seek=$((SECTORS - 1)) conv=notrunc 2>/dev/null
echo "$MARK" >/dev/kmsg

sum_before=$(image_sum_but_8)
run_guest rw $IMG ""
sum_after=$(image_sum_but_8)
ro_before=$(image_sum)
run_guest ro "$IMG,readonly" readonly
ro_after=$(image_sum)

# The plan: both runs' tests and this script's seven.
echo "1..$(($(cat $OUT.rw $OUT.ro | grep -cE '^(not )?ok [0-9]+ ') + 7))"
relay rw ""
check_run rw ""
result image_unchanged_but_sector_8 "the image changed outside sector 8" \
	[ "$sum_before" = "$sum_after" ]
relay ro readonly_
check_run ro readonly_
result readonly_image_unchanged "a read-only image changed" [ "$ro_before" = "$ro_after" ]
log=$(dmesg | sed -n "/$MARK/,\$p" | grep -E 'BUG|WARNING|Oops|general protection|Call Trace' | head -n 3)
result host_log_clean "host log: $(echo "$log" | tr '\n' ' ')" [ -z "$log" ]

rm -f $IMG
[ $failed -eq 0 ]
