#!/bin/bash
# Build the initrd of the Linux guest that vmctl boots inside the testbed:
#  - static busybox and tests/guests/linux/init;
#  - the modules the power button needs (ACPI button, evdev for busybox
#    acpid), those a virtio-blk disk and a virtio-net NIC on vmctl's PCI
#    bus need, with an ext4 to put on the disk: virtio_pci, virtio_blk,
#    virtio_net, virtio_balloon, ext4 and what they depend
#    on (modinfo), plus crc32c_generic, ext4's and jbd2's soft dependency
#    (metadata_csum), all uncompressed (busybox insmod reads no .xz) and
#    listed in /lib/modules/load-order in the order /init loads them;
#  - Debian's mke2fs and e2fsck (dynamic: with the loader and libraries),
#    so that the guest can make and check an ext4 filesystem;
#  - with --bench only: Debian's fio and iperf3, for make bench (the
#    normal guest stays small: every boot unpacks it in emulation).
#
#   mkguestinitrd.sh OUT.cpio.gz [--bench]
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
. "$here/common.sh"
out=${1:?usage: mkguestinitrd.sh OUT.cpio.gz [--bench]}
bench=
[[ ${2:-} == --bench ]] && bench=1
kver=$(testbed_kver)
[[ -n $kver ]] || { echo "mkguestinitrd: no kernel: run 'make deps'" >&2; exit 1; }

root=$(mktemp -d /tmp/hvx-guestrd.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,mnt,lib/modules}
ln -s bin "$root/sbin"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
done

# The power button's modules: /init loads these two by name.
copy_module "$kver" button "$root/lib/modules"
copy_module "$kver" evdev "$root/lib/modules"
# The disk's and the NIC's: crc32c first, for ext4 (a soft dependency modinfo does not
# resolve, and the guest has no modprobe to load it on demand).
module_load_order "$kver" virtio_pci virtio_blk virtio_net virtio_balloon crc32c_generic ext4 >"$root/lib/modules/load-order"
while read -r m; do
	copy_module "$kver" "$m" "$root/lib/modules"
done <"$root/lib/modules/load-order"

# e2fsprogs. Busybox's sh runs its own applet for a bare command name
# before any file in PATH, and busybox has an mke2fs (with no ext4): the
# real one is run as mkfs.ext4 (no applet has that name) or /bin/mke2fs.
for p in /usr/sbin/mke2fs /usr/sbin/e2fsck; do
	[[ -x $p ]] || { echo "mkguestinitrd: no $p: run 'make deps' (e2fsprogs)" >&2; exit 1; }
	copy_program "$root" "$p"
done
ln -s mke2fs "$root/bin/mkfs.ext4"
# The disk tests' pattern generator and write loop.
install -m 0755 "$here/../guests/linux/disktool.sh" "$root/bin/disktool"
# Debian's defaults (ext4 features: metadata_csum, 64bit, ...).
cp /etc/mke2fs.conf "$root/etc/"

if [[ -n $bench ]]; then
	[[ -x /usr/bin/fio ]] || { echo "mkguestinitrd: no /usr/bin/fio: run 'make deps' (fio)" >&2; exit 1; }
	# fio links the libraries of its network and persistent-memory
	# engines (ceph, gluster, nbd, rdma, pmem: 80 MB with theirs); the
	# bench uses none of them, so stubs stand in for them.
	copy_program "$root" /usr/bin/fio --stub librbd.so.1 librados.so.2 libgfapi.so.0 \
		libnbd.so.0 libibverbs.so.1 librdmacm.so.1 libpmemblk.so.1 libpmem.so.1
	# iperf3's libraries all come along, no stubs: libiperf (not iperf3
	# itself) is what links libcrypto and libsctp, and copy_program can
	# stub only what the program itself takes from a library. 5 MB.
	[[ -x /usr/bin/iperf3 ]] || { echo "mkguestinitrd: no /usr/bin/iperf3: run 'make deps' (iperf3)" >&2; exit 1; }
	copy_program "$root" /usr/bin/iperf3
fi

install -m 0755 "$here/../guests/linux/init" "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
