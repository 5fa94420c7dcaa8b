#!/bin/sh
# The test suite as run inside the testbed guest (busybox sh, as /suite.sh).
# Prints each selftest binary's TAP output and a line per binary that
# tests/run_check.sh reads:  HVX-SUITE: <binary> exit <status> at <uptime> s
# Usage (set by the initramfs): suite_check.sh [binary...]

cd /selftests || exit 1
tests=${HVX_SUITE_TESTS:-"load_test api_test"}	# run_check.sh sets it
# hvx.ko's parameters in this boot (run_check.sh's --hvx-params), for every
# load here, the selftests' too (hvx_load(NULL)).
export HVX_MODULE_PARAMS="${HVX_MODULE_PARAMS:-}"

# kvm-intel is the independent witness of who holds VMX root.
if grep -qw vmx /proc/cpuinfo; then
	for m in irqbypass kvm kvm-intel; do
		insmod /lib/modules/kvm/$m.ko || echo "HVX-SUITE: insmod $m failed"
	done
fi

# The modules the boot's initramfs holds (mkinitramfs.sh --kmod), in
# dependency order: tun, bridge, vhost_net... for the tests that use the
# kernel's parts. brd is left to scratch_ext4 (guest_lib.sh), which gives
# it its parameters.
if [ -f /lib/modules/load-order ]; then
	while read -r m; do
		[ "$m" = brd ] || [ -d "/sys/module/$m" ] ||
			insmod "/lib/modules/$m.ko" || echo "HVX-SUITE: insmod $m failed"
	done </lib/modules/load-order
fi

# Guest seconds since boot, on each suite's exit line: with Bochs's
# clock: sync=none they count emulated instructions, so they say where a
# boot's time goes whatever the speed of the machine that ran it.
uptime_s() { cut -d' ' -f1 /proc/uptime; }

status=0
for t in $tests; do
	case $t in vmctl_run|linux_guest|disk|virtio_hostile|resources|overcommit|tk|net|ha|ha_watchdog|ha_soak|poweroff_with_vms) continue ;; esac
	echo "HVX-SUITE: $t begin"
	echo "$t" >/tmp/hvx-test	# for /init's heartbeat
	./$t
	rc=$?
	echo "HVX-SUITE: $t exit $rc at $(uptime_s) s"
	[ $rc -eq 0 ] || status=1
done

# vmctl end to end: a real-mode guest prints on COM1 and halts.
case " $tests " in *" vmctl_run "*)
	echo "HVX-SUITE: vmctl_run begin"
	echo vmctl_run >/tmp/hvx-test
	echo "1..10"
	vr=0
	[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko $HVX_MODULE_PARAMS
	out=$(vmctl run --raw /guests/hello16.bin </dev/null 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "Hello from an hvx guest: real mode, port I/O to COM1." ]; then
		echo "ok 1 vmctl_run_hello_guest"
	else
		echo "not ok 1 vmctl_run_hello_guest # rc=$rc output: $out"
		vr=1
	fi
	# A Multiboot kernel: it checks the boot state, prints what the
	# information structure says, and powers off through ACPI.
	mb_run() {	# mb_run [OPTION...]: out, rc of the Multiboot kernel's run
		out=$(vmctl run --kernel /guests/multiboot_hello.elf --memory 64 \
			--append "mb-cmdline" --timeout 300 "$@" </dev/null 2>&1); rc=$?
		[ $rc -eq 0 ] &&
			[ "$(echo "$out" | tr -d '\r')" = "multiboot: magic ok, mem_upper=64512, cmdline=mb-cmdline" ]
	}
	if mb_run; then
		echo "ok 2 vmctl_run_multiboot_kernel_powers_off"
	else
		echo "not ok 2 vmctl_run_multiboot_kernel_powers_off # rc=$rc output: $out"
		vr=1
	fi
	# The exit port (QEMU's isa-debug-exit): exit16 writes 0x10 to 0xf4,
	# then 0x0140 to 0x501, then halts. Only the exit port ends it.
	n=3
	for case in "--exit-port 33" "--exit-port=0x501 129" "--exit-port=244 33" "- 0"; do
		set -- $case
		opt=$1
		[ "$opt" = - ] && opt=
		out=$(vmctl run --raw /guests/exit16.bin $opt --timeout 60 </dev/null 2>&1); rc=$?
		if [ $rc -eq "$2" ]; then
			echo "ok $n vmctl_run_exit_port ${opt:-none}: status $rc"
		else
			echo "not ok $n vmctl_run_exit_port ${opt:-none} # status $rc, not $2: $out"
			vr=1
		fi
		n=$((n + 1))
	done
	# The same kernel from each guest RAM backend (its code and data are
	# there: it would not boot from memory the guest did not see).
	echo 32 >/proc/sys/vm/nr_hugepages
	for opts in "--memory-backend memfd" "--memory-backend hugetlb" "--mergeable"; do
		# shellcheck disable=SC2086
		if mb_run $opts; then
			echo "ok $n vmctl_run_memory $opts"
		else
			echo "not ok $n vmctl_run_memory $opts # rc=$rc output: $out" \
				"(HugePages_Free $(sed -n 's/^HugePages_Free: *//p' /proc/meminfo))"
			vr=1
		fi
		n=$((n + 1))
	done
	echo 0 >/proc/sys/vm/nr_hugepages
	mb_run --memory-backend hugetlb
	if [ $rc -eq 1 ] && echo "$out" | grep -q "not enough huge pages for 64 MiB of guest memory: 32 wanted, 0 free"; then
		echo "ok $n vmctl_run_memory hugetlb without huge pages refused: $out"
	else
		echo "not ok $n vmctl_run_memory hugetlb without huge pages # rc=$rc output: $out"
		vr=1
	fi
	[ $vr -eq 0 ] || status=1
	echo "HVX-SUITE: vmctl_run exit $vr at $(uptime_s) s"
esac

# Linux guests: boot, console, SMP, crash isolation, vmctl stop.
case " $tests " in *" linux_guest "*)
	echo "HVX-SUITE: linux_guest begin"
	echo linux_guest >/tmp/hvx-test
	sh /linux_guest_test.sh
	rc=$?
	echo "HVX-SUITE: linux_guest exit $rc at $(uptime_s) s"
	[ $rc -eq 0 ] || status=1
esac

# Suites that are shell scripts printing TAP, each in its own file.
script_suite() {	# script_suite NAME COMMAND...
	case " $tests " in *" $1 "*) ;; *) return 0 ;; esac
	echo "HVX-SUITE: $1 begin"
	echo "$1" >/tmp/hvx-test
	_suite=$1
	shift
	"$@"
	rc=$?
	echo "HVX-SUITE: $_suite exit $rc at $(uptime_s) s"
	[ $rc -eq 0 ] || status=1
}
# vmctl's virtio-blk disks: what the guest sees, bytes on the images,
# filesystems, kill -9, locking, read-only.
script_suite disk sh /disk_test.sh
# A hostile virtio-blk driver (a Multiboot guest) against vmctl's device:
# errors contained, no stray writes, recovery after reset, vmctl stays up.
script_suite virtio_hostile sh /virtio_hostile_test.sh
# A VM's share of the host: its cgroup, cpu.max measured, vmctl set.
script_suite resources sh /resources_test.sh
# Guest memory the host reclaims: a VM's memory.max, KSM, zram swap under
# three guests bigger than the testbed.
script_suite overcommit sh /overcommit_test.sh
# The test kernels (tests/guests/tk/): the PC and the CPU against the SDM,
# under vmctl with 1 and 2 vCPUs and under QEMU+KVM, verdict by verdict.
script_suite tk sh /tk_test.sh
# Virtual networks: guests on a bridge, VLANs, the anti-spoof filter,
# nothing left behind; in a network namespace of its own.
script_suite net unshare -n sh /net_test.sh
# HA: three hosts of one kernel (namespaces on a bridge), corosync on
# each: membership, quorum, cuts and power-offs, the overlap checker.
script_suite ha sh /ha_test.sh
# The watchdog: one host's hvxd stopped (SIGSTOP) while it runs an HA VM;
# softdog resets the testbed and the suite's second boot reports it.
script_suite ha_watchdog sh /ha_watchdog_test.sh
# The HA soak (make soak only): random failures, the overlap checker.
script_suite ha_soak sh /ha_soak_test.sh

# The host must still be whole: hvx unloadable, nothing tainted but the
# unsigned-module flag (E) and out-of-tree flag (O).
if [ -d /sys/module/hvx ]; then
	rmmod hvx || { echo "HVX-SUITE: rmmod hvx failed"; status=1; }
fi
echo "HVX-SUITE: taint $(cat /proc/sys/kernel/tainted)"

# Last: VMs left running into the power-off that follows the suite. The
# reboot notifier leaves VMX root under them; run_check.sh then looks for
# the kernel's "reboot: Power down" after "HVX-POWEROFF: vCPUs running".
case " $tests " in *" poweroff_with_vms "*)
	echo "HVX-SUITE: poweroff_with_vms begin"
	insmod /lib/modules/hvx.ko $HVX_MODULE_PARAMS || echo "HVX-POWEROFF: insmod failed"
	./poweroff_with_vms | tee /tmp/hvx-poweroff &
	i=0
	while [ $i -lt 120 ] && ! grep -q "vCPUs running" /tmp/hvx-poweroff 2>/dev/null; do
		i=$((i + 1)); sleep 1
	done
	echo "HVX-SUITE: poweroff_with_vms exit 0"
esac
exit $status
