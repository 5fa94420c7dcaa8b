// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of kmod/insn_decode.c, kmod/emulate.c (against the
 * host CPU), kmod/guest_paging.c and kmod/arch_rules.c.
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
	arch_rules_tests();
	emulate_tests();
	pic_core_tests();
	free(ref);
	return tap_finish();
}
