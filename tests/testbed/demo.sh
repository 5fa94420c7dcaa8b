#!/bin/bash
# make demo: boot the testbed with 2 CPUs and run suite_demo.sh in it
# (HVX_DEMO_PARTS: which of its parts, "disk net ha" by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/testbed/common.sh
dir=build/demo
mkdir -p "$dir"
# HVX_DEMO_PARTS (make demo-ha: "ha") goes into the testbed with the suite.
{ echo "HVX_DEMO_PARTS='${HVX_DEMO_PARTS:-disk net ha}'"; cat tests/testbed/suite_demo.sh; } >"$dir/suite_demo.sh"
tests/testbed/mkinitramfs.sh "$dir/initrd.gz" "$dir/suite_demo.sh" \
	--add kmod/hvx.ko:/lib/modules/hvx.ko \
	--add build/selftests:/selftests \
	--add build/vmctl:/bin/vmctl \
	--add build/guests:/guests \
	--add "/boot/vmlinuz-$(testbed_kver):/boot/vmlinuz" \
	$(ha_fixture_args) \
	--kmod tun --kmod sch_ingress --kmod cls_bpf --kmod vhost_net \
	>"$dir/mkinitramfs.log"
exec tests/testbed/run.sh --cpus 2 --timeout 3600 --workdir "$dir/run" "$dir/initrd.gz"
