# shellcheck shell=sh
# Helpers of the testbed's Linux-guest tests (busybox sh), sourced by
# linux_guest_test.sh and disk_test.sh: TAP results, vmctl guests in the
# background with their console on files, bounded waits. Sourcing it
# sets KERNEL, INITRD and WAIT where the caller has not.

# The testbed's kernel uncompressed (tests/testbed/extract_vmlinux.sh):
# booted as a vmlinux, a guest skips decompressing 66 MB, which took 22 of
# its 37 s to a shell in the emulated testbed. linux_guest_test.sh boots
# the bzImage (/boot/vmlinuz) too.
KERNEL=${KERNEL:-/boot/vmlinux}
INITRD=${INITRD:-/guests/linux-initrd.gz}
WAIT=${WAIT:-${HVX_GUEST_WAIT:-1200}}	# emulated seconds for a guest to boot
n=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1 # $2"; }
check() {	# check NAME WHY CONDITION...
	name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi
}
check_eval() {	# check_eval NAME WHY 'SHELL CONDITION': for "[ a ] && [ b ]"
	if eval "$3"; then ok "$1"; else not_ok "$1" "$2"; fi
}

# fail_rest WHY: "not ok" for each test of $TESTS not reported yet, after
# a failure that ends the suite, and exit 1 (a suite's plan always holds).
fail_rest() {
	_k=0
	for t in $TESTS; do
		_k=$((_k + 1))
		[ $_k -le $n ] || not_ok "$t" "$1"
	done
	exit 1
}

# start NAME FD CPUS MIB APPEND [VMCTL_OPTION...]: vmctl run in the
# background (its pid in $pid_NAME), console input from /tmp/NAME.in held
# open on FD, output in /tmp/NAME.out, vmctl's messages in /tmp/NAME.err.
start() {
	_name=$1 _fd=$2 _cpus=$3 _mib=$4 _append=$5
	shift 5
	rm -f "/tmp/$_name.in"
	mkfifo "/tmp/$_name.in"
	vmctl run --name "$_name" --kernel "$KERNEL" --initrd "$INITRD" --cpus "$_cpus" \
		--memory "$_mib" --append "$_append" --timeout 3000 "$@" \
		<"/tmp/$_name.in" >"/tmp/$_name.out" 2>"/tmp/$_name.err" &
	eval "pid_$_name=$!"
	eval "exec $_fd>/tmp/$_name.in"
}

# wait_for NAME REGEX [SECONDS]: until the guest's console shows REGEX;
# fails at once if its vmctl (started by start()) has ended without it.
wait_for() {
	_i=0
	eval "_pid=\${pid_$1:-}"
	while ! grep -qE "$2" "/tmp/$1.out"; do
		_i=$((_i + 1))
		[ $_i -le "${3:-$WAIT}" ] || return 1
		if [ -n "$_pid" ] && ! kill -0 "$_pid" 2>/dev/null; then
			grep -qE "$2" "/tmp/$1.out"
			return
		fi
		sleep 1
	done
}

# wait_exit PID SECONDS: vmctl's exit status once it ends; after SECONDS
# it is killed (status 137 then), so that no wait hangs the suite.
wait_exit() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt "$2" ]; do
		sleep 1
		_i=$((_i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1"
}

# ask NAME FD COMMAND MARKER [SECONDS]: type COMMAND into the guest's shell,
# then wait for a "GUEST: MARKER" line. Nothing is asked of a guest that did
# not boot. The commands print their results with say(), defined in the
# guest first (ask NAME FD 'say() { echo "GUEST: $*"; }; say defined'
# defined): a command line that the console echoes (and wraps at 80
# columns) never holds "GUEST: " itself, so only real results match.
ask() {
	grep -q '^GUEST: ready' "/tmp/$1.out" || return 1
	echo "$3" >&"$2"
	wait_for "$1" "^GUEST: $4" "${5:-300}"
}

# fact NAME KEY: the value of KEY=VALUE on the guest's "GUEST:" lines.
fact() {
	grep '^GUEST: ' "/tmp/$1.out" | tr -d '\r' |
		sed -n "s/.*[: ]$2=\([^ ]*\).*/\1/p" | head -n1
}

# fact_of NAME LINE_REGEX KEY: KEY's value on the first "GUEST:" line that
# matches LINE_REGEX (for lines that repeat, such as one per disk).
fact_of() {
	grep '^GUEST: ' "/tmp/$1.out" | tr -d '\r' | grep -E "$2" |
		sed -n "s/.*[: ]$3=\([^ ]*\).*/\1/p" | head -n1
}

# tail_of NAME: the end of a guest's console and vmctl messages, one line.
tail_of() { tail -n 3 "/tmp/$1.out" "/tmp/$1.err" 2>/dev/null | tr -d '\r' | tr '\n' ' '; }

# scratch_ext4 DIR MIB: an ext4 on a RAM disk (brd) of MIB MiB, mounted on
# DIR, for disk images: unlike the testbed's tmpfs it takes O_DIRECT
# (vmctl's and QEMU's cache=none). The initramfs must hold brd, ext4 and
# what they need (mkinitramfs.sh --kmod, in /lib/modules/load-order) and
# Debian's mke2fs (--program).
scratch_ext4() {
	while read -r _m; do
		case $_m in
		brd) insmod /lib/modules/brd.ko rd_nr=1 rd_size=$(($2 * 1024)) ;;
		*) insmod "/lib/modules/$_m.ko" 2>/dev/null || [ -d "/sys/module/$_m" ] ;;
		esac || return 1
	done </lib/modules/load-order
	# /bin/mke2fs by its path: the bare name is busybox's (no ext4).
	/bin/mke2fs -q -t ext4 -F /dev/ram0 && mkdir -p "$1" && mount -t ext4 /dev/ram0 "$1"
}
