// SPDX-License-Identifier: GPL-2.0
/*
 * ucall: guest-to-host calls through one port-I/O exit (see ucall.h).
 *
 * The first half of this file runs in the guest: it is compiled into the
 * test binary like everything else, but only ever executed by the vCPU.
 * It must stay free of libc calls and of stack-protector instrumentation
 * (__guest_code): check with objdump -d that ucall, ucall_abort and
 * guest_halt_forever contain no %fs access and no call.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hvx_vm.h"
#include "ucall.h"

/* ---- Guest side -------------------------------------------------------- */

/*
 * Fill the struct field by field (an initialiser could become a call to
 * memset()), then hand its address to the host. The "memory" clobber and
 * the "m" operand make the compiler finish the stores before the OUT.
 */
static inline __attribute__((always_inline)) __guest_code void
ucall_out(struct ucall *uc)
{
	asm volatile("outl %%eax, %%dx"
		     : /* no outputs */
		     : "a"((uint32_t)(uintptr_t)uc), "d"((uint16_t)UCALL_PORT),
		       "m"(*uc)
		     : "memory");
}

void __guest_code ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
			uint64_t a3)
{
	struct ucall uc;

	uc.cmd = cmd;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	uc.args[4] = 0;
	uc.args[5] = 0;
	uc.file = NULL;
	uc.line = 0;
	uc.expr = NULL;
	ucall_out(&uc);
}

void __guest_code guest_halt_forever(void)
{
	for (;;)
		asm volatile("hlt" ::: "memory");
}

void __guest_code ucall_abort(const char *file, uint64_t line,
			      const char *expr, uint64_t a0, uint64_t a1,
			      uint64_t nargs)
{
	struct ucall uc;

	uc.cmd = UCALL_ABORT;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = nargs;
	uc.args[3] = 0;
	uc.args[4] = 0;
	uc.args[5] = 0;
	uc.file = file;
	uc.line = line;
	uc.expr = expr;
	ucall_out(&uc);
	guest_halt_forever();
}

/* ---- Host side --------------------------------------------------------- */

/*
 * A NUL-terminated string at guest address @gva (== GPA), as a host
 * pointer into guest memory; NULL stays NULL.
 */
static const char *guest_string(struct hvx_vcpu *vcpu, const char *gva)
{
	uint64_t gpa = (uint64_t)(uintptr_t)gva;
	const char *hva;
	uint64_t i;

	if (!gva)
		return NULL;
	hva = __vm_gpa_to_hva(vcpu->vm, gpa, 1);
	if (!hva)
		return "<bad guest pointer>";
	/* It must end inside its slot, and within reason. */
	for (i = 0; i < 4096; i++) {
		if (!__vm_gpa_to_hva(vcpu->vm, gpa + i, 1))
			break;
		if (!hva[i])
			return hva;
	}
	return "<bad guest string>";
}

uint64_t get_ucall(struct hvx_vcpu *vcpu, struct ucall *uc)
{
	struct hvx_run *run = vcpu->run;
	uint32_t gpa;
	void *hva;

	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != HVX_EXIT_IO || run->io.port != UCALL_PORT)
		return UCALL_NONE;

	TEST_ASSERT(run->io.direction == HVX_EXIT_IO_OUT &&
		    run->io.size == 4 && run->io.count == 1,
		    "I/O exit on the ucall port %#x is not one 4-byte OUT: direction %u size %u count %u",
		    UCALL_PORT, run->io.direction, run->io.size,
		    run->io.count);
	TEST_ASSERT(run->io.data_offset < vcpu->run_size &&
		    vcpu->run_size - run->io.data_offset >= 4,
		    "I/O exit data offset %#llx is outside the %zu-byte run page",
		    (unsigned long long)run->io.data_offset, vcpu->run_size);

	memcpy(&gpa, (char *)run + run->io.data_offset, sizeof(gpa));
	hva = __vm_gpa_to_hva(vcpu->vm, gpa, sizeof(*uc));
	TEST_ASSERT(hva,
		    "ucall from the guest with struct ucall at GPA %#x, outside guest memory",
		    gpa);
	memcpy(uc, hva, sizeof(*uc));

	uc->file = guest_string(vcpu, uc->file);
	uc->expr = guest_string(vcpu, uc->expr);
	return uc->cmd;
}

const char *ucall_cmd_str(uint64_t cmd)
{
	switch (cmd) {
	case UCALL_NONE:	return "UCALL_NONE";
	case UCALL_SYNC:	return "UCALL_SYNC";
	case UCALL_DONE:	return "UCALL_DONE";
	case UCALL_ABORT:	return "UCALL_ABORT";
	case UCALL_UNHANDLED:	return "UCALL_UNHANDLED";
	}
	return "UCALL_<unknown>";
}

static const char *exception_name(uint64_t vector)
{
	static const char * const names[32] = {
		[0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP",
		[4] = "#OF", [5] = "#BR", [6] = "#UD", [7] = "#NM",
		[8] = "#DF", [9] = "coprocessor segment overrun",
		[10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP",
		[14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC",
		[19] = "#XM", [20] = "#VE", [21] = "#CP", [28] = "#HV",
		[29] = "#VC", [30] = "#SX",
	};

	if (vector < 32 && names[vector])
		return names[vector];
	return vector < 32 ? "reserved exception" : "external interrupt";
}

void assert_ucall_ok_at(struct hvx_vcpu *vcpu, const struct ucall *uc,
			const char *file, int line)
{
	char buf[512];

	switch (uc->cmd) {
	case UCALL_SYNC:
	case UCALL_DONE:
		return;
	case UCALL_ABORT:
		if (uc->args[2] == 2)
			hvx_test_fail(file, line, NULL,
				      "guest assertion failed at %s:%llu: %s (%#llx vs %#llx, %lld vs %lld)",
				      uc->file ? uc->file : "?",
				      (unsigned long long)uc->line,
				      uc->expr ? uc->expr : "?",
				      (unsigned long long)uc->args[0],
				      (unsigned long long)uc->args[1],
				      (long long)uc->args[0],
				      (long long)uc->args[1]);
		if (uc->args[2] == 1)
			hvx_test_fail(file, line, NULL,
				      "guest failure at %s:%llu: %s (%#llx)",
				      uc->file ? uc->file : "?",
				      (unsigned long long)uc->line,
				      uc->expr ? uc->expr : "?",
				      (unsigned long long)uc->args[0]);
		hvx_test_fail(file, line, NULL,
			      "guest assertion failed at %s:%llu: %s",
			      uc->file ? uc->file : "?",
			      (unsigned long long)uc->line,
			      uc->expr ? uc->expr : "?");
	case UCALL_UNHANDLED:
		hvx_test_fail(file, line, NULL,
			      "unhandled guest exception: vector %llu (%s), error code %#llx, RIP %#llx, CR2 %#llx",
			      (unsigned long long)uc->args[0],
			      exception_name(uc->args[0]),
			      (unsigned long long)uc->args[1],
			      (unsigned long long)uc->args[2],
			      (unsigned long long)uc->args[3]);
	case UCALL_NONE:
		hvx_test_fail(file, line, NULL,
			      "expected a ucall from the guest, got exit %s",
			      vcpu_exit_str(vcpu, buf, sizeof(buf)));
	}
	hvx_test_fail(file, line, NULL, "unknown ucall command %llu",
		      (unsigned long long)uc->cmd);
}

uint64_t vcpu_run_ucall_at(struct hvx_vcpu *vcpu, struct ucall *uc,
			   const char *file, int line)
{
	vcpu_run_at(vcpu, file, line);
	get_ucall(vcpu, uc);
	assert_ucall_ok_at(vcpu, uc, file, line);
	return uc->cmd;
}

void expect_sync_at(struct hvx_vcpu *vcpu, uint64_t stage, struct ucall *uc,
		    const char *file, int line)
{
	uint64_t cmd = vcpu_run_ucall_at(vcpu, uc, file, line);

	TEST_ASSERT(cmd == UCALL_SYNC && uc->args[0] == stage,
		    "%s:%d: expected sync %llu, got %s %llu", file, line,
		    (unsigned long long)stage, ucall_cmd_str(cmd),
		    (unsigned long long)uc->args[0]);
}
