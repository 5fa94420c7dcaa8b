// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP writer that every host-side unit test program links: one
 * "ok N - name" or "not ok N - name" line per case, the reasons of a
 * failure as "# " comments under it, and the "1..N" plan at the end.
 */
#include <stdarg.h>
#include <stdio.h>
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

void skip(const char *name, const char *why)
{
	printf("ok %u - %s # SKIP %s\n", ++tap_count, name, why);
}
