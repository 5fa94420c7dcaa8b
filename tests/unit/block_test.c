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
#include "core/token_bucket.h"
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
		uint64_t iops, bps;
	} t[] = {
		{ "disk.img", true, false, BLOCK_CACHE_WRITEBACK, "disk.img", "", 0, 0 },
		{ "/a/b.img,readonly", true, true, BLOCK_CACHE_WRITEBACK, "/a/b.img", "", 0, 0 },
		{ "d,cache=none", true, false, BLOCK_CACHE_NONE, "d", "", 0, 0 },
		{ "d,cache=writeback,readonly,serial=ABC-123", true, true,
		  BLOCK_CACHE_WRITEBACK, "d", "ABC-123", 0, 0 },
		{ "d,serial=12345678901234567890", true, false,
		  BLOCK_CACHE_WRITEBACK, "d", "12345678901234567890", 0, 0 },
		{ "d,serial=", true, false, BLOCK_CACHE_WRITEBACK, "d", "", 0, 0 },
		{ "d,serial=123456789012345678901", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,serial=a b", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,cache=unsafe", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,cache=", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,readonly=1", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,bogus", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,", false, false, 0, NULL, NULL, 0, 0 },
		{ ",readonly", false, false, 0, NULL, NULL, 0, 0 },
		{ "", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,iops=100", true, false, BLOCK_CACHE_WRITEBACK, "d", "", 100, 0 },
		{ "d,bps=1M,iops=1", true, false, BLOCK_CACHE_WRITEBACK, "d", "", 1, 1 << 20 },
		{ "d,bps=512", true, false, BLOCK_CACHE_WRITEBACK, "d", "", 0, 512 },
		{ "d,bps=64K", true, false, BLOCK_CACHE_WRITEBACK, "d", "", 0, 64 << 10 },
		{ "d,bps=1024G", true, false, BLOCK_CACHE_WRITEBACK, "d", "", 0, 1ull << 40 },
		{ "d,bps=1025G", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,bps=511", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,bps=0", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,bps=1T", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,bps=K", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,bps=-1M", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,iops=0", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,iops=10000001", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,iops=1K", false, false, 0, NULL, NULL, 0, 0 },
		{ "d,iops=", false, false, 0, NULL, NULL, 0, 0 },
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
			      !strcmp(o.serial, t[i].serial) &&
			      o.iops == t[i].iops && o.bps == t[i].bps,
			      "got path '%s' ro %d cache %d serial '%s' iops %llu bps %llu",
			      o.path, o.readonly, o.cache, o.serial,
			      (unsigned long long)o.iops, (unsigned long long)o.bps);
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

/*
 * The token bucket on a clock of the test's own: the burst at once, then
 * the rate; a request larger than the bucket when it is full, paid back
 * after; nothing lost to rounding over many small refills.
 */
static void test_token_bucket(void)
{
	const uint64_t ms = 1000000;
	struct token_bucket tb;
	uint64_t t = 5000 * ms, n, w;
	struct tcase tc;
	int i;

	case_begin(&tc);
	token_bucket_init(&tb, 0, 0, t);
	check(&tc, token_bucket_wait(&tb, ~0ull >> 1, t) == 0, "no limit waits");

	/* 100 a second, a burst of 10. */
	token_bucket_init(&tb, 100, 10, t);
	for (i = 0; i < 10; i++) {
		w = token_bucket_wait(&tb, 1, t);
		check(&tc, !w, "burst %d waits %llu ns", i, (unsigned long long)w);
		token_bucket_take(&tb, 1);
	}
	w = token_bucket_wait(&tb, 1, t);
	check(&tc, w == 10 * ms, "the 11th waits %llu ns, want 10 ms", (unsigned long long)w);
	check(&tc, token_bucket_wait(&tb, 1, t + 10 * ms - 1) != 0 &&
	      token_bucket_wait(&tb, 1, t + 10 * ms) == 0, "ready at 10 ms, not before");
	/* A thousand refills of 1 us each: 0.1 token, none of it lost. */
	token_bucket_init(&tb, 100, 10, t);
	token_bucket_take(&tb, 10);
	for (i = 1; i <= 1000; i++)
		token_bucket_wait(&tb, 1, t + i * 1000);
	check(&tc, tb.credit == (__int128)1000 * 1000 * 100, "credit after 1000 us: %lld",
	      (long long)tb.credit);
	/* Full after a long idle time, never more than the burst. */
	check(&tc, token_bucket_wait(&tb, 10, t + 3600000 * ms) == 0 &&
	      token_bucket_wait(&tb, 11, t + 3600000 * ms) == 0 &&
	      tb.credit == (__int128)10 * 1000000000, "one hour later: the burst");

	/* 1 MiB/s, a 64 KiB bucket: a 1 MiB request goes when it is full... */
	token_bucket_init(&tb, 1 << 20, 64 << 10, t);
	check(&tc, token_bucket_wait(&tb, 1 << 20, t) == 0, "1 MiB on a full bucket");
	token_bucket_take(&tb, 1 << 20);
	/* ...and the next one waits for what it owes plus its own. */
	n = 4096;
	w = token_bucket_wait(&tb, n, t);
	check(&tc, w == (uint64_t)((((1 << 20) - (64 << 10) + n) * 1000000000ull) + (1 << 20) - 1) / (1 << 20),
	      "after 1 MiB, 4 KiB waits %llu ns", (unsigned long long)w);
	check(&tc, token_bucket_wait(&tb, n, t + w - 1000) != 0 &&
	      token_bucket_wait(&tb, n, t + w) == 0, "and not less");
	/* A clock that goes back gives nothing. */
	token_bucket_take(&tb, n);
	check(&tc, token_bucket_wait(&tb, n, t) != 0, "earlier time");
	case_end(&tc, "token bucket: the burst, then the rate; big requests owe; exact over tiny steps");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_token_bucket();
	test_opts();
	test_locks();
	test_open_checks();
	test_rw(BLOCK_CACHE_WRITEBACK);
	test_rw(BLOCK_CACHE_NONE);
	test_readonly();
	return tap_finish();
}
