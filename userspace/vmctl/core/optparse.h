/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pieces shared by the parsers of comma-separated device options
 * (--disk PATH,key=value,..., --nic key=value,...): items are taken
 * in place, as (pointer, length), never copied or modified.
 */
#ifndef VMCTL_OPTPARSE_H
#define VMCTL_OPTPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Put "@what: '@item'" (@len bytes of it) in @err; returns -1. */
int optparse_bad(char *err, size_t errlen, const char *what, const char *item,
		 size_t len);
/* The value of item @item (@len bytes, no comma) if it is "@key=value". */
const char *optparse_value(const char *item, size_t len, const char *key);
/* A decimal in [@min, @max], all of @v's @len bytes: 0, or -1. */
int optparse_uint(const char *v, size_t len, unsigned long min,
		  unsigned long max, unsigned long *out);
/*
 * A decimal with an optional binary suffix K, M or G (KiB, MiB, GiB), in
 * [@min, @max] once multiplied: 0, or -1.
 */
int optparse_size(const char *v, size_t len, uint64_t min, uint64_t max,
		  uint64_t *out);

#endif /* VMCTL_OPTPARSE_H */
