# SPDX-License-Identifier: GPL-2.0
#
# vmctl stats' output formats (cmd/stats_prometheus.c).
VMCTL_TESTS += stats_test

STATS_SRCS := stats_test.c tap.c $(VMCTL)/cmd/stats_prometheus.c
STATS_HDRS := unit.h $(VMCTL)/cmd/stats_prometheus.h $(VMCTL)/cmd/vm_sample.h

$(O)/stats_test: $(STATS_SRCS) $(STATS_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(STATS_SRCS)
