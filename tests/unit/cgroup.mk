# SPDX-License-Identifier: GPL-2.0
#
# vmctl's resource options (core/cgroup.c): their parsing, and what is
# written to each cgroup file, in a directory of plain files standing in
# for a cgroup.
VMCTL_TESTS += cgroup_test

CGROUP_SRCS := cgroup_test.c tap.c $(VMCTL)/core/cgroup.c
CGROUP_HDRS := unit.h $(VMCTL)/core/cgroup.h

$(O)/cgroup_test: $(CGROUP_SRCS) $(CGROUP_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(CGROUP_SRCS)
