#!/bin/bash
# make demo: boot the testbed with 2 CPUs and run suite_demo.sh in it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/testbed/common.sh
dir=build/demo
mkdir -p "$dir"
tests/testbed/mkinitramfs.sh "$dir/initrd.gz" tests/testbed/suite_demo.sh \
	--add kmod/hvx.ko:/lib/modules/hvx.ko \
	--add build/selftests:/selftests \
	--add build/vmctl:/bin/vmctl \
	--add build/guests:/guests \
	--add "/boot/vmlinuz-$(testbed_kver):/boot/vmlinuz" \
	--kmod tun --kmod bridge --kmod sch_ingress --kmod cls_bpf --kmod vhost_net \
	>"$dir/mkinitramfs.log"
exec tests/testbed/run.sh --cpus 2 --timeout 3600 --workdir "$dir/run" "$dir/initrd.gz"
