#!/bin/sh
# make demo, inside the testbed: load hvx, boot the Debian kernel (the one
# running this testbed) as a guest with 2 vCPUs and a virtio disk, use its
# shell through the console as a user would: make an ext4 on the disk (or
# mount the one there), write a file, power off; boot it again and read
# the file back; then a network: two guests on a bridge of hvx ping each
# other and the host, with the anti-spoof filter counting on their taps;
# then high availability: three hosts (namespaces) with corosync and hvxd,
# an HA VM, its host powered off, the VM running again on a survivor;
# unload hvx.

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
# The kernel modules the parts need (tun, bridge, vhost_net, veth...).
while read -r m; do insmod "/lib/modules/$m.ko" 2>/dev/null; done </lib/modules/load-order

# The parts (make demo-ha runs only "ha"): HVX_DEMO_PARTS, set by demo.sh.
part() { case " ${HVX_DEMO_PARTS:-disk net ha} " in *" $1 "*) return 0 ;; esac; return 1; }

if part disk; then
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

fi

if part net; then
say "a network: vmctl net create demo0 --subnet 10.0.0.0/24 (a bridge; the host is 10.0.0.1)"
vmctl net create demo0 --subnet 10.0.0.0/24 || exit 1
vmctl net list

# net_guest NAME FD ADDRESS: a guest with a NIC on demo0, its console in
# /tmp/NAME.log (not shown: two guests at once would interleave), typed
# into through fd FD; once booted, eth0 is up with ADDRESS/24.
net_guest() {
	rm -f /tmp/$1.in
	mkfifo /tmp/$1.in
	: >/tmp/$1.log
	vmctl run --name $1 --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz \
		--memory 128 --timeout 3000 --nic bridge=demo0,ip=$3 \
		</tmp/$1.in >/tmp/$1.log 2>/tmp/$1.err &
	eval "pid_$1=$!"
	eval "exec $2>/tmp/$1.in"
}
net_wait() {	# net_wait NAME REGEX SECONDS
	i=0
	while ! grep -qE "$2" /tmp/$1.log; do
		i=$((i + 1))
		[ $i -le "$3" ] || { echo "demo: $1: no '$2' after $3 s: $(tail -n 3 /tmp/$1.err)" >&2; return 1; }
		sleep 1
	done
}
echo "vmctl run --name alpha ... --nic bridge=demo0,ip=10.0.0.11"
echo "vmctl run --name beta ... --nic bridge=demo0,ip=10.0.0.12"
net_guest alpha 4 10.0.0.11
net_guest beta 5 10.0.0.12
net_wait alpha '^GUEST: ready' 1500 || exit 1
net_wait beta '^GUEST: ready' 1500 || exit 1
grep -h '^GUEST: nic=' /tmp/alpha.log /tmp/beta.log | tr -d '\r'
echo 'ip link set eth0 up; ip addr add 10.0.0.11/24 dev eth0' >&4
echo 'ip link set eth0 up; ip addr add 10.0.0.12/24 dev eth0' >&5
sleep 2
say "alpha pings beta, beta pings alpha and the host (typed into their shells)"
echo 'ping -c 3 -w 30 10.0.0.12; echo "GUEST: alpha ping done"' >&4
net_wait alpha '^GUEST: alpha ping done' 300 || exit 1
echo 'ping -c 3 -w 30 10.0.0.11; ping -c 2 -w 30 10.0.0.1; echo "GUEST: beta ping done"' >&5
net_wait beta '^GUEST: beta ping done' 300 || exit 1
sed -n '/ping -c 3/,/alpha ping done/p' /tmp/alpha.log | grep -E 'bytes from|packets' | tr -d '\r'
sed -n '/ping -c 3/,/beta ping done/p' /tmp/beta.log | grep -E 'bytes from|packets' | tr -d '\r'
grep -q 'bytes from 10.0.0.12' /tmp/alpha.log && grep -q 'bytes from 10.0.0.11' /tmp/beta.log ||
	{ echo "demo: the guests did not reach each other" >&2; exit 1; }
say "the host pings alpha; vmctl info alpha (its NIC, data path and filter counters)"
ping -c 2 -w 30 10.0.0.11
vmctl info alpha | grep '^nic0'
say "vmctl stop alpha beta; then vmctl net delete demo0 (refused while in use, so after)"
vmctl stop alpha
vmctl stop beta
wait $pid_alpha $pid_beta
exec 4>&- 5>&-
vmctl net delete demo0 || exit 1
vmctl net list

fi

if part ha; then
say "high availability: three hosts (namespaces of this testbed), each with corosync and hvxd"
. /ha_lib.sh
ha_setup 3 || exit 1
for i in 1 2 3; do ha_start_corosync $i || exit 1; done
ha_wait_members 1 3 60 >/dev/null || exit 1
for i in 1 2 3; do hvxd_start $i || exit 1; done
# Its disk: an image on the storage every host reaches (here /run/ha, one
# tmpfs for the three), which the guest logs each heartbeat on.
dd if=/dev/zero of=$HA_DIR/web.img bs=1M count=0 seek=1 2>/dev/null
echo "vmctl ha add web -- --kernel /guests/ha_heartbeat.elf --memory 8 --disk $HA_DIR/web.img --append 'hb_ms=500 hb_disk=1'"
hactl 1 add web -- --kernel $HA_HB --memory 8 --disk $HA_DIR/web.img --append "hb_ms=500 hb_disk=1" || exit 1
t0=$(ha_now)
wait_hb web none 1 "$t0" >/dev/null || { echo "demo: web did not start" >&2; exit 1; }
sleep 2
hactl 1 status
echo "its console (each line a heartbeat: the node it runs on, the generation of this start):"
tail -n 2 $HA_CONSOLE/web.log
set -- $(hb web)
say "power off $1, the host that runs web (all its processes killed at once)"
ha_power_off ${1#n}
t0=$(ha_now)
t=$(wait_hb web $1 2 "$t0") || { echo "demo: web did not fail over" >&2; exit 1; }
set -- $(hb web)
echo "web runs again on $1 (generation $2), $t s after the power-off (detection, fence delay, start)"
sleep 1
hactl ${1#n} status | tail -n 2
tail -n 2 $HA_CONSOLE/web.log
echo "its disk came along: the last heartbeat of generation $(($2 - 1)), then what generation $2 read on the disk"
grep -o "HB name=web node=[^ ]* gen=$(($2 - 1)) seq=[0-9]*" $HA_CONSOLE/web.log | tail -n 1
grep -o "HB-DISK name=web node=$1 gen=$2 .*" $HA_CONSOLE/web.log | tr -d '\r' | grep . ||
	{ echo "demo: the disk did not come along" >&2; exit 1; }
echo "what the survivors decided (audit log of $1):"
grep -E 'what=(node-left|place)' $HA_DIR/$1/audit.log | tail -n 2 | cut -c1-200
ha_teardown

fi

say "rmmod hvx"
rmmod hvx || exit 1
dmesg | grep 'hvx:' | tail -n 1
