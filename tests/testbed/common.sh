# shellcheck shell=bash
# Shared helpers for the testbed scripts; sourced, not run.

# The Debian kernel that boots inside Bochs. Its ABI number (6.1.0-N) moves with
# Debian updates, so it is discovered: the newest /lib/modules/*-amd64 that also
# has a /boot/vmlinuz-* (modules without a kernel image are useless to us).
# $KVER in the environment overrides the discovery.
testbed_kver() {
	if [[ -n ${KVER:-} ]]; then
		echo "$KVER"
		return
	fi
	local d k found=()
	for d in /lib/modules/*-amd64; do
		k=${d##*/}
		[[ -e /boot/vmlinuz-$k ]] && found+=("$k")
	done
	((${#found[@]})) || return 0
	printf '%s\n' "${found[@]}" | sort -V | tail -n1
}
