# shellcheck shell=sh
# The test kernels (tests/guests/tk/): each /guests/tk_NAME.elf under
# vmctl with 1 and 2 vCPUs, then under QEMU+KVM in the same testbed boot
# where /bin/qemu-system-x86_64 is there (hvx and kvm_intel cannot both
# hold VMX: hvx is unloaded meanwhile, and loaded again after). Each of a
# kernel's own TAP lines under vmctl becomes a result (tk_NAME_Ncpu/CHECK);
# one more says whether vmctl's exit status was the kernel's verdict, and
# one whether QEMU+KVM gave every check the same verdict (the reference
# for "identical to the machine"). A check on which KVM is known to
# differ from the SDM is named in KVM_DIFFERS, with the reason, and
# judged against the SDM only.

. /guest_lib.sh
bad=0
not_ok() { n=$((n + 1)); bad=1; echo "not ok $n $1 # $2"; }

# " KERNEL/CHECK:REASON ..." where KVM (Debian 6.1, on the testbed's
# emulated CPU) does not do what the SDM says.
# apic/timer_unmasked_after_expiry_stays_quiet: a one-shot timer that
# expired while its LVT was masked interrupts under KVM once unmasked; the
# mask "inhibits reception of the interrupt" (SDM 10.5.1), and the expiry
# is an event, not a level: hvx delivers nothing.
KVM_DIFFERS=" apic/timer_unmasked_after_expiry_stays_quiet:expiry-kept-while-masked "

# Kernels not run under QEMU, with the reason. tk_boot: QEMU 7.2's own
# Multiboot loader (not KVM) puts its information structure at a fixed
# low address (0x9500 here), over a kernel linked at 0x8000.
QEMU_SKIP=" boot "
# Under QEMU with 2 vCPUs only the kernels that use the second CPU: the
# others' checks run on the BSP alone, and their 1-vCPU runs are compared
# (a QEMU boot costs seconds of the testbed's time; vmctl runs them all).
QEMU_2CPU=" smp "

# kvm_ref KERNEL CPUS: whether that run is compared with QEMU+KVM.
kvm_ref() {
	[ -n "$QEMU" ] || return 1
	case $QEMU_SKIP in *" $1 "*) return 1 ;; esac
	[ "$2" = 1 ] && return 0
	case $QEMU_2CPU in *" $1 "*) return 0 ;; esac
	return 1
}

QEMU=/bin/qemu-system-x86_64
check "qemu_kvm_is_there" "no $QEMU in the initramfs (common.sh's qemu_fixture_args)" [ -x "$QEMU" ]
[ -x "$QEMU" ] || QEMU=
# TK_KERNELS="cpu apic" runs only those (by hand, in a testbed boot).
KERNELS=${TK_KERNELS:-$(for e in /guests/tk_*.elf; do e=${e#/guests/tk_}; echo "${e%.elf}"; done)}

tap_of() {	# tap_of FILE: the kernel's TAP lines, carriage returns gone
	tr -d '\r' <"$1" | grep -E '^(not )?ok [0-9]+ - '
}

had_hvx=
[ -d /sys/module/hvx ] && had_hvx=1
# shellcheck disable=SC2086
[ -n "$had_hvx" ] || insmod /lib/modules/hvx.ko $HVX_MODULE_PARAMS
for k in $KERNELS; do
	for cpus in 1 2; do
		id=tk_${k}_${cpus}cpu
		# tk_boot reads two modules, the first with a string.
		set --
		[ "$k" != boot ] || set -- --module "/guests/tk_cpu.elf one two" \
			--module /guests/tk_apic.elf
		vmctl run --kernel /guests/tk_$k.elf --memory 32 --cpus $cpus \
			--exit-port --append "cpus=$cpus mib=32" --timeout 300 "$@" \
			</dev/null >/tmp/$id.hvx 2>/tmp/$id.err
		echo $? >/tmp/$id.rc
	done
done

rmmod hvx
if [ -n "$QEMU" ]; then
	for m in irqbypass kvm kvm-intel; do
		[ -d /sys/module/$(echo $m | tr - _) ] || insmod /lib/modules/kvm/$m.ko
	done
	for k in $KERNELS; do
		for cpus in 1 2; do
			kvm_ref $k $cpus || continue
			id=tk_${k}_${cpus}cpu
			# -M pc: the PC devices a kernel looks for; -no-reboot: a
			# triple fault ends it. stderr holds QEMU's complaints.
			timeout 300 $QEMU -L /qemu -M pc -enable-kvm -cpu host -m 32 \
				-smp $cpus -display none -vga none -nic none \
				-monitor none -serial stdio -no-reboot \
				-device isa-debug-exit,iobase=0xf4,iosize=1 \
				-kernel /guests/tk_$k.elf -append "cpus=$cpus mib=32" </dev/null >/tmp/$id.kvm 2>/tmp/$id.kvmerr
		done
	done
fi
# As found: the suites after this one may expect hvx loaded.
# shellcheck disable=SC2086
[ -z "$had_hvx" ] || insmod /lib/modules/hvx.ko $HVX_MODULE_PARAMS

for k in $KERNELS; do
	for cpus in 1 2; do
		id=tk_${k}_${cpus}cpu
		rc=$(cat /tmp/$id.rc)
		lines=$(tap_of /tmp/$id.hvx)
		if [ -z "$lines" ]; then
			not_ok "$id/ran" "status $rc, no TAP line: $(tail -n 3 /tmp/$id.hvx /tmp/$id.err | tr "\n" " ")"
			continue
		fi
		fails=0 diff=
		# The kernel's own comments (what differed, and how), as ours.
		tr -d '\r' </tmp/$id.hvx | sed -n "s/^# /# $id: /p"
		while IFS= read -r line; do
			name=${line#*- }
			name=${name%% #*}
			case $line in
			"ok "*"# SKIP"*) n=$((n + 1)); echo "ok $n $id/$name # SKIP ${line#*# SKIP }" ;;
			"ok "*) ok "$id/$name" ;;
			*) fails=$((fails + 1)); not_ok "$id/$name" "${line#*# }" ;;
			esac
			kvm_ref $k $cpus || continue
			case $KVM_DIFFERS in *" $k/$name:"*) continue ;; esac
			other=$(tap_of /tmp/$id.kvm | grep -E "^(not )?ok [0-9]+ - $name( #|\$)" | head -n 1)
			[ "${other%% [0-9]*}" = "${line%% [0-9]*}" ] || diff="$diff $name (KVM: ${other:-none})"
		done <<-EOT
		$lines
		EOT
		# isa-debug-exit: 0 on the port (status 1) when all passed.
		want=1
		[ $fails -eq 0 ] || want=3
		check "$id/exit_status_is_the_verdict" \
			"status $rc, want $want: $(tail -n 2 /tmp/$id.err | tr '\n' ' ')" [ "$rc" -eq $want ]
		kvm_ref $k $cpus || continue
		check "$id/same_verdicts_as_qemu_kvm" \
			"differ:$diff; QEMU said: $(tail -n 2 /tmp/$id.kvmerr | tr '\n' ' ')" [ -z "$diff" ]
	done
done
echo "1..$n"
exit $bad
