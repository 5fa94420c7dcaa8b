#!/bin/bash
# Build the initrd of the Linux guest that vmctl boots inside the testbed:
# static busybox, tests/guests/linux/init, and the two modules the power
# button needs (ACPI button, evdev for busybox acpid), uncompressed since
# busybox insmod reads no .xz.
#
#   mkguestinitrd.sh OUT.cpio.gz
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
. "$here/common.sh"
out=${1:?usage: mkguestinitrd.sh OUT.cpio.gz}
kver=$(testbed_kver)
[[ -n $kver ]] || { echo "mkguestinitrd: no kernel: run 'make deps'" >&2; exit 1; }

root=$(mktemp -d /tmp/hvx-guestrd.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules}
ln -s bin "$root/sbin"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
done
for m in drivers/acpi/button drivers/input/evdev; do
	src=/lib/modules/$kver/kernel/$m.ko
	if [[ -f $src ]]; then cp "$src" "$root/lib/modules/"
	elif [[ -f $src.xz ]]; then xz -dc "$src.xz" >"$root/lib/modules/${m##*/}.ko"
	fi
done
install -m 0755 "$here/../guests/linux/init" "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -9 >"$out"
