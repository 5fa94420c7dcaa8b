#!/bin/bash
# Build the initramfs that the testbed boots inside Bochs.
#
#   mkinitramfs.sh OUT.cpio.gz SUITE_SCRIPT [--kernel KVER] [--add SRC:DEST ...]
#                  [--program BIN ...] [--kmod NAME ...]
#
# Contents: static busybox with all applet links, our /init, the Debian kernel's
# KVM modules (as a reference hypervisor to compare hvx with), the suite script
# as /suite.sh, and any --add file/directory at DEST. A --program (a
# dynamically linked Debian program such as /usr/sbin/e2fsck) goes to /bin
# with its loader and libraries (busybox's sh prefers its own applet to a
# file of the same bare name: run /bin/mke2fs by its path). A --kmod NAME
# of the kernel goes to /lib/modules/NAME.ko with what it depends on,
# uncompressed, and /lib/modules/load-order lists them in insmod's order.
# The modules come from the kernel that run.sh boots: testbed_kver, or
# --kernel KVER (give run.sh the same one; a module loads only on the
# kernel it was built for).
# Keep it small: unpacking a big initramfs costs minutes of emulated time.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
. "$here/common.sh"

usage() {
	echo "usage: $0 OUT.cpio.gz SUITE_SCRIPT [--kernel KVER] [--add SRC:DEST ...] [--program BIN ...] [--kmod NAME ...]" >&2
	exit 1
}
die() { echo "mkinitramfs: $*" >&2; exit 1; }

(($# >= 2)) || usage
out=$1 suite=$2
shift 2
adds=() programs=() modules=()
kver=
while (($#)); do
	case $1 in
	--add) (($# >= 2)) || usage; adds+=("$2"); shift 2 ;;
	--program) (($# >= 2)) || usage; programs+=("$2"); shift 2 ;;
	--kmod) (($# >= 2)) || usage; modules+=("$2"); shift 2 ;;
	--kernel) (($# >= 2)) || usage; kver=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ -f $suite ]] || die "suite script not found: $suite"

if [[ -n $kver ]]; then
	[[ -d /lib/modules/$kver/kernel ]] || die "no module tree /lib/modules/$kver/kernel"
else
	kver=$(testbed_kver)
	[[ -n $kver ]] || die "no kernel: install linux-image-amd64 (needs /lib/modules/*-amd64 and /boot/vmlinuz-*)"
fi
busybox=/bin/busybox
# A dynamic busybox would find no libc in the initramfs and the kernel would panic.
if ! [[ -x $busybox ]] || ! file -L "$busybox" | grep -q 'statically linked'; then
	die "$busybox is not a static busybox: install busybox-static"
fi

root=$(mktemp -d /tmp/hvx-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules/kvm,usr}
# One directory for every applet; sbin and usr/* point at it so scripts with
# #!/usr/bin/env or absolute /sbin paths work.
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
done

# KVM modules: insmod (busybox) cannot read compressed modules, so store them plain.
kmod_dir=/lib/modules/$kver/kernel
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel; do
	dst=$root/lib/modules/kvm/${m##*/}.ko
	if [[ -f $kmod_dir/$m.ko ]]; then cp "$kmod_dir/$m.ko" "$dst"
	elif [[ -f $kmod_dir/$m.ko.xz ]]; then xz -dc "$kmod_dir/$m.ko.xz" >"$dst"
	elif [[ -f $kmod_dir/$m.ko.zst ]]; then zstd -qdc "$kmod_dir/$m.ko.zst" >"$dst"
	else die "missing $kmod_dir/$m.ko{,.xz,.zst}"
	fi
done

cp "$suite" "$root/suite.sh"

for p in ${programs[@]+"${programs[@]}"}; do
	[[ -x $p ]] || die "--program not found: $p"
	copy_program "$root" "$p" || die "cannot copy $p with its libraries"
done
if ((${#modules[@]})); then
	module_load_order "$kver" "${modules[@]}" >"$root/lib/modules/load-order"
	while read -r m; do
		copy_module "$kver" "$m" "$root/lib/modules" || die "no module $m for $kver"
	done <"$root/lib/modules/load-order"
fi

for a in ${adds[@]+"${adds[@]}"}; do
	src=${a%%:*} dest=${a#*:}
	[[ $a == *:* && -n $src && $dest == /* ]] || die "--add wants SRC:/ABSOLUTE/DEST, got '$a'"
	if [[ -d $src ]]; then
		mkdir -p "$root$dest"
		cp -a "$src/." "$root$dest/"
	elif [[ -f $src ]]; then
		# A module built for another kernel would only fail to load in there.
		if [[ $src == *.ko ]]; then
			magic=$(modinfo -F vermagic "$src" 2>/dev/null || true)
			[[ ${magic%% *} == "$kver" ]] ||
				die "$src is built for ${magic%% *}, not for kernel $kver"
		fi
		mkdir -p "$(dirname "$root$dest")"
		cp -a "$src" "$root$dest"
	else
		die "--add source not found: $src"
	fi
done

# /init runs as PID 1. It must never exit (that panics the kernel); it ends
# with poweroff -f, which makes Bochs quit by itself.
cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Re-open stdio on the devtmpfs console (ttyS0, from console= on the cmdline).
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp

uptime_s() { read -r up _ </proc/uptime; echo "$up"; }

echo "HVX-TESTBED: init at $(uptime_s)"
# A stuck suite must say where it stuck. A task in D state for 30 s of guest
# time gets its stack printed (and a Call Trace fails the run); a heartbeat
# names the test in progress and shows that the kernel still runs.
echo 30 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
(while sleep 60; do
	echo "HVX-TESTBED: alive at $(uptime_s), in $(cat /tmp/hvx-test 2>/dev/null)"
done) &
heartbeat=$!
/bin/sh /suite.sh
rc=$?
kill $heartbeat
echo "HVX-TESTBED: suite exit $rc at $(uptime_s)"

# loglevel=4 keeps most kernel messages off the console; dump them all so the
# host side can scan for BUG:/WARNING:/Oops wherever they were logged.
echo "HVX-TESTBED: dmesg begin"
dmesg
echo "HVX-TESTBED: dmesg end"

# The UART still holds buffered output: give it time to drain before power-off.
sync
sleep 2
poweroff -f
EOF
chmod 755 "$root/init" "$root/suite.sh"

# newc format, all files owned by root, gzip'd (the kernel unpacks it natively).
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1), kernel $kver)"
