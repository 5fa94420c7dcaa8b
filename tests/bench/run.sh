#!/bin/bash
# make bench: boot the testbed once and, in that boot, measure hvx against
# KVM (see tests/testbed/suite_bench.sh): exit_bench's round trips, and the
# boot of the Debian kernel to its /init under vmctl and under QEMU+KVM,
# and fio in that guest on a virtio-blk disk under both, and iperf3 and
# ping between that guest, a second one and the testbed over a bridge
# (hvx's vhost-net and vmctl data paths, QEMU's vhost-net). Prints each
# figure with the ratio hvx/KVM (lower is better for hvx in times, higher
# in throughput) and the hvx boot's exits per second by reason.
# HVX_BENCH_PARTS (default "exit boot net disk") runs only some parts, for
# working on one; the tables then hold only what ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/testbed/common.sh
dir=build/bench
mkdir -p "$dir"

# QEMU (Debian's qemu-system-x86) with its shared libraries and the
# microvm firmware, run through the copied dynamic loader.
qemu=$dir/qemu
rm -rf "$qemu"
mkdir -p "$qemu"
adds=()
if [[ -x /usr/bin/qemu-system-x86_64 ]]; then
	cp /usr/bin/qemu-system-x86_64 "$qemu/"
	ldd /usr/bin/qemu-system-x86_64 | awk '$3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' |
		while read -r lib; do cp -L "$lib" "$qemu/"; done
	cp -L "$(ldd /usr/bin/qemu-system-x86_64 | awk '$1 ~ /ld-linux/ { print $1 }')" "$qemu/ld.so"
	cp /usr/share/qemu/{bios-microvm.bin,qboot.rom,linuxboot_dma.bin} "$qemu/"
	# The disk bench's PC machine: SeaBIOS, and the TPR-patching ROM that
	# it loads under KVM.
	cp /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin "$qemu/"
	adds+=(--add "$qemu:/qemu")
else
	echo "bench: no qemu-system-x86_64 (make deps installs it): no QEMU+KVM boot figure" >&2
fi
# The guest of the disk and network benches: the test guest's initrd with
# Debian's fio and iperf3. Its disk image sits on an ext4 in a RAM disk of
# the testbed (brd), made with Debian's mke2fs: the testbed's tmpfs takes
# no O_DIRECT. The network: vmctl's bridges and taps need tun, bridge, the
# clsact qdisc (sch_ingress) and cls_bpf for the anti-spoof filter, and
# vhost_net (hvx's vhost data path and QEMU's vhost=on alike); Debian's ip
# makes QEMU's taps, Debian's iperf3 is the testbed's server.
parts=${HVX_BENCH_PARTS:-exit boot net disk}
{ echo "HVX_BENCH_PARTS='$parts'"; cat tests/testbed/suite_bench.sh; } >"$dir/suite.sh"
tests/testbed/mkguestinitrd.sh "$dir/linux-bench-initrd.gz" --bench
tests/testbed/mkinitramfs.sh "$dir/initrd.gz" "$dir/suite.sh" \
	--add kmod/hvx.ko:/lib/modules/hvx.ko \
	--add build/selftests:/selftests \
	--add build/vmctl:/bin/vmctl \
	--add build/guests:/guests \
	--add "$dir/linux-bench-initrd.gz:/guests/linux-bench-initrd.gz" \
	--add tests/testbed/guest_lib.sh:/guest_lib.sh \
	--add "/boot/vmlinuz-$(testbed_kver):/boot/vmlinuz" \
	--program /usr/sbin/mke2fs --kmod brd --kmod crc32c_generic --kmod ext4 \
	--program /usr/bin/iperf3 --program /usr/sbin/ip \
	--kmod tun --kmod bridge --kmod sch_ingress --kmod cls_bpf --kmod vhost_net \
	"${adds[@]}" >"$dir/mkinitramfs.log"
# Two CPUs: exit_bench's ipi_running needs the receiving vCPU's thread
# running on one while the sender runs on the other.
tests/testbed/run.sh --cpus 2 --timeout 7200 --workdir "$dir/run" "$dir/initrd.gz" \
	>"$dir/console.log" || { tail -n 30 "$dir/console.log"; exit 1; }
tr -d '\r' <"$dir/console.log" | awk -v parts=" $parts " '
	# exit_bench: "HV FIGURE NS" or "HV FIGURE unsupported (WHY)".
	($1 == "hvx" || $1 == "kvm") && ($3 ~ /^[0-9.]+$/ || $3 == "unsupported") {
		if (!($2 in fig)) { fig[$2] = 1; order[n++] = $2 }
		val[$1, $2] = $3
		if ($3 == "unsupported") { w = $0; sub(/^[^ ]+ [^ ]+ unsupported */, "", w); why[n_why++] = $1 " " $2 ": " w }
	}
	$1 == "info" && ($2 == "hvx" || $2 == "kvm") { $1 = ""; info[n_info++] = substr($0, 2) }
	$1 == "boot" && NF == 3 { boot[$2] = $3 }
	$1 == "exits" && $2 == "hvx" && NF == 4 { exits[$3] = $4 }
	$1 == "disk" && NF == 4 { disk[$2, $3] = $4; if (!($3 in seen)) { seen[$3] = 1; dorder[dn++] = $3 } }
	$1 == "net" && NF == 4 { net[$2, $3] = $4; nn++ }
	END {
		if (n) {
			printf "%-26s %12s %12s %10s\n", "figure (ns/op, emulated)", "hvx", "KVM", "hvx/KVM"
			for (i = 0; i < n; i++) {
				k = order[i]
				h = (("hvx", k) in val) ? val["hvx", k] : "-"
				v = (("kvm", k) in val) ? val["kvm", k] : "-"
				r = h ~ /^[0-9.]+$/ && v ~ /^[0-9.]+$/ && v > 0 ? sprintf("%.2f", h / v) : "-"
				printf "%-26s %12s %12s %10s\n", k, h, v, r
			}
			for (i = 0; i < n_why; i++)
				printf "  %s\n", why[i]
			for (i = 0; i < n_info; i++)
				printf "  %s\n", info[i]
		}
		if (("hvx" in boot) || ("qemu-kvm" in boot))
			printf "%-26s %12.2f %12.2f %10.2f\n", "boot to /init (s, guest)", boot["hvx"],
			       boot["qemu-kvm"], boot["qemu-kvm"] ? boot["hvx"] / boot["qemu-kvm"] : 0
		if (dn) {
			printf "\n%-26s %12s %12s %10s\n", "disk: fio in the guest", "hvx", "QEMU+KVM", "hvx/KVM"
			for (i = 0; i < dn; i++) {
				k = dorder[i]
				# No ratio where one side has no figure (a guest that did not run fio).
				r = disk["hvx", k] && disk["qemu-kvm", k] ? sprintf("%.2f", disk["hvx", k] / disk["qemu-kvm", k]) : "-"
				printf "%-26s %12.1f %12.1f %10s\n", k, disk["hvx", k], disk["qemu-kvm", k], r
			}
			printf "(virtio-blk over PCI, cache=none on an ext4 in a RAM disk; higher is better)\n"
		}
		if (nn) {
			printf "\n%-24s %10s %10s %10s %11s\n", "net: iperf3, ping", "hvx-vhost", "hvx-vmctl", "QEMU+KVM", "vhost/QEMU"
			split("guest_to_host_Mbit/s guest_to_guest_Mbit/s rtt_us", rows, " ")
			for (i = 1; i <= 3; i++) {
				k = rows[i]
				line = sprintf("%-24s", k)
				split("hvx-vhost hvx-vmctl qemu-kvm", cols, " ")
				for (j = 1; j <= 3; j++)
					line = line sprintf(" %10s", ((cols[j], k) in net) ? net[cols[j], k] : "-")
				r = net["hvx-vhost", k] && net["qemu-kvm", k] ? sprintf("%.2f", net["hvx-vhost", k] / net["qemu-kvm", k]) : "-"
				printf "%s %11s\n", line, r
			}
			# The filter: the same guest, the same vhost data path, a NIC
			# with it (hvx-vhost) and one without (hvx-nospoof).
			on = net["hvx-vhost", "guest_to_host_Mbit/s"]; off = net["hvx-nospoof", "guest_to_host_Mbit/s"]
			if (on && off)
				printf "anti-spoof filter cost: %.1f%% (vhost, guest to host: %s Mbit/s with it, %s without; rtt %s us with, %s without)\n",
				       (off - on) * 100 / off, on, off, net["hvx-vhost", "rtt_us"], net["hvx-nospoof", "rtt_us"]
			printf "(virtio-net over PCI on a Linux bridge, TCP for 10 s and ICMP echo; Mbit/s higher, rtt lower is better)\n"
		}
		if (boot["hvx"] > 0) {
			printf "\nhvx boot: exits per second of boot, by reason\n"
			cmd = "sort -k2 -n -r"
			for (r in exits)
				printf "  %-24s %10.0f\n", r, exits[r] / boot["hvx"] | cmd
			close(cmd)
		}
		if ((parts ~ / exit / && !n) || (parts ~ / boot / && !boot["hvx"]) || (parts ~ / net / && !nn)) exit 1
	}'
# What the suite could not measure (a guest with no fio results, ...).
if tr -d '\r' <"$dir/console.log" | grep '^bench: '; then
	exit 1
fi
