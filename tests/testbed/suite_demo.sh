#!/bin/sh
# make demo, inside the testbed guest: load hvx, show that it holds VMX root
# on every CPU (and that KVM, the other hypervisor here, is kept out), then
# unload it and show that VMX is free again.

say() { printf '\n==== %s\n' "$*"; }

say "the emulated host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
grep -m1 -o 'vmx flags.*' /proc/cpuinfo | cut -c1-120

say "insmod hvx.ko"
insmod /lib/modules/hvx.ko || exit 1
dmesg | grep 'hvx:' | tail -n 3
ls -l /dev/hvx

say "vmctl host"
vmctl host || exit 1

say "vmctl run: a real-mode guest prints on its COM1 through port I/O"
vmctl run --raw /guests/hello16.bin --stats || exit 1

say "KVM tries to enter VMX root while hvx holds it"
for m in irqbypass kvm kvm-intel; do insmod /lib/modules/kvm/$m.ko; done
/selftests/kvm_probe
dmesg | grep 'enabling virtualization' | tail -n "$(nproc)"

say "rmmod hvx: VMX root released on every CPU"
rmmod hvx || exit 1
dmesg | grep 'hvx:' | tail -n 1
/selftests/kvm_probe
