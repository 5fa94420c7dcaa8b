// SPDX-License-Identifier: GPL-2.0
/*
 * ha_disk: the heartbeat guest's log on a virtio-blk disk (hb_disk=1), so
 * that the HA tests can see a VM's disk follow it across a failover: what
 * one generation wrote, the next reads back, and no write of an old
 * generation lands after the new one's first.
 *
 * The disk, 512-byte sectors, each one text line ending in "\n" and
 * padded with NULs:
 *   sector 0       HBDISK name=NAME gen=GEN seq=K next=N
 *                  a copy of the last record written: its gen and seq,
 *                  and N = its n + 1; all zero on a blank disk
 *   sector 1 + n   HBLOG n=N name=NAME node=NODE gen=GEN seq=K
 *
 * At start, hb_disk_open() reads sector 0 and prints
 *   HB-DISK name=NAME node=NODE gen=GEN last_gen=G last_seq=K next=N sectors=S
 * (G "-", K and N 0 on a blank disk; S is capped at 2^32 - 1). Before the
 * HB line of each seq=K, hb_disk_beat() writes record n = next, waits for
 * it, writes the header for it, waits, and only then counts it: every HB
 * line printed is on the disk. When record 1 + next would be past the end,
 *   HB-DISK-FULL name=NAME node=NODE gen=GEN
 * once, and no more writes. Any failure prints
 *   HB-DISK-ERROR name=NAME node=NODE gen=GEN why=WORD
 * and the disk is left alone from then on (the heartbeats go on). WORD:
 * no-device, bar, caps (no usable BAR or virtio structures), reset,
 * features, queue, status (DRIVER_OK refused, or NEEDS_RESET/FAILED
 * later), timeout (no completion), io (a status other than OK), header
 * (sector 0 neither blank nor parseable).
 *
 * The driver: the first virtio-blk function on bus 0 (modern virtio-pci,
 * 1af4:1042), brought up as virtio 1.x 3.1.1 says with VIRTIO_F_VERSION_1
 * as the only feature, queue 0 of at most QSZ entries, and one request
 * in flight at a time. Everything is polled and every wait is bounded:
 * the IDT has the timer and spurious gates only, so MSI-X stays disabled
 * and nothing here may raise an interrupt. The BARs are used where vmctl
 * put them (as firmware does: assigned, decoding on); paging is off, so
 * a BAR's bus address is the address to use, and it must be below 4 GiB.
 * Each register access is one MOV (guest.h): hvx emulates nothing else
 * for MMIO.
 */

#include "ha_disk.h"
#include "virtio_pci.h"

#define QSZ		8	/* queue 0's size: this, or the max if smaller */
#define POLL_SPINS	(1u << 26)	/* seconds, even emulated */
#define RESET_SPINS	100000	/* reads of device_status */
#define STATUS_NONE	0xff	/* a status byte no device writes */

struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* 2.7.6, 2.7.8; no event index: VIRTIO_F_EVENT_IDX is not negotiated. */
struct virtq_avail {
	u16 flags;
	u16 idx;
	u16 ring[QSZ];
};

struct virtq_used {
	u16 flags;
	u16 idx;
	struct {
		u32 id;
		u32 len;
	} ring[QSZ];
};

/* 5.2.6 struct virtio_blk_req, its three parts */
struct blk_outhdr {
	u32 type;
	u32 reserved;
	u64 sector;
};

/* 2.7 "Split Virtqueues": the alignment each ring needs (16, 2, 4). */
static struct virtq_desc vq_desc[QSZ] __aligned(16);
static struct virtq_avail vq_avail __aligned(16);
static struct virtq_used vq_used __aligned(16);

static struct blk_outhdr req_hdr __aligned(16);
static char req_data[SECTOR] __aligned(16);
static volatile u8 req_status;

static struct {
	bool mapped;		/* the structures are where these say */
	bool on;		/* initialised, not failed */
	bool full;
	u32 bdf;
	u32 common, notify, devcfg;	/* structure addresses */
	u32 common_len, notify_len, devcfg_len;
	u32 notify_mult;
	u32 qnotify;		/* queue 0's notify address */
	u16 qsize, avail_idx, last_used;
	u64 capacity;		/* sectors */
	u32 next;		/* the next record's n */
	const char *name, *node, *gen;
} disk;

static void fail(const char *why)
{
	/* 3.1.1 step 8: tell the device the driver gave up on it. */
	if (disk.mapped)
		mw8(disk.common + CC_STATUS, mr8(disk.common + CC_STATUS) | S_FAILED);
	disk.on = false;
	put_id("HB-DISK-ERROR");
	puts(" why=");
	puts(why);
	putc('\n');
}

/* Where memory BAR @bar is, as its registers say; 0 if unusable. */
static u32 bar_addr(u8 bar)
{
	u32 off = PCI_BAR0 + 4 * bar, lo;

	if (bar > 5)
		return 0;
	lo = cfg_r32(disk.bdf, off);
	if (lo & 1)
		return 0;	/* an I/O BAR */
	/* A 64-bit BAR: the upper half must be 0, paging is off. */
	if (((lo >> 1) & 3) == 2 && (bar == 5 || cfg_r32(disk.bdf, off + 4)))
		return 0;
	return lo & ~0xfu;
}

/*
 * The virtio structures, from the vendor-specific capabilities (4.1.4; the
 * first of each type is the one to use), as addresses. Bounded walk: a
 * looping capability list is the device's bug, not a reason to hang.
 */
static const char *map_structures(void)
{
	unsigned int guard;
	u8 ptr;

	if (!(cfg_r16(disk.bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return "caps";
	ptr = cfg_r8(disk.bdf, PCI_CAP_PTR) & 0xfc;
	for (guard = 0; ptr >= 0x40 && guard < 48; guard++) {
		u8 type = cfg_r8(disk.bdf, ptr + VCAP_CFG_TYPE);
		u32 *addr = NULL, *len = NULL;

		if (cfg_r8(disk.bdf, ptr) == PCI_CAP_ID_VNDR) {
			if (type == VIRTIO_PCI_CAP_COMMON) {
				addr = &disk.common;
				len = &disk.common_len;
			} else if (type == VIRTIO_PCI_CAP_NOTIFY) {
				addr = &disk.notify;
				len = &disk.notify_len;
			} else if (type == VIRTIO_PCI_CAP_DEVICE) {
				addr = &disk.devcfg;
				len = &disk.devcfg_len;
			}
		}
		if (addr && !*addr) {
			u32 base = bar_addr(cfg_r8(disk.bdf, ptr + VCAP_BAR));

			if (!base)
				return "bar";
			*addr = base + cfg_r32(disk.bdf, ptr + VCAP_OFFSET);
			*len = cfg_r32(disk.bdf, ptr + VCAP_LENGTH);
			if (type == VIRTIO_PCI_CAP_NOTIFY)
				disk.notify_mult = cfg_r32(disk.bdf,
							   ptr + VCAP_NOTIFY_MULT);
		}
		ptr = cfg_r8(disk.bdf, ptr + 1) & 0xfc;
	}
	if (!disk.common || disk.common_len < CC_LEN || !disk.notify ||
	    !disk.devcfg || disk.devcfg_len < BLK_CFG_CAPACITY + 8)
		return "caps";
	return NULL;
}

static u8 dev_status(void)
{
	return mr8(disk.common + CC_STATUS);
}

static void set_status(u8 s)
{
	mw8(disk.common + CC_STATUS, s);
}

/* 4.1.4.3.2: after a 0 is written, the reset is done when 0 reads back. */
static bool dev_reset(void)
{
	unsigned int i;

	set_status(0);
	for (i = 0; i < RESET_SPINS; i++) {
		if (!dev_status())
			return true;
		pause();
	}
	return false;
}

/* 3.1.1 up to FEATURES_OK, with VIRTIO_F_VERSION_1 only. */
static const char *init_features(void)
{
	u32 c = disk.common;

	if (!dev_reset())
		return "reset";
	set_status(S_ACKNOWLEDGE);
	set_status(S_ACKNOWLEDGE | S_DRIVER);
	mw32(c + CC_DFSELECT, F_VERSION_1 / 32);
	if (!(mr32(c + CC_DF) & BIT(F_VERSION_1 % 32)))
		return "features";
	mw32(c + CC_GFSELECT, 0);
	mw32(c + CC_GF, 0);
	mw32(c + CC_GFSELECT, F_VERSION_1 / 32);
	mw32(c + CC_GF, BIT(F_VERSION_1 % 32));
	set_status(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(dev_status() & S_FEATURES_OK))
		return "features";
	return NULL;
}

/* Queue 0 on the static rings; its notify address; queue_enable. */
static const char *init_queue(void)
{
	u32 c = disk.common, noff;
	u16 max;

	mw16(c + CC_QSELECT, 0);
	max = mr16(c + CC_QSIZE);
	if (!max || (max & (max - 1)))
		return "queue";	/* 0: no queue 0; split queues are 2^n */
	disk.qsize = max < QSZ ? max : QSZ;
	mw16(c + CC_QSIZE, disk.qsize);
	if (mr16(c + CC_QSIZE) != disk.qsize)
		return "queue";
	disk.avail_idx = 0;
	disk.last_used = 0;
	vq_avail.flags = 0;
	vq_avail.idx = 0;
	vq_used.idx = 0;
	barrier();
	mw64(c + CC_QDESC, (u32)vq_desc);
	mw64(c + CC_QAVAIL, (u32)&vq_avail);
	mw64(c + CC_QUSED, (u32)&vq_used);
	/* 4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier */
	noff = mr16(c + CC_QNOFF) * disk.notify_mult;
	if (noff >= disk.notify_len || disk.notify_len - noff < 2)
		return "queue";
	disk.qnotify = disk.notify + noff;
	mw16(c + CC_QENABLE, 1);
	return NULL;
}

/* The whole of 3.1.1, then the capacity; NULL or why it failed. */
static const char *dev_init(void)
{
	const char *why;
	u16 cmd;

	if (!pci_find_function(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BLK, &disk.bdf))
		return "no-device";
	why = map_structures();
	if (why)
		return why;
	disk.mapped = true;
	/* vmctl leaves decoding on; bus mastering is the driver's to ask. */
	cmd = cfg_r16(disk.bdf, PCI_COMMAND);
	cfg_w16(disk.bdf, PCI_COMMAND,
		cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	why = init_features();
	if (!why)
		why = init_queue();
	if (why)
		return why;
	set_status(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	if (dev_status() & (S_NEEDS_RESET | S_FAILED))
		return "status";
	disk.capacity = mr32(disk.devcfg + BLK_CFG_CAPACITY) |
		(u64)mr32(disk.devcfg + BLK_CFG_CAPACITY + 4) << 32;
	return NULL;
}

static void set_desc(u16 i, const void *addr, u32 len, u16 flags, u16 next)
{
	vq_desc[i].addr = (u32)addr;
	vq_desc[i].len = len;
	vq_desc[i].flags = flags;
	vq_desc[i].next = next;
}

/*
 * One request on descriptors 0..2 (header, req_data, status), and its
 * completion polled for. device_status is read every 256 spins: a device
 * that gave up says so there, and the MMIO exit lets vmctl's I/O thread
 * run on a host with fewer CPUs than threads.
 */
static const char *blk_rw(u32 type, u64 sector)
{
	u16 flags = type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0;
	u32 i;

	req_hdr.type = type;
	req_hdr.reserved = 0;
	req_hdr.sector = sector;
	req_status = STATUS_NONE;
	set_desc(0, &req_hdr, sizeof(req_hdr), VRING_DESC_F_NEXT, 1);
	set_desc(1, req_data, SECTOR, flags | VRING_DESC_F_NEXT, 2);
	set_desc(2, (const void *)&req_status, 1, VRING_DESC_F_WRITE, 0);
	vq_avail.ring[disk.avail_idx & (disk.qsize - 1)] = 0;
	/* The chain and the entry are in memory before the index... */
	mb();
	*(volatile u16 *)&vq_avail.idx = ++disk.avail_idx;
	/* ...and the index before the notify that makes vmctl read it. */
	mb();
	mw16(disk.qnotify, 0);

	for (i = 1; i <= POLL_SPINS; i++) {
		barrier();
		if (rd16((u32)&vq_used.idx) != disk.last_used) {
			u16 slot = disk.last_used++ & (disk.qsize - 1);

			barrier();
			if (rd32((u32)&vq_used.ring[slot].id) != 0)
				return "io";
			return req_status == VIRTIO_BLK_S_OK ? NULL : "io";
		}
		if (!(i % 256) && (dev_status() & (S_NEEDS_RESET | S_FAILED)))
			return "status";
		pause();
	}
	return "timeout";
}

/* Text at the end of the NUL-padded req_data; cut at SECTOR - 1 bytes. */
static void data_puts(u32 *len, const char *s)
{
	while (*s && *len < SECTOR - 1)
		req_data[(*len)++] = *s++;
}

static void data_putu(u32 *len, u32 v)
{
	char buf[10];

	buf[fmt_u32(buf, v)] = 0;
	data_puts(len, buf);
}

static void data_clear(void)
{
	u32 i;

	for (i = 0; i < SECTOR; i++)
		req_data[i] = 0;
}

/* "HBLOG n=N name=NAME node=NODE gen=GEN seq=K\n" in req_data */
static void format_record(u32 n, u32 seq)
{
	u32 len = 0;

	data_clear();
	data_puts(&len, "HBLOG n=");
	data_putu(&len, n);
	data_puts(&len, " name=");
	data_puts(&len, disk.name);
	data_puts(&len, " node=");
	data_puts(&len, disk.node);
	data_puts(&len, " gen=");
	data_puts(&len, disk.gen);
	data_puts(&len, " seq=");
	data_putu(&len, seq);
	data_puts(&len, "\n");
}

/* "HBDISK name=NAME gen=GEN seq=K next=N\n" in req_data */
static void format_header(u32 seq, u32 next)
{
	u32 len = 0;

	data_clear();
	data_puts(&len, "HBDISK name=");
	data_puts(&len, disk.name);
	data_puts(&len, " gen=");
	data_puts(&len, disk.gen);
	data_puts(&len, " seq=");
	data_putu(&len, seq);
	data_puts(&len, " next=");
	data_putu(&len, next);
	data_puts(&len, "\n");
}

/*
 * The header in req_data: true with its gen (into @gen, ID_MAX + 1
 * bytes), seq and next if it is "HBDISK name=.. gen=.. seq=.. next=..\n",
 * those four fields in that order and no others; a blank one is gen "-",
 * 0 and 0.
 */
static bool parse_header(char *gen, u32 *seq, u32 *next)
{
	static const char *const keys[] = { "name=", "gen=", "seq=", "next=" };
	const char *s, *val;
	u32 i, k, len, vlen;

	for (i = 0; i < SECTOR && !req_data[i]; i++)
		;
	if (i == SECTOR) {
		gen[0] = '-';
		gen[1] = 0;
		*seq = 0;
		*next = 0;
		return true;
	}
	if (!match(req_data, SECTOR, "HBDISK ", &s))
		return false;
	for (k = 0; k < 4; k++) {
		for (len = 0; s + len < req_data + SECTOR &&
		     s[len] != ' ' && s[len] != '\n'; len++)
			;
		/* name=, gen= and seq= end in a space, next= ends the line */
		if (s + len == req_data + SECTOR ||
		    s[len] != (k < 3 ? ' ' : '\n'))
			return false;
		if (!match(s, len, keys[k], &val))
			return false;
		vlen = len - (u32)(val - s);
		if (k == 1) {
			if (!vlen || vlen > ID_MAX)
				return false;
			for (i = 0; i < vlen; i++)
				gen[i] = val[i];
			gen[vlen] = 0;
		} else if ((k == 2 && !parse_u32(val, vlen, seq)) ||
			   (k == 3 && !parse_u32(val, vlen, next))) {
			return false;
		}
		s += len + 1;
	}
	return true;
}

void hb_disk_open(const char *name, const char *node, const char *gen)
{
	char last_gen[ID_MAX + 1];
	const char *why;
	u32 last_seq;

	disk.name = name;
	disk.node = node;
	disk.gen = gen;
	why = dev_init();
	if (!why)
		why = blk_rw(VIRTIO_BLK_T_IN, 0);
	if (!why && !parse_header(last_gen, &last_seq, &disk.next))
		why = "header";
	if (why) {
		fail(why);
		return;
	}
	disk.on = true;
	put_id("HB-DISK");
	puts(" last_gen=");
	puts(last_gen);
	puts(" last_seq=");
	putu(last_seq);
	puts(" next=");
	putu(disk.next);
	puts(" sectors=");
	putu(disk.capacity > 0xffffffffu ? 0xffffffffu : (u32)disk.capacity);
	putc('\n');
}

void hb_disk_beat(u32 seq)
{
	const char *why;

	if (!disk.on || disk.full)
		return;
	if (1 + (u64)disk.next >= disk.capacity) {
		disk.full = true;
		put_id("HB-DISK-FULL");
		putc('\n');
		return;
	}
	format_record(disk.next, seq);
	why = blk_rw(VIRTIO_BLK_T_OUT, 1 + (u64)disk.next);
	if (!why) {
		format_header(seq, disk.next + 1);
		why = blk_rw(VIRTIO_BLK_T_OUT, 0);
	}
	if (why) {
		fail(why);
		return;
	}
	disk.next++;
}
