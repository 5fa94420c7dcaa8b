/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmctl stats' output formats, from readings of VMs (vm_sample.h). Each
 * metric says what it is: its name, a help line, its type and its unit in
 * the name, as Prometheus asks (https://prometheus.io/docs/instrumenting/
 * exposition_formats/ and .../practices/naming/): counters end in _total,
 * seconds and bytes are base units, one family per metric with a "vm"
 * label.
 */
#ifndef VMCTL_STATS_PROMETHEUS_H
#define VMCTL_STATS_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>

#include "cmd/vm_sample.h"

/* The text exposition format (version 0.0.4) of the @n VMs in @s. */
void vmctl_stats_prometheus(FILE *out, const struct vmctl_sample *s, size_t n);
/* The same figures as "VM METRIC VALUE" lines, for people and awk. */
void vmctl_stats_plain(FILE *out, const struct vmctl_sample *s, size_t n);

#endif
