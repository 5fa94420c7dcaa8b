/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall: how guest C code talks to the host test, through one port-I/O
 * exit (modelled on the KVM selftests' ucall).
 *
 * The guest fills a struct ucall on its own stack and executes
 * "outl %eax, $UCALL_PORT" with EAX = the struct's address. Guest memory
 * is identity-mapped (GVA == GPA) and the stacks are below 4 GiB, so the
 * 32-bit address is the struct's GPA. The host, after an HVX_EXIT_IO on
 * UCALL_PORT (out, size 4, count 1), reads that GPA from the run page and
 * copies the struct out of guest memory: get_ucall(). The next HVX_RUN
 * resumes the guest after the OUT.
 *
 * Guest side:
 *	GUEST_SYNC(stage)	UCALL_SYNC, args[0] = stage; returns when the
 *				host runs the vCPU again
 *	GUEST_SYNC_ARGS(stage, a1, a2, a3)	the same with args[1..3]
 *	GUEST_DONE()		UCALL_DONE
 *	GUEST_ASSERT(cond)	UCALL_ABORT with file, line, expression, then
 *				halts for good (never returns)
 *	GUEST_ASSERT_EQ(a, b)	the same, args[0] = a, args[1] = b
 *	GUEST_FAIL(a0)		UCALL_ABORT unconditionally
 *	(exceptions)		UCALL_UNHANDLED from the library's IDT: args[0]
 *				= vector, [1] = error code (0 if none),
 *				[2] = RIP, [3] = CR2; then halts for good
 * No printf: there is no libc in the guest.
 *
 * Host side:
 *	get_ucall(vcpu, &uc)	the command (UCALL_NONE if the last exit was
 *				not a ucall); uc->file and uc->expr are made
 *				host pointers (into guest memory)
 *	assert_ucall_ok(vcpu, &uc)	fails the test on UCALL_ABORT (file:line:
 *				expr and values), UCALL_UNHANDLED (vector...)
 *				and UCALL_NONE (describes the exit)
 *	vcpu_run_ucall(vcpu, &uc)	vcpu_run + get_ucall + assert_ucall_ok;
 *				returns UCALL_SYNC or UCALL_DONE
 *
 * Writing guest code, and the stack protector:
 *
 * Guest code is ordinary C in the test binary, run in 64-bit mode at the
 * addresses it was linked at. It must not call libc (see hvx_vm.h) and must
 * not rely on compiler runtime calls: keep large struct copies and loops
 * that GCC turns into memset()/memcpy() out of it (the ucall functions fill
 * struct ucall field by field for that reason).
 *
 * With -fstack-protector* (Debian 12's gcc does not enable it by default,
 * but Ubuntu's does, and CFLAGS may), functions with arrays on the stack
 * read a canary at %fs:0x28, and the harness-free guest has no glibc TCB.
 * Two layers make guest code safe either way:
 *  1. __guest_code marks a function no_stack_protector (GCC >= 11, clang;
 *     optimize("no-stack-protector") on older GCC), so it reads no canary
 *     at all. Mark guest entry points and helpers with it; the library's
 *     guest-side functions are.
 *  2. For code that is not marked (a helper someone forgot, an inlined
 *     static function), vcpu_setup_long_mode() points FS and GS base at a
 *     guest "TLS" page in the system region whose +0x28 holds a fixed
 *     canary (and +0 a self pointer, as the x86-64 TCB has), so the canary
 *     check reads guest memory and passes. A real stack smash then calls
 *     __stack_chk_fail, i.e. libc: the guest faults and the IDT reports it.
 */
#ifndef HVX_UCALL_H
#define HVX_UCALL_H

#include <stdint.h>

#define UCALL_PORT		0xE0

#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define __guest_stack_attr	__attribute__((no_stack_protector))
#endif
#endif
#ifndef __guest_stack_attr
#define __guest_stack_attr	__attribute__((optimize("no-stack-protector")))
#endif

/*
 * For every function that runs in the guest: no stack-protector canary, and
 * general-purpose registers only (no SSE/x87), so guest code does not
 * depend on how the hypervisor switches FPU state, and GCC cannot turn a
 * struct copy into SSE moves. Floating point in a __guest_code function is
 * a compile error; a static helper without __guest_code is not inlined
 * into one (target mismatch) but still works when called, since the mode
 * setup enables SSE and gives FS a canary.
 */
#define __guest_code		__guest_stack_attr \
				__attribute__((target("general-regs-only")))

/* The canary the guest TLS page holds at +0x28. */
#define UCALL_GUEST_CANARY	0x5ca1ab1e0ddba11ull

enum {
	UCALL_NONE,		/* the last exit was not a ucall */
	UCALL_SYNC,
	UCALL_DONE,
	UCALL_ABORT,		/* GUEST_ASSERT*() failed */
	UCALL_UNHANDLED,	/* guest exception */
};

#define UCALL_MAX_ARGS		6

/*
 * Shared layout between guest and host: 80 bytes, no padding. In the guest
 * @file and @expr are guest addresses; get_ucall() turns them into host
 * pointers (NULL when the guest passed none, "<bad guest pointer>" when
 * they point outside guest memory).
 */
struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
	const char *file;
	uint64_t line;
	const char *expr;
};

_Static_assert(sizeof(struct ucall) == 80, "struct ucall layout");

/* Guest side (lib/ucall.c, compiled __guest_code). */
void ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
	   uint64_t a3);
void __attribute__((noreturn))
ucall_abort(const char *file, uint64_t line, const char *expr,
	    uint64_t a0, uint64_t a1, uint64_t nargs);
void __attribute__((noreturn)) guest_halt_forever(void);

/* MSR access from guest code (a #GP goes to the guest's IDT as usual). */
static inline __guest_code uint64_t guest_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline __guest_code void guest_wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
		     "d"((uint32_t)(val >> 32)) : "memory");
}

#define GUEST_SYNC(stage)	ucall(UCALL_SYNC, (uint64_t)(stage), 0, 0, 0)
#define GUEST_SYNC_ARGS(stage, a1, a2, a3)				\
	ucall(UCALL_SYNC, (uint64_t)(stage), (uint64_t)(a1),		\
	      (uint64_t)(a2), (uint64_t)(a3))
#define GUEST_DONE()		ucall(UCALL_DONE, 0, 0, 0, 0)

#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			ucall_abort(__FILE__, __LINE__, #cond, 0, 0, 0); \
	} while (0)

#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);	\
									\
		if (__ga != __gb)					\
			ucall_abort(__FILE__, __LINE__, #a " == " #b,	\
				    __ga, __gb, 2);			\
	} while (0)

#define GUEST_FAIL(a0)							\
	ucall_abort(__FILE__, __LINE__, "GUEST_FAIL", (uint64_t)(a0), 0, 1)

/* Host side (lib/ucall.c). */
struct hvx_vcpu;

uint64_t get_ucall(struct hvx_vcpu *vcpu, struct ucall *uc);
const char *ucall_cmd_str(uint64_t cmd);
void assert_ucall_ok_at(struct hvx_vcpu *vcpu, const struct ucall *uc,
			const char *file, int line);
uint64_t vcpu_run_ucall_at(struct hvx_vcpu *vcpu, struct ucall *uc,
			   const char *file, int line);

#define assert_ucall_ok(vcpu, uc)					\
	assert_ucall_ok_at(vcpu, uc, __FILE__, __LINE__)
#define vcpu_run_ucall(vcpu, uc)					\
	vcpu_run_ucall_at(vcpu, uc, __FILE__, __LINE__)

/* Run until the next ucall, which must be GUEST_SYNC(@stage). */
void expect_sync_at(struct hvx_vcpu *vcpu, uint64_t stage, struct ucall *uc,
		    const char *file, int line);
#define expect_sync(vcpu, stage, uc)					\
	expect_sync_at(vcpu, stage, uc, __FILE__, __LINE__)

#endif /* HVX_UCALL_H */
