/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the host-side unit tests: a TAP writer and the suites.
 */
#ifndef HVX_UNIT_H
#define HVX_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * One test case: call check() for each expectation, then case_end() to
 * print "ok N - name" or "not ok N - name" with the failures as comments.
 */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

struct tcase {
	bool ok;
	char why[2048];
};

void case_begin(struct tcase *tc);
__printf(3, 4)
void check(struct tcase *tc, bool cond, const char *fmt, ...);
__printf(2, 3)
void case_end(struct tcase *tc, const char *fmt, ...);
/* A case that could not run here, reported as "ok N - name # SKIP why". */
void skip(const char *name, const char *why);
/* Print the "1..N" plan; returns the exit status: 1 if anything failed. */
int tap_finish(void);

/* insn_decode_test.c: @ref is the assembler's output, see the Makefile. */
void insn_decode_emit_asm(FILE *f);
void insn_decode_tests(const unsigned char *ref, size_t ref_len);

/* guest_paging_test.c */
void guest_paging_tests(void);

/* emulate_test.c */
void emulate_tests(void);

/* arch_rules_test.c */
void arch_rules_tests(void);

/* pic_core_test.c */
void pic_core_tests(void);

#endif
