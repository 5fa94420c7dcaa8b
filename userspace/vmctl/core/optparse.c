// SPDX-License-Identifier: GPL-2.0
/* Shared pieces of the device option parsers (optparse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/optparse.h"

int optparse_bad(char *err, size_t errlen, const char *what, const char *item,
		 size_t len)
{
	snprintf(err, errlen, "%s: '%.*s'", what, (int)len, item);
	return -1;
}

const char *optparse_value(const char *item, size_t len, const char *key)
{
	size_t k = strlen(key);

	if (len > k && !strncmp(item, key, k) && item[k] == '=')
		return item + k + 1;
	return NULL;
}

int optparse_uint(const char *v, size_t len, unsigned long min,
		  unsigned long max, unsigned long *out)
{
	char buf[16], *end;

	if (!len || len >= sizeof(buf) || v[0] < '0' || v[0] > '9')
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	*out = strtoul(buf, &end, 10);
	return *end || *out < min || *out > max ? -1 : 0;
}

int optparse_size(const char *v, size_t len, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long n;

	if (len > 1) {
		switch (v[len - 1]) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		}
	}
	if (optparse_uint(v, len - !!shift, 0, ~0ul >> 30, &n))
		return -1;	/* at most 2^34 before the suffix: no overflow */
	*out = (uint64_t)n << shift;
	return *out < min || *out > max ? -1 : 0;
}
