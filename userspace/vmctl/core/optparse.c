// SPDX-License-Identifier: GPL-2.0
/* Shared pieces of the device option parsers (optparse.h). */
#include <stdio.h>
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
