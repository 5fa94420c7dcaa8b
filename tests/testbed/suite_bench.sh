#!/bin/sh
# make bench, inside the testbed. Only one hypervisor can hold VMX root at
# a time, hence hvx first, then KVM.
#  1. exit_bench: the same guest code under hvx and KVM (ns per operation).
#  2. Guest boot: the Debian kernel with the same initrd, memory and vCPUs
#     to its /init, under vmctl (hvx) and under QEMU with KVM; the time is
#     the guest's own uptime when /init runs (its clock is the TSC in both),
#     and the exits of the hvx boot by reason, per second of that boot.
n=${HVX_BENCH_ITERATIONS:-2000}
MEM=128
CPUS=1

# boot_to_ready NAME CMD...: run CMD with a FIFO as its console input until
# the guest prints "GUEST: ready", then power it off; prints the figures.
boot_to_ready() {
	name=$1
	shift
	rm -f /tmp/in /tmp/out /tmp/err
	mkfifo /tmp/in
	"$@" </tmp/in >/tmp/out 2>/tmp/err &
	pid=$!
	exec 3>/tmp/in
	i=0
	while ! grep -q '^GUEST: ready' /tmp/out && [ $i -lt 3000 ]; do
		sleep 1
		i=$((i + 1))
	done
	init=$(sed -n 's/^GUEST: init at \([0-9.]*\).*/\1/p' /tmp/out | tr -d '\r')
	echo "poweroff -f" >&3
	j=0
	while kill -0 $pid 2>/dev/null && [ $j -lt 60 ]; do sleep 1; j=$((j + 1)); done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	exec 3>&-
	echo "boot $name ${init:-0}"
}

insmod /lib/modules/hvx.ko || exit 1
/selftests/exit_bench hvx "$n" || exit 1
boot_to_ready hvx vmctl run --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz \
	--memory $MEM --cpus $CPUS --stats
# The exits of the whole hvx boot, by reason (vmctl --stats).
tr -d '\r' </tmp/err | awk '/^vCPU/ { v = 1; next } v && NF >= 2 {
	c = $NF; $NF = ""; sub(/ +$/, ""); sub(/^ +/, ""); gsub(/ /, "_"); n[$0] += c }
	END { for (r in n) print "exits hvx", r, n[r] }'
rmmod hvx || exit 1

for m in irqbypass kvm kvm-intel; do insmod /lib/modules/kvm/$m.ko || exit 1; done
/selftests/exit_bench kvm "$n" || exit 1
if [ -x /qemu/qemu-system-x86_64 ]; then
	boot_to_ready qemu-kvm /qemu/ld.so --library-path /qemu /qemu/qemu-system-x86_64 \
		-L /qemu -M microvm -enable-kvm -cpu host -m $MEM -smp $CPUS \
		-nographic -no-reboot -kernel /boot/vmlinuz \
		-initrd /guests/linux-initrd.gz -append console=ttyS0
else
	echo "boot qemu-kvm 0"
fi
