#!/bin/bash
# make bench: boot the testbed once, run exit_bench for hvx and for KVM,
# and print each figure with the ratio hvx/KVM (lower is better for hvx).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=build/bench
mkdir -p "$dir"
tests/testbed/mkinitramfs.sh "$dir/initrd.gz" tests/testbed/suite_bench.sh \
	--add kmod/hvx.ko:/lib/modules/hvx.ko \
	--add build/selftests:/selftests >"$dir/mkinitramfs.log"
tests/testbed/run.sh --cpus 1 --workdir "$dir/run" "$dir/initrd.gz" \
	>"$dir/console.log" || { tail -n 30 "$dir/console.log"; exit 1; }
tr -d '\r' <"$dir/console.log" | awk '
	$1 == "hvx" && NF == 3 { hvx[$2] = $3; order[n++] = $2 }
	$1 == "kvm" && NF == 3 { kvm[$2] = $3 }
	END {
		printf "%-26s %12s %12s %10s\n", "figure (ns/op, emulated)", "hvx", "KVM", "hvx/KVM"
		for (i = 0; i < n; i++) {
			k = order[i]
			printf "%-26s %12d %12d %10.2f\n", k, hvx[k], kvm[k], kvm[k] ? hvx[k] / kvm[k] : 0
		}
		if (!n) exit 1
	}'
