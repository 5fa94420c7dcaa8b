// SPDX-License-Identifier: GPL-2.0
/*
 * The AML writer of aml.h. Each open construct collects its contents in a
 * buffer of its own; aml_end() prefixes them with the opcode and the
 * PkgLength (ACPI 6.3 20.2.4: one byte for up to 63 bytes, else 2-4 bytes
 * whose length counts itself) and appends the lot to the parent.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"

/* Opcodes (20.3). */
#define AML_ZERO		0x00
#define AML_ONE			0x01
#define AML_NAME		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE		0x10
#define AML_BUFFER		0x11
#define AML_PACKAGE		0x12
#define AML_METHOD		0x14
#define AML_DUAL_NAME		0x2e
#define AML_MULTI_NAME		0x2f
#define AML_ROOT		'\\'
#define AML_EXT			0x5b
#define AML_DEVICE		0x82	/* after AML_EXT */
#define AML_RETURN		0xa4
#define AML_ONES		0xff

enum { KIND_BODY, KIND_OBJECT, KIND_PACKAGE, KIND_BUFFER };

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	unsigned int i;

	for (i = 0; i <= AML_MAX_DEPTH; i++)
		free(a->stack[i].p);
	memset(a, 0, sizeof(*a));
}

static void fail(struct aml *a, const char *why)
{
	if (!a->error)
		a->error = why;
}

static void put(struct aml *a, const void *p, size_t n)
{
	struct aml_buf *b = &a->stack[a->depth];
	uint8_t *q;

	if (a->error)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			fail(a, "out of memory");
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put8(struct aml *a, uint8_t v)
{
	put(a, &v, 1);
}

static void put_le(struct aml *a, uint64_t v, unsigned int bytes)
{
	while (bytes--) {
		put8(a, v & 0xff);
		v >>= 8;
	}
}

/* An element of the enclosing package, if it is one. */
static void count_element(struct aml *a)
{
	if (a->stack[a->depth].kind == KIND_PACKAGE)
		a->stack[a->depth].count++;
}

/* NameString (20.2.2): [\] NameSeg | DualNamePath | MultiNamePath. */
static void put_name(struct aml *a, const char *name)
{
	char segs[16][4];
	unsigned int n = 0, i;
	const char *s = name;

	if (*s == AML_ROOT) {
		put8(a, AML_ROOT);
		s++;
	}
	while (*s) {
		unsigned int len = 0;

		if (n == 16) {
			fail(a, "name too long");
			return;
		}
		memset(segs[n], '_', 4);
		while (*s && *s != '.') {
			char c = *s++;

			if (len == 4 || !(isupper((unsigned char)c) ||
					  isdigit((unsigned char)c) || c == '_') ||
			    (len == 0 && isdigit((unsigned char)c))) {
				fail(a, "bad name");
				return;
			}
			segs[n][len++] = c;
		}
		if (!len) {
			fail(a, "empty name segment");
			return;
		}
		n++;
		if (*s == '.')
			s++;
	}
	if (n == 2)
		put8(a, AML_DUAL_NAME);
	else if (n > 2) {
		put8(a, AML_MULTI_NAME);
		put8(a, n);
	} else if (n == 0) {
		put8(a, AML_ZERO);	/* NullName: the root itself */
		return;
	}
	for (i = 0; i < n; i++)
		put(a, segs[i], 4);
}

static void put_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		put8(a, AML_ZERO);
	} else if (v == 1) {
		put8(a, AML_ONE);
	} else if (v == UINT64_MAX) {
		put8(a, AML_ONES);
	} else if (v <= 0xff) {
		put8(a, AML_BYTE_PREFIX);
		put8(a, v);
	} else if (v <= 0xffff) {
		put8(a, AML_WORD_PREFIX);
		put_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		put8(a, AML_DWORD_PREFIX);
		put_le(a, v, 4);
	} else {
		put8(a, AML_QWORD_PREFIX);
		put_le(a, v, 8);
	}
}

static void begin(struct aml *a, int kind, const uint8_t *op,
		  unsigned int oplen)
{
	struct aml_buf *b;

	if (a->error)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		fail(a, "nested too deep");
		return;
	}
	count_element(a);
	b = &a->stack[++a->depth];
	b->len = 0;
	b->kind = kind;
	b->count = 0;
	memcpy(b->op, op, oplen);
	b->oplen = oplen;
}

void aml_end(struct aml *a)
{
	struct aml_buf *b = &a->stack[a->depth];
	uint8_t pkg[4];
	size_t body, total;
	unsigned int n, i;

	if (a->error)
		return;
	if (!a->depth) {
		fail(a, "aml_end() without a begin");
		return;
	}
	if (b->kind == KIND_PACKAGE) {
		if (b->count > 255) {
			fail(a, "package of more than 255 elements");
			return;
		}
		b->p[b->count_at] = b->count;
	}
	if (b->kind == KIND_BUFFER) {
		/* EndTag with a zero checksum: "treated as if it summed to 0". */
		put8(a, 0x79);
		put8(a, 0);
		/* The BufferSize operand counts the bytes after itself. */
		b->p[b->count_at] = b->len - b->count_at - 1;
		if (b->len - b->count_at - 1 > 0xff) {
			fail(a, "resource template too large");
			return;
		}
	}
	body = b->len;
	/* PkgLength counts its own bytes: find the encoding that fits. */
	for (n = 1; n <= 4; n++) {
		total = body + n;
		if ((n == 1 && total < 0x40) || (n > 1 && total < (1ul << (4 + 8 * (n - 1)))))
			break;
	}
	if (n > 4) {
		fail(a, "object larger than 256 MiB");
		return;
	}
	if (n == 1) {
		pkg[0] = total;
	} else {
		pkg[0] = ((n - 1) << 6) | (total & 0xf);
		for (i = 1; i < n; i++)
			pkg[i] = (total >> (4 + 8 * (i - 1))) & 0xff;
	}
	a->depth--;
	put(a, b->op, b->oplen);
	put(a, pkg, n);
	put(a, b->p, body);
}

void aml_scope_begin(struct aml *a, const char *name)
{
	static const uint8_t op[] = { AML_SCOPE };

	begin(a, KIND_OBJECT, op, sizeof(op));
	put_name(a, name);
}

void aml_device_begin(struct aml *a, const char *name)
{
	static const uint8_t op[] = { AML_EXT, AML_DEVICE };

	begin(a, KIND_OBJECT, op, sizeof(op));
	put_name(a, name);
}

void aml_method_begin(struct aml *a, const char *name, unsigned int nargs)
{
	static const uint8_t op[] = { AML_METHOD };

	if (nargs > 7)
		fail(a, "a method takes at most 7 arguments");
	begin(a, KIND_OBJECT, op, sizeof(op));
	put_name(a, name);
	put8(a, nargs & 7);	/* MethodFlags: NotSerialized, SyncLevel 0 */
}

/* PackageOp PkgLength NumElements ...: the count is patched at the end. */
static void package_begin(struct aml *a)
{
	static const uint8_t op[] = { AML_PACKAGE };

	begin(a, KIND_PACKAGE, op, sizeof(op));
	if (a->error)
		return;
	a->stack[a->depth].count_at = a->stack[a->depth].len;
	put8(a, 0);
}

void aml_name_package_begin(struct aml *a, const char *name)
{
	put8(a, AML_NAME);
	put_name(a, name);
	package_begin(a);
}

void aml_package_begin(struct aml *a)
{
	package_begin(a);
}

void aml_name_resources_begin(struct aml *a, const char *name)
{
	static const uint8_t op[] = { AML_BUFFER };

	put8(a, AML_NAME);
	put_name(a, name);
	begin(a, KIND_BUFFER, op, sizeof(op));
	if (a->error)
		return;
	/* BufferSize as a ByteConst, patched in aml_end(). */
	put8(a, AML_BYTE_PREFIX);
	a->stack[a->depth].count_at = a->stack[a->depth].len;
	put8(a, 0);
}

void aml_name_int(struct aml *a, const char *name, uint64_t value)
{
	put8(a, AML_NAME);
	put_name(a, name);
	put_int(a, value);
}

/*
 * ASL's EISAID(): three letters of five bits each and four hex
 * digits, big-endian in a DWORD.
 */
void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	uint32_t v;
	unsigned int i;

	if (strlen(id) != 7) {
		fail(a, "bad EISA ID");
		return;
	}
	for (i = 0; i < 3; i++)
		if (!isupper((unsigned char)id[i]))
			fail(a, "bad EISA ID");
	for (i = 3; i < 7; i++)
		if (!isxdigit((unsigned char)id[i]))
			fail(a, "bad EISA ID");
	v = ((id[0] - '@') & 0x1f) << 26 | ((id[1] - '@') & 0x1f) << 21 |
	    ((id[2] - '@') & 0x1f) << 16 | strtoul(id + 3, NULL, 16);
	v = __builtin_bswap32(v);
	put8(a, AML_NAME);
	put_name(a, name);
	put8(a, AML_DWORD_PREFIX);
	put_le(a, v, 4);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
	put8(a, AML_NAME);
	put_name(a, name);
	put8(a, AML_STRING_PREFIX);
	put(a, s, strlen(s) + 1);
}

void aml_int(struct aml *a, uint64_t value)
{
	count_element(a);
	put_int(a, value);
}

void aml_return_int(struct aml *a, uint64_t value)
{
	put8(a, AML_RETURN);
	put_int(a, value);
}

/* ---- Resource descriptors ---------------------------------------------- */

static void need_resources(struct aml *a)
{
	if (a->stack[a->depth].kind != KIND_BUFFER)
		fail(a, "a resource descriptor outside a resource template");
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	need_resources(a);
	put8(a, 0x47);		/* small item 8, 7 bytes */
	put8(a, 0x01);		/* decodes 16 address bits */
	put_le(a, base, 2);	/* minimum */
	put_le(a, base, 2);	/* maximum */
	put8(a, 1);		/* alignment */
	put8(a, len);
}

void aml_res_irq(struct aml *a, unsigned int irq)
{
	need_resources(a);
	if (irq > 15)
		fail(a, "an ISA IRQ is 0-15");
	put8(a, 0x22);		/* small item 4, 2 bytes: no flags byte */
	put_le(a, 1u << (irq & 15), 2);
}

/* Large item header: type, then the length of what follows. */
static void large(struct aml *a, uint8_t type, uint16_t len)
{
	need_resources(a);
	put8(a, type);
	put_le(a, len, 2);
}

/* Address space descriptor flags (6.4.3.5): producer, min/max fixed. */
#define ADDR_FLAGS_WINDOW	0x0c	/* MaxFixed | MinFixed, ResourceProducer */

void aml_res_bus_numbers(struct aml *a, uint16_t min, uint16_t max)
{
	large(a, 0x88, 13);	/* Word Address Space */
	put8(a, 2);		/* bus number range */
	put8(a, ADDR_FLAGS_WINDOW);
	put8(a, 0);		/* type-specific flags */
	put_le(a, 0, 2);	/* granularity */
	put_le(a, min, 2);
	put_le(a, max, 2);
	put_le(a, 0, 2);	/* translation offset */
	put_le(a, max - min + 1, 2);
}

void aml_res_io_window(struct aml *a, uint16_t min, uint16_t max)
{
	large(a, 0x88, 13);
	put8(a, 1);		/* I/O range */
	put8(a, ADDR_FLAGS_WINDOW);
	put8(a, 3);		/* EntireRange: ISA and non-ISA ports */
	put_le(a, 0, 2);
	put_le(a, min, 2);
	put_le(a, max, 2);
	put_le(a, 0, 2);
	put_le(a, max - min + 1, 2);
}

void aml_res_mem_window(struct aml *a, uint32_t min, uint32_t max)
{
	large(a, 0x87, 23);	/* DWord Address Space */
	put8(a, 0);		/* memory range */
	put8(a, ADDR_FLAGS_WINDOW);
	put8(a, 1);		/* read-write, non-cacheable */
	put_le(a, 0, 4);
	put_le(a, min, 4);
	put_le(a, max, 4);
	put_le(a, 0, 4);
	put_le(a, max - min + 1, 4);
}

void aml_res_mem_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	large(a, 0x86, 9);	/* 32-bit Fixed Memory Range */
	put8(a, 1);		/* read-write */
	put_le(a, base, 4);
	put_le(a, len, 4);
}

int aml_finish(struct aml *a, const uint8_t **body, size_t *len)
{
	if (!a->error && a->depth)
		fail(a, "an object was not closed");
	if (a->error) {
		fprintf(stderr, "vmctl: building the DSDT: %s\n", a->error);
		return -1;
	}
	*body = a->stack[0].p;
	*len = a->stack[0].len;
	return 0;
}
