#!/bin/bash
# make check: every test, on the host and in the testbed. Prints a TAP-like
# line per result and closes with "N passed, N failed"; exits non-zero when
# anything failed or could not run (a testbed that cannot boot is a failure).
set -uo pipefail
cd "$(dirname "$0")/.."

pass=0 fail=0 skip=0
out=build/check
rm -rf "$out" && mkdir -p "$out"

result() {	# result ok|fail|skip NAME [DETAIL]
	case $1 in
	ok) pass=$((pass + 1)); echo "ok - $2" ;;
	skip) skip=$((skip + 1)); echo "ok - $2 # SKIP ${3:-}" ;;
	*) fail=$((fail + 1)); echo "not ok - $2${3:+: $3}" | tee -a "$out/failures" ;;
	esac
}

check() {	# check NAME COMMAND...: one result from a command's status
	local name=$1 log="$out/$1.log"
	shift
	if "$@" >"$log" 2>&1; then
		result ok "$name"
	else
		result fail "$name" "see $log"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
}

# --- host: build and static checks ----------------------------------------
check build make all
module_warnings() {	# module_warnings TARGET: recompile every object so that all warnings show
	local log="$out/$1.out"
	touch kmod/*.c
	make "$1" >"$log" 2>&1 || { cat "$log"; return 1; }
	cat "$log"
	! grep -E 'warning:|error:' "$log"
}
check module-builds-warning-free-W1 module_warnings module
# The same sources against the PREEMPT_RT headers (build/rt/kmod/hvx.ko).
check module-builds-warning-free-W1-rt module_warnings module-rt
check checkpatch make -s lint
uapi_standalone() {
	echo '#include <linux/hvx.h>' >"$out/uapi.c"
	gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iuapi -fsyntax-only "$out/uapi.c" &&
	cp "$out/uapi.c" "$out/uapi.cc" &&
	g++ -Wall -Wextra -Werror -Iuapi -fsyntax-only "$out/uapi.cc"
}
check uapi-header-stands-alone uapi_standalone
vmctl_cli() {
	local rc
	build/vmctl --help | grep -q 'usage: vmctl' || return 1
	build/vmctl host --help | grep -q 'usage: vmctl host' || return 1
	build/vmctl frobnicate 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl host --bogus 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl run --help | grep -q 'usage: vmctl run' || return 1
	build/vmctl run 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl run --raw /nonexistent 2>"$out/vmctl.err"; rc=$?
	[ $rc -eq 1 ] && grep -q 'No such file' "$out/vmctl.err" || return 1
	build/vmctl run --raw build/guests/hello16.bin --memory 0 2>/dev/null; rc=$?
	[ $rc -eq 2 ] || return 1
	# More memory than the host has: refused up front, saying so.
	build/vmctl run --raw build/guests/hello16.bin --memory 900000 2>"$out/vmctl.err"; rc=$?
	[ $rc -eq 2 ] && grep -q 'not enough memory' "$out/vmctl.err" || return 1
	# An exit port that is no port: refused before anything runs.
	for p in 0 0x10000 abc -1; do
		build/vmctl run --raw build/guests/exit16.bin --exit-port=$p 2>"$out/vmctl.err"; rc=$?
		[ $rc -eq 2 ] && grep -q 'bad --exit-port' "$out/vmctl.err" || return 1
	done
	build/vmctl stop --help | grep -q 'usage: vmctl stop' || return 1
	# The resource options and the commands on a running VM: bad values
	# are usage errors, before any VM is looked for.
	build/vmctl run --raw build/guests/hello16.bin --cpu-max 5 2>"$out/vmctl.err"; rc=$?
	[ $rc -eq 2 ] && grep -q 'QUOTA/PERIOD' "$out/vmctl.err" || return 1
	build/vmctl run --raw build/guests/hello16.bin --balloon 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl run --raw build/guests/hello16.bin --vcpu-affinity 1:0 2>"$out/vmctl.err"; rc=$?
	[ $rc -eq 2 ] && grep -q 'no vCPU 1' "$out/vmctl.err" || return 1
	build/vmctl set vm1 2>"$out/vmctl.err"; rc=$?
	[ $rc -eq 2 ] && grep -q 'say what to change' "$out/vmctl.err" || return 1
	build/vmctl balloon vm1 lots 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl top --interval 0 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl info no-such-vm 2>/dev/null; rc=$?; [ $rc -eq 1 ] || return 1
	build/vmctl stats --bogus 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl stats ../x 2>/dev/null; rc=$?; [ $rc -eq 2 ] || return 1
	build/vmctl stats --prometheus no-such-vm >"$out/stats.out" 2>/dev/null; rc=$?
	[ $rc -eq 1 ] && grep -qx 'hvx_vm_up{vm="no-such-vm"} 0' "$out/stats.out" || return 1
	# No /dev/hvx on this machine: a clear message and exit code 3.
	if [ ! -e /dev/hvx ]; then
		build/vmctl host 2>"$out/vmctl.err"; rc=$?
		[ $rc -eq 3 ] && grep -q 'load the module first' "$out/vmctl.err"
	fi
}
check vmctl-cli vmctl_cli

# Unit tests of the kmod/ files that are plain C: one result per TAP line.
unit_log="$out/unit.log"
if make -s -C tests/unit check >"$unit_log" 2>&1; then unit_rc=0; else unit_rc=1; fi
while IFS= read -r line; do
	case $line in
	"ok "*) result ok "unit/${line#ok [0-9]* - }" >/dev/null ;;
	"not ok "*) result fail "unit/${line#not ok [0-9]* - }" ;;
	esac
done <"$unit_log"
echo "unit: $(grep -c '^ok ' "$unit_log") passed, $(grep -c '^not ok ' "$unit_log") failed"
if [ $unit_rc -ne 0 ] && ! grep -q '^not ok ' "$unit_log"; then
	result fail unit "see $unit_log"
fi

# --- testbed: one boot per suite -------------------------------------------
# count_tap LOG BINARY...: results of each binary's TAP output in LOG
count_tap() {
	local log=$1 t
	shift
	for t in "$@"; do
		local section plan got
		section=$(awk -v t="$t" '
			$0 ~ "HVX-SUITE: " t " begin" { on = 1; next }
			$0 ~ "HVX-SUITE: " t " exit" { print; on = 0 }
			on' "$log" | tr -d '\r')
		if [ -z "$section" ]; then
			result fail "testbed/$t" "did not run"
			continue
		fi
		# Its verdict is the kernel's, after the suite: the power-off
		# with the VMs still running must reach "reboot: Power down".
		if [ "$t" = poweroff_with_vms ]; then
			if tr -d '\r' <"$log" | awk '/^HVX-POWEROFF: vCPUs running/ { up = 1 }
				up && /reboot: Power down/ { ok = 1 } END { exit !ok }'; then
				result ok "testbed/$t/host_powers_off_under_running_vcpus"
			else
				result fail "testbed/$t/host_powers_off_under_running_vcpus" \
					"no 'reboot: Power down' after the vCPUs started"
			fi
			continue
		fi
		while IFS= read -r line; do
			case $line in
			"ok "*"# SKIP"*) result skip "testbed/$t/${line#ok * }" ;;
			"ok "*) result ok "testbed/$t/${line#ok [0-9]* }" ;;
			"not ok "*) result fail "testbed/$t/${line#not ok [0-9]* }" ;;
			esac
		done < <(grep -E '^(not )?ok [0-9]+ ' <<<"$section")
		plan=$(grep -m1 -oE '^1\.\.[0-9]+' <<<"$section" | cut -d. -f3)
		got=$(grep -cE '^(not )?ok [0-9]+ ' <<<"$section")
		if [ "${plan:-0}" -ne "$got" ]; then
			result fail "testbed/$t" "planned ${plan:-?} tests, $got reported"
		fi
		if [ "$t" = ha_watchdog ]; then watchdog_reset_time "$log"; fi
	done
}

# watchdog_reset_time LOG: the ha_watchdog suite's timing, which only the
# host can take: its first boot ends in softdog's reset, and the second
# boot is another kernel. In the first boot's part of the console, both
# ends are that kernel's lines with its timestamps: the suite's
# "hvx-watchdog: SIGSTOP hvxd" (/dev/kmsg) just before it stops hvxd, and
# softdog's "Initiating system reboot". At most the watchdog's timeout
# (hvxd's --fence-timeout 5) and 1.5 s: hvxd fed it at most a 250 ms
# tick before the stop, the rest is the emulated machine's slack.
watchdog_reset_time() {
	local d max=6.5
	d=$(tr -d '\r' <"$1" | awk '
		function stamp(re, s) {
			if (!match($0, "\\[ *[0-9]+\\.[0-9]+\\] " re)) return ""
			s = substr($0, RSTART + 1)
			sub(/\].*/, "", s)
			return s + 0
		}
		t1 == "" { t1 = stamp("hvx-watchdog: SIGSTOP hvxd"); next }
		{ t2 = stamp("softdog: Initiating system reboot") }
		t2 != "" { printf "%.2f\n", t2 - t1; exit }')
	echo "# testbed/ha_watchdog: SIGSTOP of hvxd to softdog's reset: ${d:-never}${d:+ s} (at most $max s)"
	if [ -n "$d" ] && awk -v d="$d" -v m="$max" 'BEGIN { exit !(d > 0 && d <= m) }'; then
		result ok "testbed/ha_watchdog/reset_within_the_watchdog_time"
	else
		result fail "testbed/ha_watchdog/reset_within_the_watchdog_time" \
			"${d:-no SIGSTOP line followed by the softdog reboot line}${d:+ s, more than $max s}"
	fi
}

# boot NAME CPUS MODEL TIMEOUT SUITE_TESTS [--kernel KVER] [--module KO]
#      [--hvx-params PARAMS] [--mitigations] [--append ARGS]
#      [--add SRC:DEST...]: one testbed boot running the suite, on the
# kernel KVER (default: testbed_kver) with hvx.ko from KO (default:
# kmod/hvx.ko) loaded with PARAMS, with the kernel's default
# mitigations if asked, ARGS added to its command line; its console, status and test list go to the boot's directory, for
# report() to read.
boot() {
	local name=$1 cpus=$2 model=$3 timeout=$4 tests=$5 dir="$out/testbed-$1"
	local kernel=() module=kmod/hvx.ko params= adds=() runopts=() t0
	shift 5
	while (($#)); do
		case $1 in
		--kernel)
			if [[ -z $2 ]]; then	# the discovery found none
				mkdir -p "$dir"
				echo "no kernel to boot (make deps installs it)" >"$dir/error"
				return
			fi
			kernel=(--kernel "$2"); shift 2 ;;
		--module) module=$2; shift 2 ;;
		--hvx-params) params=$2; shift 2 ;;
		--mitigations) runopts+=(--mitigations); shift ;;
		--append) runopts+=(--append "$2"); shift 2 ;;
		*) adds+=("$1"); shift ;;
		esac
	done
	mkdir -p "$dir"
	echo "$tests" >"$dir/tests"
	echo "testbed: $name starts ($cpus CPU, at most $timeout s; console: $dir/console.log)"
	{ echo "HVX_SUITE_TESTS='$tests' HVX_MODULE_PARAMS='$params'"; cat tests/testbed/suite_check.sh; } >"$dir/suite.sh"
	if ! tests/testbed/mkinitramfs.sh "$dir/initrd.gz" "$dir/suite.sh" ${kernel[@]+"${kernel[@]}"} \
		--add "$module:/lib/modules/hvx.ko" \
		--add build/selftests:/selftests \
		--add build/vmctl:/bin/vmctl \
		--add build/guests:/guests ${adds[@]+"${adds[@]}"} >"$dir/mkinitramfs.log" 2>&1; then
		echo "initramfs: see $dir/mkinitramfs.log" >"$dir/error"
		return
	fi
	t0=$SECONDS
	tests/testbed/run.sh --cpus "$cpus" --cpu-model "$model" --timeout "$timeout" \
		${kernel[@]+"${kernel[@]}"} ${runopts[@]+"${runopts[@]}"} \
		--workdir "$dir/run" "$dir/initrd.gz" >"$dir/console.log" 2>&1
	echo $? >"$dir/status"
	echo "testbed: $name done in $((SECONDS - t0)) s: $(grep -m1 -E '^testbed: (PASS|FAIL)' "$dir/console.log")"
	# Where its time went: each suite's wall seconds, then its guest
	# seconds (run.sh's " [wall N s]" and the suite's "at N s").
	awk -v name="$name" '
		/^HVX-TESTBED: init at .* \[wall [0-9]+ s\]$/ { w = $(NF - 1); g = $4 }
		/^HVX-SUITE: [^ ]+ exit [0-9]+ at [0-9.]+ s \[wall [0-9]+ s\]$/ {
			t[++n] = sprintf("%s %d (%.0f)", $2, $(NF - 1) - w, $6 - g)
			w = $(NF - 1); g = $6
		}
		END { if (n) { printf "testbed: %s took, wall s (guest s):", name
			for (i = 1; i <= n; i++) printf " %s%s", t[i], i < n ? "," : "\n" } }' "$dir/console.log"
}

# report NAME: the results of a boot, after its console.
report() {
	local name=$1 dir="$out/testbed-$1" rc
	echo "--- testbed $name: console"
	cat "$dir/console.log" 2>/dev/null
	if [ -f "$dir/error" ]; then
		result fail "testbed/$name" "$(cat "$dir/error")"
		return
	fi
	rc=$(cat "$dir/status" 2>/dev/null || echo "no status")
	if [ "$rc" = 0 ]; then
		result ok "testbed/$name boot"
	else
		result fail "testbed/$name boot" "$(grep -m1 '^testbed: FAIL' "$dir/console.log" || echo "exit $rc")"
		# For whoever reads only the end of the output: where it
		# stood, and the first kernel report if one failed it.
		{
			sed -n '/^--- testbed: the first kernel report:/,/^--- testbed: end of the first/p' \
				"$dir/console.log"
			tail -n 12 "$dir/console.log"
		} | sed 's/^/    /' >>"$out/failed-boots"
	fi
	count_tap "$dir/console.log" $(cat "$dir/tests")
}

# SMP behaviour (VMX root per CPU, hotplug, concurrent vCPUs) on 2 CPUs;
# the single-vCPU exit tests on 1 CPU, which boots faster; the Debian kernel
# as a guest of vmctl, two guests at once (1 and 2 vCPUs), then with disks.
# The lanes are balanced by what each boot took in a clean-clone run
# (2026-12-02, wall s): vmx-2cpu 825, novmx 63, vmx-rt 116, net 717,
# vmx-1cpu ~400, ha-watchdog ~180 | linux-guests 1388, ha ~900.
lane_smp() {
	boot vmx-2cpu 2 corei7_haswell_4770 2400 \
		"load_test api_test run_loop_test isolation_test stress_test fuzz_test irqchip_test poweroff_with_vms"
	boot novmx 1 p4_prescott_celeron_336 600 "novmx_test"
	# Debian's PREEMPT_RT kernel, with hvx.ko built against its headers
	# (about 1.5 min). spinlock_t sleeps there: a sleeping lock taken in
	# hard-irq context (the LAPIC timer's hrtimer) hangs or splats when it
	# is contended. Debian's RT kernel has no CONFIG_DEBUG_ATOMIC_SLEEP, so
	# an uncontended one goes unseen. A hang costs this lane its timeout.
	# It also keeps the kernel's default speculative-execution mitigations,
	# so that hvx's own (api_test checks the list) run here. And it runs
	# the paths of a CPU without the optional VMX features (tpr_shadow=0
	# turns off apic_access too), HLT without halt polling, TSC deadlines
	# on hrtimers only: the other boots test them on.
	boot vmx-rt 1 corei7_haswell_4770 600 \
		"api_test guest_smoke_test state_test exits_test memory_test irqchip_test eventfd_test run_loop_test" \
		--kernel "$(. tests/testbed/common.sh && testbed_kver_rt)" \
		--module build/rt/kmod/hvx.ko --hvx-params "tpr_shadow=0 halt_poll_ns=0 preemption_deadline=0" --mitigations
	# Virtual networks: three Debian guests on a bridge in a network
	# namespace, Debian's iproute2 and bpftool to look at what is left;
	# the filter's verdicts (spoof_test, BPF_PROG_RUN) and the vhost-net
	# data path against the kernel's vhost_net (vhost_net_test, no VMX)
	# on this kernel too.
	boot net 2 corei7_haswell_4770 2400 "spoof_test vhost_net_test net" \
		--add "/boot/vmlinuz-$(. tests/testbed/common.sh && testbed_kver):/boot/vmlinuz" \
		--add build/vmlinux:/boot/vmlinux \
		--add tests/testbed/guest_lib.sh:/guest_lib.sh \
		--add tests/testbed/net_test.sh:/net_test.sh \
		--add build/unit/spoof_test-static:/selftests/spoof_test \
		--add build/unit/vhost_net_test-static:/selftests/vhost_net_test \
		--program /usr/sbin/ip --program /usr/sbin/tc --program /usr/sbin/bridge \
		--program /usr/sbin/bpftool --program /usr/bin/setpriv \
		--kmod tun --kmod bridge --kmod 8021q --kmod sch_ingress --kmod sch_tbf --kmod cls_bpf \
		--kmod vhost_net
	# virtio_hostile: a Multiboot guest that attacks vmctl's virtio-blk;
	# resources: a VM's cgroup, its CPU share measured on the one CPU;
	# tk: the test kernels, under vmctl and then QEMU+KVM (common.sh's
	# qemu_fixture_args).
	# With apic_access=0: the CR8 shadow without the xAPIC page's, the
	# middle one of the three ways the task priority goes (irqchip_test).
	# shellcheck disable=SC2046
	boot vmx-1cpu 1 corei7_haswell_4770 1800 \
		"guest_smoke_test state_test exits_test memory_test hostile_test eventfd_test irqchip_test vmctl_run virtio_hostile resources tk" \
		--hvx-params apic_access=0 \
		--add tests/testbed/virtio_hostile_test.sh:/virtio_hostile_test.sh \
		--add tests/testbed/guest_lib.sh:/guest_lib.sh \
		--add tests/testbed/resources_test.sh:/resources_test.sh \
		--add tests/testbed/tk_test.sh:/tk_test.sh $(. tests/testbed/common.sh && qemu_fixture_args)
	# The watchdog: one host of the HA fixture (ha_lib.sh), its hvxd with softdog as
	# /dev/watchdog, stopped while it runs an HA VM; softdog resets the
	# machine, Bochs boots it again and the suite's second boot finds the
	# first one's mark in the CMOS RAM (nvram). 1 CPU: two boots to /init
	# are most of its time, and one host needs no more. hpet=disable:
	# Bochs 2.7 leaves the PIT's and the RTC's interrupts off after a
	# reset if the kernel had the HPET in legacy replacement mode (fixed
	# after 2.7, Bochs issue #218), and its BIOS then waits forever for a
	# timer tick.
	# shellcheck disable=SC2046
	boot ha-watchdog 1 corei7_haswell_4770 1200 "ha_watchdog" --append hpet=disable \
		--add tests/testbed/ha_watchdog_test.sh:/ha_watchdog_test.sh \
		$(. tests/testbed/common.sh && ha_fixture_args) --kmod softdog --kmod nvram
}
lane_guests() {
	# The disk suite keeps its images on an ext4 in a RAM disk (brd) and
	# checks them with Debian's e2fsck and debugfs; overcommit swaps to
	# zram, three 256 MiB guests on the testbed's 512 MiB.
	boot linux-guests 2 corei7_haswell_4770 2400 "linux_guest disk overcommit" \
		--add "/boot/vmlinuz-$(. tests/testbed/common.sh && testbed_kver):/boot/vmlinuz" \
		--add build/vmlinux:/boot/vmlinux \
		--add tests/testbed/guest_lib.sh:/guest_lib.sh \
		--add tests/testbed/linux_guest_test.sh:/linux_guest_test.sh \
		--add tests/testbed/disk_test.sh:/disk_test.sh \
		--add tests/guests/linux/disktool.sh:/bin/disktool \
		--add tests/testbed/overcommit_test.sh:/overcommit_test.sh \
		--program /usr/sbin/mke2fs --program /usr/sbin/e2fsck --program /usr/sbin/debugfs \
		--kmod brd --kmod crc32c_generic --kmod ext4 --kmod zram
	# HA: three hosts (network, mount and UTS namespaces) on a bridge,
	# each with Debian's corosync 3 over knet and hvxd (ha_lib.sh, and
	# common.sh's ha_fixture_args for what it needs in the initramfs).
	# shellcheck disable=SC2046
	boot ha 2 corei7_haswell_4770 2400 "ha" \
		--add tests/testbed/ha_test.sh:/ha_test.sh $(. tests/testbed/common.sh && ha_fixture_args)
}
# Each Bochs runs on one host CPU and the boots are most of make check's
# time: with two CPUs, two lanes of boots run side by side.
# The lanes' times, to balance them by: what CI prints is all one sees of
# a machine that is gone.
lane() {	# lane NAME: run lane_NAME, then say how long it took
	local t0=$SECONDS
	"lane_$1"
	echo "testbed: lane $1 took $((SECONDS - t0)) s (make check had run $t0 s before it)"
}
if [ "$(nproc)" -ge 2 ]; then
	lane smp &
	lane_pid=$!
	lane guests
	wait "$lane_pid"
else
	lane smp
	lane guests
fi
for b in vmx-2cpu novmx vmx-rt net linux-guests vmx-1cpu ha ha-watchdog; do
	report "$b"
done

# A recap for whoever reads only the end of the output.
if [ -s "$out/failed-boots" ]; then
	echo "--- the end of each failed boot's console:"
	cat "$out/failed-boots"
fi
if [ -s "$out/failures" ]; then
	echo "--- what failed:"
	cat "$out/failures"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
