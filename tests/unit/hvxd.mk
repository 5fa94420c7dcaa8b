# SPDX-License-Identifier: GPL-2.0
#
# hvxd_test: hvxd's wire encoding (round trips of every message, the sync
# and the state file; truncated, oversized, malformed and randomly mutated
# buffers refused without a read past their end, which the sanitizers of
# LOADER_CFLAGS turn into a failure) and its replicated state machine
# (ha_apply's rules, determinism, ha_def_parse, the state file). Only
# wire.c and state.c: the test defines logmsg(), the one function they
# take from the rest of hvxd, so no corosync is needed.
VMCTL_TESTS += hvxd_test

HVXD_DIR       := $(TOP)/userspace/hvxd
HVXD_TEST_SRCS := hvxd_test.c tap.c $(HVXD_DIR)/wire.c $(HVXD_DIR)/state.c
HVXD_TEST_HDRS := unit.h $(HVXD_DIR)/hvxd.h $(TOP)/userspace/vmctl/cmd/run_options.h

$(O)/hvxd_test: $(HVXD_TEST_SRCS) $(HVXD_TEST_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -I$(HVXD_DIR) -I$(TOP)/userspace/vmctl -o $@ $(HVXD_TEST_SRCS)
