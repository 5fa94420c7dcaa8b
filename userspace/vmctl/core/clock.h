/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's clocks in nanoseconds, for the devices that keep time (the
 * PIT, the RTC, the PM timer) and the disks' rate limits: CLOCK_MONOTONIC
 * for intervals, CLOCK_REALTIME where the guest wants the date.
 */
#ifndef VMCTL_CLOCK_H
#define VMCTL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t vmctl_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif /* VMCTL_CLOCK_H */
