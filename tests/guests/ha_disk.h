/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The heartbeat guest's disk log (ha_disk.c), and what ha_disk.c uses of
 * ha_heartbeat.c: its console and its text helpers, so that both print
 * and parse alike.
 */
#ifndef HVX_GUEST_HA_DISK_H
#define HVX_GUEST_HA_DISK_H

#include "guest.h"

#define ID_MAX		32	/* the longest name, node or gen */

/* ha_heartbeat.c: COM1, and the text of its lines */
void putc(char c);
void puts(const char *s);
void putu(u32 v);
void put_id(const char *tag);
u32 fmt_u32(char *buf, u32 v);
bool match(const char *tok, u32 len, const char *key, const char **val);
bool parse_u32(const char *s, u32 len, u32 *out);

/* ha_disk.c */
void hb_disk_open(const char *name, const char *node, const char *gen);
void hb_disk_beat(u32 seq);

#endif /* HVX_GUEST_HA_DISK_H */
