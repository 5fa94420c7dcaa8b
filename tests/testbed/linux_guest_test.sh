#!/bin/sh
# Linux guests under vmctl, inside the testbed (busybox sh). The Debian
# kernel that runs the testbed boots again as a guest with the initrd of
# tests/guests/linux (its /init prints "GUEST: ..." facts, then gives the
# console a shell). Prints TAP.
#
# Two guests run side by side: A with 1 vCPU, from the vmlinux
# (loader_vmlinux.c), B with 2, from the bzImage. Each gets its
# console input from a FIFO that the test writes into, as a user types.
#   A: what it saw (CPUs, memory, command line, clock), typed input,
#      reboot, vmctl list/info, its balloon (memory back to the host,
#      measured in vmctl's VmRSS, and back to the guest; the guest's
#      statistics; free page reporting), and in the end vmctl stop (ACPI
#      power button).
#   B: 2 CPUs online, its vCPUs pinned crosswise to the host's two
#      (--vcpu-affinity; the kernel's view of vmctl's threads); then it panics and, booted with reboot=t, triple
#      faults: its vmctl ends with status 1 while A and the host go on.
#   C, D (after A and B, side by side): the 8259s and the PIT. C boots
#      with noapic (device interrupts through the 8259s and LINT0, the
#      local APIC timer), D with acpi=off (no MADT: no IOAPIC, the 8259s
#      and the PIT's periodic tick); each reports its tick and IRQs 0 and
#      4, and the console's and the tick's interrupts must have come
#      through the 8259 (XT-PIC in /proc/interrupts).

. /guest_lib.sh	# ok, not_ok, check, start, wait_for, fact; KERNEL, INITRD, WAIT

[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || exit 1
echo "1..25"
t0=$(cut -d' ' -f1 /proc/uptime)
# B boots the bzImage as a user would, A (which reboots) and the others
# the same kernel as a vmlinux (guest_lib.sh's KERNEL).
start A 3 1 256 "console=ttyS0 hvx.test=A" --balloon
KERNEL=/boot/vmlinuz
start B 4 2 128 "console=ttyS0 reboot=t panic=-1" --vcpu-affinity 0:1 --vcpu-affinity 1:0
KERNEL=/boot/vmlinux

if wait_for A '^GUEST: ready'; then
	ok "boot_1_vcpu_to_shell"
else
	not_ok "boot_1_vcpu_to_shell" "no 'GUEST: ready' in $WAIT s: $(tail -n 3 /tmp/A.out /tmp/A.err | tr '\n' ' ')"
fi
t1=$(cut -d' ' -f1 /proc/uptime)
echo "# A: vmctl run to guest shell: $(awk "BEGIN { print $t1 - $t0 }") s of testbed time; guest init at $(sed -n 's/^GUEST: init at \([0-9.]*\).*/\1/p' /tmp/A.out) s of guest uptime"
check "guest_sees_1_cpu" "cpus=$(fact A cpus)" [ "$(fact A cpus)" = 1 ]
# 256 MiB less the PC's hole at 0x9fc00-0xfffff: 261752 KiB.
mem=$(fact A ram_kib)
check "guest_sees_its_memory" "RAM $mem KiB, want 261752 (256 MiB less the BIOS hole)" \
	[ "${mem:-0}" = 261752 ]
check "guest_gets_command_line" "$(grep -m1 'GUEST: cmdline' /tmp/A.out)" \
	grep -q '^GUEST: cmdline=.*hvx.test=A' /tmp/A.out
check "guest_clock_is_the_tsc" "clocksource $(fact A clocksource)" \
	[ "$(fact A clocksource)" = tsc ]
# Invariant, of known frequency, never written (TSC_ADJUST): Linux then
# needs no watchdog for it, which a busy host's late ticks would fool.
tsc_trusted() {
	for f in constant_tsc nonstop_tsc tsc_adjust tsc_known_freq; do
		case ",$(fact A tsc_flags)," in *",$f,"*) ;; *) return 1 ;; esac
	done
	[ "$(fact A tsc_unstable)" = 0 ]
}
check "guest_tsc_is_trusted" "flags '$(fact A tsc_flags)', marked unstable $(fact A tsc_unstable) times" \
	tsc_trusted

# The CMOS RTC: Linux set its clock from it at boot (rtc_cmos, hctosys),
# so the guest's date is the host's, within the 2 s that a whole-second
# RTC and the console's round trip allow; hwclock reads it through
# /dev/rtc0; and the ACPI PM timer is a clocksource it could use.
ask A 3 'say() { echo "GUEST: $*"; }; say defined' defined 60
h0=$(date +%s)
ask A 3 'say clock=$(date +%s) rtc=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null || echo none) hwclock=$(hwclock -r -u >/dev/null 2>&1; echo $?) sources=$(tr " " , </sys/devices/system/clocksource/clocksource0/available_clocksource)' 'clock=' 120
h1=$(date +%s)
echo "# A: date $(fact A clock), rtc0 $(fact A rtc), host $h0-$h1"
check_eval "guest_date_is_the_hosts" "guest $(fact A clock), host $h0-$h1" \
	'[ "$(fact A clock)" -ge $((h0 - 2)) ] 2>/dev/null && [ "$(fact A clock)" -le $((h1 + 2)) ]'
check_eval "guest_hwclock_reads_the_rtc" "hwclock status $(fact A hwclock), rtc0 since_epoch $(fact A rtc), host $h0-$h1" \
	'[ "$(fact A hwclock)" = 0 ] && [ "$(fact A rtc)" -ge $((h0 - 2)) ] 2>/dev/null && [ "$(fact A rtc)" -le $((h1 + 2)) ]'
check "guest_has_the_acpi_pm_timer" "clocksources $(fact A sources)" \
	sh -c 'case ",$1," in *,acpi_pm,*) exit 0 ;; esac; exit 1' - "$(fact A sources)"

echo 'echo typed-$((6 * 7))' >&3
check "console_input_reaches_guest_shell" "no typed-42 in the output" \
	wait_for A '^typed-42' 120

# reboot: the guest resets through the FADT's reset register; vmctl boots
# it again in a new VM, on the same console.
echo 'reboot -f' >&3
i=0
while [ "$(grep -c '^GUEST: ready' /tmp/A.out)" -lt 2 ] && [ $i -lt "$WAIT" ]; do
	sleep 1
	i=$((i + 1))
done
booted_twice() {
	[ "$(grep -c '^GUEST: ready' /tmp/A.out)" -eq 2 ] &&
		grep -q 'the guest reset' /tmp/A.err
}
check "guest_reboot_boots_it_again" "$(grep -c '^GUEST: ready' /tmp/A.out) boots; $(tail -n 2 /tmp/A.err | tr '\n' ' ')" \
	booted_twice

list=$(vmctl list 2>&1)
info=$(vmctl info A 2>&1)
listed() {
	echo "$list" | grep -q '^A ' && echo "$info" | grep -q '^vcpus: 1'
}
check "vmctl_list_and_info" "list: $list / info: $info" listed

# The balloon. The guest writes 24 MiB into a tmpfs (vmctl's resident
# memory grows by as much), deletes it, and is asked for 32 MiB: its
# driver names pages to give back, vmctl drops them (MADV_DONTNEED) and
# hvx follows vmctl's page tables, so vmctl's VmRSS falls. Back to 0, the
# guest can use them again. Its driver also reports free pages in 2 MiB
# blocks (dropped the same way) and its memory statistics.
rss_A() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid_A/status"; }
info_A() { vmctl info A 2>/dev/null | sed -n "s/^$1: //p"; }
actual_is() {	# actual_is MIB: the balloon holds MIB within 180 s
	_i=0
	while [ "$(info_A balloon_actual_mib)" != "$1" ] && [ $_i -lt 180 ]; do
		sleep 1
		_i=$((_i + 1))
	done
	[ "$(info_A balloon_actual_mib)" = "$1" ]
}
ask A 3 'say() { echo "GUEST: $*"; }; say defined' defined 60
ask A 3 'say avail=$(sed -n "s/^MemAvailable: *//p" /proc/meminfo | tr -d " kB")' 'avail=' 60
ask A 3 'mkdir -p /t && mount -t tmpfs -o size=40m none /t && dd if=/dev/zero of=/t/fill bs=1M count=24 2>/dev/null; say filled=$?' 'filled=' 300
rss_full=$(rss_A)
ask A 3 'rm /t/fill; say freed=$?' 'freed=' 60
vmctl balloon A 32
actual_is 32
rc=$?
rss_ballooned=$(rss_A)
echo "# balloon: A's vmctl VmRSS $rss_full KiB with 24 MiB written in the guest, $rss_ballooned KiB with 32 MiB in the balloon (MemAvailable in the guest before: $(fact A avail) KiB)"
check_eval "balloon_inflate_gives_memory_back" "filled $(fact A filled); actual $(info_A balloon_actual_mib) MiB; VmRSS $rss_full -> $rss_ballooned KiB; inflated $(info_A balloon_inflated_pages) pages; guest MemAvailable $(fact A avail) KiB" \
	'[ "$(fact A filled)" = 0 ] && [ $rc -eq 0 ] && [ "$(info_A balloon_inflated_pages)" -ge 8192 ] &&
	 [ $((rss_full - rss_ballooned)) -ge 16384 ]'
check_eval "balloon_guest_statistics" "$(vmctl info A | grep balloon_ | tr '\n' ' ')" \
	'[ "$(info_A balloon_total_memory)" -gt 0 ] && [ "$(info_A balloon_free_memory)" -gt 0 ]'
vmctl balloon A 0
actual_is 0
rc=$?
ask A 3 'dd if=/dev/zero of=/t/fill bs=1M count=24 2>/dev/null; say refilled=$?' 'refilled=' 300
rss_refilled=$(rss_A)
ask A 3 'rm /t/fill; umount /t; say cleaned=$?' 'cleaned=' 60
check_eval "balloon_deflate_gives_it_back_to_the_guest" "actual $(info_A balloon_actual_mib) MiB; refilled $(fact A refilled); VmRSS $rss_ballooned -> $rss_refilled KiB" \
	'[ $rc -eq 0 ] && [ "$(fact A refilled)" = 0 ] && [ $((rss_refilled - rss_ballooned)) -ge 16384 ]'
# Linux reports free 2 MiB blocks while more than 64 MiB of them are free
# (32 blocks a report), from 2 s after the driver starts: why A has 256 MiB.
i=0
while [ "$(info_A balloon_reported_pages)" = 0 ] && [ $i -lt 60 ]; do
	sleep 1
	i=$((i + 1))
done
echo "# balloon: $(info_A balloon_reported_pages) pages reported free by the guest"
check_eval "balloon_free_page_reporting" "reported $(info_A balloon_reported_pages) pages; driver:$(info_A balloon_driver)" \
	'[ "$(info_A balloon_reported_pages)" -gt 0 ]'
vmctl balloon A 300 2>/tmp/balloon.err
rc=$?
check_eval "balloon_refuses_more_than_the_vm" "status $rc: $(cat /tmp/balloon.err)" \
	'[ $rc -eq 1 ] && grep -q "more than the VM" /tmp/balloon.err'

if wait_for B '^GUEST: ready'; then
	two_cpus() { [ "$(fact B cpus)" = 2 ] && [ "$(fact B online)" = 0-1 ]; }
	check "boot_2_vcpus_sees_2_cpus" "cpus=$(fact B cpus) online=$(fact B online)" \
		two_cpus
else
	not_ok "boot_2_vcpus_sees_2_cpus" "B did not boot: $(tail -n 3 /tmp/B.out /tmp/B.err | tr '\n' ' ')"
fi

# --vcpu-affinity 0:1 and 1:0: the kernel's view of each vcpuN thread
# of B's vmctl, the CPUs it may run on and the one it ran on last (stat's
# field 39; comm has no space), and what vmctl info says.
pins=
for t in /proc/$pid_B/task/*; do
	case $(cat "$t/comm") in vcpu[01]) ;; *) continue ;; esac
	pins="$pins $(cat "$t/comm")=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")@$(awk '{ print $39 }' "$t/stat")"
done
pinned() {
	case "$pins " in *" vcpu0=1@1 "*) ;; *) return 1 ;; esac
	case "$pins " in *" vcpu1=0@0 "*) ;; *) return 1 ;; esac
	vmctl info B | grep -qx 'vcpu0_affinity: 1' && vmctl info B | grep -qx 'vcpu1_affinity: 0'
}
check "vcpu_affinity_pins_each_vcpu_thread" "threads (allowed@last):$pins; $(vmctl info B | grep affinity | tr '\n' ' ')" \
	pinned

# B panics; reboot=t makes its reboot a triple fault: vmctl ends, status 1.
echo 'echo c >/proc/sysrq-trigger' >&4
wait $pid_B
rc_B=$?
echo 'echo alive-$((2 + 3))' >&3
if [ $rc_B -eq 1 ] && grep -q 'triple-faulted' /tmp/B.err &&
   grep -q 'Kernel panic' /tmp/B.out && wait_for A '^alive-5' 120; then
	ok "guest_crash_leaves_host_and_other_guest_running"
else
	not_ok "guest_crash_leaves_host_and_other_guest_running" "B exit $rc_B: $(tail -n 2 /tmp/B.err | tr '\n' ' '); A: $(tail -n 2 /tmp/A.out | tr '\n' ' ')"
fi

# vmctl stop: the power button; the guest's acpid powers it off (S5).
stop=$(vmctl stop A --timeout 300 2>&1)
rc_stop=$?
wait $pid_A
rc_A=$?
shut_down() {
	[ $rc_stop -eq 0 ] && [ $rc_A -eq 0 ] &&
		echo "$stop" | grep -q 'shut down' &&
		grep -q 'GUEST: power button' /tmp/A.out
}
check "vmctl_stop_shuts_guest_down" "stop: $stop ($rc_stop), vmctl run exit $rc_A" \
	shut_down

# The legacy guests, side by side (one testbed CPU each): 1 vCPU, the
# console's input on FD, booted with OPTION; each must reach its shell,
# then says which timer ticks for it and where IRQs 0 and 4 went.
start C 5 1 128 "console=ttyS0 noapic"
start D 6 1 128 "console=ttyS0 acpi=off"
legacy_guest() {	# legacy_guest NAME FD OPTION TEST
	if wait_for "$1" '^GUEST: ready'; then
		ok "$4"
		ask "$1" "$2" 'say() { echo "GUEST: $*"; }; say defined' defined
		ask "$1" "$2" 'say tick=$(cat /sys/devices/system/clockevents/clockevent0/current_device) irq0=$(grep -m1 "^ *0:" /proc/interrupts | tr -s " " | tr " " ,) irq4=$(grep -m1 "^ *4:" /proc/interrupts | tr -s " " | tr " " ,)' 'tick=' 120
		echo "# $1 ($3): tick $(fact "$1" tick), clocksource $(fact "$1" clocksource), IRQ 0 $(fact "$1" irq0), IRQ 4 $(fact "$1" irq4)"
	else
		not_ok "$4" "no 'GUEST: ready' in $WAIT s: $(tail_of "$1")"
	fi
	eval "kill \$pid_$1"
	eval "wait_exit \$pid_$1 30" >/dev/null
	eval "exec $2>&-"
}
legacy_guest C 5 noapic "boot_noapic_to_shell_through_the_8259"
legacy_guest D 6 acpi=off "boot_acpi_off_to_shell_on_8259_and_pit"
# "4:,567,XT-PIC,ttyS0": the console's interrupts came through the 8259;
# with acpi=off (no MADT, so no IOAPIC) the PIT's IRQ 0 is the tick.
through_8259() {	# through_8259 LINE: IRQs counted on the XT-PIC
	case $1 in *,XT-PIC,*) [ "$(echo "$1" | cut -d, -f3)" -gt 0 ] ;; *) return 1 ;; esac
}
check "noapic_console_interrupts_through_the_8259" "IRQ 4 '$(fact C irq4)'" \
	through_8259 "$(fact C irq4)"
check_eval "acpi_off_ticks_on_the_pit_through_the_8259" "tick $(fact D tick), IRQ 0 '$(fact D irq0)'" \
	'[ "$(fact D tick)" = pit ] && through_8259 "$(fact D irq0)"'
exit 0
