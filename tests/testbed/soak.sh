#!/bin/bash
# make soak: one long testbed boot (2 CPUs) that runs the fuzzer for
# SOAK_SECONDS of guest time, in rounds of SOAK_FUZZ_CALLS calls each
# followed by its memory check, then the rest of SOAK_TESTS (the stress
# tests: a thousand VMs created and destroyed, two VMs on four threads;
# then the HA soak: random power-offs, cuts and hvxd kills on three hosts
# with two HA VMs, HVX_HA_SOAK_ROUNDS rounds, the overlap checker after each).
#
#   SOAK_SECONDS=3600 SOAK_TESTS="fuzz_test hostile_test stress_test" tests/testbed/soak.sh
#
# HVX_FUZZ_SEED is passed on (replay a soak's failure). Exit 0 only if the
# boot passed (run.sh: every test passed, no kernel trouble in the log).
# Not part of run_check.sh: that script runs every check from its top, and
# one boot needs only mkinitramfs.sh and run.sh, which is all this is.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${SOAK_SECONDS:-3600}
calls=${SOAK_FUZZ_CALLS:-1000000}
# The soak's guest suites, in order; more join here.
SOAK_TESTS=${SOAK_TESTS:-"fuzz_test hostile_test stress_test ha_soak"}
# Guest time follows emulated instructions: under the fuzzer it ran at a
# third of wall time (35 s of guest time in 109 s, three Bochs on 2 CPUs),
# the boot itself at a tenth.
timeout=${SOAK_TIMEOUT:-$((seconds * 6 + 3600))}
out=build/soak

rm -rf "$out" && mkdir -p "$out"
{
	echo "export HVX_SOAK_SECONDS=$seconds HVX_FUZZ_CALLS=$calls"
	[[ -n ${HVX_FUZZ_SEED:-} ]] && echo "export HVX_FUZZ_SEED=$HVX_FUZZ_SEED"
	[[ -n ${HVX_HA_SOAK_ROUNDS:-} ]] && echo "export HVX_HA_SOAK_ROUNDS=$HVX_HA_SOAK_ROUNDS"
	[[ -n ${HVX_HA_SOAK_SEED:-} ]] && echo "export HVX_HA_SOAK_SEED=$HVX_HA_SOAK_SEED"
	echo "HVX_SUITE_TESTS='$SOAK_TESTS'"
	cat tests/testbed/suite_check.sh
} >"$out/suite.sh"
echo "soak: $SOAK_TESTS, fuzzing for $seconds s of guest time; at most $timeout s; console: $out/console.log"
if ! tests/testbed/mkinitramfs.sh "$out/initrd.gz" "$out/suite.sh" \
	--add kmod/hvx.ko:/lib/modules/hvx.ko \
	--add build/selftests:/selftests \
	--add build/vmctl:/bin/vmctl \
	--add build/guests:/guests \
	--add tests/testbed/ha_soak_test.sh:/ha_soak_test.sh \
	$(. tests/testbed/common.sh && ha_fixture_args) >"$out/mkinitramfs.log" 2>&1; then
	cat "$out/mkinitramfs.log"
	exit 1
fi
tests/testbed/run.sh --cpus 2 --cpu-model corei7_haswell_4770 --timeout "$timeout" \
	--workdir "$out/run" "$out/initrd.gz" >"$out/console.log" 2>&1
rc=$?
# The verdicts, the fuzzer's figures, and the testbed's own.
grep -E '^(not )?ok [0-9]+ |^HVX-SUITE: |round [0-9]+|calls in all|SUnreclaim|not as documented|kernel: |^testbed: |^# (seed|actions|starts|decisions|  )' \
	"$out/console.log"
exit $rc
