/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every freestanding C guest here (virtio_hostile, ha_heartbeat and
 * ha_disk) stands on: fixed-width types, port I/O, MMIO accessors and
 * barriers. 32-bit protected mode, paging off: linear = physical, so an
 * address is a u32.
 */
#ifndef HVX_GUEST_H
#define HVX_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef _Bool bool;
#define true	1
#define false	0
#define NULL	((void *)0)

#define BIT(n)		(1u << (n))
#define __packed	__attribute__((packed))
#define __aligned(n)	__attribute__((aligned(n)))
#define __noreturn	__attribute__((noreturn))

static inline void barrier(void)
{
	asm volatile("" ::: "memory");
}

/* A full fence that needs no SSE2: orders the ring writes before a notify. */
static inline void mb(void)
{
	asm volatile("lock; addl $0, (%%esp)" ::: "memory", "cc");
}

static inline void pause(void)
{
	asm volatile("pause");
}

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * MMIO: one MOV each, in inline assembly so that the compiler cannot merge,
 * split or turn an access into another instruction: hvx's MMIO decoder
 * knows MOV forms only.
 */
static inline u8 mr8(u32 a)
{
	u8 v;

	asm volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}

static inline u16 mr16(u32 a)
{
	u16 v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline u32 mr32(u32 a)
{
	u32 v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void mw8(u32 a, u8 v)
{
	asm volatile("movb %0, (%1)" :: "q"(v), "r"(a) : "memory");
}

static inline void mw16(u32 a, u16 v)
{
	asm volatile("movw %0, (%1)" :: "r"(v), "r"(a) : "memory");
}

static inline void mw32(u32 a, u32 v)
{
	asm volatile("movl %0, (%1)" :: "r"(v), "r"(a) : "memory");
}

/* A 64-bit register: two 32-bit writes, low first (virtio 1.x 4.1.3.1). */
static inline void mw64(u32 a, u64 v)
{
	mw32(a, (u32)v);
	mw32(a + 4, (u32)(v >> 32));
}

/* Plain guest-RAM reads of what a device may change under us. */
static inline u8 rd8(u32 a)
{
	return *(volatile u8 *)a;
}

static inline u16 rd16(u32 a)
{
	return *(volatile u16 *)a;
}

static inline u32 rd32(u32 a)
{
	return *(volatile u32 *)a;
}

#endif /* HVX_GUEST_H */
