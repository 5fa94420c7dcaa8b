#!/bin/sh
# make bench, inside the testbed. Only one hypervisor can hold VMX root at
# a time, hence hvx first, then KVM.
#  1. exit_bench: the same guest code under hvx and KVM (ns per operation).
#  2. Guest boot: the Debian kernel with the same initrd, memory and vCPUs
#     to its /init, under vmctl (hvx) and under QEMU with KVM; the time is
#     the guest's own uptime when /init runs (its clock is the TSC in both),
#     and the exits of the hvx boot by reason, per second of that boot.
#  3. Disk: fio in the guest (the bench initrd, /guests/linux-bench-initrd.gz)
#     on a virtio-blk disk over PCI, the same raw image with O_DIRECT on the
#     host side: vmctl --disk IMG,cache=none, and QEMU's virtio-blk-pci with
#     cache=none,aio=io_uring (-M pc: microvm's virtio is MMIO, not PCI).
#     Sequential read and write of 64 MiB in 1 MiB blocks (MiB/s), random
#     4 KiB reads and writes over 16 MiB (IOPS), all --direct=1 in the guest.
#     The image lives on an ext4 in a RAM disk (tmpfs takes no O_DIRECT):
#     what is measured is the virtualization, not a disk.
. /guest_lib.sh	# scratch_ext4
n=${HVX_BENCH_ITERATIONS:-2000}
MEM=128
CPUS=1
IMG=/scratch/bench.img
BENCH_INITRD=/guests/linux-bench-initrd.gz
# io_uring is in the guest kernel and in fio (libaio and psync are too).
IOENGINE=${HVX_BENCH_IOENGINE:-io_uring}

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

# disk_bench NAME CMD...: boot the bench guest with CMD (its disk is
# $IMG), run the fio jobs in it and print "disk NAME JOB VALUE" lines.
# Each job: name, fio --rw, block size, size, queue depth.
# A guest that ends while commands are typed must not kill this shell.
trap '' PIPE
FIO_JOBS="seq_write:write:1M:64M:4 seq_read:read:1M:64M:4 rand_write:randwrite:4k:16M:16 rand_read:randread:4k:16M:16"
disk_bench() {
	name=$1
	shift
	rm -f /tmp/in /tmp/out /tmp/err
	mkfifo /tmp/in
	"$@" </tmp/in >/tmp/out 2>/tmp/err &
	pid=$!
	exec 3>/tmp/in
	i=0
	while ! grep -q '^GUEST: ready' /tmp/out && [ $i -lt 3000 ] && kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	if ! grep -q '^GUEST: ready' /tmp/out; then
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		exec 3>&-
		echo "bench: $name: the guest did not boot: $(tail -n 3 /tmp/out /tmp/err | tr '\n' ' ')"
		return
	fi
	grep '^GUEST: disk=' /tmp/out | tr -d '\r'
	# say(): a result line the console's echo of the command never holds.
	echo 'say() { echo "GUEST: $*"; }' >&3
	# Terse output: field 7 read KiB/s, 8 read IOPS, 48 write KiB/s, 49 write IOPS.
	echo "for j in $FIO_JOBS; do set -- \$(echo \$j | tr : ' '); say fio \$1 \$(fio --name=\$1 --filename=/dev/vda --rw=\$2 --bs=\$3 --size=\$4 --iodepth=\$5 --direct=1 --ioengine=$IOENGINE --runtime=60 --minimal | awk -F';' '{ print \$7, \$8, \$48, \$49 }'); done; say fio_done" >&3
	i=0
	while ! grep -q '^GUEST: fio_done' /tmp/out && [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	echo "poweroff -f" >&3
	j=0
	while kill -0 $pid 2>/dev/null && [ $j -lt 60 ]; do sleep 1; j=$((j + 1)); done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	exec 3>&-
	grep -q '^GUEST: fio_done' /tmp/out ||
		{ echo "bench: $name: no fio results: $(tail -n 5 /tmp/out /tmp/err | tr '\n' ' ')"; return; }
	# Sequential jobs in MiB/s, random ones in IOPS, of the direction they ran.
	tr -d '\r' </tmp/out | awk -v hv="$name" '$1 == "GUEST:" && $2 == "fio" && NF == 7 {
		rd = $4 > 0
		if ($3 ~ /^seq/) printf "disk %s %s_MiB/s %.1f\n", hv, $3, (rd ? $4 : $6) / 1024
		else printf "disk %s %s_4k_IOPS %d\n", hv, $3, rd ? $5 : $7 }'
}

# The disk image, the same for both: on an ext4 in a RAM disk, O_DIRECT.
scratch_ext4 /scratch 128 || { echo "bench: no scratch ext4 for the disk image"; exit 1; }
truncate -s 80M $IMG

insmod /lib/modules/hvx.ko || exit 1
/selftests/exit_bench hvx "$n" || exit 1
boot_to_ready hvx vmctl run --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz \
	--memory $MEM --cpus $CPUS --stats
# The exits of the whole hvx boot, by reason (vmctl --stats).
tr -d '\r' </tmp/err | awk '/^vCPU/ { v = 1; next } v && NF >= 2 {
	c = $NF; $NF = ""; sub(/ +$/, ""); sub(/^ +/, ""); gsub(/ /, "_"); n[$0] += c }
	END { for (r in n) print "exits hvx", r, n[r] }'
if [ -f $BENCH_INITRD ]; then
	disk_bench hvx vmctl run --kernel /boot/vmlinuz --initrd $BENCH_INITRD \
		--memory $MEM --cpus $CPUS --timeout 3000 --disk $IMG,cache=none
fi
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
# The same disk under QEMU+KVM: virtio-blk-pci on the PC machine (SeaBIOS),
# the closest to vmctl's PCI disk that Debian's QEMU 7.2 has.
if [ -x /qemu/qemu-system-x86_64 ] && [ -f $BENCH_INITRD ]; then
	disk_bench qemu-kvm /qemu/ld.so --library-path /qemu /qemu/qemu-system-x86_64 \
		-L /qemu -M pc -enable-kvm -cpu host -m $MEM -smp $CPUS \
		-nodefaults -nographic -serial stdio -no-reboot -kernel /boot/vmlinuz \
		-initrd $BENCH_INITRD -append console=ttyS0 \
		-drive file=$IMG,if=none,id=d0,format=raw,cache=none,aio=io_uring \
		-device virtio-blk-pci,drive=d0
fi
