// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk end to end, as a guest driver sees it: the real PCI host and
 * MSI-X (pci/), the virtio-PCI transport reached through the MMIO bus
 * (the accesses a vCPU's exits make), the disk's I/O thread, and a
 * temporary image file whose bytes the test reads back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "block/opts.h"
#include "block/raw.h"
#include "pci/pci.h"
#include "unit.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio_driver.h"
#include "virtio_fake_vm.h"

#define MEM_SIZE	(64ull << 20)
#define QSIZE		256
#define IMG_SECTORS	2048		/* 1 MiB */

#define F_RO		(1ull << 5)
#define F_FLUSH		(1ull << 9)
#define F_DISCARD	(1ull << 13)
#define F_WZ		(1ull << 14)

static struct vmctl_vm vm;
static struct pci_host host;

/* A driver for one disk: its rings and buffers at @base in guest RAM. */
struct drv {
	struct vdrv v;
	struct vdrv_queue q;		/* q.base: the rings, then the buffers */
};

#define AVAIL(dr)	VDRV_AVAIL(&(dr)->q)
#define HDR(dr, i)	((dr)->q.base + 0x4000 + 32 * (i))	/* header + status */
#define DATA(dr)	((dr)->q.base + 0x10000)

/* Reset, ACK, DRIVER, features, FEATURES_OK, the queue, DRIVER_OK. */
static bool drv_init(struct drv *dr, uint64_t want, uint16_t qvec)
{
	/* Reset first: the device may still be serving the old rings. */
	vdrv_w(&dr->v, STATUS, 0, 1);
	if (vdrv_r(&dr->v, STATUS, 1))
		return false;
	memset(vdrv_gpa(dr->q.base), 0, 0x10000);
	vdrv_w(&dr->v, STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	if (!vdrv_negotiate(&dr->v, want) ||
	    !vdrv_queue_setup(&dr->v, 0, &dr->q, qvec))
		return false;
	vdrv_w(&dr->v, STATUS, 0xf, 1);
	return vdrv_r(&dr->v, STATUS, 1) == 0xf;
}

static void publish(struct drv *dr, uint16_t head)
{
	/* used_event: interrupt me when this one is used (EVENT_IDX). */
	vdrv_publish(&dr->q, head, dr->q.avail_idx);
}

static void kick(struct drv *dr)
{
	vdrv_kick(&dr->v, 0, dr->q.notify_off);
}

/*
 * One request: header, optional data (@dlen bytes at DATA, written by the
 * device if @in), status. Returns the status byte, or -1 on a timeout.
 */
static int request(struct drv *dr, uint32_t type, uint64_t sector,
		   uint32_t dlen, bool in)
{
	unsigned int slot = dr->q.avail_idx % (QSIZE / 4), d0 = slot * 3;
	uint64_t hdr = HDR(dr, slot);
	uint8_t *status = vdrv_gpa(hdr + 16);
	uint32_t h[4] = { type, 0, (uint32_t)sector, sector >> 32 };

	memcpy(vdrv_gpa(hdr), h, 16);
	*status = 0xee;
	vdrv_desc(&dr->q, d0, hdr, 16, VIRTQ_DESC_F_NEXT, d0 + 1);
	if (dlen) {
		vdrv_desc(&dr->q, d0 + 1, DATA(dr), dlen,
			 VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), d0 + 2);
		vdrv_desc(&dr->q, d0 + 2, hdr + 16, 1, VIRTQ_DESC_F_WRITE, 0);
	} else {
		vdrv_desc(&dr->q, d0 + 1, hdr + 16, 1, VIRTQ_DESC_F_WRITE, 0);
	}
	publish(dr, d0);
	kick(dr);
	if (!vdrv_wait_used(&dr->q, dr->q.avail_idx, 5000))
		return -1;
	return *status;
}

static char img_dir[] = "/tmp/virtio_blk_test.XXXXXX";

static char *make_image(const char *name, uint8_t fill)
{
	static char path[4][256];
	static unsigned int n;
	char *p = path[n++ % 4];
	uint8_t buf[4096];
	int fd, i;

	snprintf(p, sizeof(path[0]), "%s/%s", img_dir, name);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0)
		abort();
	memset(buf, fill, sizeof(buf));
	for (i = 0; i < IMG_SECTORS * 512 / 4096; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			abort();
	close(fd);
	return p;
}

static bool file_is(const char *path, uint64_t off, size_t len, int byte,
		    const uint8_t *pattern)
{
	uint8_t buf[8192];
	bool ok;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || len > sizeof(buf) || pread(fd, buf, len, off) != (ssize_t)len)
		abort();
	close(fd);
	if (pattern)
		return !memcmp(buf, pattern, len);
	ok = true;
	for (size_t i = 0; i < len; i++)
		ok &= buf[i] == byte;
	return ok;
}

/* The images the disks serve, open (and locked) until the end. */
static struct raw_image images[8];
static unsigned int nimages;

static struct virtio_blk *open_disk(struct drv *dr, const char *spec,
				    uint64_t base)
{
	struct block_opts o;
	char err[256];
	struct virtio_blk *b;
	struct raw_image *img = &images[nimages];
	unsigned int s;

	if (nimages == 8 || block_opts_parse(spec, &o, err, sizeof(err)) ||
	    raw_open(img, o.path, o.readonly, o.cache))
		return NULL;
	nimages++;
	b = virtio_blk_create(&vm, &host, &o, img);
	if (!b)
		return NULL;
	for (s = PCI_MAX_SLOTS - 1; s > 0 && !host.slot[s]; s--)
		;
	dr->v.d = host.slot[s];
	dr->v.bar = vdrv_cfg_r(dr->v.d, PCI_BASE_ADDRESS_0, 4) & ~0xfull;
	dr->q = (struct vdrv_queue){ .base = base };
	return b;
}

static void test_identity(struct drv *dr)
{
	struct pci_dev *d = dr->v.d;
	unsigned int cap, seen = 0, mult = 0, ncap = 0;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, vdrv_cfg_r(d, PCI_VENDOR_ID, 2) == 0x1af4 &&
	      vdrv_cfg_r(d, PCI_DEVICE_ID, 2) == 0x1042, "IDs %04x:%04x",
	      vdrv_cfg_r(d, PCI_VENDOR_ID, 2), vdrv_cfg_r(d, PCI_DEVICE_ID, 2));
	check(&tc, vdrv_cfg_r(d, PCI_REVISION_ID, 1) == 1, "revision");
	check(&tc, vdrv_cfg_r(d, PCI_SUBSYSTEM_VENDOR_ID, 2) == 0x1af4 &&
	      vdrv_cfg_r(d, PCI_SUBSYSTEM_ID, 2) == 2, "subsystem");
	check(&tc, (vdrv_cfg_r(d, PCI_REVISION_ID, 4) >> 8) == 0x018000, "class %06x",
	      vdrv_cfg_r(d, PCI_REVISION_ID, 4) >> 8);
	for (cap = vdrv_cfg_r(d, PCI_CAPABILITY_LIST, 1); cap && ncap < 16;
	     cap = vdrv_cfg_r(d, cap + 1, 1), ncap++) {
		unsigned int type = vdrv_cfg_r(d, cap + 3, 1);

		if (vdrv_cfg_r(d, cap, 1) == PCI_CAP_ID_MSIX) {
			check(&tc, (vdrv_cfg_r(d, cap + 2, 2) & 0x7ff) == 1,
			      "MSI-X table size %u, want 2",
			      (vdrv_cfg_r(d, cap + 2, 2) & 0x7ff) + 1);
			seen |= 1u << 8;
			continue;
		}
		if (vdrv_cfg_r(d, cap, 1) != PCI_CAP_ID_VNDR || type > 7)
			continue;
		check(&tc, vdrv_cfg_r(d, cap + 4, 1) == 0, "cap %u in BAR %u", type,
		      vdrv_cfg_r(d, cap + 4, 1));
		seen |= 1u << type;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			mult = vdrv_cfg_r(d, cap + 16, 4);
			check(&tc, vdrv_cfg_r(d, cap + 8, 4) == VIRTIO_PCI_NOTIFY_OFF,
			      "notify offset");
		}
		if (type == VIRTIO_PCI_CAP_DEVICE_CFG)
			check(&tc, vdrv_cfg_r(d, cap + 12, 4) == 60, "device cfg length %u",
			      vdrv_cfg_r(d, cap + 12, 4));
	}
	check(&tc, seen == (0x1e | 1u << 8), "capabilities seen %#x", seen);
	check(&tc, mult == 4, "notify_off_multiplier %u", mult);
	check(&tc, vdrv_r(&dr->v, NUM_QUEUES, 2) == 1, "num_queues");
	case_end(&tc, "virtio-pci: IDs, class, vendor capabilities in BAR 0, MSI-X");
}

static void test_features(struct drv *dr)
{
	struct tcase tc;
	uint64_t offered;

	case_begin(&tc);
	vdrv_w(&dr->v, STATUS, 0, 1);
	vdrv_w(&dr->v, STATUS, 3, 1);
	vdrv_w(&dr->v, DFSELECT, 1, 4);
	offered = vdrv_r(&dr->v, DF, 4) << 32;
	vdrv_w(&dr->v, DFSELECT, 0, 4);
	offered |= vdrv_r(&dr->v, DF, 4);
	check(&tc, offered & (1ull << 32), "VERSION_1 not offered");
	check(&tc, (offered & (3ull << 28)) == 3ull << 28, "ring features missing");
	check(&tc, offered & F_FLUSH, "FLUSH not offered (writeback)");
	check(&tc, !(offered & F_RO) && (offered & F_DISCARD) && (offered & F_WZ),
	      "RO/DISCARD/WZ wrong for a writable disk: %#llx",
	      (unsigned long long)offered);
	/* Without VERSION_1. */
	vdrv_w(&dr->v, GFSELECT, 0, 4);
	vdrv_w(&dr->v, GF, (uint32_t)offered, 4);
	vdrv_w(&dr->v, STATUS, 0xb, 1);
	check(&tc, !(vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK),
	      "FEATURES_OK without VERSION_1");
	/* With a bit not offered. */
	vdrv_w(&dr->v, STATUS, 0, 1);
	vdrv_w(&dr->v, STATUS, 3, 1);
	vdrv_w(&dr->v, GFSELECT, 1, 4);
	vdrv_w(&dr->v, GF, 1 | 1u << 30, 4);
	vdrv_w(&dr->v, STATUS, 0xb, 1);
	check(&tc, !(vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK),
	      "FEATURES_OK with a feature not offered");
	/* DRIVER_OK without FEATURES_OK does not start the device. */
	vdrv_w(&dr->v, STATUS, 0x7, 1);
	check(&tc, !(vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_DRIVER_OK),
	      "DRIVER_OK without FEATURES_OK");
	/* Fine. */
	vdrv_w(&dr->v, STATUS, 0, 1);
	vdrv_w(&dr->v, STATUS, 3, 1);
	vdrv_w(&dr->v, GFSELECT, 1, 4);
	vdrv_w(&dr->v, GF, 1, 4);
	vdrv_w(&dr->v, STATUS, 0xb, 1);
	check(&tc, vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_FEATURES_OK,
	      "FEATURES_OK refused for VERSION_1 alone");
	/* Features are frozen after FEATURES_OK. */
	vdrv_w(&dr->v, GFSELECT, 0, 4);
	vdrv_w(&dr->v, GF, 0xffffffff, 4);
	check(&tc, vdrv_r(&dr->v, GF, 4) == 0, "driver features changed after FEATURES_OK");
	vdrv_w(&dr->v, STATUS, 0, 1);
	check(&tc, vdrv_r(&dr->v, STATUS, 1) == 0, "reset does not read back 0");
	case_end(&tc, "virtio-pci: feature negotiation; FEATURES_OK refused for bad sets");
}

static void test_io(struct drv *dr, const char *path)
{
	uint8_t pattern[4096], *data = vdrv_gpa(DATA(dr));
	uint32_t serial[5];
	struct tcase tc;
	uint64_t cap;
	int st;

	case_begin(&tc);
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "driver init failed");
	cap = vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF, 4) |
	      vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 4, 4) << 32;
	check(&tc, cap == IMG_SECTORS, "capacity %llu", (unsigned long long)cap);
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 20, 4) == 512, "blk_size");
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_DEVICE_OFF + 12, 4) == QSIZE - 2, "seg_max");

	for (unsigned int i = 0; i < sizeof(pattern); i++)
		pattern[i] = i * 7 + 3;
	memcpy(data, pattern, sizeof(pattern));
	st = request(dr, 1, 8, 4096, false);	/* OUT sectors 8-15 */
	check(&tc, st == 0, "write status %d", st);
	check(&tc, file_is(path, 8 * 512, 4096, 0, pattern), "image bytes differ");
	check(&tc, file_is(path, 0, 4096, 0x55, NULL), "sectors 0-7 touched");

	memset(data, 0, 4096);
	st = request(dr, 0, 8, 4096, true);	/* IN */
	check(&tc, st == 0 && !memcmp(data, pattern, 4096), "read status %d / data", st);
	check(&tc, vdrv_used_len(&dr->q, dr->q.avail_idx - 1) == 4097, "used len %u",
	      vdrv_used_len(&dr->q, dr->q.avail_idx - 1));

	st = request(dr, 4, 0, 0, false);	/* FLUSH */
	check(&tc, st == 0, "flush status %d", st);

	memset(data, 0xff, 32);
	st = request(dr, 8, 0, 20, true);	/* GET_ID */
	memcpy(serial, data, 20);
	check(&tc, st == 0 && !memcmp(data, "disk-A1\0\0\0\0\0\0\0\0\0\0\0\0\0", 20),
	      "GET_ID %d '%.20s'", st, (char *)data);

	st = request(dr, 0, IMG_SECTORS - 4, 4096, true);	/* past the end */
	check(&tc, st == 1, "read past the end: status %d", st);
	memset(data, 0xab, 4096);
	st = request(dr, 1, IMG_SECTORS - 1, 1024, false);
	check(&tc, st == 1, "write past the end: status %d", st);
	st = request(dr, 1, UINT64_MAX - 1, 1024, false);
	check(&tc, st == 1, "write at a wrapping sector: status %d", st);
	check(&tc, file_is(path, (IMG_SECTORS - 1) * 512ull, 512, 0x55, NULL),
	      "last sector touched");
	st = request(dr, 1, 0, 100, false);	/* not whole sectors */
	check(&tc, st == 1, "partial sector: status %d", st);

	st = request(dr, 99, 0, 0, false);
	check(&tc, st == 2, "unknown type: status %d, want UNSUPP", st);
	case_end(&tc, "virtio-blk: write, read back, FLUSH, GET_ID, past the end, unknown type");
}

static int dwz(struct drv *dr, uint32_t type, uint64_t sector, uint32_t n,
	       uint32_t flags)
{
	uint32_t seg[4] = { (uint32_t)sector, sector >> 32, n, flags };

	memcpy(vdrv_gpa(DATA(dr)), seg, 16);
	return request(dr, type, 0, 16, false);
}

static void test_discard_zeroes(struct drv *dr, const char *path)
{
	struct tcase tc;
	int st;

	case_begin(&tc);
	st = dwz(dr, 13, 16, 8, 0);
	check(&tc, st == 0 && file_is(path, 16 * 512, 4096, 0, NULL) &&
	      file_is(path, 24 * 512, 512, 0x55, NULL),
	      "write zeroes: status %d / bytes", st);
	st = dwz(dr, 13, 32, 8, 1);
	check(&tc, st == 0 && file_is(path, 32 * 512, 4096, 0, NULL),
	      "write zeroes with unmap: status %d / bytes", st);
	st = dwz(dr, 11, 40, 8, 0);
	check(&tc, st == 0 && file_is(path, 40 * 512, 4096, 0, NULL),
	      "discard: status %d / bytes (ext4 punches holes)", st);
	st = dwz(dr, 11, 40, 8, 1);
	check(&tc, st == 2, "discard with the unmap flag: %d, want UNSUPP", st);
	st = dwz(dr, 13, IMG_SECTORS - 4, 8, 0);
	check(&tc, st == 1, "zeroes past the end: %d", st);
	check(&tc, file_is(path, (IMG_SECTORS - 4) * 512ull, 2048, 0x55, NULL),
	      "tail touched");
	case_end(&tc, "virtio-blk: WRITE_ZEROES and DISCARD reach the image, bounds kept");
}

static void test_intx(struct drv *dr)
{
	struct tcase tc;
	int st, gsi = dr->v.d->gsi;

	case_begin(&tc);
	/* Earlier requests left the line up: the driver's ISR read drops it. */
	vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1);
	check(&tc, atomic_load(&fake_vm.irq_level[gsi]) == 1, "INTx still asserted");
	st = request(dr, 4, 0, 0, false);
	check(&tc, st == 0, "flush %d", st);
	/* Active low: asserted is 0. */
	check(&tc, atomic_load(&fake_vm.irq_level[gsi]) == 0,
	      "INTx not asserted (%d)", atomic_load(&fake_vm.irq_level[gsi]));
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1) == 1, "ISR not the queue bit");
	check(&tc, atomic_load(&fake_vm.irq_level[gsi]) == 1, "INTx not deasserted by the ISR read");
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1) == 0, "ISR not cleared by reading");
	case_end(&tc, "virtio-pci: INTx and ISR without MSI-X");
}

static void test_msix(struct drv *dr)
{
	unsigned int cap, ctrl;
	uint64_t table;
	struct tcase tc;
	int st;

	case_begin(&tc);
	for (cap = vdrv_cfg_r(dr->v.d, PCI_CAPABILITY_LIST, 1);
	     cap && vdrv_cfg_r(dr->v.d, cap, 1) != PCI_CAP_ID_MSIX;
	     cap = vdrv_cfg_r(dr->v.d, cap + 1, 1))
		;
	table = vdrv_cfg_r(dr->v.d, PCI_BASE_ADDRESS_0 + 4, 4) & ~0xfull;
	ctrl = vdrv_cfg_r(dr->v.d, cap + 2, 2);
	vdrv_cfg_w(dr->v.d, cap + 2, ctrl | 0x8000, 2);		/* enable */
	/* Vector 0 (the queue): 0xfee00000 / 0x41; vector 1 (config): 0x42. */
	for (unsigned int v = 0; v < 2; v++) {
		uint32_t e[4] = { 0xfee00000, 0, 0x41 + v, 0 };

		for (unsigned int k = 0; k < 4; k++)
			vdrv_mmio(table + 16 * v + 4 * k, true, &e[k], 4);
	}
	check(&tc, drv_init(dr, ~0ull, 0), "driver init");
	vdrv_w(&dr->v, MSIX_CONFIG, 1, 2);
	check(&tc, vdrv_r(&dr->v, MSIX_CONFIG, 2) == 1, "config vector");
	vdrv_w(&dr->v, Q_SELECT, 0, 2);
	check(&tc, vdrv_r(&dr->v, Q_MSIX, 2) == 0, "queue vector");
	atomic_store(&fake_vm.msis, 0);
	st = request(dr, 4, 0, 0, false);
	/* The interrupt follows the used ring update: give it a moment. */
	for (int i = 0; i < 1000 && !atomic_load(&fake_vm.msis); i++)
		usleep(1000);
	check(&tc, st == 0 && atomic_load(&fake_vm.msis) == 1 &&
	      atomic_load(&fake_vm.msi_data) == 0x41,
	      "status %d, %u MSIs, data %#x", st, atomic_load(&fake_vm.msis),
	      atomic_load(&fake_vm.msi_data));
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1) == 0, "ISR set with MSI-X on");
	vdrv_w(&dr->v, Q_MSIX, 7, 2);
	check(&tc, vdrv_r(&dr->v, Q_MSIX, 2) == PCI_MSIX_NO_VECTOR,
	      "a vector past the table reads %#x", (unsigned int)vdrv_r(&dr->v, Q_MSIX, 2));

	/* A hostile chain: the device breaks and says so on the config vector. */
	atomic_store(&fake_vm.msis, 0);
	vdrv_desc(&dr->q, 0, DATA(dr), 16, VIRTQ_DESC_F_NEXT, 0);	/* a loop */
	publish(dr, 0);
	kick(dr);
	for (int i = 0; i < 1000 && !(vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	check(&tc, vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, "not broken by a loop");
	for (int i = 0; i < 1000 && !atomic_load(&fake_vm.msis); i++)
		usleep(1000);
	check(&tc, atomic_load(&fake_vm.msi_data) == 0x42, "no config interrupt (data %#x)",
	      atomic_load(&fake_vm.msi_data));
	/* A reset brings it back. */
	vdrv_cfg_w(dr->v.d, cap + 2, ctrl, 2);				/* MSI-X off */
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "re-init after the break");
	check(&tc, request(dr, 4, 0, 0, false) == 0, "flush after reset");
	case_end(&tc, "virtio-pci: MSI-X per queue; a broken ring sets NEEDS_RESET with a config interrupt");
}

/* A read through an indirect table, with the ring's flags (no EVENT_IDX). */
static void test_indirect_flags(struct drv *dr, const char *path)
{
	uint64_t table = dr->q.base + 0x8000, hdr = HDR(dr, 0);
	struct virtq_desc *t = vdrv_gpa(table);
	uint16_t *avail = vdrv_gpa(AVAIL(dr));
	uint32_t h[4] = { 0, 0, 8, 0 };
	uint8_t *status = vdrv_gpa(hdr + 16), pattern[1024];
	struct tcase tc;
	int gsi = dr->v.d->gsi;
	bool done;

	case_begin(&tc);
	check(&tc, drv_init(dr, ~(1ull << VIRTIO_RING_F_EVENT_IDX), PCI_MSIX_NO_VECTOR),
	      "driver init");
	check(&tc, !(dr->v.features & (1ull << VIRTIO_RING_F_EVENT_IDX)) &&
	      (dr->v.features & (1ull << VIRTIO_RING_F_INDIRECT_DESC)), "features");
	vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1);
	memcpy(vdrv_gpa(hdr), h, 16);
	*status = 0xee;
	memset(vdrv_gpa(DATA(dr)), 0, 1024);
	/* Two data buffers, so the table has four entries. */
	t[0] = (struct virtq_desc){ hdr, 16, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct virtq_desc){ DATA(dr), 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	t[2] = (struct virtq_desc){ DATA(dr) + 512, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3 };
	t[3] = (struct virtq_desc){ hdr + 16, 1, VIRTQ_DESC_F_WRITE, 0 };
	vdrv_desc(&dr->q, 5, table, 4 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(dr, 5);
	kick(dr);
	done = vdrv_wait_used(&dr->q, dr->q.avail_idx, 5000);
	{
		int fd = open(path, O_RDONLY);

		if (fd < 0 || pread(fd, pattern, 1024, 8 * 512) != 1024)
			abort();
		close(fd);
	}
	check(&tc, done && *status == 0 && !memcmp(vdrv_gpa(DATA(dr)), pattern, 1024),
	      "indirect read: status %#x", *status);
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1) == 1, "no interrupt without NO_INTERRUPT");
	/* The driver masks interrupts with the flag. */
	__atomic_store_n(&avail[0], VIRTQ_AVAIL_F_NO_INTERRUPT, __ATOMIC_RELAXED);
	check(&tc, request(dr, 4, 0, 0, false) == 0, "flush");
	check(&tc, vdrv_r(&dr->v, VIRTIO_PCI_ISR_OFF, 1) == 0 &&
	      atomic_load(&fake_vm.irq_level[gsi]) == 1, "interrupt despite NO_INTERRUPT");
	case_end(&tc, "virtio-blk: an indirect chain; without EVENT_IDX, NO_INTERRUPT is obeyed");
}

/*
 * Batches of 64 requests per kick until the 16-bit ring indices wrap:
 * the I/O thread drains each batch, EVENT_IDX and avail_event follow.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * @n requests of @type at once, each with @dlen bytes of data (read into
 * slot i's buffer at DATA + i * @dlen), sector i; then one kick. Returns
 * the seconds until all were used, or -1 after 10 s.
 */
static double burst_of(struct drv *dr, unsigned int n, uint32_t type,
		       uint32_t dlen)
{
	uint16_t *avail = vdrv_gpa(AVAIL(dr));
	double t0 = now_s();
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int d0 = i * 3;
		uint64_t hdr = HDR(dr, i);
		uint32_t h[4] = { type, 0, i, 0 };

		memcpy(vdrv_gpa(hdr), h, 16);
		*(uint8_t *)vdrv_gpa(hdr + 16) = 0xee;
		vdrv_desc(&dr->q, d0, hdr, 16, VIRTQ_DESC_F_NEXT, d0 + 1);
		vdrv_desc(&dr->q, d0 + 1, DATA(dr) + (uint64_t)dlen * i, dlen,
			 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, d0 + 2);
		vdrv_desc(&dr->q, d0 + 2, hdr + 16, 1, VIRTQ_DESC_F_WRITE, 0);
		avail[2 + dr->q.avail_idx % QSIZE] = d0;
		dr->q.avail_idx++;
	}
	__atomic_store_n(&avail[2 + QSIZE], (uint16_t)(dr->q.avail_idx - 1),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&avail[1], dr->q.avail_idx, __ATOMIC_RELEASE);
	kick(dr);
	if (!vdrv_wait_used(&dr->q, dr->q.avail_idx, 10000))
		return -1;
	return now_s() - t0;
}

static void test_batches(struct drv *dr)
{
	unsigned int batch, i, bad = 0;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "driver init");
	for (batch = 0; batch < 1100 && !bad; batch++) {
		uint16_t start = dr->q.avail_idx;

		/* GET_ID: no disk I/O. */
		if (burst_of(dr, 64, 8, 20) < 0) {
			bad = 1;
			break;
		}
		for (i = 0; i < 64; i++)
			if (*(uint8_t *)vdrv_gpa(HDR(dr, i) + 16) != 0 ||
			    vdrv_used_len(&dr->q, start + i) != 21)
				bad = 2;
	}
	check(&tc, !bad, "batch %u: %s", batch,
	      bad == 1 ? "timed out" : "a bad status or length");
	check(&tc, dr->q.avail_idx == (uint16_t)(1100 * 64) && vdrv_used_idx(&dr->q) == dr->q.avail_idx,
	      "indices %u/%u", dr->q.avail_idx, vdrv_used_idx(&dr->q));
	case_end(&tc, "virtio-blk: 70400 requests in batches of 64, ring indices wrap");
}

static void test_bad_layout(struct drv *dr)
{
	struct tcase tc;
	uint8_t *status = vdrv_gpa(HDR(dr, 0) + 16);
	bool done;

	case_begin(&tc);
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "driver init");
	/* An 8-byte header. */
	vdrv_desc(&dr->q, 0, HDR(dr, 0), 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&dr->q, 1, HDR(dr, 0) + 16, 1, VIRTQ_DESC_F_WRITE, 0);
	*status = 0xee;
	publish(dr, 0);
	kick(dr);
	done = vdrv_wait_used(&dr->q, dr->q.avail_idx, 5000);	/* before *status is read */
	check(&tc, done && *status == 1, "short header: status %#x", *status);
	/* OUT with data in a writable buffer. */
	memset(vdrv_gpa(HDR(dr, 0)), 0, 16);
	*(uint32_t *)vdrv_gpa(HDR(dr, 0)) = 1;
	vdrv_desc(&dr->q, 0, HDR(dr, 0), 16, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&dr->q, 1, DATA(dr), 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vdrv_desc(&dr->q, 2, HDR(dr, 0) + 16, 1, VIRTQ_DESC_F_WRITE, 0);
	*status = 0xee;
	publish(dr, 0);
	kick(dr);
	done = vdrv_wait_used(&dr->q, dr->q.avail_idx, 5000);	/* before *status is read */
	check(&tc, done && *status == 1, "OUT into writable data: status %#x", *status);
	/* No status byte at all: broken. */
	vdrv_desc(&dr->q, 0, HDR(dr, 0), 16, 0, 0);
	publish(dr, 0);
	kick(dr);
	for (int i = 0; i < 1000 && !(vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	check(&tc, vdrv_r(&dr->v, STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET,
	      "a request without a status byte did not break the device");
	case_end(&tc, "virtio-blk: bad header or status layout -> IOERR, no status -> NEEDS_RESET");
}

static void test_reset_stops(struct drv *dr, const char *path)
{
	struct tcase tc;
	uint16_t before;

	case_begin(&tc);
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "driver init");
	vdrv_w(&dr->v, STATUS, 0, 1);
	check(&tc, vdrv_r(&dr->v, STATUS, 1) == 0, "status after reset");
	before = vdrv_used_idx(&dr->q);
	memset(vdrv_gpa(DATA(dr)), 0x77, 512);
	vdrv_desc(&dr->q, 0, HDR(dr, 0), 16, VIRTQ_DESC_F_NEXT, 1);
	*(uint32_t *)vdrv_gpa(HDR(dr, 0)) = 1;
	vdrv_desc(&dr->q, 1, DATA(dr), 512, VIRTQ_DESC_F_NEXT, 2);
	vdrv_desc(&dr->q, 2, HDR(dr, 0) + 16, 1, VIRTQ_DESC_F_WRITE, 0);
	publish(dr, 0);
	kick(dr);
	usleep(100000);
	check(&tc, vdrv_used_idx(&dr->q) == before, "the used ring moved after reset");
	check(&tc, file_is(path, 0, 512, 0x55, NULL), "the image was written after reset");
	/* The stale kick is not served by the next driver either. */
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "re-init");
	usleep(50000);
	check(&tc, vdrv_used_idx(&dr->q) == 0 && file_is(path, 0, 512, 0x55, NULL),
	      "the old request was served after re-init");
	case_end(&tc, "virtio-pci: reset stops the device; nothing reaches guest or image after");
}

static void test_readonly(void)
{
	struct drv dr;
	struct virtio_blk *b;
	const char *path = make_image("ro.img", 0x55);
	char spec[300];
	struct tcase tc;
	int st;

	case_begin(&tc);
	snprintf(spec, sizeof(spec), "%s,readonly", path);
	b = open_disk(&dr, spec, 0x800000);
	check(&tc, b != NULL, "create");
	if (!b)
		goto out;
	check(&tc, drv_init(&dr, ~0ull, PCI_MSIX_NO_VECTOR), "driver init");
	check(&tc, (dr.v.features & F_RO) && !(dr.v.features & (F_DISCARD | F_WZ)),
	      "features %#llx", (unsigned long long)dr.v.features);
	memset(vdrv_gpa(DATA(&dr)), 0x11, 4096);
	st = request(&dr, 1, 0, 4096, false);
	check(&tc, st == 1, "OUT: %d", st);
	st = dwz(&dr, 13, 0, 8, 0);
	check(&tc, st == 1, "WRITE_ZEROES: %d", st);
	st = dwz(&dr, 11, 0, 8, 0);
	check(&tc, st == 1, "DISCARD: %d", st);
	check(&tc, file_is(path, 0, 4096, 0x55, NULL), "read-only image written");
	st = request(&dr, 0, 0, 4096, true);
	check(&tc, st == 0 && ((uint8_t *)vdrv_gpa(DATA(&dr)))[100] == 0x55, "IN: %d", st);
	virtio_blk_destroy(b);
out:
	case_end(&tc, "virtio-blk: readonly refuses OUT/DISCARD/WRITE_ZEROES with IOERR");
}

static void test_ioeventfd(struct drv *dr)
{
	struct tcase tc;
	uint64_t notify;
	int fd = -1;

	case_begin(&tc);
	vm.ioeventfd = true;
	fake_vm_log_reset();
	check(&tc, drv_init(dr, ~0ull, PCI_MSIX_NO_VECTOR), "driver init");
	notify = dr->v.bar + VIRTIO_PCI_NOTIFY_OFF;
	pthread_mutex_lock(&fake_vm.lock);
	check(&tc, fake_vm.nioev == 1 && fake_vm.ioev[0].addr == notify &&
	      fake_vm.ioev[0].len == 2, "%u registered, at %#llx",
	      fake_vm.nioev, (unsigned long long)fake_vm.ioev[0].addr);
	fd = fake_vm.ioev[0].fd;
	pthread_mutex_unlock(&fake_vm.lock);
	/* The module signals the eventfd; no exit reaches vmctl. */
	{
		unsigned int slot = dr->q.avail_idx % (QSIZE / 4), d0 = slot * 3;
		uint32_t h[4] = { 4, 0, 0, 0 };

		memcpy(vdrv_gpa(HDR(dr, slot)), h, 16);
		vdrv_desc(&dr->q, d0, HDR(dr, slot), 16, VIRTQ_DESC_F_NEXT, d0 + 1);
		vdrv_desc(&dr->q, d0 + 1, HDR(dr, slot) + 16, 1, VIRTQ_DESC_F_WRITE, 0);
		publish(dr, d0);
		eventfd_write(fd, 1);
		check(&tc, vdrv_wait_used(&dr->q, dr->q.avail_idx, 5000), "kick through the eventfd lost");
	}
	/* Move BAR 0. */
	vdrv_cfg_w(dr->v.d, PCI_BASE_ADDRESS_0, dr->v.bar + 0x100000, 4);
	dr->v.bar = vdrv_cfg_r(dr->v.d, PCI_BASE_ADDRESS_0, 4) & ~0xfull;
	pthread_mutex_lock(&fake_vm.lock);
	check(&tc, fake_vm.nioev == 1 &&
	      fake_vm.ioev[0].addr == dr->v.bar + VIRTIO_PCI_NOTIFY_OFF &&
	      dr->v.bar == notify - VIRTIO_PCI_NOTIFY_OFF + 0x100000,
	      "after the move: %u at %#llx", fake_vm.nioev,
	      (unsigned long long)fake_vm.ioev[0].addr);
	pthread_mutex_unlock(&fake_vm.lock);
	/* Memory decode off: gone; on: back. */
	vdrv_cfg_w(dr->v.d, PCI_COMMAND, vdrv_cfg_r(dr->v.d, PCI_COMMAND, 2) & ~PCI_COMMAND_MEMORY, 2);
	check(&tc, fake_vm.nioev == 0, "registered with decode off");
	vdrv_cfg_w(dr->v.d, PCI_COMMAND, vdrv_cfg_r(dr->v.d, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY, 2);
	check(&tc, fake_vm.nioev == 1, "not back with decode on");
	vdrv_w(&dr->v, STATUS, 0, 1);
	check(&tc, fake_vm.nioev == 0, "still registered after reset");
	check(&tc, fake_vm.ioev_assigns == fake_vm.ioev_deassigns,
	      "%u assigns, %u deassigns", fake_vm.ioev_assigns, fake_vm.ioev_deassigns);
	vm.ioeventfd = false;
	case_end(&tc, "virtio-pci: ioeventfd per queue, follows the BAR, gone at reset");
}

static void test_four_disks(void)
{
	struct virtio_blk *b[4] = { 0 };
	struct drv dr[4];
	const char *path[4];
	struct tcase tc;
	int i;

	case_begin(&tc);
	for (i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d%d.img", i);
		path[i] = make_image(name, 0x55);
		b[i] = open_disk(&dr[i], path[i], 0x1000000 + 0x100000ull * i);
		check(&tc, b[i] != NULL, "disk %d", i);
		if (!b[i])
			goto out;
		check(&tc, drv_init(&dr[i], ~0ull, PCI_MSIX_NO_VECTOR), "init %d", i);
	}
	for (i = 0; i < 4; i++)
		memset(vdrv_gpa(DATA(&dr[i])), 0xa0 + i, 512);
	/* All four in flight at once, then waited for. */
	for (i = 0; i < 4; i++) {
		uint32_t h[4] = { 1, 0, 3, 0 };

		memcpy(vdrv_gpa(HDR(&dr[i], 0)), h, 16);
		vdrv_desc(&dr[i].q, 0, HDR(&dr[i], 0), 16, VIRTQ_DESC_F_NEXT, 1);
		vdrv_desc(&dr[i].q, 1, DATA(&dr[i]), 512, VIRTQ_DESC_F_NEXT, 2);
		vdrv_desc(&dr[i].q, 2, HDR(&dr[i], 0) + 16, 1, VIRTQ_DESC_F_WRITE, 0);
		publish(&dr[i], 0);
		kick(&dr[i]);
	}
	for (i = 0; i < 4; i++)
		check(&tc, vdrv_wait_used(&dr[i].q, 1, 5000) && file_is(path[i], 3 * 512, 512, 0xa0 + i, NULL),
		      "disk %d", i);
out:
	for (i = 0; i < 4; i++)
		virtio_blk_destroy(b[i]);
	case_end(&tc, "virtio-blk: four disks, each its own image and thread");
}

/* vmctl info's value of @key for disk 0 of @b, or -1. */
static long long info_of(struct virtio_blk *b, const char *key)
{
	char buf[512], *p;
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (!f)
		return -1;
	virtio_blk_info(b, 0, f);
	fclose(f);
	p = strstr(buf, key);
	return p ? atoll(p + strlen(key) + 2) : -1;
}

/*
 * iops= and bps=: a guest's burst beyond the bucket waits for the rate
 * (the lower bounds are what the limit promises: a slow host only adds
 * time); the data still arrives; a reset drops the request held back.
 */
static void test_rate_limits(void)
{
	const char *path = make_image("rate.img", 0x55);
	struct virtio_blk *b;
	struct drv dr;
	char spec[300];
	struct tcase tc;
	double t;
	bool data_ok = true;
	unsigned int i;

	case_begin(&tc);
	/* 20 a second, a burst of 2: 12 requests take at least 0.5 s. */
	snprintf(spec, sizeof(spec), "%s,iops=20", path);
	b = open_disk(&dr, spec, 0x2000000);
	check(&tc, b && drv_init(&dr, ~0ull, PCI_MSIX_NO_VECTOR), "iops disk");
	if (!b)
		goto out;
	t = burst_of(&dr, 12, 8, 20);		/* GET_ID: no disk I/O */
	check(&tc, t >= 0.5 - 0.01, "12 requests at iops=20 took %.3f s, want >= 0.5", t);
	check(&tc, info_of(b, "disk0_throttled") >= 1 &&
	      info_of(b, "disk0_throttled_ms") >= 400,
	      "info: %lld throttled, %lld ms", info_of(b, "disk0_throttled"),
	      info_of(b, "disk0_throttled_ms"));

	/* Reset with a request held back: it is never served. */
	check(&tc, drv_init(&dr, ~0ull, PCI_MSIX_NO_VECTOR), "re-init");
	memset(vdrv_gpa(DATA(&dr)), 0x77, 512);
	burst_of(&dr, 2, 8, 20);		/* the bucket's two */
	{
		uint16_t used = vdrv_used_idx(&dr.q);
		uint16_t *avail = vdrv_gpa(AVAIL(&dr));
		uint32_t h[4] = { 1, 0, 7, 0 };	/* OUT, sector 7 */

		memcpy(vdrv_gpa(HDR(&dr, 0)), h, 16);
		vdrv_desc(&dr.q, 0, HDR(&dr, 0), 16, VIRTQ_DESC_F_NEXT, 1);
		vdrv_desc(&dr.q, 1, DATA(&dr), 512, VIRTQ_DESC_F_NEXT, 2);
		vdrv_desc(&dr.q, 2, HDR(&dr, 0) + 16, 1, VIRTQ_DESC_F_WRITE, 0);
		avail[2 + dr.q.avail_idx % QSIZE] = 0;
		dr.q.avail_idx++;
		__atomic_store_n(&avail[1], dr.q.avail_idx, __ATOMIC_RELEASE);
		kick(&dr);
		usleep(10000);
		vdrv_w(&dr.v, STATUS, 0, 1);	/* reset before the bucket pays */
		usleep(200000);
		check(&tc, vdrv_used_idx(&dr.q) == used && file_is(path, 7 * 512, 512, 0x55, NULL),
		      "the held write was served after reset");
	}
	virtio_blk_destroy(b);

	/*
	 * 64 KiB a second, a bucket of 6553 bytes: the first 8 KiB read goes
	 * on the full bucket (which then owes), each next one when 6553
	 * bytes are back: the eighth after 7 x 8 KiB came, 0.875 s.
	 */
	snprintf(spec, sizeof(spec), "%s,bps=64K", make_image("rate2.img", 0x3c));
	b = open_disk(&dr, spec, 0x2000000);
	check(&tc, b && drv_init(&dr, ~0ull, PCI_MSIX_NO_VECTOR), "bps disk");
	if (!b)
		goto out;
	memset(vdrv_gpa(DATA(&dr)), 0, 8 * 8192);
	t = burst_of(&dr, 8, 0, 8192);		/* IN, 8 KiB each */
	check(&tc, t >= 7 * 8192 / 65536.0 - 0.01,
	      "64 KiB at bps=64K took %.3f s, want >= 0.875", t);
	for (i = 0; i < 8 * 8192; i++)
		data_ok &= ((uint8_t *)vdrv_gpa(DATA(&dr)))[i] == 0x3c;
	for (i = 0; i < 8; i++)
		data_ok &= *(uint8_t *)vdrv_gpa(HDR(&dr, i) + 16) == 0;
	check(&tc, data_ok, "the reads' data or status");
	virtio_blk_destroy(b);
out:
	case_end(&tc, "virtio-blk: iops= and bps= hold a burst to the rate; a reset drops what waits");
}

static void test_locked(const char *path)
{
	struct block_opts o;
	struct raw_image img;
	char err[128];
	struct tcase tc;

	case_begin(&tc);
	block_opts_parse(path, &o, err, sizeof(err));
	check(&tc, raw_open(&img, o.path, o.readonly, o.cache) != 0,
	      "a second VM disk on a writable image in use");
	case_end(&tc, "virtio-blk: an image in use is refused up front");
}

int main(void)
{
	struct virtio_blk *b;
	struct drv dr;
	char spec[300];
	const char *path;

	if (fake_vm_init(&vm, MEM_SIZE) || !mkdtemp(img_dir))
		return 1;
	if (pci_host_init(&host, &vm))
		return 1;
	vdrv_use_vm(&vm);
	path = make_image("a.img", 0x55);
	snprintf(spec, sizeof(spec), "%s,serial=disk-A1", path);
	b = open_disk(&dr, spec, 0x100000);
	if (!b) {
		printf("not ok 1 - virtio-blk: create\n");
		return 1;
	}
	test_identity(&dr);
	test_features(&dr);
	test_io(&dr, path);
	test_discard_zeroes(&dr, path);
	test_intx(&dr);
	test_msix(&dr);
	test_indirect_flags(&dr, path);
	test_batches(&dr);
	test_bad_layout(&dr);
	test_reset_stops(&dr, path);
	test_ioeventfd(&dr);
	test_locked(path);
	virtio_blk_destroy(b);
	test_readonly();
	test_four_disks();
	test_rate_limits();
	while (nimages)
		raw_close(&images[--nimages]);
	pci_host_destroy(&host);
	fake_vm_destroy(&vm);
	return tap_finish();
}
