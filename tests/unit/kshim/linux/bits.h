/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/bits.h>. */
#ifndef HVX_KSHIM_LINUX_BITS_H
#define HVX_KSHIM_LINUX_BITS_H

#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
/* Bits h..l set, h >= l, as in the kernel. */
#define GENMASK(h, l) \
	((~0UL << (l)) & (~0UL >> (8 * sizeof(unsigned long) - 1 - (h))))
#define GENMASK_ULL(h, l) \
	((~0ULL << (l)) & (~0ULL >> (8 * sizeof(unsigned long long) - 1 - (h))))

#endif
