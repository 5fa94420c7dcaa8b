// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of kmod/insn_decode.c and kmod/guest_paging.c.
 *
 *   unit_test --emit-asm	print the assembler source of the
 *				reference encodings of the decoder cases
 *   unit_test REF.bin		run every case, checking the decoder
 *				cases' bytes against REF.bin: that source
 *				assembled by as, dumped by objcopy -O binary
 *
 * Prints TAP and exits non-zero if any case failed.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static unsigned int tap_count, tap_failed;

void case_begin(struct tcase *tc)
{
	tc->ok = true;
	tc->why[0] = '\0';
}

void check(struct tcase *tc, bool cond, const char *fmt, ...)
{
	size_t used = strlen(tc->why);
	va_list ap;

	if (cond)
		return;
	tc->ok = false;
	if (used + 3 >= sizeof(tc->why))
		return;
	strcpy(tc->why + used, "# ");
	used += 2;
	va_start(ap, fmt);
	vsnprintf(tc->why + used, sizeof(tc->why) - used - 1, fmt, ap);
	va_end(ap);
	used = strlen(tc->why);
	tc->why[used] = '\n';
	tc->why[used + 1] = '\0';
}

void case_end(struct tcase *tc, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!tc->ok)
		tap_failed++;
	printf("%sok %u - ", tc->ok ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n%s", tc->why);
}

int tap_finish(void)
{
	printf("1..%u\n", tap_count);
	if (tap_failed)
		printf("# %u of %u failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				exit(2);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	unsigned char *ref;
	size_t ref_len;

	if (argc == 2 && !strcmp(argv[1], "--emit-asm")) {
		insn_decode_emit_asm(stdout);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s --emit-asm | %s REF.bin\n",
			argv[0], argv[0]);
		return 2;
	}
	ref = read_file(argv[1], &ref_len);
	if (!ref) {
		perror(argv[1]);
		return 2;
	}
	insn_decode_tests(ref, ref_len);
	guest_paging_tests();
	free(ref);
	return tap_finish();
}
