#!/bin/sh
# make bench, inside the testbed. Only one hypervisor can hold VMX root at
# a time, hence hvx first, then KVM.
#  1. exit_bench: the same guest code under hvx and KVM (ns per operation),
#     with the module parameters that decide its APIC paths ("info" lines).
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
#     what is measured is the virtualization, not a disk. Each side gets a
#     fresh RAM disk, made just before its disk bench and removed after, so
#     that its pages are not held while the network guests run.
#  4. Network: two bench guests on Linux bridges of the testbed (vmctl
#     net), Debian's iperf3 (TCP, 10 s of guest time) from guest A to the
#     testbed (guest_to_host) and to guest B (guest_to_guest), and the mean
#     round trip of 50 pings from A to the testbed (ICMP echo, rtt_us).
#     The hvx guests have one NIC per data path, each on a bridge of its
#     own, so that one boot of each serves every configuration: benchnet
#     (10.8.0.0/24) vhost-net, the default (hvx-vhost); benchnet1
#     (10.8.1.0/24) vmctl's own data path, vhost=off (hvx-vmctl); and on
#     A only, benchnet2 (10.8.2.0/24) vhost-net with spoof=off
#     (hvx-nospoof, guest to host and rtt only: the anti-spoof filter's
#     cost against hvx-vhost, the same guest and data path). QEMU+KVM's
#     guests (virtio-net-pci, -netdev tap with vhost=on, on -M pc like the
#     disk bench) sit on benchnet, through taps made beforehand with
#     Debian's ip: QEMU has no filter of its own. Prints
#     "net CONFIG METRIC VALUE".
# HVX_BENCH_PARTS (run.sh writes it above this script) selects the parts:
# exit (exit_bench), boot, net, disk.
. /guest_lib.sh	# scratch_ext4, wait_for, wait_exit, ask, fact, tail_of
parts=" ${HVX_BENCH_PARTS:-exit boot net disk} "
part() { case $parts in *" $1 "*) return 0 ;; esac; return 1; }
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

# A fresh scratch ext4 for a disk bench, and its removal: rmmod brd gives
# its pages back to the testbed (512 MiB, which the network guests need).
disk_image() {
	scratch_ext4 /scratch 128 || { echo "bench: no scratch ext4 for the disk image"; return 1; }
	truncate -s 80M $IMG
}
disk_image_drop() { umount /scratch && rmmod brd; }

# --- network ------------------------------------------------------------------
NET_T=${HVX_BENCH_NET_SECONDS:-10}	# iperf3's run, seconds of guest time
IP=/bin/ip	# Debian's (--program): busybox sh would run its applet for "ip"

# gstart NAME FD CMD...: CMD (a vmctl run or a QEMU) in the background, its
# pid in $pid_NAME, console input from /tmp/NAME.in held open on FD, output
# in /tmp/NAME.out, messages in /tmp/NAME.err (guest_lib.sh's start(), for
# any command).
gstart() {
	_name=$1 _fd=$2
	shift 2
	rm -f "/tmp/$_name.in"
	mkfifo "/tmp/$_name.in"
	"$@" <"/tmp/$_name.in" >"/tmp/$_name.out" 2>"/tmp/$_name.err" &
	eval "pid_$_name=$!"
	eval "exec $_fd>/tmp/$_name.in"
}
# gstop NAME FD: power the guest off, wait for its VMM to end.
gstop() {
	echo "poweroff -f" >&"$2"
	eval "wait_exit \$pid_$1 120" >/dev/null 2>&1
	eval "exec $2>&-"
}
# gready NAME FD CONFIG: the guest booted; defines say() and nicup MAC IP
# (the interface of that MAC up with IP/24) in its shell.
gready() {
	if ! wait_for "$1" '^GUEST: ready' 3000; then
		echo "bench: net $3: guest $1 did not boot: $(tail_of "$1")"
		return 1
	fi
	ask "$1" "$2" 'say() { echo "GUEST: $*"; }; nicup() { for d in /sys/class/net/eth*; do [ "$(cat $d/address)" = $1 ] && ip link set ${d##*/} up && ip addr add $2/24 dev ${d##*/} && return 0; done; return 1; }; say defined' defined 120
}
# nicup NAME FD KEY MAC IP: the guest's NIC of MAC gets IP, then pings the
# bridge's host address once it answers (ARP resolved, the bridge port
# forwarding: a new port learns and listens before it forwards).
nicup() {
	ask "$1" "$2" "nicup $4 $5; ping -c 1 -w 60 ${5%.*}.1 >/dev/null 2>&1; say $3=\$?" "$3=" 300
	[ "$(fact "$1" "$3")" = 0 ] || echo "bench: net: $1 $5 does not reach ${5%.*}.1: $(tail_of "$1")"
}
# figure CONFIG METRIC NAME KEY: print the guest's KEY as "net CONFIG METRIC V".
figure() {
	_v=$(fact "$3" "$4")
	case $_v in
	[0-9]*) echo "net $1 $2 $_v" ;;
	*) echo "bench: net $1: no $2: $(tail_of "$3")" ;;
	esac
}
# to_host CONFIG NAME FD HOST_IP: iperf3 from the guest to the testbed's
# server, Mbit/s as the receiver counted them; then the mean rtt of 50
# pings, 0.2 s apart, in microseconds (busybox ping: min/avg/max in ms).
to_host() {
	ask "$2" "$3" "say ${1}_g2h=\$(iperf3 -c $4 -t $NET_T -f m 2>&1 | awk '/receiver/ { print \$(NF - 2) }')" "${1}_g2h=" 600
	figure "$1" guest_to_host_Mbit/s "$2" "${1}_g2h"
	ask "$2" "$3" "say ${1}_rtt=\$(ping -c 50 -i 0.2 $4 | awk -F/ '/min\\/avg\\/max/ { printf \"%d\", \$4 * 1000 }')" "${1}_rtt=" 300
	figure "$1" rtt_us "$2" "${1}_rtt"
}
# to_guest CONFIG NAME FD SERVER_IP: iperf3 from the guest to the other,
# whose iperf3 -s runs already.
to_guest() {
	ask "$2" "$3" "say ${1}_g2g=\$(iperf3 -c $4 -t $NET_T -f m 2>&1 | awk '/receiver/ { print \$(NF - 2) }')" "${1}_g2g=" 600
	figure "$1" guest_to_guest_Mbit/s "$2" "${1}_g2g"
}
memnote() { echo "# net: testbed MemAvailable $(sed -n 's/^MemAvailable: *//p' /proc/meminfo) $1"; }

# The bridges, with the testbed as 10.8.N.1, and its iperf3 server (on
# every address; one test at a time, which is how they run).
net_setup() {
	while read -r m; do
		[ "$m" = brd ] || [ -d "/sys/module/$m" ] || insmod "/lib/modules/$m.ko" ||
			{ echo "bench: net: insmod $m failed"; return 1; }
	done </lib/modules/load-order
	$IP link set lo up
	for b in benchnet:0 benchnet1:1 benchnet2:2; do
		vmctl net create ${b%:*} --subnet 10.8.${b#*:}.0/24 ||
			{ echo "bench: net: vmctl net create ${b%:*} failed"; return 1; }
	done
	/bin/iperf3 -s -D || { echo "bench: net: no iperf3 server"; return 1; }
}

# MACs given, so that the guest finds each NIC by its MAC.
net_bench_hvx() {
	v="vmctl run --kernel /boot/vmlinuz --initrd $BENCH_INITRD --memory $MEM --cpus $CPUS --timeout 3000"
	gstart NA 5 $v --name NA --nic bridge=benchnet,mac=0e:00:0a:08:00:11,ip=10.8.0.11 \
		--nic bridge=benchnet1,mac=0e:00:0a:08:01:11,ip=10.8.1.11,vhost=off \
		--nic bridge=benchnet2,mac=0e:00:0a:08:02:11,ip=10.8.2.11,spoof=off
	gstart NB 6 $v --name NB --nic bridge=benchnet,mac=0e:00:0a:08:00:12,ip=10.8.0.12 \
		--nic bridge=benchnet1,mac=0e:00:0a:08:01:12,ip=10.8.1.12,vhost=off
	if gready NA 5 hvx && gready NB 6 hvx; then
		memnote "with the two hvx guests up"
		vmctl info NA | grep '^nic[0-9]:' | sed 's/^/# net: NA /'
		nicup NA 5 a0 0e:00:0a:08:00:11 10.8.0.11
		nicup NA 5 a1 0e:00:0a:08:01:11 10.8.1.11
		nicup NA 5 a2 0e:00:0a:08:02:11 10.8.2.11
		nicup NB 6 b0 0e:00:0a:08:00:12 10.8.0.12
		nicup NB 6 b1 0e:00:0a:08:01:12 10.8.1.12
		ask NB 6 'iperf3 -s -D; say bsrv=$?' 'bsrv=' 120
		to_host hvx-vhost NA 5 10.8.0.1
		to_host hvx-nospoof NA 5 10.8.2.1
		to_host hvx-vmctl NA 5 10.8.1.1
		to_guest hvx-vhost NA 5 10.8.0.12
		to_guest hvx-vmctl NA 5 10.8.1.12
		# What the filter saw: everything passed, nothing dropped.
		echo "# net: NA $(vmctl info NA | grep '^nic0_spoof' | tr '\n' ' ')"
	fi
	gstop NA 5
	gstop NB 6
}

# QEMU+KVM: taps made beforehand on benchnet (no helper, no scripts), and
# vhost=on; romfile= since the image has no virtio-net option ROM.
net_bench_qemu() {
	for t in qa0 qb0; do
		$IP tuntap add $t mode tap && $IP link set $t master benchnet up ||
			{ echo "bench: net qemu-kvm: no tap $t"; return; }
	done
	q="/qemu/ld.so --library-path /qemu /qemu/qemu-system-x86_64 -L /qemu -M pc -enable-kvm
		-cpu host -m $MEM -smp $CPUS -nodefaults -nographic -serial stdio -no-reboot
		-kernel /boot/vmlinuz -initrd $BENCH_INITRD -append console=ttyS0"
	gstart QA 5 $q -netdev tap,id=n0,ifname=qa0,script=no,downscript=no,vhost=on \
		-device virtio-net-pci,netdev=n0,mac=0e:00:0a:08:00:21,romfile=
	gstart QB 6 $q -netdev tap,id=n0,ifname=qb0,script=no,downscript=no,vhost=on \
		-device virtio-net-pci,netdev=n0,mac=0e:00:0a:08:00:22,romfile=
	if gready QA 5 qemu-kvm && gready QB 6 qemu-kvm; then
		memnote "with the two QEMU guests up"
		nicup QA 5 a0 0e:00:0a:08:00:21 10.8.0.21
		nicup QB 6 b0 0e:00:0a:08:00:22 10.8.0.22
		ask QB 6 'iperf3 -s -D; say bsrv=$?' 'bsrv=' 120
		to_host qemu-kvm QA 5 10.8.0.1
		to_guest qemu-kvm QA 5 10.8.0.22
	fi
	gstop QA 5
	gstop QB 6
	$IP link del qa0
	$IP link del qb0
}

# --- hvx ----------------------------------------------------------------------
# params MODULE NAME...: "info HV MODULE.NAME=VALUE" for run.sh's table.
params() {
	_m=$1
	shift
	for _p in "$@"; do
		echo "info $HV $_m.$_p=$(cat /sys/module/$_m/parameters/$_p 2>/dev/null || echo absent)"
	done
}
insmod /lib/modules/hvx.ko || exit 1
if part exit; then
	HV=hvx params hvx tpr_shadow apic_access halt_poll_ns
	/selftests/exit_bench hvx "$n" || exit 1
fi
if part boot; then
	boot_to_ready hvx vmctl run --kernel /boot/vmlinuz --initrd /guests/linux-initrd.gz \
		--memory $MEM --cpus $CPUS --stats
	# The exits of the whole hvx boot, by reason (vmctl --stats).
	tr -d '\r' </tmp/err | awk '/^vCPU/ { v = 1; next } v && NF >= 2 {
		c = $NF; $NF = ""; sub(/ +$/, ""); sub(/^ +/, ""); gsub(/ /, "_"); n[$0] += c }
		END { for (r in n) print "exits hvx", r, n[r] }'
fi
net=
if part net && [ -f $BENCH_INITRD ]; then
	memnote "before the network"
	net_setup && net=1
	[ -z "$net" ] || net_bench_hvx
fi
if part disk && [ -f $BENCH_INITRD ] && disk_image; then
	disk_bench hvx vmctl run --kernel /boot/vmlinuz --initrd $BENCH_INITRD \
		--memory $MEM --cpus $CPUS --timeout 3000 --disk $IMG,cache=none
	disk_image_drop
fi
rmmod hvx || exit 1

# --- KVM ----------------------------------------------------------------------
for m in irqbypass kvm kvm-intel; do insmod /lib/modules/kvm/$m.ko || exit 1; done
if part exit; then
	# The APIC virtualization KVM found in Bochs's VMX, and its HLT polling.
	HV=kvm params kvm_intel enable_apicv flexpriority preemption_timer
	HV=kvm params kvm halt_poll_ns
	/selftests/exit_bench kvm "$n" || exit 1
fi
if part boot; then
	if [ -x /qemu/qemu-system-x86_64 ]; then
		boot_to_ready qemu-kvm /qemu/ld.so --library-path /qemu /qemu/qemu-system-x86_64 \
			-L /qemu -M microvm -enable-kvm -cpu host -m $MEM -smp $CPUS \
			-nographic -no-reboot -kernel /boot/vmlinuz \
			-initrd /guests/linux-initrd.gz -append console=ttyS0
	else
		echo "boot qemu-kvm 0"
	fi
fi
if [ -n "$net" ] && [ -x /qemu/qemu-system-x86_64 ]; then
	net_bench_qemu
fi
# The same disk under QEMU+KVM: virtio-blk-pci on the PC machine (SeaBIOS),
# the closest to vmctl's PCI disk that Debian's QEMU 7.2 has.
if part disk && [ -x /qemu/qemu-system-x86_64 ] && [ -f $BENCH_INITRD ] && disk_image; then
	disk_bench qemu-kvm /qemu/ld.so --library-path /qemu /qemu/qemu-system-x86_64 \
		-L /qemu -M pc -enable-kvm -cpu host -m $MEM -smp $CPUS \
		-nodefaults -nographic -serial stdio -no-reboot -kernel /boot/vmlinuz \
		-initrd $BENCH_INITRD -append console=ttyS0 \
		-drive file=$IMG,if=none,id=d0,format=raw,cache=none,aio=io_uring \
		-device virtio-blk-pci,drive=d0
	disk_image_drop
fi
