#!/bin/sh
# The disk tests' data, in the guest and on the testbed host alike (busybox
# sh and awk on both sides, so that both make the same bytes):
#
#   disktool block FIRST COUNT TAG  4 KiB blocks FIRST..FIRST+COUNT-1 on
#                                   stdout: a header line naming TAG and the
#                                   block's number, then 63 fixed lines. A
#                                   block written at the wrong offset, or
#                                   another's, does not compare equal.
#   disktool writeloop DEV DIR [MAX]
#                                   for N = 1, 2, ...: block N (tag
#                                   "synced") to DEV at block N with O_DIRECT
#                                   and fsync, and as the file DIR/loop/N
#                                   followed by sync; then prints
#                                   "GUEST: synced N". Every N printed is on
#                                   the disk, whatever happens after.

block() {
	awk -v first="$1" -v count="$2" -v tag="$3" 'BEGIN {
		for (i = 1; i < 64; i++)
			fill = fill sprintf("%-63s\n", sprintf("line %02d of 64 of a 4 KiB block, the same in all of them", i))
		for (b = first; b < first + count; b++)
			printf "%-63s\n%s", sprintf("hvx %s block %08d", tag, b), fill
	}'
}

writeloop() {
	dev=$1 dir=$2 max=${3:-1000000}
	mkdir -p "$dir/loop" || return 1
	n=1
	while [ "$n" -le "$max" ]; do
		block "$n" 1 synced >/tmp/disktool.blk
		dd if=/tmp/disktool.blk of="$dev" bs=4096 seek="$n" count=1 \
			oflag=direct conv=fsync status=none || return 1
		cp /tmp/disktool.blk "$dir/loop/$n" && sync || return 1
		echo "GUEST: synced $n"
		n=$((n + 1))
	done
}

case $1 in
block) shift; block "$@" ;;
writeloop) shift; writeloop "$@" ;;
*) echo "usage: disktool block FIRST COUNT TAG | writeloop DEV DIR [MAX]" >&2; exit 2 ;;
esac
