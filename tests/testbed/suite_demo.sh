#!/bin/sh
# make demo, inside the testbed: load hvx, boot the Debian kernel (the one
# running this testbed) as a guest with 2 vCPUs, use its shell through the
# console as a user would, power it off, and unload hvx.

say() { printf '\n==== %s\n' "$*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# Type a line into the guest's console, as a user at vmctl's terminal.
type_line() { echo "$*" >&3; }
wait_for() {	# wait_for REGEX SECONDS
	i=0
	while ! grep -qE "$1" /tmp/guest.log; do
		i=$((i + 1))
		[ $i -le "$2" ] || { echo "demo: no '$1' after $2 s" >&2; return 1; }
		sleep 1
	done
}

say "the emulated host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
grep -m1 -o 'vmx flags.*' /proc/cpuinfo | cut -c1-120

say "insmod hvx.ko"
insmod /lib/modules/hvx.ko || exit 1
dmesg | grep 'hvx:' | tail -n 3
vmctl host || exit 1

say "vmctl run: the Debian kernel as a guest, 2 vCPUs, 256 MiB; its console follows"
mkfifo /tmp/console
: >/tmp/guest.log
start=$(uptime_s)
vmctl run --name demo --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz \
	--cpus 2 --memory 256 --timeout 3000 --stats \
	</tmp/console >/tmp/guest.log 2>/tmp/vmctl.err &
vmctl_pid=$!
exec 3>/tmp/console
tail -f /tmp/guest.log &
tail_pid=$!

wait_for '^GUEST: init at' 1500 || exit 1
init=$(uptime_s)
wait_for '^GUEST: ready' 300 || exit 1
sleep 2

say "vmctl list / vmctl info demo (from the host, while the guest runs)"
vmctl list
vmctl info demo

say "typing commands into the guest's shell"
type_line 'echo "guest: $(nproc) CPUs online ($(cat /sys/devices/system/cpu/online)), kernel $(uname -r)"'
type_line 'grep -E "^(model name|flags)" /proc/cpuinfo | head -n 2 | cut -c1-100'
type_line 'free -m; cat /proc/interrupts | head -n 12'
type_line 'echo "guest: done, powering off"; poweroff -f'
wait $vmctl_pid
rc=$?
sleep 1
kill $tail_pid 2>/dev/null

say "vmctl run ended with status $rc (0: the guest powered off)"
cat /tmp/vmctl.err
echo "time from 'vmctl run' to the guest's /init: $(awk "BEGIN { print $init - $start }") s of testbed time (the guest's own clock said $(sed -n 's/^GUEST: init at \([0-9.]*\).*/\1/p' /tmp/guest.log | tr -d '\r') s)"

say "rmmod hvx"
rmmod hvx || exit 1
dmesg | grep 'hvx:' | tail -n 1
[ $rc -eq 0 ]
