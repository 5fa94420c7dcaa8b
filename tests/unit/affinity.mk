# SPDX-License-Identifier: GPL-2.0
#
# vmctl's CPU lists and per-vCPU pinning (core/affinity.c).
VMCTL_TESTS += affinity_test

AFFINITY_SRCS := affinity_test.c tap.c $(VMCTL)/core/affinity.c
AFFINITY_HDRS := unit.h $(VMCTL)/core/affinity.h

$(O)/affinity_test: $(AFFINITY_SRCS) $(AFFINITY_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(AFFINITY_SRCS)
