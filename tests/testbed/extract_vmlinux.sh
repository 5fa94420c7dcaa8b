#!/bin/bash
# extract_vmlinux.sh OUT [KVER]: the uncompressed ELF vmlinux inside the
# Debian kernel's bzImage (/boot/vmlinuz-KVER, default testbed_kver), for
# vmctl's vmlinux boot (loader_vmlinux.c). Debian compresses its kernels
# with xz (CONFIG_KERNEL_XZ): the payload is the first xz stream that
# decompresses to an ELF file, as the kernel's scripts/extract-vmlinux
# finds it. Done here on the host, the guests of the emulated testbed do
# not spend most of their boot decompressing 66 MB.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
. "$here/common.sh"

out=${1:?usage: $0 OUT [KVER]}
kver=${2:-$(testbed_kver)}
image=/boot/vmlinuz-$kver
[[ -r $image ]] || { echo "extract_vmlinux: no $image (make deps installs it)" >&2; exit 1; }
tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$image" | cut -d: -f1); do
	# xz stops at the end of its stream and complains of what follows.
	tail -c +$((off + 1)) "$image" | xz -dc 2>/dev/null >"$tmp" || true
	if [[ $(head -c 4 "$tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
		mv "$tmp" "$out"
		exit 0
	fi
done
echo "extract_vmlinux: no xz-compressed ELF kernel in $image" >&2
exit 1
