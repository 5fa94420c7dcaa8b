#!/bin/sh
# make bench, inside the testbed: the same exit_bench for hvx, then for KVM.
# Only one hypervisor can hold VMX root at a time, hence the swap.
n=${HVX_BENCH_ITERATIONS:-2000}
insmod /lib/modules/hvx.ko || exit 1
/selftests/exit_bench hvx "$n" || exit 1
rmmod hvx || exit 1
for m in irqbypass kvm kvm-intel; do insmod /lib/modules/kvm/$m.ko || exit 1; done
/selftests/exit_bench kvm "$n" || exit 1
