#!/bin/sh
# make demo, inside the testbed: load hvx, boot the Debian kernel (the one
# running this testbed) as a guest with 2 vCPUs and a virtio disk, use its
# shell through the console as a user would: make an ext4 on the disk (or
# mount the one there), write a file, power off; boot it again and read
# the file back; unload hvx.

say() { printf '\n==== %s\n' "$*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# Type a line into the guest's console, as a user at vmctl's terminal.
type_line() { echo "$*" >&3; }
wait_for() {	# wait_for REGEX SECONDS: in the guest's console
	i=0
	while ! grep -qE "$1" /tmp/guest.log; do
		i=$((i + 1))
		[ $i -le "$2" ] || { echo "demo: no '$1' after $2 s" >&2; return 1; }
		kill -0 $vmctl_pid 2>/dev/null ||
			{ echo "demo: vmctl ended: $(cat /tmp/vmctl.err)" >&2; return 1; }
		sleep 1
	done
}

say "the emulated host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
grep -m1 -o 'vmx flags.*' /proc/cpuinfo | cut -c1-120

say "insmod hvx.ko"
insmod /lib/modules/hvx.ko || exit 1
dmesg | grep 'hvx:' | tail -n 3
vmctl host || exit 1

say "a disk for the guest: a 64 MiB raw image, empty"
truncate -s 64M /tmp/disk.img
ls -l /tmp/disk.img
disk=/tmp/disk.img,serial=demo-disk,cache=writeback

# boot_guest [VMCTL_OPTION...]: vmctl run in the background, its console
# shown as it comes and typed into through the FIFO on fd 3.
boot_guest() {
	rm -f /tmp/console
	mkfifo /tmp/console
	: >/tmp/guest.log
	start=$(uptime_s)
	vmctl run --name demo --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz \
		--cpus 2 --memory 256 --timeout 3000 --disk "$disk" "$@" \
		</tmp/console >/tmp/guest.log 2>/tmp/vmctl.err &
	vmctl_pid=$!
	exec 3>/tmp/console
	tail -f /tmp/guest.log &
	tail_pid=$!
	wait_for '^GUEST: init at' 1500 || exit 1
	init=$(uptime_s)
	wait_for '^GUEST: ready' 300 || exit 1
	sleep 2
}
# guest_ended: after the guest powered off, vmctl's status and messages.
guest_ended() {
	wait $vmctl_pid
	rc=$?
	sleep 1
	kill $tail_pid 2>/dev/null
	exec 3>&-
	say "vmctl run ended with status $rc (0: the guest powered off)"
	cat /tmp/vmctl.err
	[ $rc -eq 0 ] || exit 1
}

say "vmctl run: the Debian kernel as a guest, 2 vCPUs, 256 MiB, the disk; its console follows"
echo "vmctl run --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz --cpus 2 --memory 256 --disk $disk --stats"
boot_guest --stats

say "vmctl list / vmctl info demo (from the host, while the guest runs)"
vmctl list
vmctl info demo

say "typing commands into the guest's shell"
type_line 'echo "guest: $(nproc) CPUs online ($(cat /sys/devices/system/cpu/online)), kernel $(uname -r)"'
type_line 'grep -E "^(model name|flags)" /proc/cpuinfo | head -n 2 | cut -c1-100'
type_line 'free -m; cat /proc/interrupts | head -n 12'
type_line 'echo "guest: disk $(cat /sys/block/vda/serial): $(($(cat /sys/block/vda/size) / 2048)) MiB"'
# First boot: no filesystem there yet, so mount fails and mkfs.ext4 makes one.
type_line 'if mount /dev/vda /mnt 2>/dev/null; then echo "guest: mounted the ext4 of vda"; else echo "guest: no filesystem on vda: mkfs.ext4"; mkfs.ext4 -q /dev/vda && mount /dev/vda /mnt; fi'
type_line 'echo "written by the guest of the first boot, $(uname -r)" >/mnt/hello.txt; df -h /mnt; ls -l /mnt'
type_line 'umount /mnt; echo "guest: done, powering off"; poweroff -f'
guest_ended
echo "time from 'vmctl run' to the guest's /init: $(awk "BEGIN { print $init - $start }") s of testbed time (the guest's own clock said $(sed -n 's/^GUEST: init at \([0-9.]*\).*/\1/p' /tmp/guest.log | tr -d '\r') s)"

say "the image now holds an ext4; vmctl boots the guest again on it"
boot_guest
type_line 'mount /dev/vda /mnt && echo "guest: /mnt/hello.txt says:" && cat /mnt/hello.txt'
type_line 'echo "guest: done, powering off"; poweroff -f'
guest_ended
grep -q 'written by the guest of the first boot' /tmp/guest.log ||
	{ echo "demo: the second boot did not read the file back" >&2; exit 1; }

say "rmmod hvx"
rmmod hvx || exit 1
dmesg | grep 'hvx:' | tail -n 1
