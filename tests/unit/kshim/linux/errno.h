/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-in for the kernel's <linux/errno.h>. The uapi header
 * has the same values; it is included with include_next because glibc's
 * <errno.h> itself includes <linux/errno.h>, which would otherwise find
 * this file again and get nothing.
 */
#include_next <linux/errno.h>
