# shellcheck shell=bash
# Shared helpers for the testbed scripts; sourced, not run.

# The Debian kernel that boots inside Bochs. Its ABI number (6.1.0-N) moves with
# Debian updates, so it is discovered: the newest /lib/modules/*-amd64 that also
# has a /boot/vmlinuz-* (modules without a kernel image are useless to us).
# Debian's PREEMPT_RT kernel (*-rt-amd64) is not it: testbed_kver_rt finds that.
# $KVER in the environment overrides the discovery.
testbed_kver() {
	if [[ -n ${KVER:-} ]]; then
		echo "$KVER"
		return
	fi
	_testbed_newest_kver standard
}

# The PREEMPT_RT kernel (linux-image-rt-amd64), the same way; $KVER_RT overrides.
testbed_kver_rt() {
	if [[ -n ${KVER_RT:-} ]]; then
		echo "$KVER_RT"
		return
	fi
	_testbed_newest_kver rt
}

_testbed_newest_kver() {	# standard|rt
	local d k found=()
	for d in /lib/modules/*-amd64; do
		k=${d##*/}
		if [[ $1 == rt ]]; then
			[[ $k == *-rt-amd64 ]] || continue
		else
			[[ $k != *-rt-amd64 ]] || continue
		fi
		[[ -e /boot/vmlinuz-$k ]] && found+=("$k")
	done
	((${#found[@]})) || return 0
	printf '%s\n' "${found[@]}" | sort -V | tail -n1
}
