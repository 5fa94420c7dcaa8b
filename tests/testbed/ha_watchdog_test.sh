#!/bin/sh
# The watchdog of hvxd, in a boot of its own (busybox sh; suite
# "ha_watchdog"): one kernel has one watchdog, so the three hosts of
# ha_test.sh run with --watchdog none and this boot has one host only.
#
#   first boot: softdog is /dev/watchdog; one host (ha_lib.sh), alone in
#     its corosync cluster and so quorate with its one vote; hvxd with
#     --watchdog /dev/watchdog --fence-timeout 5 runs an HA VM and arms
#     the watchdog (timeout 5 s), feeds it (the testbed lives on through
#     twice that); then hvxd is stopped (SIGSTOP): nothing feeds the
#     watchdog and softdog resets the machine within 5 s;
#   the reset: Bochs restarts the same machine (BIOS, ISO, kernel,
#     initramfs) and the suite runs again (the boot's kernel runs with
#     hpet=disable, without which Bochs 2.7's BIOS hangs after a reset:
#     run_check.sh says why);
#   second boot: it finds the first boot's mark and reports the reset.
#
# The mark lives where a reset does not reach and a new initramfs does
# not look: a byte of the CMOS RAM (below). The host side
# (tests/run_check.sh) measures the SIGSTOP-to-reset time from the first
# boot's console, where both ends are kernel lines with timestamps.

. /guest_lib.sh	# ok, not_ok, check, check_eval, fail_rest
. /ha_lib.sh

# Reported by the first boot, then by the second; the second starts its
# numbering where the first one's list ends (one TAP plan for both).
FIRST="ha_watchdog_cmos_mark_free ha_watchdog_one_host_quorate ha_watchdog_hvxd_starts
ha_watchdog_vm_runs ha_watchdog_armed ha_watchdog_is_softdog_with_timeout
ha_watchdog_fed_while_hvxd_runs ha_watchdog_reset_prepared"
SECOND="ha_watchdog_testbed_reset ha_watchdog_second_boot_is_a_new_kernel"
TESTS="$FIRST $SECOND"

F=5		# hvxd's --fence-timeout: the watchdog's timeout
WAIT=60		# testbed seconds for a state that must come
STOPPED=30	# after SIGSTOP: still alive after this is a failure
WD=/sys/class/watchdog/watchdog0

# The mark: CMOS RAM byte 0x50, through the kernel's nvram driver
# (/dev/nvram starts at CMOS byte 14, NVRAM_FIRST_BYTE), which takes the
# RTC's lock, so that no access of the RTC driver comes between the index
# and the data port. A reset of the emulated machine keeps the CMOS RAM
# (Bochs' CMOS reset clears only bits of the status registers B and C); a
# new Bochs starts it from zeros. 0x50 is used by nobody here: Bochs' map
# (iodev/cmos.cc) is 0x10-0x3f and 0x5b-0x5f, its BIOS (rombios.c,
# rombios32.c) touches none outside these and the clock's, and Linux
# writes the clock (0x00-0x0d), the century (0x32) and, for a reboot
# through the BIOS, 0x0f; the nvram driver's checksum (0x2e-0x2f) covers
# 0x10-0x2d only. The values:
#   0     untouched: the first boot
#   0xa1  hvxd stopped: a reset must follow; the boot that finds it is
#         the second
#   0xa2  the second boot has been: finding it means a reset loop
CMOS=$((0x50 - 14))
cmos_get() { dd if=/dev/nvram bs=1 skip=$CMOS count=1 2>/dev/null | od -An -tu1 | tr -d ' '; }
cmos_set() {	# cmos_set VALUE; status 0 if it reads back
	printf "\\$(printf %o "$1")" | dd of=/dev/nvram bs=1 seek=$CMOS count=1 conv=notrunc 2>/dev/null
	[ "$(cmos_get)" = "$1" ]
}

[ -e /dev/nvram ] || insmod /lib/modules/nvram.ko 2>/dev/null
mark=$(cmos_get)
case $mark in
$((0xa1)))
	# --- the second boot ---------------------------------------------
	# First of all, so that a reset of this boot does not loop.
	cmos_set $((0xa2))
	again=$?
	n=$(echo $FIRST | wc -w)
	echo "# second boot: CMOS byte 0x50 is 0xa1, the mark the first boot left before SIGSTOP"
	ok ha_watchdog_testbed_reset
	# A new kernel, not the old one resumed: the volatile state is gone
	# and the watchdog is free again.
	check_eval ha_watchdog_second_boot_is_a_new_kernel \
		"uptime $(ha_now) s, hvxd pids '$(pidof hvxd)', $HA_DIR $([ -e $HA_DIR ] && echo exists || echo absent), watchdog $(cat $WD/state 2>/dev/null), CMOS byte 0x50 now '$(cmos_get)'" \
		'[ -z "$(pidof hvxd)" ] && [ ! -e $HA_DIR ] && [ "$(cat $WD/state)" = inactive ] && [ $again -eq 0 ]'
	exit 0 ;;
$((0xa2)))
	n=$(echo $FIRST | wc -w)
	fail_rest "a third boot: the testbed was reset again after the second one" ;;
esac

# --- the first boot ----------------------------------------------------------
echo "1..$(echo $TESTS | wc -w)"
check ha_watchdog_cmos_mark_free "CMOS byte 0x50 is '$mark' at the first boot (no /dev/nvram?)" [ "$mark" = 0 ]
[ "$mark" = 0 ] || fail_rest "no mark for the second boot"
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || fail_rest "insmod hvx failed"

# One host: its nodelist has one node, so votequorum expects one vote
# and its own makes it quorate.
ha_setup 1 2>/tmp/ha_setup.err && ha_start_corosync 1 2>>/tmp/ha_setup.err &&
	ha_wait_quorum 1 yes $WAIT >/dev/null 2>>/tmp/ha_setup.err
rc=$?
check_eval ha_watchdog_one_host_quorate "status $rc: $(head -c 300 /tmp/ha_setup.err); $(ha_in 1 "$HA_QUORUMTOOL" -s 2>&1 | grep -E 'Quorate|votes|Quorum:' | tr -s ' \n' ' ')" \
	'[ $rc -eq 0 ] && [ "$(ha_members 1)" = 1 ]'
[ $rc -eq 0 ] || fail_rest "no quorate host"

# hvxd (ha_lib.sh's hvxd_start), with the watchdog this time.
HA_WATCHDOG=/dev/watchdog HA_FENCE=$F
hvxd_start 1
pid=$(pidof hvxd)
check_eval ha_watchdog_hvxd_starts "pid '$pid': $(tail -n 3 $HA_DIR/n1/hvxd.log | tr '\n' ' ')" \
	'[ -n "$pid" ] && hactl 1 status >/dev/null 2>&1'
[ -n "$pid" ] || fail_rest "no hvxd"

hactl 1 add wd -- --kernel $HA_HB --memory 8 --append "hb_ms=200" >/tmp/add.out 2>&1
rc=$?
t0=$(ha_now)
until [ "$(ha_last_hb "$HA_CONSOLE/wd.log" 2>/dev/null)" = "n1 1" ] || [ "$(ha_since "$t0" | cut -d. -f1)" -ge $WAIT ]; do
	sleep 0.2
done
where=$(where 1 wd)
check_eval ha_watchdog_vm_runs "add: status $rc ($(cat /tmp/add.out)); last heartbeat '$(ha_last_hb "$HA_CONSOLE/wd.log" 2>/dev/null)'; status '$where'" \
	'[ $rc -eq 0 ] && [ "$(ha_last_hb "$HA_CONSOLE/wd.log")" = "n1 1" ] && [ "$where" = "n1 running 1 0" ]'

# hvxd arms the watchdog before it starts the VM.
armed=$(grep -m1 'what=watchdog-armed' "$HA_DIR/n1/audit.log")
check_eval ha_watchdog_armed "audit: '${armed:-no watchdog-armed line}'" \
	'echo "$armed" | grep -q "device=/dev/watchdog timeout=$F\$"'
[ -n "$armed" ] || fail_rest "the watchdog is not armed"

# What the kernel says of the watchdog that hvxd holds open.
held=
for _f in /proc/$pid/fd/*; do
	[ "$(readlink "$_f")" = /dev/watchdog ] && held=yes
done
echo "# $WD: identity '$(cat $WD/identity)' state $(cat $WD/state) timeout $(cat $WD/timeout) s; hvxd holds /dev/watchdog: ${held:-no}"
check_eval ha_watchdog_is_softdog_with_timeout \
	"identity '$(cat $WD/identity)', state $(cat $WD/state), timeout $(cat $WD/timeout), held by hvxd ${held:-no}, softdog $([ -d /sys/module/softdog ] && echo loaded || echo missing)" \
	'[ "$(cat $WD/identity)" = "Software Watchdog" ] && [ "$(cat $WD/state)" = active ] &&
	 [ "$(cat $WD/timeout)" = $F ] && [ -n "$held" ] && [ -d /sys/module/softdog ]'

# Fed: twice the timeout with hvxd running and the machine still here,
# the VM's heartbeats still coming. Without this the reset below could be
# the arming's, not the stop's.
beats=$(grep -c 'HB name=wd' "$HA_CONSOLE/wd.log")
sleep $((2 * F))
beats2=$(grep -c 'HB name=wd' "$HA_CONSOLE/wd.log")
check_eval ha_watchdog_fed_while_hvxd_runs "heartbeats $beats -> $beats2 in $((2 * F)) s; watchdog $(cat $WD/state)" \
	'[ "$beats2" -gt "$beats" ] && [ "$(cat $WD/state)" = active ]'

# How the kernel resets: by default ACPI's reset register (Bochs' FADT has
# none), then the keyboard controller, which Bochs does as a soft reset
# (an INIT): IA32_FEATURE_CONTROL stays locked, its BIOS faults writing
# it and Bochs quits on the triple fault. The PCI reset register (0xcf9,
# a full reset) is a hard reset in Bochs, which clears the MSR; the CMOS
# RAM survives both.
echo pci >/sys/kernel/reboot/type
cmos_set $((0xa1))
marked=$?
check_eval ha_watchdog_reset_prepared "CMOS byte 0x50 reads '$(cmos_get)' after writing 0xa1; reboot type '$(cat /sys/kernel/reboot/type)'" \
	'[ $marked -eq 0 ] && [ "$(cat /sys/kernel/reboot/type)" = pci ]'
# From here the suite either dies with the machine or fails.
#
# The marker goes to the kernel's log at level 2 (crit, as softdog's
# "Initiating system reboot"), so that the console shows it with its
# timestamp (loglevel=4 prints below 4 only): run_check.sh takes the time
# between the two lines.
echo "# stopping hvxd ($pid) at $(ha_now): softdog must reset the testbed within $F s"
echo "<2>hvx-watchdog: SIGSTOP hvxd" >/dev/kmsg
kill -STOP "$pid"
sleep $STOPPED
n=$(echo $FIRST | wc -w)
not_ok ha_watchdog_testbed_reset "the testbed was not reset $STOPPED s after SIGSTOP of hvxd (watchdog $(cat $WD/state), hvxd $(cut -d' ' -f3 /proc/$pid/stat))"
kill -CONT "$pid"
fail_rest "no reset"
