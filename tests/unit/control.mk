# SPDX-License-Identifier: GPL-2.0
#
# vmctl's per-VM control socket (control.c, control_client.c) and the
# list, info, stop, top, stats, set and balloon commands on it: a server with fake ops in a temporary
# HVX_RUN_DIR, clients in-process and in forked children.

VMCTL_TESTS += control_test

CONTROL_SRCS := control_test.c tap.c $(VMCTL)/core/control.c \
		$(VMCTL)/core/control_client.c $(VMCTL)/cmd/list.c \
		$(VMCTL)/cmd/info.c $(VMCTL)/cmd/stop.c $(VMCTL)/cmd/top.c \
		$(VMCTL)/cmd/balloon.c $(VMCTL)/cmd/set.c $(VMCTL)/core/cgroup.c \
		$(VMCTL)/cmd/vm_sample.c $(VMCTL)/cmd/stats.c \
		$(VMCTL)/cmd/stats_prometheus.c
CONTROL_HDRS := unit.h $(VMCTL)/core/control.h $(VMCTL)/vmctl.h

$(O)/control_test: $(CONTROL_SRCS) $(CONTROL_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(CONTROL_SRCS) -lpthread
