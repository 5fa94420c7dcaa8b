// SPDX-License-Identifier: GPL-2.0
/*
 * block/: --disk option parsing, and raw images: the OFD lock (two open
 * file descriptions conflict even inside one process, so one process can
 * play both VMs), the checks made at open, bounds, O_DIRECT with aligned
 * and unaligned buffers, discard and write zeroes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/opts.h"
#include "block/raw.h"
#include "unit.h"

static char dir[] = "/tmp/block_test.XXXXXX";

static const char *image(const char *name, off_t size, uint8_t fill)
{
	static char paths[8][256];
	static unsigned int n;
	char *p = paths[n++ % 8];
	uint8_t buf[512];
	int fd;
	off_t off;

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0)
		abort();
	memset(buf, fill, sizeof(buf));
	for (off = 0; off < size; off += 512)
		if (pwrite(fd, buf, size - off < 512 ? size - off : 512, off) < 0)
			abort();
	close(fd);
	return p;
}

static void test_opts(void)
{
	static const struct {
		const char *arg;
		bool ok, ro;
		enum block_cache cache;
		const char *path, *serial;
	} t[] = {
		{ "disk.img", true, false, BLOCK_CACHE_WRITEBACK, "disk.img", "" },
		{ "/a/b.img,readonly", true, true, BLOCK_CACHE_WRITEBACK, "/a/b.img", "" },
		{ "d,cache=none", true, false, BLOCK_CACHE_NONE, "d", "" },
		{ "d,cache=writeback,readonly,serial=ABC-123", true, true,
		  BLOCK_CACHE_WRITEBACK, "d", "ABC-123" },
		{ "d,serial=12345678901234567890", true, false,
		  BLOCK_CACHE_WRITEBACK, "d", "12345678901234567890" },
		{ "d,serial=", true, false, BLOCK_CACHE_WRITEBACK, "d", "" },
		{ "d,serial=123456789012345678901", false, false, 0, NULL, NULL },
		{ "d,serial=a b", false, false, 0, NULL, NULL },
		{ "d,cache=unsafe", false, false, 0, NULL, NULL },
		{ "d,cache=", false, false, 0, NULL, NULL },
		{ "d,readonly=1", false, false, 0, NULL, NULL },
		{ "d,bogus", false, false, 0, NULL, NULL },
		{ "d,", false, false, 0, NULL, NULL },
		{ ",readonly", false, false, 0, NULL, NULL },
		{ "", false, false, 0, NULL, NULL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct block_opts o;
		char err[128] = "";
		struct tcase tc;
		int r;

		case_begin(&tc);
		r = block_opts_parse(t[i].arg, &o, err, sizeof(err));
		check(&tc, (r == 0) == t[i].ok, "returned %d (%s)", r, err);
		if (!r && t[i].ok)
			check(&tc, o.readonly == t[i].ro && o.cache == t[i].cache &&
			      !strcmp(o.path, t[i].path) &&
			      !strcmp(o.serial, t[i].serial),
			      "got path '%s' ro %d cache %d serial '%s'", o.path,
			      o.readonly, o.cache, o.serial);
		if (r)
			check(&tc, err[0], "no message");
		case_end(&tc, "block opts: '%s' %s%s%s", t[i].arg,
			 t[i].ok ? "parses" : "refused", r ? ": " : "", r ? err : "");
	}
}

static void test_locks(void)
{
	const char *p = image("lock.img", 4096, 0);
	struct raw_image a, b, c;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, raw_open(&a, p, false, BLOCK_CACHE_WRITEBACK) == 0, "first writer");
	check(&tc, raw_open(&b, p, false, BLOCK_CACHE_WRITEBACK) < 0, "second writer taken");
	check(&tc, raw_open(&b, p, true, BLOCK_CACHE_WRITEBACK) < 0, "reader taken beside a writer");
	raw_close(&a);
	check(&tc, raw_open(&a, p, true, BLOCK_CACHE_WRITEBACK) == 0, "first reader");
	check(&tc, raw_open(&b, p, true, BLOCK_CACHE_NONE) == 0, "second reader refused");
	check(&tc, raw_open(&c, p, false, BLOCK_CACHE_WRITEBACK) < 0, "writer taken beside readers");
	raw_close(&a);
	raw_close(&b);
	check(&tc, raw_open(&c, p, false, BLOCK_CACHE_WRITEBACK) == 0, "writer refused once alone");
	raw_close(&c);
	case_end(&tc, "raw: OFD locks: one writer or many readers");
}

static void test_open_checks(void)
{
	const char *odd = image("odd.img", 1000, 0), *ro = image("ro.img", 1024, 0);
	char missing[300];
	struct raw_image a;
	struct tcase tc;

	case_begin(&tc);
	snprintf(missing, sizeof(missing), "%s/none.img", dir);
	check(&tc, raw_open(&a, missing, false, BLOCK_CACHE_WRITEBACK) < 0, "missing image opened");
	check(&tc, raw_open(&a, odd, false, BLOCK_CACHE_WRITEBACK) < 0,
	      "1000-byte image opened");
	check(&tc, raw_open(&a, dir, true, BLOCK_CACHE_WRITEBACK) < 0, "a directory opened");
	chmod(ro, 0400);
	if (geteuid() == 0) {
		skip("raw: an unwritable image is refused for writing", "root ignores modes");
	} else {
		check(&tc, raw_open(&a, ro, false, BLOCK_CACHE_WRITEBACK) < 0,
		      "unwritable image opened for writing");
	}
	check(&tc, raw_open(&a, ro, true, BLOCK_CACHE_WRITEBACK) == 0 && a.size == 1024,
	      "readonly open of a 0400 image");
	raw_close(&a);
	case_end(&tc, "raw: missing, odd-sized, non-file images refused at open");
}

static void test_rw(enum block_cache cache)
{
	const char *p = image(cache == BLOCK_CACHE_NONE ? "direct.img" : "wb.img",
			      64 * 1024, 0x33);
	uint8_t *al = aligned_alloc(4096, 16384), *buf;
	struct iovec v[2];
	struct raw_image a;
	struct tcase tc;
	int r;

	case_begin(&tc);
	r = raw_open(&a, p, false, cache);
	check(&tc, r == 0, "open");
	if (r)
		goto out;
	memset(al, 0x5a, 8192);
	v[0] = (struct iovec){ al, 4096 };
	v[1] = (struct iovec){ al + 4096, 4096 };
	check(&tc, raw_write(&a, v, 2, 8192, 8192) == 0, "aligned write");
	/* Guest buffers at odd addresses: O_DIRECT goes through a bounce. */
	buf = al + 8192 + 1;
	memset(buf, 0, 1024);
	v[0] = (struct iovec){ buf, 512 };
	v[1] = (struct iovec){ buf + 512, 512 };
	r = raw_read(&a, v, 2, 8192 + 512, 1024);
	check(&tc, r == 0 && buf[0] == 0x5a && buf[1023] == 0x5a,
	      "unaligned read: %d", r);
	check(&tc, raw_read(&a, v, 2, 64 * 1024 - 512, 1024) == -ERANGE,
	      "read past the end");
	check(&tc, raw_read(&a, v, 2, UINT64_MAX - 511, 1024) == -ERANGE,
	      "read at a wrapping offset");
	check(&tc, raw_flush(&a) == 0, "flush");
	check(&tc, raw_write_zeroes(&a, 8192, 4096, false) == 0, "write zeroes");
	check(&tc, raw_discard(&a, 12288, 4096) == 0, "discard");
	v[0] = (struct iovec){ al, 8192 };
	check(&tc, raw_read(&a, v, 1, 8192, 8192) == 0 && al[0] == 0 &&
	      al[4095] == 0, "zeroes not read back");
	check(&tc, raw_write_zeroes(&a, 60 * 1024, 8192, true) == -ERANGE,
	      "zeroes past the end");
	raw_close(&a);
	{
		struct stat st;

		stat(p, &st);
		check(&tc, st.st_size == 64 * 1024, "image size changed to %lld",
		      (long long)st.st_size);
	}
out:
	free(al);
	case_end(&tc, "raw: %s: reads, writes, bounds, flush, zeroes",
		 cache == BLOCK_CACHE_NONE ? "cache=none (O_DIRECT)" : "cache=writeback");
}

static void test_readonly(void)
{
	const char *p = image("rdonly.img", 4096, 0x44);
	uint8_t buf[512];
	struct iovec v = { buf, sizeof(buf) };
	struct raw_image a;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, raw_open(&a, p, true, BLOCK_CACHE_WRITEBACK) == 0, "open");
	check(&tc, raw_write(&a, &v, 1, 0, 512) == -EROFS, "write");
	check(&tc, raw_discard(&a, 0, 512) == -EROFS, "discard");
	check(&tc, raw_write_zeroes(&a, 0, 512, false) == -EROFS, "zeroes");
	check(&tc, raw_read(&a, &v, 1, 0, 512) == 0 && buf[7] == 0x44, "read");
	raw_close(&a);
	case_end(&tc, "raw: a read-only image refuses writes of every kind");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_opts();
	test_locks();
	test_open_checks();
	test_rw(BLOCK_CACHE_WRITEBACK);
	test_rw(BLOCK_CACHE_NONE);
	test_readonly();
	return tap_finish();
}
