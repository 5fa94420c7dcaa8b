// SPDX-License-Identifier: GPL-2.0
/*
 * First guests: real-mode and 32-bit code bytes that do port I/O and halt,
 * and 64-bit guest code in C from this binary talking to the test through
 * ucalls (stages, guest memory shared with the host, an argument in RDI,
 * a return value, and exceptions reported through the library's IDT).
 *
 * Each test gets a fresh VM with one vCPU (the fixture). The tests load
 * hvx.ko when it is not loaded and can be, as api_test does, and skip
 * when there is no /dev/hvx.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define GUEST_MEM		HVX_VM_DEFAULT_MEM	/* 16 MiB */
#define REAL_CODE_SEG		0x0100		/* real-mode code at 0x1000 */
#define PROT_CODE_GPA		0x2000ull
#define DATA_GPA		0x100000ull	/* free: below the binary */

/* The serial port the raw guests write to (no device behind it). */
#define COM1			0x3f8

FIXTURE(guest) {
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	bool loaded_here;
};

FIXTURE_SETUP(guest)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);

	self->vm = vm_create(GUEST_MEM);
	vm_load_self(self->vm);
	self->vcpu = vcpu_add(self->vm, 0);
}

FIXTURE_TEARDOWN(guest)
{
	vm_free(self->vm);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/*
 * This harness runs the test body even when the setup skipped: the body
 * returns at once then (still reported as skipped).
 */
#define NEED_VM()							\
	do {								\
		if (!self->vm)						\
			return;						\
	} while (0)

/* The byte(s) of the last I/O exit, checked to lie inside the run page. */
static uint64_t io_data(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	uint64_t v = 0;

	TEST_ASSERT(run->io.size <= 8 && run->io.data_offset < vcpu->run_size &&
		    vcpu->run_size - run->io.data_offset >= run->io.size,
		    "I/O data at offset %#llx, size %u, run page %zu bytes",
		    (unsigned long long)run->io.data_offset, run->io.size,
		    vcpu->run_size);
	memcpy(&v, (char *)run + run->io.data_offset, run->io.size);
	return v;
}

/* (a) Real mode: one byte out to COM1, then HLT. */
TEST_F(guest, real_mode_out_hlt)
{
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03,	/* mov $0x3f8, %dx */
		0xb0, 'A',		/* mov $'A', %al */
		0xee,			/* out %al, (%dx) */
		0xf4,			/* hlt */
	};
	struct hvx_run *run;
	struct hvx_regs regs;

	NEED_VM();
	run = self->vcpu->run;
	vm_write(self->vm, (uint64_t)REAL_CODE_SEG << 4, code, sizeof(code));
	vcpu_setup_real_mode(self->vcpu, REAL_CODE_SEG, 0);

	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_IO);
	EXPECT_EQ(COM1, run->io.port);
	EXPECT_EQ(1, run->io.size);
	EXPECT_EQ(HVX_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(1, run->io.count);
	EXPECT_EQ('A', io_data(self->vcpu));

	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_HLT);

	/* What the guest left in its registers (16-bit decoding used). */
	vcpu_regs_get(self->vcpu, &regs);
	EXPECT_EQ(COM1, regs.rdx & 0xffff);
	EXPECT_EQ('A', regs.rax & 0xff);
}

/* Flat 32-bit protected mode: a 4-byte out (32-bit decoding), HLT. */
TEST_F(guest, protected_mode_out_hlt)
{
	static const uint8_t code[] = {
		0x66, 0xba, 0xf8, 0x03,		/* mov $0x3f8, %dx */
		0xb8, 0x78, 0x56, 0x34, 0x12,	/* mov $0x12345678, %eax */
		0xef,				/* out %eax, (%dx) */
		0xf4,				/* hlt */
	};
	struct hvx_run *run;

	NEED_VM();
	run = self->vcpu->run;
	vm_write(self->vm, PROT_CODE_GPA, code, sizeof(code));
	vcpu_setup_protected_mode(self->vcpu, PROT_CODE_GPA);

	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_IO);
	EXPECT_EQ(COM1, run->io.port);
	EXPECT_EQ(4, run->io.size);
	EXPECT_EQ(HVX_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(1, run->io.count);
	EXPECT_EQ(0x12345678, io_data(self->vcpu));

	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_HLT);
}

/* (b) Long mode, C guest: stages in order, a computation, done. */
static uint64_t __guest_code guest_fib(uint64_t n)
{
	uint64_t a = 0, b = 1;

	while (n--) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return a;
}

static void __guest_code guest_stages(void)
{
	volatile uint64_t n = 10;	/* not folded at compile time */

	GUEST_SYNC(1);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(guest_fib(n), 55);
	GUEST_DONE();
}

TEST_F(guest, long_mode_stages)
{
	uint64_t stage = 1;
	struct ucall uc;
	int i;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_stages, 0);

	for (i = 0; i < 10; i++) {
		vcpu_run(self->vcpu);
		switch (get_ucall(self->vcpu, &uc)) {
		case UCALL_SYNC:
			ASSERT_EQ(stage, uc.args[0]);
			stage++;
			break;
		case UCALL_DONE:
			ASSERT_EQ(3, stage) TH_LOG("done before stage 2");
			return;
		default:
			assert_ucall_ok(self->vcpu, &uc);	/* fails */
		}
	}
	TEST_FAIL("the guest did not finish in %d exits", i);
}

/* (c) Guest memory: the guest increments what the host put there. */
static volatile uint64_t data_initialised = 0x5eed;	/* .data */
static volatile uint64_t bss_zero;			/* .bss */
static volatile uint64_t host_value;			/* set at run time */

static void __guest_code guest_memory(uint64_t gpa)
{
	volatile uint64_t *p = (volatile uint64_t *)gpa;
	uint64_t v;

	/* The binary's data as the file has it, and a synced global. */
	GUEST_ASSERT_EQ(data_initialised, 0x5eed);
	GUEST_ASSERT_EQ(bss_zero, 0);
	GUEST_ASSERT_EQ(host_value, 0xc0ffee);

	v = *p;
	GUEST_SYNC(v);
	*p = v + 1;
	GUEST_DONE();
}

TEST_F(guest, long_mode_memory)
{
	volatile uint64_t *hva;
	struct ucall uc;

	NEED_VM();
	hva = vm_gpa_to_hva(self->vm, DATA_GPA);
	*hva = 0x1234;
	host_value = 0xc0ffee;
	sync_global_to_guest(self->vm, host_value);
	vcpu_setup_long_mode(self->vcpu, guest_memory, DATA_GPA);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(0x1234, uc.args[0]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(0x1235, *hva);
}

/* (d) Long mode registers: the argument arrives in RDI. */
static void __guest_code guest_arg(uint64_t arg)
{
	GUEST_SYNC(arg);
	GUEST_DONE();
}

TEST_F(guest, long_mode_arg)
{
	struct hvx_regs regs;
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_arg, 42);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(42, uc.args[0]);

	/* Stopped after the OUT in ucall(): inside the binary's image. */
	vcpu_regs_get(self->vcpu, &regs);
	EXPECT_LE(self->vm->image_start, regs.rip);
	EXPECT_GT(self->vm->image_end, regs.rip);

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));
}

/* A guest function that returns: the library reports UCALL_DONE(RAX). */
static uint64_t __guest_code guest_return(uint64_t arg)
{
	return arg + 1;
}

TEST_F(guest, long_mode_return)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_return, 42);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(43, uc.args[0]);
	/* And then the guest halts for good. */
	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_HLT);
}

/* Exceptions come back as UCALL_UNHANDLED: #UD, then #PF on NULL. */
extern const char guest_ud2_insn[];

static void __guest_code guest_ud2(void)
{
	asm volatile(".globl guest_ud2_insn\n"
		     "guest_ud2_insn: ud2");
	GUEST_FAIL(0);
}

TEST_F(guest, long_mode_ud)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_ud2, 0);
	vcpu_run(self->vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(self->vcpu, &uc))
		TH_LOG("got %s", ucall_cmd_str(uc.cmd));
	EXPECT_EQ(6, uc.args[0]);			/* #UD */
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ((uint64_t)(uintptr_t)guest_ud2_insn, uc.args[2]);
	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_HLT);
}

static void __guest_code guest_load(uint64_t gva)
{
	GUEST_SYNC(*(volatile uint64_t *)gva);
}

TEST_F(guest, long_mode_null_pf)
{
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_load, 0);
	vcpu_run(self->vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(self->vcpu, &uc))
		TH_LOG("got %s", ucall_cmd_str(uc.cmd));
	EXPECT_EQ(14, uc.args[0]);			/* #PF */
	EXPECT_EQ(0, uc.args[1] & 3);		/* not present, read */
	EXPECT_EQ(0, uc.args[3]);			/* CR2 */
}

TEST_HARNESS_MAIN
