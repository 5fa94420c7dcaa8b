// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's virtio-balloon (virtio/balloon.c), driven
 * as a guest's driver would through the real virtio-PCI transport, over
 * the fake VM (its RAM is this test's anonymous memory, as vmctl's is):
 * pages the guest inflates read as zeros afterwards (they went back to
 * the host) and their neighbours keep their bytes; the target and the
 * driver's "actual" in the configuration; free page reports; statistics
 * kept until the device asks for more; and a hostile driver's frame
 * numbers outside RAM, unaligned reports, a second stats buffer.
 *
 *   virtio_balloon_test
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci/pci.h"
#include "unit.h"
#include "virtio/balloon.h"
#include "virtio/virtio.h"
#include "virtio_driver.h"
#include "virtio_fake_vm.h"

#define MEM_SIZE	(16ull << 20)
#define PAGE		4096ull
#define CFG		0x2000		/* device configuration in BAR 0 */
#define F_STATS		1
#define F_REPORTING	5
#define BUF		0x800000	/* the driver's buffers */

enum { INFLATE, DEFLATE, STATS, REPORT, NQ };

static struct vmctl_vm vm;
static struct pci_host host;
static struct vdrv dr;
static struct vdrv_queue q[NQ];
static struct virtio_balloon *b;

static void fill(uint64_t pfn, uint8_t v)
{
	memset(vdrv_gpa(pfn * PAGE), v, PAGE);
}

static bool page_is(uint64_t pfn, uint8_t v)
{
	const uint8_t *p = vdrv_gpa(pfn * PAGE);

	for (unsigned int i = 0; i < PAGE; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The value of vmctl info's line @key, or -1. */
static long long info(const char *key)
{
	char *buf = NULL, line[128];
	size_t len = 0;
	long long v = -1;
	FILE *f = open_memstream(&buf, &len), *r;

	virtio_balloon_info(b, f);
	fclose(f);
	r = fmemopen(buf, len, "r");
	while (r && fgets(line, sizeof(line), r))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atoll(line + strlen(key) + 1);
	if (r)
		fclose(r);
	free(buf);
	return v;
}

/* One chain of @n descriptors on queue @qi, published and kicked. */
static void send(unsigned int qi, const uint64_t *addr, const uint32_t *len,
		 const bool *write, unsigned int n)
{
	uint16_t head = q[qi].next_desc;

	for (unsigned int i = 0; i < n; i++)
		vdrv_desc(&q[qi], head + i, addr[i], len[i],
			  (write[i] ? VIRTQ_DESC_F_WRITE : 0) |
			  (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0), head + i + 1);
	q[qi].next_desc += n;
	vdrv_publish(&q[qi], head, q[qi].avail_idx);
	vdrv_kick(&dr, qi, q[qi].notify_off);
}

static bool setup(void)
{
	unsigned int s;

	b = virtio_balloon_create(&vm, &host);
	if (!b)
		return false;
	for (s = PCI_MAX_SLOTS - 1; s > 0 && !host.slot[s]; s--)
		;
	dr.d = host.slot[s];
	dr.bar = vdrv_cfg_r(dr.d, PCI_BASE_ADDRESS_0, 4) & ~0xfull;
	vdrv_w(&dr, STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	if (!vdrv_negotiate(&dr, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			    VIRTIO_BIT(F_STATS) | VIRTIO_BIT(F_REPORTING)))
		return false;
	for (unsigned int i = 0; i < NQ; i++) {
		q[i] = (struct vdrv_queue){ .base = 0x400000 + i * 0x10000 };
		if (!vdrv_queue_setup(&dr, i, &q[i], 0xffff))
			return false;
	}
	vdrv_w(&dr, STATUS, 0xf, 1);
	return vdrv_r(&dr, STATUS, 1) == 0xf;
}

static void test_inflate(void)
{
	static const uint32_t pfns[] = { 100, 101, 102, 103, 104, 0xffffffff,
					 MEM_SIZE / PAGE, 107 };
	struct tcase tc;
	bool ok = true;

	case_begin(&tc);
	for (uint64_t p = 99; p <= 108; p++)
		fill(p, 0xaa);
	memcpy(vdrv_gpa(BUF), pfns, sizeof(pfns));
	send(INFLATE, (uint64_t[]){ BUF }, (uint32_t[]){ sizeof(pfns) },
	     (bool[]){ false }, 1);
	check(&tc, vdrv_wait_used(&q[INFLATE], 1, 5000), "inflate buffer not used");
	for (uint64_t p = 100; p <= 104; p++)
		ok &= page_is(p, 0);
	check(&tc, ok && page_is(107, 0), "an inflated page kept its bytes");
	check(&tc, page_is(99, 0xaa) && page_is(105, 0xaa) && page_is(106, 0xaa) &&
	      page_is(108, 0xaa), "a page next to the inflated ones lost its bytes");
	check(&tc, info("balloon_inflated_pages") == 6 && info("balloon_bad_pfns") == 2,
	      "inflated %lld, bad %lld", info("balloon_inflated_pages"),
	      info("balloon_bad_pfns"));
	/* Deflate: the pages are the guest's again; nothing to do but count. */
	send(DEFLATE, (uint64_t[]){ BUF }, (uint32_t[]){ 8 }, (bool[]){ false }, 1);
	check(&tc, vdrv_wait_used(&q[DEFLATE], 1, 5000), "deflate buffer not used");
	check(&tc, info("balloon_deflated_pages") == 2, "deflated %lld",
	      info("balloon_deflated_pages"));
	case_end(&tc, "virtio-balloon: inflated pages go back to the host (read as zeros), their neighbours stay; frames outside RAM skipped and counted");
}

static void test_config(void)
{
	struct tcase tc;

	case_begin(&tc);
	check(&tc, !virtio_balloon_set_target(b, 8), "target 8 MiB refused");
	check(&tc, vdrv_r(&dr, CFG, 4) == 2048, "num_pages %llu",
	      (unsigned long long)vdrv_r(&dr, CFG, 4));
	vdrv_w(&dr, CFG + 4, 2048, 4);		/* actual */
	vdrv_w(&dr, CFG, 1, 4);			/* num_pages is the device's */
	check(&tc, vdrv_r(&dr, CFG, 4) == 2048, "the driver wrote num_pages");
	check(&tc, info("balloon_target_mib") == 8 && info("balloon_actual_mib") == 8,
	      "target %lld actual %lld", info("balloon_target_mib"),
	      info("balloon_actual_mib"));
	check(&tc, virtio_balloon_set_target(b, 17), "17 MiB of 16 taken");
	check(&tc, !virtio_balloon_set_target(b, 0), "target 0 refused");
	case_end(&tc, "virtio-balloon: the target in num_pages, the driver's actual, no more than the VM's memory");
}

static void test_report(void)
{
	struct tcase tc;

	case_begin(&tc);
	fill(200, 0x11);
	fill(201, 0x11);
	fill(300, 0x22);
	send(REPORT, (uint64_t[]){ 200 * PAGE, 300 * PAGE + 8 },
	     (uint32_t[]){ 2 * PAGE, PAGE }, (bool[]){ true, true }, 2);
	check(&tc, vdrv_wait_used(&q[REPORT], 1, 5000), "report not used");
	check(&tc, page_is(200, 0) && page_is(201, 0), "reported pages kept their bytes");
	check(&tc, page_is(300, 0x22), "an unaligned report was dropped");
	check(&tc, info("balloon_reported_pages") == 2, "reported %lld",
	      info("balloon_reported_pages"));
	case_end(&tc, "virtio-balloon: reported free pages go back to the host; an unaligned range is left alone");
}

static void test_stats(void)
{
	/* tag (le16), value (le64), packed: total, free, a tag we do not know, half an entry */
	uint8_t st[35] = { 0 };
	struct tcase tc;

	case_begin(&tc);
	st[0] = 5;
	memcpy(st + 2, &(uint64_t){ 123456789 }, 8);
	st[10] = 4;
	memcpy(st + 12, &(uint64_t){ 4567 }, 8);
	st[20] = 99;
	memcpy(st + 22, &(uint64_t){ 1 }, 8);
	memcpy(vdrv_gpa(BUF + 0x1000), st, sizeof(st));
	send(STATS, (uint64_t[]){ BUF + 0x1000 }, (uint32_t[]){ sizeof(st) },
	     (bool[]){ false }, 1);
	usleep(300 * 1000);
	check(&tc, info("balloon_total_memory") == 123456789 &&
	      info("balloon_free_memory") == 4567, "total %lld free %lld",
	      info("balloon_total_memory"), info("balloon_free_memory"));
	check(&tc, vdrv_used_idx(&q[STATS]) == 0, "the stats buffer came back at once");
	/* The device keeps it, then gives it back to ask for more. */
	check(&tc, vdrv_wait_used(&q[STATS], 1, 3000), "stats never asked for again");
	case_end(&tc, "virtio-balloon: the guest's statistics, kept until the device asks for fresh ones");

	case_begin(&tc);
	send(STATS, (uint64_t[]){ BUF + 0x1000 }, (uint32_t[]){ sizeof(st) },
	     (bool[]){ false }, 1);
	usleep(100 * 1000);
	send(STATS, (uint64_t[]){ BUF + 0x2000 }, (uint32_t[]){ sizeof(st) },
	     (bool[]){ false }, 1);
	check(&tc, vdrv_wait_status(&dr, VIRTIO_STATUS_NEEDS_RESET, 3000),
	      "a second stats buffer did not break the device");
	case_end(&tc, "virtio-balloon: a driver that sends a second stats buffer breaks the device");
}

int main(void)
{
	if (fake_vm_init(&vm, MEM_SIZE) || pci_host_init(&host, &vm))
		return 1;
	vdrv_use_vm(&vm);
	if (!setup()) {
		printf("not ok 1 - virtio-balloon: setup\n");
		return 1;
	}
	test_inflate();
	test_config();
	test_report();
	test_stats();
	virtio_balloon_destroy(b);
	pci_host_destroy(&host);
	fake_vm_destroy(&vm);
	return tap_finish();
}
