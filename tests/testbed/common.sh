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

# Copy a kernel module of kernel KVER into DIR as NAME.ko, uncompressed:
# busybox insmod reads neither .ko.xz nor .ko.zst.
#   copy_module KVER NAME DIR
copy_module() {
	local src
	src=$(modinfo -k "$1" -n "$2" 2>/dev/null) || { echo "no module $2 in kernel $1" >&2; return 1; }
	case $src in
	*.ko) cp "$src" "$3/$2.ko" ;;
	*.ko.xz) xz -dc "$src" >"$3/$2.ko" ;;
	*.ko.zst) zstd -qdc "$src" >"$3/$2.ko" ;;
	*) echo "module $2: built in or unknown ($src)" >&2; return 1 ;;
	esac
}

# The modules MODULE... of kernel KVER with everything they depend on
# (modinfo's "depends"), each once, dependencies first: the order in
# which insmod must load them.
#   module_load_order KVER MODULE...
module_load_order() {
	local kver=$1 seen=" "
	shift
	_mlo_visit() {
		local m=$1 d
		m=${m//-/_}
		[[ $seen == *" $m "* ]] && return
		seen+="$m "
		for d in $(modinfo -k "$kver" -F depends "$m" 2>/dev/null | tr , ' '); do
			_mlo_visit "$d"
		done
		echo "$m"
	}
	local m
	for m in "$@"; do _mlo_visit "$m"; done
}

# Copy the dynamically linked program BIN into ROOT/bin with what it needs
# to run where there is no libc: the libraries it needs (DT_NEEDED, and
# theirs), at the paths ldd gives (the loader searches /lib/x86_64-linux-gnu
# by default), and the loader at its own path (the program's PT_INTERP).
#   copy_program ROOT BIN [--stub SONAME...]
# A --stub SONAME is not copied, nor what only it needs: a stub library of
# that name takes its place, defining every symbol BIN takes from it as a
# function that traps if ever called. That is for libraries a program
# links but never uses here: fio's rbd, rados, gluster, nbd, rdma and pmem
# engines pull in 80 MB of libraries behind them.
copy_program() {
	local root=$1 bin=$2 stubs=" " name path todo kept=()
	shift 2
	if [[ ${1:-} == --stub ]]; then shift; stubs+="$* "; fi
	declare -A where=() done_=()
	# ldd resolves the whole tree: "libX.so.N => /path (addr)", and the
	# loader as "/lib64/ld-linux-x86-64.so.2 (addr)".
	while read -r name path; do where[${name##*/}]=$path; done < <(ldd "$bin" |
		awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 } $1 ~ /^\// { print $1, $1 }')
	mkdir -p "$root/bin"
	# It may replace a busybox applet's link: never write through that.
	rm -f "$root/bin/${bin##*/}"
	cp -L "$bin" "$root/bin/"
	todo=$(_needed "$bin")
	while [[ -n $todo ]]; do
		name=${todo%%$'\n'*}
		[[ $todo == *$'\n'* ]] && todo=${todo#*$'\n'} || todo=
		# A library that needs nothing adds an empty line to the list.
		[[ -z $name || -n ${done_[$name]:-} || $stubs == *" $name "* ]] && continue
		done_[$name]=1
		path=${where[$name]:-}
		[[ -n $path ]] || { echo "copy_program: ldd does not resolve $name for $bin" >&2; return 1; }
		mkdir -p "$root$(dirname "$path")"
		cp -L "$path" "$root$path"
		kept+=("$path")
		todo+=${todo:+$'\n'}$(_needed "$path")
	done
	for path in "${where[@]}"; do	# the loader, even if no library names it
		if [[ $path == */ld-linux* ]]; then mkdir -p "$root$(dirname "$path")"; cp -L "$path" "$root$path"; fi
	done
	[[ $stubs != " " ]] || return 0
	_copy_program_stubs "$root" "$bin" $stubs -- ${kept[@]+"${kept[@]}"}
}

_needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'; }

_copy_program_stubs() {	# ROOT BIN STUB... -- KEPT_LIB_PATH...
	local root=$1 bin=$2 stubs=() kept=() s p work
	shift 2
	while [[ $1 != -- ]]; do stubs+=("$1"); shift; done
	shift
	kept=("$@")
	work=$(mktemp -d /tmp/hvx-stub.XXXXXX)
	# The symbols the kept libraries define.
	for p in ${kept[@]+"${kept[@]}"}; do
		nm -D --defined-only "$p" | awk '{ sub(/@.*/, "", $3); print $3 }'
	done | sort -u >"$work/defined"
	# BIN's undefined, non-weak symbols with the version each asks for:
	# objdump -T ends such a line with "(VERSION) name" or "Base name".
	objdump -T "$bin" | awk '/\*UND\*/ && $2 != "w" {
		v = $(NF - 1); if (v !~ /^\(/) v = ""; gsub(/[()]/, "", v); print $NF, v }' |
		sort -u >"$work/und"
	# The file each version is needed from (readelf's version needs).
	readelf -V "$bin" | awk '/Version needs/ { on = 1 } on && / File: / { f = $5 } on && / Name: / && f { print $3, f }' >"$work/verfile"
	for s in "${stubs[@]}"; do
		# Its symbols: the versioned ones needed from this file, and (in
		# the first stub) the unversioned ones no kept library defines.
		awk -v lib="$s" -v first="${stubs[0]}" '
			FILENAME == ARGV[1] { def[$1] = 1; next }
			FILENAME == ARGV[2] { file[$1] = $2; next }
			def[$1] { next }
			$2 != "" && file[$2] == lib { print $1, $2; next }
			$2 == "" && lib == first { print $1 }' \
			"$work/defined" "$work/verfile" "$work/und" >"$work/$s.syms"
		awk '{ printf "void %s(void) { __builtin_trap(); }\n", $1 }' "$work/$s.syms" >"$work/$s.c"
		# The version nodes the program asks this file for.
		awk '$2 != "" { v[$2] = v[$2] "\t" $1 ";\n" } END {
			for (n in v) printf "%s {\n global:\n%s};\n", n, v[n] }' "$work/$s.syms" >"$work/$s.map"
		local ver=()
		[[ -s $work/$s.map ]] && ver=(-Wl,--version-script="$work/$s.map")
		mkdir -p "$root/lib/x86_64-linux-gnu"
		gcc -shared -fPIC -nostdlib -Wl,-soname,"$s" ${ver[@]+"${ver[@]}"} \
			-o "$root/lib/x86_64-linux-gnu/$s" "$work/$s.c" || { rm -rf "$work"; return 1; }
	done
	rm -rf "$work"
}

# QEMU for the test kernels' reference runs (tk_test.sh): Debian's
# qemu-system-x86_64 with its libraries, and the firmware of its PC
# machine in /qemu (-L /qemu): SeaBIOS, the ROM that loads a -kernel
# Multiboot or Linux kernel by fw_cfg DMA, and the TPR-patching ROM that
# SeaBIOS loads under KVM.
qemu_fixture_args() {
	echo --program /usr/bin/qemu-system-x86_64 \
		--add /usr/share/seabios/bios-256k.bin:/qemu/bios-256k.bin \
		--add /usr/share/qemu/kvmvapic.bin:/qemu/kvmvapic.bin \
		--add /usr/share/qemu/multiboot_dma.bin:/qemu/multiboot_dma.bin \
		--add /usr/share/qemu/linuxboot_dma.bin:/qemu/linuxboot_dma.bin
}

# The HA fixture's part of an initramfs (mkinitramfs.sh arguments), for
# every boot that runs hosts of ha_lib.sh (the ha and ha-watchdog boots of
# make check, make demo, make soak): the fixture, Debian's corosync and
# iproute2, setpriv (corosync without mlockall), hvxd, and the kernel
# modules of the hosts' links. ldd misses libgcc_s, which glibc dlopens
# for pthread_cancel (libknet's, when corosync stops); knet's crypto and
# compression plugins are dlopened only when configured, and the
# fixture has neither.
ha_fixture_args() {
	echo --add tests/testbed/guest_lib.sh:/guest_lib.sh \
		--add tests/testbed/ha_lib.sh:/ha_lib.sh \
		--program /usr/sbin/ip --program /usr/sbin/corosync \
		--program /usr/sbin/corosync-quorumtool --program /usr/sbin/corosync-cfgtool \
		--program /usr/sbin/corosync-cmapctl --program /usr/bin/setpriv \
		--program build/hvxd --add build/tools/seqpacket:/bin/seqpacket \
		--add /lib/x86_64-linux-gnu/libgcc_s.so.1:/lib/x86_64-linux-gnu/libgcc_s.so.1 \
		--kmod veth --kmod bridge
}
