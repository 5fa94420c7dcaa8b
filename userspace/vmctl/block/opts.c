// SPDX-License-Identifier: GPL-2.0
/* --disk's argument (opts.h). */
#include <stdio.h>
#include <string.h>

#include "block/opts.h"
#include "block/raw.h"
#include "core/optparse.h"

int block_opts_parse(const char *arg, struct block_opts *o, char *err,
		     size_t errlen)
{
	const char *p = strchr(arg, ','), *item, *v;
	size_t len;

	memset(o, 0, sizeof(*o));
	o->cache = BLOCK_CACHE_WRITEBACK;
	len = p ? (size_t)(p - arg) : strlen(arg);
	if (!len)
		return optparse_bad(err, errlen, "no image path", arg, strlen(arg));
	if (len >= sizeof(o->path))
		return optparse_bad(err, errlen, "image path too long", arg, 40);
	memcpy(o->path, arg, len);

	while (p) {
		item = p + 1;
		p = strchr(item, ',');
		len = p ? (size_t)(p - item) : strlen(item);
		if (len == 8 && !strncmp(item, "readonly", 8)) {
			o->readonly = true;
		} else if ((v = optparse_value(item, len, "cache"))) {
			size_t vl = len - (size_t)(v - item);

			if (vl == 4 && !strncmp(v, "none", 4))
				o->cache = BLOCK_CACHE_NONE;
			else if (vl == 9 && !strncmp(v, "writeback", 9))
				o->cache = BLOCK_CACHE_WRITEBACK;
			else
				return optparse_bad(err, errlen, "cache is none or writeback, not", v, vl);
		} else if ((v = optparse_value(item, len, "serial")) ||
			   (len == 7 && !strncmp(item, "serial=", 7))) {
			size_t vl = v ? len - (size_t)(v - item) : 0;
			size_t i;

			if (vl > BLOCK_SERIAL_MAX)
				return optparse_bad(err, errlen, "serial is at most 20 bytes", v, vl);
			for (i = 0; i < vl; i++)
				if (v[i] < 0x21 || v[i] > 0x7e)
					return optparse_bad(err, errlen, "serial is printable ASCII without spaces", v, vl);
			memcpy(o->serial, v, vl);
			o->serial[vl] = '\0';
		} else if ((v = optparse_value(item, len, "iops"))) {
			size_t vl = len - (size_t)(v - item);
			unsigned long n;

			if (optparse_uint(v, vl, 1, BLOCK_MAX_IOPS, &n))
				return optparse_bad(err, errlen, "iops is 1 to 10000000 requests a second, not",
						    v, vl);
			o->iops = n;
		} else if ((v = optparse_value(item, len, "bps"))) {
			size_t vl = len - (size_t)(v - item);

			if (optparse_size(v, vl, BLOCK_SECTOR, BLOCK_MAX_BPS, &o->bps))
				return optparse_bad(err, errlen, "bps is 512 to 1024G bytes a second (K, M, G: KiB, MiB, GiB), not",
						    v, vl);
		} else {
			return optparse_bad(err, errlen, "unknown disk option (readonly, cache=, serial=, iops=, bps=)",
				   item, len);
		}
	}
	return 0;
}
