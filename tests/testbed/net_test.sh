#!/bin/sh
# vmctl's virtual networks (--nic, vmctl net), inside the testbed (busybox
# sh, in a network namespace of its own: run_check.sh's suite starts it
# under unshare -n, so nothing of the testbed's own network is touched).
# Three Debian guests on the hvx network hvxnet0 (a
# VLAN-filtering bridge whose host side is 10.9.0.1/24):
#   NA 10.9.0.11, vhost-net data path (the default, where it loads);
#   NB 10.9.0.12, vmctl's own data path (vhost=off), limited to 200 Mbit/s;
#   NC 10.9.0.13 on VLAN 20, two queue pairs and two vCPUs (a Linux guest
#      uses as many pairs as it has CPUs: the control queue's VQ_PAIRS_SET
#      2 is then real); the host reaches VLAN 20
#      through hvxnet0.20 (10.9.20.1/24), where NC is 10.9.20.13.
# What is checked: refusals before anything is made; the guests see their
# MACs and queues; NA and NB ping each other and the host, NC reaches only
# VLAN 20; NA changing its MAC, then its IP, loses its connectivity with
# the drop counters of vmctl info saying why, and regains it when set back;
# after vmctl stop and after kill -9 no tap, filter or BPF program of hvx
# is left; 50 runs of a Multiboot kernel with two NICs each (100 NIC
# create/destroy cycles) leave nothing behind. Prints TAP.

WAIT=${HVX_GUEST_WAIT:-600}
. /guest_lib.sh	# ok, not_ok, check(_eval), fail_rest, start, ask, wait_for, wait_exit, fact

TESTS="net_create_network net_refuses_missing_bridge net_refuses_multicast_mac
net_refuses_long_bridge_name net_refuses_without_cap_net_admin net_refusals_leave_nothing
net_guests_boot net_guest_macs_and_queues net_datapaths net_rate_limit net_a_pings_b net_b_pings_a
net_a_pings_host net_host_pings_b net_c_reaches_vlan_20 net_c_cannot_reach_a
net_a_cannot_reach_c net_mac_spoof_loses_connectivity net_mac_spoof_counted
net_mac_restored_reconnects net_ip_spoof_loses_connectivity net_ip_spoof_counted
net_ip_restored_reconnects net_delete_refused_while_in_use net_stop_leaves_nothing
net_kill9_leaves_nothing net_100_nic_cycles_leave_nothing net_delete_network"
echo "1..$(echo $TESTS | wc -w)"

# Debian's iproute2, bpftool and setpriv (mkinitramfs.sh --program), by
# path: for a bare name busybox sh runs its own applet, which has no -d.
IP=/bin/ip TC=/bin/tc BRIDGE=/bin/bridge BPFTOOL=/bin/bpftool SETPRIV=/bin/setpriv

# tun, bridge, the clsact qdisc and BPF classifier, vhost-net and 8021q
# (the host's VLAN 20 interface) are loaded by suite_check.sh.
[ -d /sys/module/hvx ] || insmod /lib/modules/hvx.ko || fail_rest "insmod hvx failed"
$IP link set lo up

# taps NAME...: how many tap devices there are, and BPF programs of hvx.
taps() { $IP -d link show | grep -c 'tun type tap'; }
progs() { $BPFTOOL prog show 2>/dev/null | grep -c 'spoof_filter'; }
info() { vmctl info "$1" 2>/dev/null | sed -n "s/^$2: //p"; }

# --- the network ----------------------------------------------------------
vmctl net create hvxnet0 --subnet 10.9.0.0/24 --vlan-filtering >/tmp/create.out 2>&1
rc=$?
check_eval net_create_network "exit $rc: $(cat /tmp/create.out); $(vmctl net list 2>&1 | tr '\n' ' ')" \
	'[ $rc -eq 0 ] && vmctl net list | grep -qE "^hvxnet0 +hvx +up .* vlans +10\.9\.0\.1/24"'
# The host on VLAN 20: the bridge itself a tagged member, and a VLAN device.
$BRIDGE vlan add dev hvxnet0 vid 20 self
$IP link add link hvxnet0 name hvxnet0.20 type vlan id 20
$IP addr add 10.9.20.1/24 dev hvxnet0.20
$IP link set hvxnet0.20 up

# --- refusals: a message, status 1, nothing made -----------------------------
refused() {	# refused OUT NIC_OPTION [PREFIX...]: a vmctl that must fail at once
	_out=$1 _nic=$2
	shift 2
	timeout 120 "$@" vmctl run --kernel "$KERNEL" --initrd "$INITRD" --memory 64 \
		--timeout 60 --name refused --nic "$_nic" </dev/null >"$_out" 2>&1
}
refused /tmp/r1 bridge=nosuch
rc=$?
check_eval net_refuses_missing_bridge "exit $rc: $(head -c 200 /tmp/r1)" \
	'[ $rc -eq 1 ] && grep -q "no bridge nosuch" /tmp/r1'
refused /tmp/r2 bridge=hvxnet0,mac=01:00:5e:00:00:01
rc=$?
check_eval net_refuses_multicast_mac "exit $rc: $(head -c 200 /tmp/r2)" \
	'[ $rc -eq 1 ] && grep -q "not a unicast MAC" /tmp/r2'
refused /tmp/r3 bridge=a-bridge-name-too-long
rc=$?
check_eval net_refuses_long_bridge_name "exit $rc: $(head -c 200 /tmp/r3)" \
	'[ $rc -eq 1 ] && grep -q "1 to 15 characters" /tmp/r3'
refused /tmp/r4 bridge=hvxnet0 $SETPRIV --bounding-set=-net_admin
rc=$?
check_eval net_refuses_without_cap_net_admin "exit $rc: $(head -c 200 /tmp/r4)" \
	'[ $rc -eq 1 ] && grep -q "CAP_NET_ADMIN" /tmp/r4'
check_eval net_refusals_leave_nothing "taps $(taps), BPF programs $(progs), ports: $(vmctl net list | grep -c port)" \
	'[ "$(taps)" = 0 ] && [ "$(progs)" = 0 ] && ! vmctl net list | grep -q port'

# --- three guests -----------------------------------------------------------
start NA 3 1 96 "console=ttyS0" --nic bridge=hvxnet0,ip=10.9.0.11
start NB 4 1 96 "console=ttyS0" --nic bridge=hvxnet0,ip=10.9.0.12,vhost=off,rate=200
start NC 5 2 96 "console=ttyS0" --nic bridge=hvxnet0,vlan=20,queues=2,ip=10.9.0.13+10.9.20.13
booted=0
for g in NA NB NC; do
	wait_for $g '^GUEST: ready' && booted=$((booted + 1)) ||
		echo "# $g: no 'GUEST: ready' in $WAIT s: $(tail_of $g)"
done
check net_guests_boot "$booted of 3 guests booted" [ $booted -eq 3 ]
[ $booted -eq 3 ] || fail_rest "the guests did not boot"

for g in NA:3 NB:4 NC:5; do
	ask ${g%:*} ${g#*:} 'say() { echo "GUEST: $*"; }; say defined' defined 60
done
mac_a=$(info NA nic0 | sed -n 's/.*mac=\([^ ]*\).*/\1/p')
mac_b=$(info NB nic0 | sed -n 's/.*mac=\([^ ]*\).*/\1/p')
mac_c=$(info NC nic0 | sed -n 's/.*mac=\([^ ]*\).*/\1/p')
check_eval net_guest_macs_and_queues "guests: $(fact NA mac)/$(fact NA rx_queues) $(fact NB mac) $(fact NC mac)/$(fact NC rx_queues); vmctl: $mac_a $mac_b $mac_c" \
	'[ -n "$mac_a" ] && [ "$(fact NA mac)" = "$mac_a" ] && [ "$(fact NB mac)" = "$mac_b" ] &&
	 [ "$(fact NC mac)" = "$mac_c" ] && [ "$(fact NA rx_queues)" = 1 ] && [ "$(fact NC rx_queues)" = 2 ]'
dp_a=$(info NA nic0 | sed -n 's/.*datapath=\([^ ]*\).*/\1/p')
dp_b=$(info NB nic0 | sed -n 's/.*datapath=\([^ ]*\).*/\1/p')
check_eval net_datapaths "NA $dp_a (vhost_net loaded: $([ -d /sys/module/vhost_net ] && echo yes || echo no)), NB $dp_b" \
	'[ "$dp_a" = vhost ] && [ "$dp_b" = vmctl ]'

# rate=200: a TBF root qdisc at 200 Mbit/s on NB's tap (to the guest), the
# policer in the filter (from it; its verdicts are spoof_test's).
tap_b=$(info NB nic0 | sed -n 's/.*tap=\([^ ]*\).*/\1/p')
$TC qdisc show dev "$tap_b" >/tmp/qdisc_b 2>&1
check_eval net_rate_limit "NB: $(info NB nic0 | grep -o 'rate=[0-9]*'); tc: $(head -n 2 /tmp/qdisc_b | tr '\n' ' ')" \
	'info NB nic0 | grep -q "rate=200" && grep -qE "qdisc tbf .* rate 200Mbit" /tmp/qdisc_b'

ask NA 3 'ip link set eth0 up && ip addr add 10.9.0.11/24 dev eth0; say a_up=$?' 'a_up=' 60
ask NB 4 'ip link set eth0 up && ip addr add 10.9.0.12/24 dev eth0; say b_up=$?' 'b_up=' 60
ask NC 5 'ip link set eth0 up && ip addr add 10.9.0.13/24 dev eth0 && ip addr add 10.9.20.13/24 dev eth0; say c_up=$?' 'c_up=' 60

# Reachability is two echo requests, each of which must be answered, and
# each given 30 s: busybox's "ping -c 2 -w 30" waits only two RTTs of the
# first reply (1 s) for the second one, too short when three guests share
# an emulated CPU (a CI run lost a reply so, at 0.9 ms RTT).
PING2='ping -c 1 -W 30 $a >/dev/null 2>&1 && ping -c 1 -W 30 $a >/dev/null 2>&1'
# RECEIVED: how many of 3 echo requests to $a are answered within 8 s, for
# the checks that a peer is out of reach (0, not merely fewer than sent).
RECEIVED='$(ping -c 3 -w 8 $a 2>/dev/null | sed -n "s/.* \\([0-9]*\\) packets received.*/\\1/p")'
# ping_from NAME FD KEY ADDR: the guest pings ADDR; KEY=its exit status.
ping_from() { ask "$1" "$2" "a=$4; $PING2; say $3=\$?" "$3=" 120; }
ping_from NA 3 ab 10.9.0.12
check net_a_pings_b "ping exit $(fact NA ab): $(tail_of NA)" [ "$(fact NA ab)" = 0 ]
ping_from NB 4 ba 10.9.0.11
check net_b_pings_a "ping exit $(fact NB ba): $(tail_of NB)" [ "$(fact NB ba)" = 0 ]
ping_from NA 3 ahost 10.9.0.1
check net_a_pings_host "ping exit $(fact NA ahost)" [ "$(fact NA ahost)" = 0 ]
ping -c 1 -W 30 10.9.0.12 >/tmp/ping_b 2>&1 && ping -c 1 -W 30 10.9.0.12 >>/tmp/ping_b 2>&1
rc=$?
check net_host_pings_b "exit $rc: $(grep -E 'packets|round-trip' /tmp/ping_b | tr '\n' ' ')" [ $rc -eq 0 ]
ping_from NC 5 chost20 10.9.20.1
check net_c_reaches_vlan_20 "ping exit $(fact NC chost20): $(tail_of NC)" [ "$(fact NC chost20)" = 0 ]
ask NC 5 "a=10.9.0.11; say ca=$RECEIVED" 'ca=' 120
check_eval net_c_cannot_reach_a "replies: $(fact NC ca) of 3" '[ "$(fact NC ca)" = 0 ]'
ask NA 3 "a=10.9.0.13; say ac=$RECEIVED" 'ac=' 120
check_eval net_a_cannot_reach_c "replies: $(fact NA ac) of 3" '[ "$(fact NA ac)" = 0 ]'

# --- spoofing ---------------------------------------------------------------
# A new MAC: B's and the host's neighbour entries for A are forgotten first,
# so that A has to ask again, from the MAC the filter does not know.
drops_mac0=$(info NA nic0_spoof_dropped_mac)
ask NA 3 "ip link set eth0 address 0e:00:00:00:00:99; ip neigh flush dev eth0; a=10.9.0.12; say macspoof=$RECEIVED" 'macspoof=' 120
drops_mac1=$(info NA nic0_spoof_dropped_mac)
check_eval net_mac_spoof_loses_connectivity "replies: $(fact NA macspoof) of 3" '[ "$(fact NA macspoof)" = 0 ]'
check_eval net_mac_spoof_counted "nic0_spoof_dropped_mac $drops_mac0 -> $drops_mac1" \
	'[ -n "$drops_mac1" ] && [ "$drops_mac1" -gt "${drops_mac0:-0}" ]'
ask NA 3 "ip link set eth0 address $mac_a; a=10.9.0.12; $PING2; say macback=\$?" 'macback=' 120
check net_mac_restored_reconnects "ping exit $(fact NA macback)" [ "$(fact NA macback)" = 0 ]

drops_ip0=$(($(info NA nic0_spoof_dropped_ipv4) + $(info NA nic0_spoof_dropped_arp)))
ask NA 3 "ip addr del 10.9.0.11/24 dev eth0; ip addr add 10.9.0.99/24 dev eth0; ip neigh flush dev eth0; a=10.9.0.12; say ipspoof=$RECEIVED" 'ipspoof=' 120
drops_ip1=$(($(info NA nic0_spoof_dropped_ipv4) + $(info NA nic0_spoof_dropped_arp)))
check_eval net_ip_spoof_loses_connectivity "replies: $(fact NA ipspoof) of 3" '[ "$(fact NA ipspoof)" = 0 ]'
check_eval net_ip_spoof_counted "nic0_spoof_dropped_ipv4 + _arp $drops_ip0 -> $drops_ip1" \
	'[ "$drops_ip1" -gt "$drops_ip0" ]'
ask NA 3 "ip addr del 10.9.0.99/24 dev eth0; ip addr add 10.9.0.11/24 dev eth0; a=10.9.0.12; $PING2; say ipback=\$?" 'ipback=' 120
check net_ip_restored_reconnects "ping exit $(fact NA ipback)" [ "$(fact NA ipback)" = 0 ]

vmctl net delete hvxnet0 >/tmp/del1 2>&1
rc=$?
check_eval net_delete_refused_while_in_use "exit $rc: $(cat /tmp/del1)" \
	'[ $rc -eq 1 ] && grep -q "in use" /tmp/del1 && vmctl net list | grep -q "^hvxnet0 "'

# --- the end of a VM: clean, then kill -9 -------------------------------------
tap_a=$(info NA nic0 | sed -n 's/.*tap=\([^ ]*\).*/\1/p')
vmctl stop NA >/dev/null 2>&1
vmctl stop NC >/dev/null 2>&1
wait_exit $pid_NA 300 >/dev/null
wait_exit $pid_NC 300 >/dev/null
exec 3>&- 5>&-
# What is left once a VM's vmctl is gone, within 20 s: the BPF program goes
# once its last reference (the tap's filter) does, after an RCU grace period.
# gone_within TAP TAPS PROGRAMS: TAP is gone, TAPS taps and PROGRAMS remain.
gone_within() {
	_i=0
	while [ $_i -lt 20 ]; do
		! $IP link show "$1" >/dev/null 2>&1 && [ "$(taps)" = "$2" ] &&
			[ "$(progs)" = "$3" ] && return 0
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}
check_eval net_stop_leaves_nothing "after NA and NC stopped: $tap_a $($IP link show "$tap_a" >/dev/null 2>&1 && echo exists || echo gone), taps $(taps) (NB's 1), programs $(progs) (NB's 1)" \
	'[ -n "$tap_a" ] && gone_within "$tap_a" 1 1 && ! $TC filter show dev "$tap_a" ingress 2>/dev/null | grep -q bpf'
kill -9 $pid_NB
wait_exit $pid_NB 60 >/dev/null
exec 4>&-
check_eval net_kill9_leaves_nothing "after kill -9 of NB's vmctl: $tap_b $($IP link show "$tap_b" >/dev/null 2>&1 && echo exists || echo gone), taps $(taps), programs $(progs)" \
	'[ -n "$tap_b" ] && gone_within "$tap_b" 0 0'

# --- 100 NIC create/destroy cycles ------------------------------------------
# A Multiboot kernel that powers off at once, with two NICs: each run makes
# and removes two taps, filters and devices. What must not grow: links,
# programs, maps, and the kernel's unreclaimable memory.
slab() { sync; echo 3 >/proc/sys/vm/drop_caches; sed -n 's/^SUnreclaim: *\([0-9]*\).*/\1/p' /proc/meminfo; }
maps() { $BPFTOOL map show 2>/dev/null | grep -c 'spoof'; }
links0=$($IP -o link | wc -l)
slab0=$(slab)
cycles=0 failed=0
t0=$(cut -d' ' -f1 /proc/uptime)
while [ $cycles -lt 50 ]; do
	vmctl run --kernel /guests/multiboot_hello.elf --memory 16 --timeout 60 --name cyc \
		--nic bridge=hvxnet0 --nic bridge=hvxnet0,vlan=20,queues=2 </dev/null >/dev/null 2>/tmp/cyc.err ||
		failed=$((failed + 1))
	cycles=$((cycles + 1))
done
echo "# 50 runs with two NICs each in $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $t0 }") s of testbed time"
sleep 3
links1=$($IP -o link | wc -l)
slab1=$(slab)
check_eval net_100_nic_cycles_leave_nothing "$failed runs failed ($(head -c 200 /tmp/cyc.err)); links $links0 -> $links1, taps $(taps), programs $(progs), maps $(maps), SUnreclaim $slab0 -> $slab1 KiB" \
	'[ $failed -eq 0 ] && [ "$links1" = "$links0" ] && [ "$(taps)" = 0 ] && [ "$(progs)" = 0 ] &&
	 [ "$(maps)" = 0 ] && [ $((slab1 - slab0)) -lt 1024 ]'

$IP link del hvxnet0.20
vmctl net delete hvxnet0 >/tmp/del2 2>&1
rc=$?
check_eval net_delete_network "exit $rc: $(cat /tmp/del2); bridges: $(vmctl net list | tail -n +2 | tr '\n' ' ')" \
	'[ $rc -eq 0 ] && ! $IP link show hvxnet0 >/dev/null 2>&1'
exit 0
