#!/bin/sh
# vmctl's virtio-blk disks (--disk PATH[,readonly][,cache=none|writeback]
# [,serial=S]), inside the testbed (busybox sh). The Debian kernel boots as
# a guest twice (each boot costs 1-2 minutes of wall time in emulation, so
# each does several things); the test types commands into its shell and
# checks on the testbed side the bytes of the images once vmctl is gone.
# Prints TAP.
#
#   boot 1, three disks: vda (fs.img, serial hvx-disk-1), vdb (ro.img,
#     readonly, known bytes), vdc (raw.img, no serial): sizes, serials and
#     ro flags as the guest sees them; the guest reads vdb's bytes; its
#     writes to vdb fail; a 4 MiB pattern written to vdc at 1 MiB with
#     O_DIRECT and read back; mkfs.ext4 on vda with files; poweroff. Then
#     on the host: vdb's image unchanged, the pattern at its place on
#     raw.img, e2fsck -fn clean on fs.img, the file's bytes (debugfs).
#   a missing image: vmctl refuses it (status 1).
#   boot 2, vda (fs.img again), vdb (loop.img, cache=none): the file of
#     boot 1 read back; a second vmctl on fs.img is refused (the lock);
#     then the guest writes numbered 4 KiB blocks, each to vdb (raw,
#     O_DIRECT + fsync) and as a file on the ext4 of vda (+ sync), saying
#     "GUEST: synced N" after each, and vmctl is killed (-9) in the middle.
#     On the host: every block reported synced is intact on loop.img (the
#     raw disk is the check of the data), and e2fsck -fy recovers fs.img
#     (the ext4 is the check of the filesystem) after which e2fsck -fn is
#     clean and every file reported synced is there, intact.
#
# The images live on an ext4 in a RAM disk of the testbed (brd), not on
# its tmpfs, so that cache=none (O_DIRECT) has a filesystem that takes it.

# A guest boots in about 40 s of testbed time: 600 s is a failure.
WAIT=${HVX_GUEST_WAIT:-600}
. /guest_lib.sh	# ok, not_ok, check(_eval), start, ask, wait_for, wait_exit, fact(_of), scratch_ext4

D=/scratch
TESTS="disk_guest_boots_with_three_disks disk_modules_load disk_rw_size_serial
disk_readonly_flag disk_no_serial_is_empty disk_guest_reads_image_bytes
disk_readonly_write_fails_in_guest disk_guest_reads_back_its_write
disk_mkfs_ext4_in_guest disk_guest_poweroff_ends_vmctl disk_readonly_image_unchanged
disk_guest_write_is_on_image disk_fsck_clean_after_poweroff disk_file_on_image
disk_missing_image_refused disk_second_boot_reads_file_back disk_locked_image_refused
disk_kill9_synced_blocks_intact disk_kill9_ext4_recovers disk_kill9_synced_files_intact"
echo "1..$(echo $TESTS | wc -w)"

# Until vmctl has disks (or if the testbed cannot hold their images), say
# so in every result, at once: nothing below could pass or end quickly.
fail_all() {
	for t in $TESTS; do not_ok "$t" "$1"; done
	exit 1
}
scratch_ext4 $D 96 || fail_all "no scratch ext4 on a RAM disk for the images"
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || fail_all "insmod hvx failed"
vmctl run --help 2>&1 | grep -q -- '--disk' || fail_all "vmctl run has no --disk option"


md5() { md5sum | cut -d' ' -f1; }
# region FILE SKIP_MIB COUNT_MIB: the md5 of that part of FILE.
region() { dd if="$1" bs=1M skip="$2" count="$3" 2>/dev/null | md5; }
rc_of() { fact "$1" "$2" | grep -E '^[0-9]+$'; }	# a numeric "KEY=N" only
zero_md5=$(dd if=/dev/zero bs=1M count=1 2>/dev/null | md5)

# --- images -------------------------------------------------------------
truncate -s 32M $D/fs.img	# the guest makes an ext4 on it
disktool block 0 256 readonly >$D/ro.img	# 1 MiB of known bytes
truncate -s 8M $D/raw.img
truncate -s 8M $D/loop.img
disktool block 0 1024 pattern >/tmp/pattern	# what the guest writes: 4 MiB
pattern_md5=$(md5 </tmp/pattern)
ro_md5=$(md5 <$D/ro.img)

# --- boot 1 -------------------------------------------------------------
t0=$(cut -d' ' -f1 /proc/uptime)
start D1 3 1 128 "console=ttyS0" \
	--disk $D/fs.img,serial=hvx-disk-1 --disk $D/ro.img,readonly --disk $D/raw.img
if wait_for D1 '^GUEST: ready'; then
	ok "disk_guest_boots_with_three_disks"
else
	not_ok "disk_guest_boots_with_three_disks" "no 'GUEST: ready' (vmctl ended, or $WAIT s passed): $(tail_of D1)"
	wait_exit $pid_D1 1
	fail_rest "the first guest did not boot"
fi
echo "# boot 1: vmctl run to the guest's shell in $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $t0 }") s"
check "disk_modules_load" "insmod failed: $(fact D1 failed)" [ "$(fact D1 failed)" = none ]
disk() { fact_of D1 "disk=$1 " "$2"; }	# disk DEV KEY
check_eval "disk_rw_size_serial" "vda: size=$(disk vda size) ro=$(disk vda ro) serial=$(disk vda serial), want 65536 0 hvx-disk-1" \
	'[ "$(disk vda size)" = 65536 ] && [ "$(disk vda ro)" = 0 ] && [ "$(disk vda serial)" = hvx-disk-1 ]'
check_eval "disk_readonly_flag" "vdb: size=$(disk vdb size) ro=$(disk vdb ro), want 2048 1" \
	'[ "$(disk vdb size)" = 2048 ] && [ "$(disk vdb ro)" = 1 ]'
check_eval "disk_no_serial_is_empty" "vdc: $(grep -m1 'GUEST: disk=vdc' /tmp/D1.out), want size=16384 ro=0 serial=" \
	'[ "$(disk vdc size)" = 16384 ] && [ "$(disk vdc ro)" = 0 ] && [ -z "$(disk vdc serial)" ]'

ask D1 3 'say() { echo "GUEST: $*"; }; say defined' defined 60
ask D1 3 'say ro_md5=$(md5sum </dev/vdb | cut -d" " -f1)' 'ro_md5=' 120
check "disk_guest_reads_image_bytes" "guest read md5 '$(fact D1 ro_md5)', image $ro_md5" \
	[ "$(fact D1 ro_md5)" = "$ro_md5" ]

ask D1 3 'dd if=/dev/zero of=/dev/vdb bs=4096 count=1 oflag=direct conv=fsync 2>/tmp/e; say ro_write rc=$? err=$(tr " " _ </tmp/e | head -n1)' 'ro_write' 120
check_eval "disk_readonly_write_fails_in_guest" "dd to the readonly vdb: rc=$(fact D1 rc) $(fact D1 err)" \
	'[ -n "$(rc_of D1 rc)" ] && [ "$(rc_of D1 rc)" != 0 ]'

# The pattern to vdc at 1 MiB, O_DIRECT (no page cache to hide a lost
# write), read back the same way.
ask D1 3 'disktool block 0 1024 pattern >/tmp/p && dd if=/tmp/p of=/dev/vdc bs=1M seek=1 oflag=direct conv=fsync status=none; say raw_write=$?' 'raw_write=' 300
ask D1 3 'say raw_md5=$(dd if=/dev/vdc bs=1M skip=1 count=4 iflag=direct status=none | md5sum | cut -d" " -f1)' 'raw_md5=' 300
check_eval "disk_guest_reads_back_its_write" "write status $(fact D1 raw_write), read back md5 '$(fact D1 raw_md5)', want $pattern_md5" \
	'[ "$(fact D1 raw_write)" = 0 ] && [ "$(fact D1 raw_md5)" = "$pattern_md5" ]'

ask D1 3 'mkfs.ext4 -q -F -L hvxfs /dev/vda && mount -t ext4 /dev/vda /mnt && cp /tmp/p /mnt/pattern && mkdir /mnt/dir && echo hello-from-boot-1 >/mnt/dir/hello && umount /mnt; say mkfs=$?' 'mkfs=' 600
check "disk_mkfs_ext4_in_guest" "mkfs, mount, write, umount: status $(fact D1 mkfs): $(tail_of D1)" \
	[ "$(fact D1 mkfs)" = 0 ]

grep -q '^GUEST: ready' /tmp/D1.out && echo 'sync; poweroff -f' >&3
wait_exit $pid_D1 300
rc=$?
exec 3>&-
check "disk_guest_poweroff_ends_vmctl" "vmctl run exit $rc: $(tail_of D1)" [ $rc -eq 0 ]

# The bytes on the images, now that vmctl has closed them.
check "disk_readonly_image_unchanged" "ro.img md5 $(md5 <$D/ro.img), was $ro_md5" \
	[ "$(md5 <$D/ro.img)" = "$ro_md5" ]
check_eval "disk_guest_write_is_on_image" "raw.img: 1st MiB $(region $D/raw.img 0 1) (zeros: $zero_md5), MiB 1-4 $(region $D/raw.img 1 4) (want $pattern_md5)" \
	'[ "$(region $D/raw.img 0 1)" = "$zero_md5" ] && [ "$(region $D/raw.img 1 4)" = "$pattern_md5" ]'
e2fsck -fn $D/fs.img >/tmp/fsck1 2>&1
rc=$?
check "disk_fsck_clean_after_poweroff" "e2fsck -fn exit $rc: $(tail -n 3 /tmp/fsck1 | tr '\n' ' ')" [ $rc -eq 0 ]
file_md5=$(debugfs -R 'cat /pattern' $D/fs.img 2>/dev/null | md5)
hello=$(debugfs -R 'cat /dir/hello' $D/fs.img 2>/dev/null)
check_eval "disk_file_on_image" "debugfs: /pattern md5 $file_md5 (want $pattern_md5), /dir/hello '$hello'" \
	'[ "$file_md5" = "$pattern_md5" ] && [ "$hello" = hello-from-boot-1 ]'

# --- refusals -----------------------------------------------------------
# Refused before any guest runs; a vmctl that boots one anyway is bounded.
refused() {	# refused OUT DISK_OPTION: a vmctl run that must fail at once
	timeout 300 vmctl run --kernel "$KERNEL" --initrd "$INITRD" --memory 64 \
		--timeout 120 --disk "$2" </dev/null >"$1" 2>&1
}
refused /tmp/missing.out $D/no-such.img
rc=$?
check_eval "disk_missing_image_refused" "exit $rc: $(head -c 200 /tmp/missing.out)" \
	'[ $rc -eq 1 ] && grep -q "no-such.img" /tmp/missing.out'

# --- boot 2 -------------------------------------------------------------
t0=$(cut -d' ' -f1 /proc/uptime)
start D2 4 1 128 "console=ttyS0" --disk $D/fs.img,serial=hvx-disk-1 --disk $D/loop.img,cache=none
wait_for D2 '^GUEST: ready' || echo "# boot 2: no 'GUEST: ready' in $WAIT s: $(tail_of D2)"
echo "# boot 2: vmctl run to the guest's shell in $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $t0 }") s"
ask D2 4 'say() { echo "GUEST: $*"; }; say defined' defined 60
ask D2 4 'mount -t ext4 /dev/vda /mnt; say file_md5=$(md5sum </mnt/pattern | cut -d" " -f1) hello=$(cat /mnt/dir/hello)' 'file_md5=' 300
check_eval "disk_second_boot_reads_file_back" "md5 '$(fact D2 file_md5)' (want $pattern_md5), hello '$(fact D2 hello)': $(tail_of D2)" \
	'[ "$(fact D2 file_md5)" = "$pattern_md5" ] && [ "$(fact D2 hello)" = hello-from-boot-1 ]'

# fs.img is D2's now: a second writer would corrupt it.
refused /tmp/locked.out $D/fs.img
rc=$?
check_eval "disk_locked_image_refused" "exit $rc: $(head -c 200 /tmp/locked.out)" \
	'[ $rc -eq 1 ] && grep -qiE "(^|[^b])lock" /tmp/locked.out'

# kill -9 while the guest writes and syncs, a few blocks in.
ask D2 4 'disktool writeloop /dev/vdb /mnt' 'synced 8' 900
kill -9 $pid_D2 2>/dev/null
wait_exit $pid_D2 60
exec 4>&-
synced=$(tr -d '\r' </tmp/D2.out | sed -n 's/^GUEST: synced \([0-9]*\)$/\1/p' | tail -n1)
echo "# boot 2: vmctl killed after the guest reported block ${synced:-none} synced"
synced=${synced:-0}
: >/tmp/want
: >/tmp/got
if [ "$synced" -gt 0 ]; then
	disktool block 1 "$synced" synced >/tmp/want
	dd if=$D/loop.img bs=4096 skip=1 count="$synced" 2>/dev/null >/tmp/got
fi
check_eval "disk_kill9_synced_blocks_intact" "$synced blocks reported synced; loop.img blocks 1-$synced $(md5 </tmp/got), want $(md5 </tmp/want)" \
	'[ "$synced" -gt 0 ] && cmp -s /tmp/want /tmp/got'

e2fsck -fy $D/fs.img >/tmp/fsck2 2>&1
rc_y=$?
e2fsck -fn $D/fs.img >/tmp/fsck3 2>&1
rc_n=$?
# 0: clean, 1: errors corrected (a journal replayed and orphans freed).
check_eval "disk_kill9_ext4_recovers" "e2fsck -fy exit $rc_y, then -fn exit $rc_n: $(tail -n 3 /tmp/fsck3 | tr '\n' ' ')" \
	'[ $rc_y -le 1 ] && [ $rc_n -eq 0 ]'
files_intact() {
	[ "$synced" -gt 0 ] || return 1
	k=1
	while [ $k -le "$synced" ]; do
		disktool block $k 1 synced >/tmp/want1
		debugfs -R "cat /loop/$k" $D/fs.img 2>/dev/null | cmp -s /tmp/want1 - ||
			{ echo "# /loop/$k is not what the guest wrote"; return 1; }
		k=$((k + 1))
	done
	[ "$(debugfs -R 'cat /pattern' $D/fs.img 2>/dev/null | md5)" = "$pattern_md5" ]
}
check "disk_kill9_synced_files_intact" "files /loop/1-$synced and /pattern after e2fsck" files_intact
# The RAM disk's pages are not reclaimable: give them back for the suites
# that follow in this boot (overcommit's guests).
umount $D && rmmod brd || echo "# the scratch RAM disk stays: $(grep ram0 /proc/mounts)"
exit 0
