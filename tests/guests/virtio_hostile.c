// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_hostile: a Multiboot 1 kernel that attacks vmctl's virtio-blk
 * device (virtio 1.x, PCI transport) as a hostile guest driver would, and
 * reports on COM1 in TAP what the device did:
 *
 *   `vmctl run --kernel virtio_hostile.elf --disk IMAGE --no-console`
 *
 * It finds the device on PCI bus 0 (configuration mechanism #1, ports
 * 0xcf8/0xcfc), maps its virtio structures through the vendor-specific
 * capabilities (virtio 1.x 4.1.4 "Virtio Structure PCI Capabilities"),
 * brings it up as 3.1.1 "Driver Requirements: Device Initialization" says,
 * checks that one correct read of sector 0 works, and then breaks every
 * rule a driver is given: descriptors outside guest RAM, looping and
 * overlong chains, wrong directions, short headers and status buffers,
 * bad sizes and sectors, bad indirect tables, a runaway avail index, bad
 * queue sizes and ring addresses, notifies of missing queues, writes to
 * read-only registers, odd access widths, accesses past each structure and
 * a reset with requests in flight. With the command line "readonly" (for
 * --disk PATH,readonly) it runs only the write tests, which must fail.
 *
 * After each attack it checks:
 *   - the outcome: the device completed the request with an error status
 *     (IOERR or UNSUPP) or without writing a status, set DEVICE_NEEDS_RESET
 *     (2.1 "Device Status Field"), or ignored the request (no completion);
 *     which of these are acceptable depends on the attack;
 *   - the canaries: guest memory the device was not given as writable is
 *     unchanged (see "Canaries" below);
 *   - containment: after an error completion, a correct read on the same
 *     queue still works;
 *   - recovery: after a reset (device_status 0, then wait until it reads 0)
 *     and a fresh initialisation, a correct read works again, and the
 *     device writes nothing more once the reset has completed.
 * and prints one TAP line per attack, then "HOSTILE-VIRTIO: done N passed,
 * M failed", and powers off (ACPI S5): vmctl exits 0 if it stayed up.
 *
 * Canaries. The driver's view of memory is kept twice: every byte the
 * device could be given (rings, request headers, status bytes, data
 * buffers, indirect tables) is in one arena, and every write the driver
 * makes there goes to a shadow copy as well. A device write to the arena
 * outside a "window" shows up as a difference between arena and shadow.
 * The windows are the used ring and each device-writable descriptor
 * (VIRTQ_DESC_F_WRITE), clipped to guest RAM: a buffer that runs past the
 * end of RAM gave the device its in-RAM part (the request must still
 * fail); one that wraps around 2^64 gave it nothing past the wrap; one
 * flagged device-readable gave it nothing to write. Besides the arena, low
 * memory ([0, 4 KiB) and [576 KiB, 636 KiB)) and the last 64 KiB of RAM
 * are filled with a pattern that is checked the same way, and the kernel's
 * code and read-only data are checksummed. Windows are forgotten when a
 * reset completes: from then on the device may write nothing at all.
 *
 * The machine state is the Multiboot one: flat 32-bit protected mode,
 * paging off (linear = physical), interrupts off. The device's BARs must
 * be 32-bit addressable (a 64-bit BAR with a zero upper half will do);
 * they are used where the platform put them, or assigned from 0xc0000000
 * if they read 0. MSI-X stays disabled and INTx is never looked at: every
 * wait polls the used ring, bounded by a TSC budget and a spin count, so
 * an attack the device ignores costs a timeout, not a hang.
 *
 * All MMIO goes through plain MOVs in inline assembly (what a driver
 * uses; hvx emulates more, see Documentation/api.rst); memory writes that the device observes are
 * ordered by the x86 memory model plus compiler barriers, and published
 * (avail idx) with a locked instruction before the notify.
 *
 * The disk: the test script (tests/testbed/virtio_hostile_test.sh) writes
 * "hvx-hostile-s0" at the start of sector 0 and "hvx-hostile-end" at the
 * start of the last sector. This kernel only reads, except for one write
 * request to sector 8 whose data buffer is outside RAM (it must fail): the
 * script checks that the rest of the image is unchanged afterwards.
 *
 * What each attack accepts: a well-formed request with bad contents (a
 * sector past the end, an unknown type) must complete with IOERR or
 * UNSUPP; a malformed chain or ring may get an error completion,
 * NEEDS_RESET or nothing, but never VIRTIO_BLK_S_OK; where the spec leaves
 * the device free (INDIRECT with NEXT, a live queue moved) anything but a
 * bogus completion will do. Register attacks check what the spec says a
 * re-read shows. Every attack must leave the canaries intact and the
 * device working after a reset.
 */

#include "virtio_pci.h"

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Multiboot                                                           */

#define MB_BOOT_MAGIC	0x2badb002
#define MB_INFO_MEMORY	BIT(0)
#define MB_INFO_CMDLINE	BIT(2)

struct mb_info {
	u32 flags;
	u32 mem_lower;		/* KiB from 0 */
	u32 mem_upper;		/* KiB from 1 MiB */
	u32 boot_device;
	u32 cmdline;		/* a C string */
};

/* ------------------------------------------------------------------ */
/* Tunables                                                            */

#define QSZ_WANT		32	/* queue size used: min(this, max) */
#define POLL_TSC		400000000ull	/* ~2 s of emulated time */
#define POLL_SPINS		(1u << 26)
#define RESET_SPINS		100000	/* reads of device_status */
#define MMIO_ASSIGN_BASE	0xc0000000u
#define STATUS_SENTINEL		0xee	/* no device writes this status */
#define OUT_OF_RAM		0xfff00000ull	/* below the 4 GiB line, no RAM */

/* ------------------------------------------------------------------ */
/* Freestanding helpers                                                */

void *memset(void *d, int c, unsigned int n);
void *memcpy(void *d, const void *s, unsigned int n);
int memcmp(const void *a, const void *b, unsigned int n);

/* String instructions: fast natively and in emulators alike. */
void *memset(void *d, int c, unsigned int n)
{
	void *p = d;

	asm volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, unsigned int n)
{
	void *p = d;

	asm volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, unsigned int n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/* ------------------------------------------------------------------ */
/* COM1 and formatting                                                 */

#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define LSR_THRE	0x20

static void putc(char c)
{
	unsigned int i;

	for (i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THRE); i++)
		pause();
	outb(COM1, (u8)c);
}

struct sink {
	char *buf;		/* NULL: COM1 */
	unsigned int len, cap;
};

static void sink_put(struct sink *s, char c)
{
	if (!s->buf) {
		if (c == '\n')
			putc('\r');
		putc(c);
	} else if (s->len + 1 < s->cap) {
		s->buf[s->len++] = c;
		s->buf[s->len] = 0;
	}
}

/* %s %c %d %u %x %llx, with an optional 0-padded width; %% */
static void vfmt(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		unsigned int width = 0, base = 10, n = 0;
		bool ll = false, neg = false;
		char digits[24];
		u64 v;

		if (*fmt != '%') {
			sink_put(s, *fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l') {
			ll = true;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *str = va_arg(ap, const char *);

			while (*str)
				sink_put(s, *str++);
			continue;
		}
		case 'c':
			sink_put(s, (char)va_arg(ap, int));
			continue;
		case 'd': {
			int i = va_arg(ap, int);

			neg = i < 0;
			v = neg ? (u64)-(long long)i : (u64)i;
			break;
		}
		case 'u':
			v = va_arg(ap, u32);
			break;
		case 'x':
			base = 16;
			v = ll ? va_arg(ap, u64) : va_arg(ap, u32);
			break;
		default:
			sink_put(s, *fmt ? *fmt : '%');
			if (!*fmt)
				return;
			continue;
		}
		/* Decimal only for 32-bit values: no libgcc for 64-bit division. */
		do {
			u32 d = base == 16 ? (u32)(v & 15) : (u32)v % 10;

			digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
			v = base == 16 ? v >> 4 : (u64)((u32)v / 10);
		} while (v && n < sizeof(digits));
		if (neg)
			sink_put(s, '-');
		while (width > n) {
			sink_put(s, '0');
			width--;
		}
		while (n)
			sink_put(s, digits[--n]);
	}
}

static void kprintf(const char *fmt, ...)
{
	struct sink s = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vfmt(&s, fmt, ap);
	va_end(ap);
}

/* The detail of the TAP line being built. */
static char detail[512];
static struct sink det_sink = { detail, 0, sizeof(detail) };

static void det_reset(void)
{
	det_sink.len = 0;
	detail[0] = 0;
}

static void det(const char *fmt, ...)
{
	va_list ap;

	if (det_sink.len)
		sink_put(&det_sink, ',');
	if (det_sink.len)
		sink_put(&det_sink, ' ');
	va_start(ap, fmt);
	vfmt(&det_sink, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* TAP                                                                 */

static unsigned int tap_n, tap_pass, tap_fail;

/*
 * "ok N - NAME: DETAIL". NAMEs hold no ": ", so that the test script can
 * split the line into a stable name and the detail of this run.
 */
static void tap(bool ok, const char *name)
{
	tap_n++;
	if (ok)
		tap_pass++;
	else
		tap_fail++;
	kprintf("%sok %u - %s: %s\n", ok ? "" : "not ", tap_n, name,
		detail[0] ? detail : "as expected");
}

static void tap_skip(const char *name, const char *why)
{
	tap_n++;
	tap_pass++;
	kprintf("ok %u - %s # SKIP %s\n", tap_n, name, why);
}

/* ------------------------------------------------------------------ */
/* Memory: the arena, its shadow, the guards and the windows           */

/*
 * Arena layout (offsets). Every driver-owned structure the device sees is
 * here, each on its own page or slot, so that the bytes around each one
 * are canaries too.
 */
#define AR_DESC		0x00000	/* descriptor table, up to 256 entries */
#define AR_AVAIL	0x01000
#define AR_USED		0x02000
#define AR_HDR		0x03000	/* request headers, one 64-byte slot each */
#define AR_STATUS	0x04000	/* status bytes, one 64-byte slot each */
#define AR_INDIRECT	0x05000	/* indirect tables */
#define AR_DATA		0x08000	/* data buffers: 16 KiB + 4 KiB gap each */
#define DATA_STRIDE	0x5000
#define DATA_MAX	0x4000
#define NSLOTS		10
#define SLOT_GOOD	(NSLOTS - 1)	/* the verification reads' slot */
#define ARENA_SIZE	(AR_DATA + NSLOTS * DATA_STRIDE)

static u32 arena[ARENA_SIZE / 4] __attribute__((aligned(4096)));
static u32 shadow[ARENA_SIZE / 4] __attribute__((aligned(4096)));
#define AR(off)		((u32)arena + (off))

static u32 ram_end;		/* guest RAM is [0, ram_end) */

/* Low and top guard regions, patterned; see the comment at the top. */
static struct { u32 start, end; } guards[3];
static unsigned int nguards;

extern const u8 __image_start[], __ro_end[], __image_end[];
static u32 image_sum;

/* Device-writable regions: [start, end) in guest-physical addresses. */
static struct { u64 start, end; } windows[256];
static unsigned int nwindows;
static bool windows_full;

/* The first canary found broken since the last clear. */
static struct {
	unsigned int count;
	u32 addr, got, want;
	const char *where;
} viol;

static u32 pattern(u32 addr)
{
	u32 x = addr * 0x9e3779b1u;

	return x ^ (x >> 15) ^ 0xa5c35a3cu;
}

static bool in_arena(u32 a)
{
	return a >= (u32)arena && a < (u32)arena + ARENA_SIZE;
}

static bool fits_ram(u64 addr, u64 len)
{
	return len <= ram_end && addr <= ram_end - len;
}

/*
 * The device may write [addr, addr + len) where it is RAM: a buffer that
 * runs past the end of RAM is clipped there (its in-RAM part was given to
 * the device, whatever it does with the rest). One that wraps around 2^64
 * gets nothing past the wrap: the bytes at 0 were never given.
 */
static void window_add(u64 addr, u64 len)
{
	u64 end = addr + len;
	unsigned int i;

	if (!len || addr >= ram_end)
		return;
	if (end < addr || end > ram_end)
		end = ram_end;
	for (i = 0; i < nwindows; i++)
		if (windows[i].start == addr && windows[i].end == end)
			return;
	if (nwindows == ARRAY_SIZE(windows)) {
		windows_full = true;	/* checked: reported as a test bug */
		return;
	}
	windows[nwindows].start = addr;
	windows[nwindows].end = end;
	nwindows++;
}

static bool in_window(u32 a)
{
	unsigned int i;

	for (i = 0; i < nwindows; i++)
		if (a >= windows[i].start && a < windows[i].end)
			return true;
	return false;
}

/* Record a mismatch of the word at @a, unless all its odd bytes are windows. */
static void word_mismatch(u32 a, u32 got, u32 want, const char *where)
{
	unsigned int b;

	for (b = 0; b < 4; b++) {
		if (((got >> 8 * b) & 0xff) == ((want >> 8 * b) & 0xff))
			continue;
		if (in_window(a + b))
			continue;
		if (!viol.count++) {
			viol.addr = a + b;
			viol.got = (got >> 8 * b) & 0xff;
			viol.want = (want >> 8 * b) & 0xff;
			viol.where = where;
		}
	}
}

static u32 image_checksum(void)
{
	const u32 *p = (const u32 *)__image_start;
	u32 sum = 0;

	for (; (const u8 *)p < __ro_end; p++)
		sum = (sum << 5 | sum >> 27) ^ *p;
	return sum;
}

/*
 * Compare everything the device must not have written. A difference is
 * counted once: the shadow takes the arena's new value, a guard word is
 * laid again.
 */
static void canaries_check(void)
{
	unsigned int i, g;

	for (i = 0; i < ARENA_SIZE / 4; i++)
		if (arena[i] != shadow[i]) {
			word_mismatch((u32)&arena[i], arena[i], shadow[i], "arena");
			shadow[i] = arena[i];
		}
	for (g = 0; g < nguards; g++)
		for (i = guards[g].start; i < guards[g].end; i += 4) {
			u32 v = rd32(i);

			if (v != pattern(i)) {
				word_mismatch(i, v, pattern(i), "guard");
				*(volatile u32 *)i = pattern(i);
			}
		}
	if (image_checksum() != image_sum) {
		if (!viol.count++) {
			viol.addr = (u32)__image_start;
			viol.got = 0;
			viol.want = 0;
			viol.where = "kernel image";
		}
		image_sum = image_checksum();
	}
}

static void guards_fill(void)
{
	unsigned int g, i;

	for (g = 0; g < nguards; g++)
		for (i = guards[g].start; i < guards[g].end; i += 4)
			*(volatile u32 *)i = pattern(i);
}

/*
 * After a completed reset (and its canaries_check()): what the device
 * wrote so far is accepted as the driver's view, the guards are laid
 * again and the windows close, so that each test starts clean.
 */
static void shadow_sync(void)
{
	memcpy(shadow, arena, ARENA_SIZE);
	guards_fill();
	nwindows = 0;
}

static void memory_init(u32 mem_upper_kib)
{
	unsigned int i;

	ram_end = 0x100000 + mem_upper_kib * 1024;
	guards[nguards].start = 0;		/* the real-mode IVT: unused */
	guards[nguards++].end = 0x1000;
	guards[nguards].start = 0x90000;	/* free per loader_multiboot.c */
	guards[nguards++].end = 0x9f000;
	if (ram_end >= (u32)__image_end + 0x20000) {
		guards[nguards].start = ram_end - 0x10000;
		guards[nguards++].end = ram_end;
	}
	for (i = 0; i < ARENA_SIZE / 4; i++)
		arena[i] = pattern((u32)&arena[i]);
	shadow_sync();
	image_sum = image_checksum();
}

/* Driver writes into the arena (or elsewhere in RAM): mirrored. */
static void drv_write(u32 addr, const void *src, unsigned int n)
{
	memcpy((void *)addr, src, n);
	if (in_arena(addr))
		memcpy((u8 *)shadow + (addr - (u32)arena), src, n);
	barrier();
}

static void drv_w8(u32 a, u8 v) { drv_write(a, &v, 1); }
static void drv_w16(u32 a, u16 v) { drv_write(a, &v, 2); }
static void drv_w32(u32 a, u32 v) { drv_write(a, &v, 4); }
static void drv_fill(u32 a, u8 c, unsigned int n)
{
	memset((void *)a, c, n);
	if (in_arena(a))
		memset((u8 *)shadow + (a - (u32)arena), c, n);
	barrier();
}

/* ------------------------------------------------------------------ */
/* The device                                                          */

struct vstruct {
	u32 addr, len;		/* linear = physical; len from the capability */
	u8 bar;
	bool found;
};

static struct {
	u32 bdf;
	u32 bar_addr[6], bar_size[6];
	struct vstruct common, notify, isr, devcfg;
	u32 notify_mult;
	u8 msix_cap;		/* 0: none */
	u16 msix_vectors;
	u64 offered;		/* device_feature, both words */
	u64 negotiated;
	u16 num_queues;
	u16 qmax;		/* queue 0's maximum size, after reset */
	u64 capacity;
	u8 ref[SECTOR];		/* sector 0, from the first good read */
	bool have_ref;
} dev;

/* The live queue 0 as the driver set it up. */
static struct {
	u32 desc, avail, used;	/* 0 where outside RAM: not written */
	u16 size;
	u16 avail_idx, last_used;
	u32 notify;		/* its notify address */
	u32 used_id, used_len;	/* the last completion */
} vq;

#define CC(off)		(dev.common.addr + (off))

static u8 dev_status(void)
{
	return mr8(CC(CC_STATUS));
}

/*
 * A 32-bit memory BAR's address (or a 64-bit one's, whose upper half must
 * be 0: paging is off), sizing it on the way; one that reads 0 gets an
 * address from MMIO_ASSIGN_BASE up. Memory decode is off meanwhile.
 */
static bool bar_setup(unsigned int i, u32 *next_free)
{
	u32 off = PCI_BAR0 + 4 * i, lo, size;
	bool is64;

	if (dev.bar_size[i])
		return true;
	lo = cfg_r32(dev.bdf, off);
	if (lo & 1) {
		kprintf("# BAR%u is an I/O BAR: not supported\n", i);
		return false;
	}
	is64 = ((lo >> 1) & 3) == 2;
	if (is64 && (i == 5 || cfg_r32(dev.bdf, off + 4))) {
		kprintf("# BAR%u is 64-bit and above 4 GiB: unreachable with paging off\n", i);
		return false;
	}
	cfg_w32(dev.bdf, off, 0xffffffff);
	size = ~(cfg_r32(dev.bdf, off) & ~0xfu) + 1;
	cfg_w32(dev.bdf, off, lo);
	if (!size || (size & (size - 1))) {
		kprintf("# BAR%u sizes as %#x\n", i, size);
		return false;
	}
	lo &= ~0xfu;
	if (!lo) {
		lo = (*next_free + size - 1) & ~(size - 1);
		*next_free = lo + size;
		cfg_w32(dev.bdf, off, lo);
		if (is64)
			cfg_w32(dev.bdf, off + 4, 0);
		kprintf("# BAR%u was unassigned: put at %x\n", i, lo);
	}
	dev.bar_addr[i] = lo;
	dev.bar_size[i] = size;
	return true;
}

static bool vstruct_setup(struct vstruct *v, const char *name, u32 *next_free)
{
	if (!v->found) {
		kprintf("# no virtio %s capability\n", name);
		return false;
	}
	if (v->bar > 5 || !bar_setup(v->bar, next_free))
		return false;
	if (v->len > dev.bar_size[v->bar] ||
	    v->addr > dev.bar_size[v->bar] - v->len) {
		kprintf("# the %s structure (offset %x, %u bytes) is outside BAR%u (%u bytes)\n",
			name, v->addr, v->len, v->bar, dev.bar_size[v->bar]);
		return false;
	}
	v->addr += dev.bar_addr[v->bar];	/* offset -> address */
	return true;
}

/* Find the device, map its structures; false with a message if not there. */
static bool pci_find(void)
{
	u32 next_free = MMIO_ASSIGN_BASE;
	u8 ptr;
	unsigned int guard;
	u16 cmd;

	if (!pci_find_function(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BLK, &dev.bdf))
		return false;
	kprintf("# virtio-blk at 00:%u.%u\n", dev.bdf >> 3, dev.bdf & 7);
	if (!(cfg_r16(dev.bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST)) {
		kprintf("# no capability list\n");
		return false;
	}
	/* Bounded: a looping capability list is the device's bug, not ours. */
	ptr = cfg_r8(dev.bdf, PCI_CAP_PTR) & 0xfc;
	for (guard = 0; ptr >= 0x40 && guard < 48; guard++) {
		u8 id = cfg_r8(dev.bdf, ptr);

		if (id == PCI_CAP_ID_MSIX) {
			dev.msix_cap = ptr;
			dev.msix_vectors = (cfg_r16(dev.bdf, ptr + 2) & 0x7ff) + 1;
		} else if (id == PCI_CAP_ID_VNDR) {
			u8 type = cfg_r8(dev.bdf, ptr + VCAP_CFG_TYPE);
			struct vstruct *v =
				type == VIRTIO_PCI_CAP_COMMON ? &dev.common :
				type == VIRTIO_PCI_CAP_NOTIFY ? &dev.notify :
				type == VIRTIO_PCI_CAP_ISR ? &dev.isr :
				type == VIRTIO_PCI_CAP_DEVICE ? &dev.devcfg : NULL;

			/* 4.1.4: the first of each type is the one to use. */
			if (v && !v->found) {
				v->found = true;
				v->bar = cfg_r8(dev.bdf, ptr + VCAP_BAR);
				v->addr = cfg_r32(dev.bdf, ptr + VCAP_OFFSET);
				v->len = cfg_r32(dev.bdf, ptr + VCAP_LENGTH);
				if (type == VIRTIO_PCI_CAP_NOTIFY)
					dev.notify_mult = cfg_r32(dev.bdf,
						ptr + VCAP_NOTIFY_MULT);
			}
		}
		ptr = cfg_r8(dev.bdf, ptr + 1) & 0xfc;
	}
	cmd = cfg_r16(dev.bdf, PCI_COMMAND);
	cfg_w16(dev.bdf, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	if (!vstruct_setup(&dev.common, "common", &next_free) ||
	    !vstruct_setup(&dev.notify, "notify", &next_free) ||
	    !vstruct_setup(&dev.isr, "ISR", &next_free) ||
	    !vstruct_setup(&dev.devcfg, "device", &next_free))
		return false;
	if (dev.common.len < CC_LEN) {
		kprintf("# the common structure has %u bytes, fewer than %u\n",
			dev.common.len, CC_LEN);
		return false;
	}
	cfg_w16(dev.bdf, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	kprintf("# common %x+%u notify %x+%u (multiplier %u) ISR %x+%u device %x+%u; MSI-X %u vectors\n",
		dev.common.addr, dev.common.len, dev.notify.addr, dev.notify.len,
		dev.notify_mult, dev.isr.addr, dev.isr.len, dev.devcfg.addr,
		dev.devcfg.len, dev.msix_cap ? dev.msix_vectors : 0);
	return true;
}

/* ------------------------------------------------------------------ */
/* Reset and initialisation                                            */

/* Wait for a condition on device_status, boundedly. */
static bool status_wait(u8 mask, u8 want)
{
	unsigned int i;

	for (i = 0; i < RESET_SPINS; i++) {
		if ((dev_status() & mask) == want)
			return true;
		pause();
	}
	return false;
}

/*
 * 4.1.4.3.2: write 0, then wait until device_status reads 0. Once it does
 * the device owns no buffer: the canaries are checked, the shadow becomes
 * the arena and the windows close.
 */
static bool dev_reset(void)
{
	bool ok;

	mw8(CC(CC_STATUS), 0);
	ok = status_wait(0xff, 0);
	canaries_check();
	shadow_sync();
	vq.avail_idx = 0;
	vq.last_used = 0;
	return ok;
}

static u64 features_read(void)
{
	u64 f;

	mw32(CC(CC_DFSELECT), 0);
	f = mr32(CC(CC_DF));
	mw32(CC(CC_DFSELECT), 1);
	f |= (u64)mr32(CC(CC_DF)) << 32;
	return f;
}

static void features_write(u64 f)
{
	mw32(CC(CC_GFSELECT), 0);
	mw32(CC(CC_GF), (u32)f);
	mw32(CC(CC_GFSELECT), 1);
	mw32(CC(CC_GF), (u32)(f >> 32));
}

/* How dev_init() deviates from a correct driver, for the attacks. */
struct init_opts {
	u64 desc, avail, used;	/* ring addresses; 0: the arena's */
	u64 features;		/* 0: VERSION_1 (+ INDIRECT_DESC if offered) */
	bool no_driver_ok;	/* stop before DRIVER_OK */
};

static const struct init_opts defaults;

/*
 * 3.1.1 up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER, the features
 * (VIRTIO_F_VERSION_1, and VIRTIO_F_INDIRECT_DESC if offered, unless @o
 * says otherwise), FEATURES_OK and its re-read. False, with the reason in
 * the detail, if the device does not come along.
 */
static bool init_features(const struct init_opts *o)
{
	u64 want;

	if (!dev_reset()) {
		det("reset: device_status still %x", dev_status());
		return false;
	}
	mw8(CC(CC_STATUS), S_ACKNOWLEDGE);
	mw8(CC(CC_STATUS), S_ACKNOWLEDGE | S_DRIVER);
	dev.offered = features_read();
	if (!(dev.offered & (1ull << F_VERSION_1))) {
		det("device_feature %llx lacks VIRTIO_F_VERSION_1", dev.offered);
		return false;
	}
	want = o->features ? o->features : 1ull << F_VERSION_1 |
		(dev.offered & 1ull << F_INDIRECT_DESC);
	features_write(want);
	mw8(CC(CC_STATUS), S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(dev_status() & S_FEATURES_OK)) {
		det("FEATURES_OK not kept for features %llx", want);
		return false;
	}
	dev.negotiated = want;
	dev.num_queues = mr16(CC(CC_NUMQ));
	if (!dev.num_queues) {
		det("num_queues is 0");
		return false;
	}
	mw16(CC(CC_QSELECT), 0);
	dev.qmax = mr16(CC(CC_QSIZE));
	if (!dev.qmax || (dev.qmax & (dev.qmax - 1))) {
		det("queue 0's size reads %u after reset", dev.qmax);
		return false;
	}
	return true;
}

/*
 * A ring at @want (0: the arena's @dflt) if it is wholly in RAM, else 0:
 * the driver then neither writes nor polls it.
 */
static u32 ring_at(u64 want, u32 dflt, u32 len)
{
	if (!want)
		return dflt;
	return fits_ram(want, len) ? (u32)want : 0;
}

/*
 * Queue 0: size min(QSZ_WANT, max), the rings (zeroed; the used ring is a
 * window), its notify address, queue_enable.
 */
static bool init_queue(const struct init_opts *o)
{
	u32 noff;

	if (dev.qmax < 8) {
		det("queue 0's maximum size is %u: these tests need 8", dev.qmax);
		return false;
	}
	mw16(CC(CC_QSELECT), 0);
	vq.size = dev.qmax < QSZ_WANT ? dev.qmax : QSZ_WANT;
	mw16(CC(CC_QSIZE), vq.size);
	if (mr16(CC(CC_QSIZE)) != vq.size) {
		det("queue_size %u written, %u read back", vq.size,
		    mr16(CC(CC_QSIZE)));
		return false;
	}
	vq.desc = ring_at(o->desc, AR(AR_DESC), 16u * vq.size);
	vq.avail = ring_at(o->avail, AR(AR_AVAIL), 6u + 2 * vq.size);
	vq.used = ring_at(o->used, AR(AR_USED), 6u + 8 * vq.size);
	if (vq.avail)
		drv_fill(vq.avail, 0, 6 + 2 * vq.size);
	if (vq.used)
		drv_fill(vq.used, 0, 6 + 8 * vq.size);
	/* The used ring is the device's to write, where it is RAM. */
	window_add(o->used ? o->used : vq.used, 6 + 8 * vq.size);
	mw64(CC(CC_QDESC), o->desc ? o->desc : vq.desc);
	mw64(CC(CC_QAVAIL), o->avail ? o->avail : vq.avail);
	mw64(CC(CC_QUSED), o->used ? o->used : vq.used);
	/* 4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier */
	noff = mr16(CC(CC_QNOFF)) * dev.notify_mult;
	if (noff + 2 > dev.notify.len) {
		det("queue 0's notify address is %u bytes into a %u-byte structure",
		    noff, dev.notify.len);
		return false;
	}
	vq.notify = dev.notify.addr + noff;
	mw16(CC(CC_QENABLE), 1);
	return true;
}

static bool init_driver_ok(void)
{
	mw8(CC(CC_STATUS), S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	if (dev_status() & (S_NEEDS_RESET | S_FAILED)) {
		det("device_status %x after DRIVER_OK", dev_status());
		return false;
	}
	dev.capacity = mr32(dev.devcfg.addr + BLK_CFG_CAPACITY) |
		(u64)mr32(dev.devcfg.addr + BLK_CFG_CAPACITY + 4) << 32;
	return true;
}

/* The whole of 3.1.1, as @o has it. */
static bool dev_init(const struct init_opts *o)
{
	if (!init_features(o) || !init_queue(o))
		return false;
	return o->no_driver_ok || init_driver_ok();
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static u32 hdr_addr(unsigned int slot) { return AR(AR_HDR + slot * 64); }
static u32 status_addr(unsigned int slot) { return AR(AR_STATUS + slot * 64); }
static u32 data_addr(unsigned int slot) { return AR(AR_DATA + slot * DATA_STRIDE); }
static u32 itable_addr(unsigned int n) { return AR(AR_INDIRECT + n * 0x400); }

/* Descriptor @i of the table at @table; a writable one opens a window. */
static void desc_at(u32 table, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	u32 d = table + 16u * i;

	if (!table)		/* a table outside RAM: nothing to write */
		return;
	drv_w32(d, (u32)addr);
	drv_w32(d + 4, (u32)(addr >> 32));
	drv_w32(d + 8, len);
	drv_w16(d + 12, flags);
	drv_w16(d + 14, next);
	if (flags & VRING_DESC_F_WRITE)
		window_add(addr, len);
}

static void desc(u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	desc_at(vq.desc, i, addr, len, flags, next);
}

/* A request header in @slot, and the slot's status byte set to a sentinel. */
static void hdr(unsigned int slot, u32 type, u64 sector)
{
	drv_w32(hdr_addr(slot), type);
	drv_w32(hdr_addr(slot) + 4, 0);
	drv_w32(hdr_addr(slot) + 8, (u32)sector);
	drv_w32(hdr_addr(slot) + 12, (u32)(sector >> 32));
	drv_w8(status_addr(slot), STATUS_SENTINEL);
}

/* A 3-descriptor request at descriptors @d..@d+2: header, data, status. */
static void req3(u16 d, unsigned int slot, u32 type, u64 sector, u64 data,
		 u32 len, u16 data_flags)
{
	hdr(slot, type, sector);
	desc(d, hdr_addr(slot), 16, VRING_DESC_F_NEXT, d + 1);
	desc(d + 1, data, len, data_flags | VRING_DESC_F_NEXT, d + 2);
	desc(d + 2, status_addr(slot), 1, VRING_DESC_F_WRITE, 0);
}

/* A correct read of @len bytes from @sector into @slot's data buffer. */
static void read_req(u16 d, unsigned int slot, u64 sector, u32 len)
{
	drv_fill(data_addr(slot), 0x5a, len);
	req3(d, slot, VIRTIO_BLK_T_IN, sector, data_addr(slot), len,
	     VRING_DESC_F_WRITE);
}

static void notify_queue(u16 q)
{
	mw16(vq.notify, q);
}

/* Offer the chain at @head: avail ring entry, then idx, then notify. */
static void submit(u16 head)
{
	if (!vq.avail) {	/* an avail ring outside RAM: just notify */
		notify_queue(0);
		return;
	}
	drv_w16(vq.avail + 4 + 2 * (vq.avail_idx & (vq.size - 1)), head);
	mb();
	drv_w16(vq.avail + 2, ++vq.avail_idx);
	mb();
	notify_queue(0);
}

enum outcome {
	O_OK,		/* completed, status VIRTIO_BLK_S_OK */
	O_IOERR,	/* completed, status VIRTIO_BLK_S_IOERR */
	O_UNSUPP,	/* completed, status VIRTIO_BLK_S_UNSUPP */
	O_NOSTATUS,	/* completed without writing the status byte */
	O_NEEDS_RESET,	/* device_status has DEVICE_NEEDS_RESET */
	O_TIMEOUT,	/* nothing: the device ignored the request */
	O_BOGUS,	/* a used id never offered, or a status of no meaning */
	O_NONE,		/* no request: a register-level attack */
};

static const char *const outcome_name[] = {
	[O_OK] = "status OK", [O_IOERR] = "IOERR", [O_UNSUPP] = "UNSUPP",
	[O_NOSTATUS] = "completed without a status",
	[O_NEEDS_RESET] = "NEEDS_RESET",
	[O_TIMEOUT] = "no completion (ignored)", [O_BOGUS] = "bogus completion",
	[O_NONE] = "",
};

#define A_ERR		(BIT(O_IOERR) | BIT(O_UNSUPP))
#define A_REFUSED	(A_ERR | BIT(O_NOSTATUS) | BIT(O_NEEDS_RESET))
#define A_CONTAINED	(A_REFUSED | BIT(O_TIMEOUT))
#define A_ANY		(A_CONTAINED | BIT(O_OK))

/*
 * Poll for the completion of @head, whose status byte is at @status (0:
 * not in RAM, not to be read). device_status is read every 256 spins: a
 * device that gave up says so there, and the MMIO exit gives the device's
 * thread a chance to run on a busy host.
 */
static enum outcome wait_done(u16 head, u32 status)
{
	u64 t0 = rdtsc();
	u32 i;

	for (i = 0; i < POLL_SPINS; i++) {
		if (vq.used && rd16(vq.used + 2) != vq.last_used) {
			u32 e = vq.used + 4 + 8 * (vq.last_used & (vq.size - 1));
			u8 s;

			barrier();
			vq.used_id = rd32(e);
			vq.used_len = rd32(e + 4);
			vq.last_used++;
			if (vq.used_id != head) {
				det("used id %u, but head %u was offered", vq.used_id, head);
				return O_BOGUS;
			}
			if (!status)
				return O_NOSTATUS;
			s = rd8(status);
			if (s == STATUS_SENTINEL)
				return O_NOSTATUS;
			if (s > VIRTIO_BLK_S_UNSUPP) {
				det("status byte %u", s);
				return O_BOGUS;
			}
			return (enum outcome)s;
		}
		if ((i & 255) == 255) {
			if (dev_status() & S_NEEDS_RESET)
				return O_NEEDS_RESET;
			if (rdtsc() - t0 > POLL_TSC)
				break;
		}
		pause();
	}
	return O_TIMEOUT;
}

/*
 * A correct one-sector read of @sector on the live queue, at the top three
 * descriptors and the SLOT_GOOD buffers; checks status, used length and,
 * for sector 0, the data against the first read. Reasons in the detail.
 */
static bool good_read(u64 sector, const char *what)
{
	u16 d = vq.size - 3;
	enum outcome o;

	if (rd16(vq.used + 2) != vq.last_used) {
		det("%s: %u stray completions in the used ring", what,
		    (u16)(rd16(vq.used + 2) - vq.last_used));
		return false;
	}
	read_req(d, SLOT_GOOD, sector, SECTOR);
	submit(d);
	o = wait_done(d, status_addr(SLOT_GOOD));
	if (o != O_OK) {
		det("%s: %s", what, outcome_name[o]);
		return false;
	}
	if (vq.used_len > SECTOR + 1) {
		det("%s: used len %u exceeds the %u writable bytes", what,
		    vq.used_len, SECTOR + 1);
		return false;
	}
	if (sector == 0 && dev.have_ref &&
	    memcmp((void *)data_addr(SLOT_GOOD), dev.ref, SECTOR)) {
		det("%s: sector 0 reads differently", what);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Judging an attack                                                   */

static bool test_failed;

/*
 * A test starts: its name first, so that if the VM dies or hangs in it the
 * console's last line says where. Detail and failure state are cleared.
 */
static void test_start(const char *name)
{
	kprintf("# attack: %s\n", name);
	det_reset();
	viol.count = 0;
	windows_full = false;
	test_failed = false;
}

/* A failed check of the current test, with its reason. */
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (det_sink.len)
		sink_put(&det_sink, ',');
	if (det_sink.len)
		sink_put(&det_sink, ' ');
	va_start(ap, fmt);
	vfmt(&det_sink, fmt, ap);
	va_end(ap);
	test_failed = true;
}

/* Start a test on a freshly initialised device (per @o, or correctly). */
static bool begin(const char *name, const struct init_opts *o)
{
	test_start(name);
	if (dev_init(o ? o : &defaults))
		return true;
	fail("setup failed");
	tap(false, name);
	return false;
}

#define V_NO_SAMEQ	1	/* no read on the same queue afterwards */

/*
 * The end of every attack: was outcome @o one of @accept; if the device
 * merely failed the request, does the same queue still work; after a reset
 * and a fresh init, does a correct read work; did the device write nothing
 * outside the windows at any point? One TAP line.
 */
static void verdict(const char *name, enum outcome o, unsigned int accept,
		    unsigned int flags)
{
	u8 st = dev_status();
	bool broken;

	if (o != O_NONE) {
		det("%s", outcome_name[o]);
		if (!(accept & BIT(o)))
			fail("which this attack must not get");
	}
	if (st & (S_NEEDS_RESET | S_FAILED))
		det("device_status %x", st);
	broken = o == O_NEEDS_RESET || o == O_TIMEOUT || o == O_BOGUS ||
		 (st & (S_NEEDS_RESET | S_FAILED)) || !(st & S_DRIVER_OK);
	canaries_check();
	if (!broken && !(flags & V_NO_SAMEQ)) {
		if (good_read(0, "same queue afterwards"))
			det("queue still works");
		else
			test_failed = true;
	}
	if (!dev_init(&defaults))
		fail("re-init after reset failed");
	else if (!good_read(0, "read after reset"))
		test_failed = true;
	else
		det("recovered after reset");
	canaries_check();
	if (viol.count)
		fail("%u bytes written outside the buffers, first at %x (%s: %x, was %x)",
		     viol.count, viol.addr, viol.where, viol.got, viol.want);
	else
		det("canaries intact");
	if (windows_full)
		fail("test bug: too many windows");
	tap(!test_failed, name);
}

/* Offer @head, wait for it, judge. */
static void finish(const char *name, u16 head, u32 status, unsigned int accept,
		   unsigned int flags)
{
	enum outcome o;

	submit(head);
	o = wait_done(head, status);
	verdict(name, o, accept, flags);
}

/* ------------------------------------------------------------------ */
/* Correct requests: the device works, including the legal corners     */

static bool check_signature(u32 addr, const char *sig)
{
	unsigned int n = 0;

	while (sig[n])
		n++;
	return !memcmp((void *)addr, sig, n);
}

static void t_first_read(void)
{
	const char *name = "read sector 0 -> OK, the test image's signature";

	test_start(name);
	if (good_read(0, "read")) {
		if (!check_signature(data_addr(SLOT_GOOD), "hvx-hostile-s0"))
			fail("no \"hvx-hostile-s0\" at the start of sector 0 (the test script writes it)");
		memcpy(dev.ref, (void *)data_addr(SLOT_GOOD), SECTOR);
		dev.have_ref = true;
		det("used len %u", vq.used_len);
	} else {
		test_failed = true;
	}
	canaries_check();
	if (viol.count)
		fail("%u bytes written outside the buffers, first at %x",
		     viol.count, viol.addr);
	tap(!test_failed, name);
}

static void t_last_sector(void)
{
	const char *name = "read the last sector -> OK, its signature";

	if (!begin(name, NULL))
		return;
	if (dev.capacity < 32) {
		fail("capacity %u sectors: the test wants at least 32", (u32)dev.capacity);
		tap(false, name);
		return;
	}
	if (!good_read(dev.capacity - 1, "read"))
		test_failed = true;
	else if (!check_signature(data_addr(SLOT_GOOD), "hvx-hostile-end"))
		fail("no \"hvx-hostile-end\" at the start of the last sector");
	else
		det("sector %u", (u32)dev.capacity - 1);
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

/* A chain of exactly queue-size descriptors is legal (2.7.13.3.1). */
static void t_full_chain(void)
{
	const char *name = "chain of exactly queue-size descriptors -> OK";
	u16 i, n;
	enum outcome o;

	if (!begin(name, NULL))
		return;
	n = vq.size - 2;	/* data descriptors, one sector each */
	hdr(0, VIRTIO_BLK_T_IN, 0);
	drv_fill(data_addr(0), 0x5a, n * SECTOR);
	desc(0, hdr_addr(0), 16, VRING_DESC_F_NEXT, 1);
	for (i = 1; i <= n; i++)
		desc(i, data_addr(0) + (i - 1) * SECTOR, SECTOR,
		     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, i + 1);
	desc(n + 1, status_addr(0), 1, VRING_DESC_F_WRITE, 0);
	submit(0);
	o = wait_done(0, status_addr(0));
	if (o == O_OK && memcmp((void *)data_addr(0), dev.ref, SECTOR))
		fail("sector 0 reads differently");
	det("%u descriptors", vq.size);
	verdict(name, o, BIT(O_OK), 0);
}

/*
 * 2.6.4 "Message Framing": the device must not assume a layout. Header in
 * two descriptors of 8 bytes; data and status in one of 513.
 */
static void t_framing(void)
{
	const char *name = "legal framing (header split 8+8, data and status in one descriptor) -> OK";
	enum outcome o;

	if (!begin(name, NULL))
		return;
	hdr(0, VIRTIO_BLK_T_IN, 0);
	drv_fill(data_addr(0), 0x5a, SECTOR);
	drv_w8(data_addr(0) + SECTOR, STATUS_SENTINEL);
	desc(0, hdr_addr(0), 8, VRING_DESC_F_NEXT, 1);
	desc(1, hdr_addr(0) + 8, 8, VRING_DESC_F_NEXT, 2);
	desc(2, data_addr(0), SECTOR + 1, VRING_DESC_F_WRITE, 0);
	submit(0);
	o = wait_done(0, data_addr(0) + SECTOR);
	if (o == O_OK && memcmp((void *)data_addr(0), dev.ref, SECTOR))
		fail("sector 0 reads differently");
	verdict(name, o, BIT(O_OK), 0);
}

/* A correct indirect request: header, data, status in a 3-entry table. */
static void itable3(u32 t, unsigned int slot, u64 sector)
{
	hdr(slot, VIRTIO_BLK_T_IN, sector);
	drv_fill(data_addr(slot), 0x5a, SECTOR);
	desc_at(t, 0, hdr_addr(slot), 16, VRING_DESC_F_NEXT, 1);
	desc_at(t, 1, data_addr(slot), SECTOR, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	desc_at(t, 2, status_addr(slot), 1, VRING_DESC_F_WRITE, 0);
}

static bool indirect_negotiated(void)
{
	return dev.negotiated & 1ull << F_INDIRECT_DESC;
}

/*
 * More requests than the queue has entries, one after the other: the ring
 * indices wrap (2.7.6: modulo the queue size) and every read must work.
 */
static void t_ring_wrap(void)
{
	const char *name = "3 x queue-size + 1 reads in turn (the rings wrap) -> OK";
	unsigned int i, n;

	if (!begin(name, NULL))
		return;
	n = 3u * vq.size + 1;
	for (i = 0; i < n && !test_failed; i++)
		if (!good_read(0, "read"))
			fail("at read %u", i + 1);
	if (!test_failed)
		det("%u reads", n);
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

static void t_indirect_ok(void)
{
	const char *name = "indirect table (VIRTIO_F_INDIRECT_DESC) -> OK";
	enum outcome o;

	if (!(dev.offered & 1ull << F_INDIRECT_DESC)) {
		tap_skip(name, "VIRTIO_F_INDIRECT_DESC not offered");
		return;
	}
	if (!begin(name, NULL))
		return;
	itable3(itable_addr(0), 0, 0);
	desc(0, itable_addr(0), 48, VRING_DESC_F_INDIRECT, 0);
	submit(0);
	o = wait_done(0, status_addr(0));
	if (o == O_OK && memcmp((void *)data_addr(0), dev.ref, SECTOR))
		fail("sector 0 reads differently");
	verdict(name, o, BIT(O_OK), 0);
}

/* ------------------------------------------------------------------ */
/* Descriptor attacks                                                  */

/*
 * The usual read request at descriptors 0-2, slot 0, with one part made
 * bad by the caller's arguments; then judged.
 */
struct bad_req {
	const char *name;
	u32 type;
	u64 sector;
	u64 hdr, data, status;	/* 0: the slot's buffer */
	u32 hdr_len, data_len, status_len;
	u16 hdr_flags, data_flags, status_flags;
	unsigned int accept;
};

static void bad_req(const struct bad_req *r)
{
	u64 h = r->hdr ? r->hdr : hdr_addr(0);
	u64 d = r->data ? r->data : data_addr(0);
	u64 s = r->status ? r->status : status_addr(0);

	if (!begin(r->name, NULL))
		return;
	hdr(0, r->type, r->sector);
	if (!r->data)
		drv_fill(data_addr(0), 0x5a, DATA_MAX);
	desc(0, h, r->hdr_len, r->hdr_flags | VRING_DESC_F_NEXT, 1);
	desc(1, d, r->data_len, r->data_flags | VRING_DESC_F_NEXT, 2);
	desc(2, s, r->status_len, r->status_flags, 0);
	/* A status byte outside the slot is not read back. */
	finish(r->name, 0, r->status ? 0 : status_addr(0), r->accept, 0);
}

#define RD_OK	.hdr_len = 16, .data_len = SECTOR, .status_len = 1, \
		.data_flags = VRING_DESC_F_WRITE, .status_flags = VRING_DESC_F_WRITE

/*
 * Each entry is RD_OK, a correct read, with the fields after it overriding
 * RD_OK's: the override is the point, so GCC's warning about it is off here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static void t_bad_reqs(bool writes_only)
{
	const struct bad_req reqs[] = {
		{ "data buffer outside RAM (0xfff00000), read", RD_OK,
		  .data = OUT_OF_RAM, .accept = A_CONTAINED },
		{ "data buffer outside RAM (0xfff00000), write to sector 8", RD_OK,
		  .type = VIRTIO_BLK_T_OUT, .sector = 8, .data = OUT_OF_RAM,
		  .data_flags = 0, .accept = A_CONTAINED },
		{ "data buffer starts in RAM and runs past its end", RD_OK,
		  .data = ram_end - SECTOR, .data_len = 8 * SECTOR,
		  .accept = A_CONTAINED },
		{ "data buffer address + length wraps past 2^64", RD_OK,
		  .data = 0xfffffffffffff000ull, .data_len = 0x2000,
		  .accept = A_CONTAINED },
		{ "data length 0xffffffff", RD_OK, .data_len = 0xffffffff,
		  .accept = A_CONTAINED },
		{ "data buffer in the device's own registers (common config)", RD_OK,
		  .data = dev.common.addr, .accept = A_CONTAINED },
		{ "header outside RAM", RD_OK, .hdr = OUT_OF_RAM,
		  .accept = A_CONTAINED },
		{ "status byte outside RAM", RD_OK, .status = OUT_OF_RAM,
		  .accept = A_CONTAINED },
		/*
		 * Framing is free (2.6.4): the device may take the buffer as
		 * more header and serve a read of 0 bytes. It must not write it.
		 */
		{ "read into a device-readable data buffer (wrong direction)", RD_OK,
		  .data_flags = 0, .accept = A_ANY },
		{ "device-readable status descriptor", RD_OK,
		  .status_flags = 0, .accept = A_CONTAINED },
		{ "status descriptor of length 0", RD_OK, .status_len = 0,
		  .accept = A_CONTAINED },
		{ "header of 8 bytes, not 16", RD_OK, .hdr_len = 8,
		  .accept = A_CONTAINED },
		{ "device-writable header", RD_OK, .hdr_flags = VRING_DESC_F_WRITE,
		  .accept = A_CONTAINED },
		{ "data length 100, not a multiple of 512", RD_OK, .data_len = 100,
		  .accept = A_CONTAINED },
		{ "read at sector = capacity -> IOERR", RD_OK,
		  .sector = dev.capacity, .accept = A_ERR },
		{ "read of 2 sectors from the last one (crosses the end) -> IOERR", RD_OK,
		  .sector = dev.capacity - 1, .data_len = 2 * SECTOR, .accept = A_ERR },
		{ "read at sector 2^64-1 (sector * 512 overflows) -> IOERR", RD_OK,
		  .sector = ~0ull, .accept = A_ERR },
		{ "read at sector 2^55 (offset 2^64) -> IOERR", RD_OK,
		  .sector = 1ull << 55, .accept = A_ERR },
		{ "unknown request type 0x7fffffff -> UNSUPP or IOERR", RD_OK,
		  .type = 0x7fffffff, .accept = A_ERR },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		if (!writes_only || reqs[i].type == VIRTIO_BLK_T_OUT)
			bad_req(&reqs[i]);
}
#pragma GCC diagnostic pop

/* Header, then writable data, with the chain's next pointing back. */
static void t_loops(void)
{
	const char *name;
	u16 i;

	name = "chain loops (descriptor 2 back to 1)";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc(0, hdr_addr(0), 16, VRING_DESC_F_NEXT, 1);
		desc(1, data_addr(0), SECTOR, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
		desc(2, data_addr(0) + SECTOR, SECTOR,
		     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		finish(name, 0, 0, A_CONTAINED, 0);
	}

	name = "chain loops on itself (descriptor 0 to 0)";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc(0, hdr_addr(0), 16, VRING_DESC_F_NEXT, 0);
		finish(name, 0, 0, A_CONTAINED, 0);
	}

	/* Every descriptor, the last pointing back to the head: endless. */
	name = "chain longer than the queue size (all descriptors, then back to the head)";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc(0, hdr_addr(0), 16, VRING_DESC_F_NEXT, 1);
		for (i = 1; i < vq.size - 1; i++)
			desc(i, data_addr(0) + (i - 1) * SECTOR, SECTOR,
			     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, i + 1);
		desc(vq.size - 1, status_addr(0), 1,
		     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}

	name = "next index out of the table (= queue size)";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc(0, hdr_addr(0), 16, VRING_DESC_F_NEXT, vq.size);
		finish(name, 0, 0, A_CONTAINED, 0);
	}

	name = "next index 0xffff";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc(0, hdr_addr(0), 16, VRING_DESC_F_NEXT, 0xffff);
		finish(name, 0, 0, A_CONTAINED, 0);
	}

	/* A writable buffer first: device-writable before device-readable. */
	name = "writable descriptor before the readable header";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc(0, data_addr(1), 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		desc(1, hdr_addr(0), 16, VRING_DESC_F_NEXT, 2);
		desc(2, data_addr(0), SECTOR, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
		desc(3, status_addr(0), 1, VRING_DESC_F_WRITE, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}
}

/* Avail ring entries that name no descriptor. */
static void t_bad_heads(void)
{
	static const char *const names[] = {
		"avail ring head = queue size", "avail ring head = 0xffff",
	};
	unsigned int k;

	for (k = 0; k < 2; k++) {
		u16 head;

		if (!begin(names[k], NULL))
			continue;
		head = k ? 0xffff : vq.size;
		read_req(0, 0, 0, SECTOR);	/* a good chain it must not take */
		finish(names[k], head, 0, A_CONTAINED, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Indirect attacks (also made when the feature is not negotiated:    */
/* then the INDIRECT flag itself is the driver's error)                */

static void t_indirect(void)
{
	const char *name;
	u32 t0 = itable_addr(0), t1 = itable_addr(1);
	const char *neg = indirect_negotiated() ? "" : " (INDIRECT_DESC not negotiated)";

	kprintf("# indirect attacks%s\n", neg);

	name = "indirect table outside RAM";
	if (begin(name, NULL)) {
		desc(0, OUT_OF_RAM, 48, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, 0, A_CONTAINED, 0);
	}

	name = "nested indirect table";
	if (begin(name, NULL)) {
		itable3(t1, 0, 0);
		desc_at(t0, 0, t1, 48, VRING_DESC_F_INDIRECT, 0);
		desc(0, t0, 16, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}

	name = "indirect table of 40 bytes (not a multiple of 16)";
	if (begin(name, NULL)) {
		itable3(t0, 0, 0);
		desc(0, t0, 40, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}

	name = "indirect table of 0 bytes";
	if (begin(name, NULL)) {
		itable3(t0, 0, 0);
		desc(0, t0, 0, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}

	name = "indirect table of 0xfffffff0 bytes (runs past RAM)";
	if (begin(name, NULL)) {
		itable3(t0, 0, 0);
		desc(0, t0, 0xfffffff0, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}

	name = "loop inside an indirect table (2 back to 1)";
	if (begin(name, NULL)) {
		hdr(0, VIRTIO_BLK_T_IN, 0);
		desc_at(t0, 0, hdr_addr(0), 16, VRING_DESC_F_NEXT, 1);
		desc_at(t0, 1, data_addr(0), SECTOR, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
		desc_at(t0, 2, data_addr(0) + SECTOR, SECTOR,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		desc(0, t0, 48, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, 0, A_CONTAINED, 0);
	}

	name = "indirect table whose next index leaves it (3 entries, next = 3)";
	if (begin(name, NULL)) {
		itable3(t0, 0, 0);
		desc_at(t0, 2, status_addr(0), 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
		desc(0, t0, 48, VRING_DESC_F_INDIRECT, 0);
		finish(name, 0, status_addr(0), A_CONTAINED, 0);
	}

	/* 2.7.5.3.1: INDIRECT and NEXT together. A device may serve it. */
	name = "INDIRECT and NEXT flags together";
	if (begin(name, NULL)) {
		itable3(t0, 0, 0);
		desc(0, t0, 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
		desc(1, data_addr(1), SECTOR, VRING_DESC_F_WRITE, 0);
		finish(name, 0, status_addr(0), A_ANY, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Ring and queue attacks                                              */

/* avail->idx far ahead of what the device has seen (2.7.13.3). */
static void t_avail_jump(void)
{
	static const u16 jumps[] = { 0, 0x8000 };	/* 0: queue size + 1 */
	unsigned int k;
	u16 i;

	for (k = 0; k < ARRAY_SIZE(jumps); k++) {
		const char *name = k ? "avail idx 0x8000 ahead of the device" :
			"avail idx queue size + 1 ahead of the device";
		u16 jump;
		enum outcome o;

		if (!begin(name, NULL))
			continue;
		jump = jumps[k] ? jumps[k] : vq.size + 1;
		read_req(0, 0, 0, SECTOR);
		for (i = 0; i < vq.size; i++)
			drv_w16(vq.avail + 4 + 2 * i, 0);
		mb();
		vq.avail_idx += jump;
		drv_w16(vq.avail + 2, vq.avail_idx);
		mb();
		notify_queue(0);
		o = wait_done(0, status_addr(0));
		det("jump %u", jump);
		/* Served or not: only containment and recovery count. */
		verdict(name, o, A_ANY, V_NO_SAMEQ);
	}
}

static bool is_valid_qsize(u16 v)
{
	return v && !(v & (v - 1)) && v <= dev.qmax;
}

/* Bad queue_size writes must not stick (2.7: a power of 2, <= the max). */
static void t_queue_size(void)
{
	u16 bad[4];
	unsigned int k;

	bad[0] = dev.qmax > 2 ? dev.qmax - 1 : 3;	/* not a power of 2 */
	bad[1] = 0;
	bad[2] = dev.qmax < 0x8000 ? dev.qmax * 2 : 0xffff;	/* above max */
	bad[3] = 0xffff;
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		static const char *const names[] = {
			"queue_size not a power of two -> refused",
			"queue_size 0 -> refused",
			"queue_size above the maximum -> refused",
			"queue_size 0xffff -> refused",
		};
		u16 v;

		test_start(names[k]);
		if (!init_features(&defaults)) {
			fail("setup failed");
			tap(false, names[k]);
			continue;
		}
		mw16(CC(CC_QSELECT), 0);
		mw16(CC(CC_QSIZE), bad[k]);
		v = mr16(CC(CC_QSIZE));
		if (is_valid_qsize(v))
			det("wrote %u, reads %u", bad[k], v);
		else
			fail("wrote %u and it reads back %u (max %u)", bad[k], v, dev.qmax);
		verdict(names[k], O_NONE, 0, V_NO_SAMEQ);
	}
}

/* queue_select past num_queues: no queue there, and queue 0 untouched. */
static void t_queue_select(void)
{
	const char *name = "queue_select of missing queues -> size 0, queue 0 untouched";
	static const u16 sel[] = { 0, 7, 0xffff };	/* 0: num_queues */
	unsigned int k;

	test_start(name);
	if (!init_features(&defaults)) {
		fail("setup failed");
		tap(false, name);
		return;
	}
	for (k = 0; k < ARRAY_SIZE(sel); k++) {
		u16 q = sel[k] ? sel[k] : dev.num_queues, v;

		if (q < dev.num_queues)
			continue;
		mw16(CC(CC_QSELECT), q);
		v = mr16(CC(CC_QSIZE));
		if (v)
			fail("queue %u has size %u (num_queues %u)", q, v, dev.num_queues);
		mw16(CC(CC_QSIZE), 16);
		mw64(CC(CC_QDESC), OUT_OF_RAM);
		mw64(CC(CC_QAVAIL), OUT_OF_RAM);
		mw64(CC(CC_QUSED), OUT_OF_RAM);
		mw16(CC(CC_QENABLE), 1);
		/* Harmless if nothing is behind it: noted, not failed. */
		if (mr16(CC(CC_QENABLE)))
			det("queue %u reads enabled", q);
	}
	mw16(CC(CC_QSELECT), 0);
	if (mr16(CC(CC_QSIZE)) != dev.qmax || mr16(CC(CC_QENABLE)) ||
	    mr32(CC(CC_QDESC)) == (u32)OUT_OF_RAM)
		fail("queue 0 changed: size %u enable %u desc %x", mr16(CC(CC_QSIZE)),
		     mr16(CC(CC_QENABLE)), mr32(CC(CC_QDESC)));
	mw8(CC(CC_STATUS), S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	notify_queue(7);
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

/* Ring addresses outside RAM (or running past its end), then DRIVER_OK. */
static void t_ring_addrs(void)
{
	const struct { const char *name; struct init_opts o; } cases[] = {
		{ "descriptor table outside RAM, then DRIVER_OK", { .desc = OUT_OF_RAM } },
		{ "avail ring outside RAM, then DRIVER_OK", { .avail = OUT_OF_RAM } },
		{ "used ring outside RAM, then DRIVER_OK", { .used = OUT_OF_RAM + 0x1000 } },
		{ "used ring runs past the end of RAM", { .used = ram_end - 16 } },
		{ "descriptor table runs past the end of RAM", { .desc = ram_end - 64 } },
	};
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		enum outcome o;

		/*
		 * A device may check the rings when the queue is enabled or at
		 * DRIVER_OK and answer with DEVICE_NEEDS_RESET then: contained,
		 * as much as an error on the first request is.
		 */
		test_start(cases[k].name);
		if (!init_features(&cases[k].o) || !init_queue(&cases[k].o)) {
			fail("setup failed");
			tap(false, cases[k].name);
			continue;
		}
		if (!init_driver_ok()) {
			o = dev_status() & S_NEEDS_RESET ? O_NEEDS_RESET : O_BOGUS;
		} else {
			read_req(0, 0, 0, SECTOR);
			submit(0);
			o = wait_done(0, status_addr(0));
		}
		verdict(cases[k].name, o, A_CONTAINED, V_NO_SAMEQ);
	}
}

/* The driver moves a live queue's descriptor table (3.1.1 forbids it). */
static void t_live_queue_move(void)
{
	const char *name = "queue_desc rewritten to outside RAM on a live queue";
	enum outcome o;

	if (!begin(name, NULL))
		return;
	mw16(CC(CC_QSELECT), 0);
	mw64(CC(CC_QDESC), OUT_OF_RAM);
	read_req(0, 0, 0, SECTOR);
	submit(0);
	o = wait_done(0, status_addr(0));
	verdict(name, o, A_ANY, V_NO_SAMEQ);
}

/* 3.1.1 / 2.1.2: nothing is served before DRIVER_OK. */
static void t_before_driver_ok(void)
{
	const char *name = "request notified before DRIVER_OK -> not served";
	const struct init_opts o = { .no_driver_ok = true };

	if (!begin(name, &o))
		return;
	read_req(0, 0, 0, SECTOR);
	finish(name, 0, status_addr(0), BIT(O_TIMEOUT) | BIT(O_NEEDS_RESET), 0);
}

/* 2.2.2: features the device did not offer must fail FEATURES_OK. */
static void t_bad_features(void)
{
	const char *name = "features the device did not offer -> FEATURES_OK refused";
	const struct init_opts o = { .features = ~0ull };

	test_start(name);
	if (dev.offered == ~0ull) {
		tap_skip(name, "the device offers every feature bit");
		return;
	}
	if (init_features(&o)) {
		fail("FEATURES_OK kept with driver_feature %llx", o.features);
	} else if (dev_status() & S_FEATURES_OK) {
		fail("FEATURES_OK reads set");
	} else {
		det_reset();	/* init_features()'s complaint is the success */
		det("FEATURES_OK cleared");
	}
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

/* ------------------------------------------------------------------ */
/* Register attacks                                                    */

/* Notifies of queues that do not exist, and of odd widths and values. */
static void t_bad_notify(void)
{
	const char *name = "notify of missing queues (7, 0xffff, num_queues) and odd notify writes";
	enum outcome o;

	if (!begin(name, NULL))
		return;
	notify_queue(7);
	notify_queue(0xffff);
	notify_queue(dev.num_queues);
	mw32(vq.notify, 0xdeadbeef);	/* no VIRTIO_F_NOTIFICATION_DATA */
	mw8(vq.notify + 1, 0xff);
	/* Queue 7's notify address, where the structure has one. */
	if (dev.notify_mult && 7 * dev.notify_mult + 2 <= dev.notify.len)
		mw16(dev.notify.addr + 7 * dev.notify_mult, 7);
	/* The queue must still work (or the device asks for a reset). */
	read_req(0, 0, 0, SECTOR);
	submit(0);
	o = wait_done(0, status_addr(0));
	verdict(name, o, BIT(O_OK) | BIT(O_NEEDS_RESET), V_NO_SAMEQ);
}

/* Read-only fields keep their values when written. */
static void t_readonly(void)
{
	const char *name = "writes to read-only fields (device_feature, num_queues, config_generation, queue_notify_off, ISR, capacity)";
	u32 df0, df1, cap_lo, cap_hi;
	u16 numq, noff;
	u8 gen;
	enum outcome o;

	if (!begin(name, NULL))
		return;
	mw32(CC(CC_DFSELECT), 0);
	df0 = mr32(CC(CC_DF));
	mw32(CC(CC_DF), ~df0);
	mw32(CC(CC_DFSELECT), 1);
	df1 = mr32(CC(CC_DF));
	mw32(CC(CC_DF), ~df1);
	numq = mr16(CC(CC_NUMQ));
	mw16(CC(CC_NUMQ), (u16)~numq);
	gen = mr8(CC(CC_CFGGEN));
	mw8(CC(CC_CFGGEN), (u8)~gen);
	mw16(CC(CC_QSELECT), 0);
	noff = mr16(CC(CC_QNOFF));
	mw16(CC(CC_QNOFF), (u16)~noff);
	mw8(dev.isr.addr, 0xff);
	cap_lo = mr32(dev.devcfg.addr);
	cap_hi = mr32(dev.devcfg.addr + 4);
	mw32(dev.devcfg.addr, 0);
	mw32(dev.devcfg.addr + 4, 0xffffffff);

	mw32(CC(CC_DFSELECT), 0);
	if (mr32(CC(CC_DF)) != df0)
		fail("device_feature[0] %x became %x", df0, mr32(CC(CC_DF)));
	mw32(CC(CC_DFSELECT), 1);
	if (mr32(CC(CC_DF)) != df1)
		fail("device_feature[1] %x became %x", df1, mr32(CC(CC_DF)));
	if (mr16(CC(CC_NUMQ)) != numq)
		fail("num_queues %u became %u", numq, mr16(CC(CC_NUMQ)));
	if (mr8(CC(CC_CFGGEN)) != gen)
		det("config_generation %u became %u (the device may count changes)",
		    gen, mr8(CC(CC_CFGGEN)));
	if (mr16(CC(CC_QNOFF)) != noff)
		fail("queue_notify_off %u became %u", noff, mr16(CC(CC_QNOFF)));
	if (mr32(dev.devcfg.addr) != cap_lo || mr32(dev.devcfg.addr + 4) != cap_hi)
		fail("capacity %x:%x became %x:%x", cap_hi, cap_lo,
		     mr32(dev.devcfg.addr + 4), mr32(dev.devcfg.addr));
	read_req(0, 0, 0, SECTOR);
	submit(0);
	o = wait_done(0, status_addr(0));
	verdict(name, o, BIT(O_OK), V_NO_SAMEQ);
}

/*
 * 4.1.3.1: the driver must use each field's natural width. The device may
 * make of other widths what it likes, short of falling over.
 */
static void t_odd_widths(void)
{
	const char *name = "odd access widths (1 byte to 4-byte fields, 4 bytes across fields, unaligned)";
	volatile u32 sink = 0;

	if (!begin(name, NULL))
		return;
	sink += mr8(CC(CC_DF) + 1);
	sink += mr16(CC(CC_DF) + 2);
	sink += mr8(CC(CC_QDESC) + 3);
	sink += mr32(CC(CC_STATUS));		/* status, generation, select */
	sink += mr32(CC(CC_NUMQ) + 1);		/* unaligned */
	sink += mr16(CC(CC_CFGGEN));		/* across into queue_select */
	sink += mr32(dev.isr.addr);		/* ISR is one byte */
	sink += mr8(dev.devcfg.addr + 3);
	sink += mr16(dev.devcfg.addr + 7);
	mw8(CC(CC_GFSELECT) + 1, 0xff);
	mw8(CC(CC_QSELECT) + 1, 0xff);
	mw32(CC(CC_QSELECT), 0x00030000);	/* select 0, size 3 */
	mw16(CC(CC_NUMQ) + 1, 0xffff);		/* across into device_status */
	mw8(CC(CC_QDESC) + 5, 0xff);
	mw32(CC(CC_QENABLE) + 1, 0xffffffff);
	mw16(vq.notify + 1, 0);
	det("status then %x", dev_status());
	(void)sink;
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

/* Reads and writes just past the end of each structure, and of the BAR. */
static void t_past_end(void)
{
	const char *name = "accesses past the end of each structure and across the BAR's end";
	const struct vstruct *v[] = { &dev.common, &dev.notify, &dev.isr, &dev.devcfg };
	volatile u32 sink = 0;
	unsigned int k;

	if (!begin(name, NULL))
		return;
	for (k = 0; k < ARRAY_SIZE(v); k++) {
		u32 bar_end = dev.bar_addr[v[k]->bar] + dev.bar_size[v[k]->bar];
		u32 end = v[k]->addr + v[k]->len;

		if (v[k]->len >= 2)
			sink += mr32(end - 2);		/* straddles the end */
		if (end + 8 <= bar_end) {
			sink += mr32(end);
			sink += mr32(end + 4);
			mw32(end + 4, 0xffffffff);
		}
		sink += mr32(bar_end - 2);		/* straddles the BAR's end */
	}
	mw32(dev.common.addr + dev.common.len - 2, 0xffffffff);
	det("status then %x", dev_status());
	(void)sink;
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

/* 4.1.5.1.2: a vector the device cannot map reads back as NO_VECTOR. */
static void t_msix_vector(void)
{
	const char *name = "MSI-X vector beyond the table -> reads back NO_VECTOR";
	u16 v;

	if (!dev.msix_cap) {
		tap_skip(name, "no MSI-X capability");
		return;
	}
	if (!begin(name, NULL))
		return;
	mw16(CC(CC_MSIX), dev.msix_vectors);
	v = mr16(CC(CC_MSIX));
	if (v != VIRTIO_MSI_NO_VECTOR)
		fail("config_msix_vector %u written (%u vectors), reads %u",
		     dev.msix_vectors, dev.msix_vectors, v);
	mw16(CC(CC_QSELECT), 0);
	mw16(CC(CC_QMSIX), 0xfffe);
	v = mr16(CC(CC_QMSIX));
	if (v != VIRTIO_MSI_NO_VECTOR)
		fail("queue_msix_vector 0xfffe written, reads %u", v);
	verdict(name, O_NONE, 0, 0);
}

/*
 * A reset with requests in flight: once device_status reads 0 the device
 * must write nothing more (dev_reset() checks and closes the windows;
 * writes after it are caught by the checks that follow a wait).
 */
static void t_reset_in_flight(void)
{
	const char *name = "reset with requests in flight -> nothing written once it reads 0";
	u16 n, i;
	u64 t0;

	if (!begin(name, NULL))
		return;
	n = (vq.size - 3) / 3;
	if (n > 8)
		n = 8;
	for (i = 0; i < n; i++)
		read_req(3 * i, i, 32 * i, DATA_MAX);
	for (i = 0; i < n; i++)
		drv_w16(vq.avail + 4 + 2 * i, 3 * i);
	mb();
	vq.avail_idx = n;
	drv_w16(vq.avail + 2, n);
	mb();
	notify_queue(0);
	if (!dev_reset())
		fail("device_status still %x after the reset", dev_status());
	if (viol.count)
		fail("device wrote outside the buffers before the reset completed");
	/* Give a straggler time to show itself. */
	t0 = rdtsc();
	while (rdtsc() - t0 < POLL_TSC / 4)
		if ((dev_status() & 0xff) != 0)
			break;
	canaries_check();
	if (viol.count)
		fail("%u bytes written after the reset completed, first at %x",
		     viol.count, viol.addr);
	det("%u requests of %u KiB", n, DATA_MAX / 1024);
	viol.count = 0;
	verdict(name, O_NONE, 0, V_NO_SAMEQ);
}

/* ------------------------------------------------------------------ */

/*
 * With --disk PATH,readonly the device offers VIRTIO_BLK_F_RO, and a
 * correct write must fail (5.2.6.1: IOERR, no data written); the test
 * script checks the image. Without the feature there is nothing to test.
 */
static void t_readonly_disk(void)
{
	const char *name = "write to a read-only disk (VIRTIO_BLK_F_RO) -> IOERR";

	if (!(dev.offered & BIT(F_BLK_RO))) {
		tap_skip(name, "VIRTIO_BLK_F_RO not offered (the disk is writable)");
		return;
	}
	if (!begin(name, NULL))
		return;
	drv_fill(data_addr(0), 0xa5, SECTOR);
	req3(0, 0, VIRTIO_BLK_T_OUT, 9, data_addr(0), SECTOR, 0);
	finish(name, 0, status_addr(0), BIT(O_IOERR), 0);
}

static bool cmdline_has(const struct mb_info *mbi, const char *word)
{
	const char *p;
	unsigned int n = 0;

	if (!(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return false;
	while (word[n])
		n++;
	for (p = (const char *)mbi->cmdline; *p; p++)
		if ((p == (const char *)mbi->cmdline || p[-1] == ' ') &&
		    !memcmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

void hostile_main(u32 magic, const struct mb_info *mbi);

/*
 * The command line "readonly" (vmctl run --append readonly, with --disk
 * PATH,readonly) runs only the read-only disk tests: the first read, a
 * correct write, a write whose data is outside RAM.
 */
void hostile_main(u32 magic, const struct mb_info *mbi)
{
	bool readonly;

	kprintf("HOSTILE-VIRTIO: start\n");
	if (magic != MB_BOOT_MAGIC || !(mbi->flags & MB_INFO_MEMORY)) {
		kprintf("not ok 1 - multiboot entry: magic %x, no memory information\n", magic);
		kprintf("1..1\nHOSTILE-VIRTIO: done 0 passed, 1 failed\n");
		return;
	}
	/* The command line is in low memory, which memory_init() takes. */
	readonly = cmdline_has(mbi, "readonly");
	memory_init(mbi->mem_upper);	/* from here on, low memory is ours */
	kprintf("# guest RAM [0, %x), arena %x+%x\n", ram_end, (u32)arena, ARENA_SIZE);

	det_reset();
	if (!pci_find()) {
		tap_fail = 1;
		kprintf("not ok 1 - virtio-blk device on bus 0: no virtio-blk device (vendor 1af4, device 1042) usable\n");
		kprintf("1..1\nHOSTILE-VIRTIO: done 0 passed, 1 failed\n");
		return;
	}
	test_start("driver init (3.1.1)");
	if (!dev_init(&defaults)) {
		tap(false, "driver init (3.1.1)");
		kprintf("1..%u\nHOSTILE-VIRTIO: done %u passed, %u failed\n",
			tap_n, tap_pass, tap_fail);
		return;
	}
	det("features offered %llx, negotiated %llx, %u queues, queue 0 max %u, using %u, capacity %u sectors",
	    dev.offered, dev.negotiated, dev.num_queues, dev.qmax, vq.size,
	    (u32)dev.capacity);
	tap(true, "driver init (3.1.1)");
	t_first_read();
	if (readonly) {
		if (!(dev.offered & BIT(F_BLK_RO)))
			kprintf("# \"readonly\" asked for, but the disk is writable\n");
		t_readonly_disk();
		t_bad_reqs(true);
		goto done;
	}

	t_last_sector();
	t_full_chain();
	t_framing();
	t_ring_wrap();
	t_indirect_ok();

	t_bad_reqs(false);
	t_loops();
	t_bad_heads();
	t_indirect();

	t_avail_jump();
	t_queue_size();
	t_queue_select();
	t_ring_addrs();
	t_live_queue_move();
	t_before_driver_ok();
	t_bad_features();

	t_bad_notify();
	t_readonly();
	t_odd_widths();
	t_msix_vector();
	t_reset_in_flight();
	/* Last: an access across the BAR's end is the likeliest to kill the VM. */
	t_past_end();
done:
	dev_reset();
	kprintf("1..%u\nHOSTILE-VIRTIO: done %u passed, %u failed\n",
		tap_n, tap_pass, tap_fail);
}
