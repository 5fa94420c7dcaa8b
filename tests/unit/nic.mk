# SPDX-License-Identifier: GPL-2.0
#
# nic_test: --nic's options, default MACs and tap names, and the host side
# of a NIC for real: bridges made, listed and deleted, a tap made into a
# bridge with its MAC, MTU and link state, then gone with its fds, all
# over libnl in a network namespace of the test's own (unshare). VLAN
# filtering is the testbed's (this host's kernel may lack it).
VMCTL_TESTS += nic_test

NIC_LIBS := $(shell pkg-config --libs libnl-route-3.0 libnl-3.0)
NIC_SRCS := nic_test.c tap.c $(VMCTL)/net/opts.c $(VMCTL)/core/optparse.c $(VMCTL)/net/bridge.c \
	    $(VMCTL)/net/tap.c
NIC_HDRS := unit.h $(wildcard $(VMCTL)/net/*.h) $(VMCTL)/virtio/net.h

$(O)/nic_test: $(NIC_SRCS) $(NIC_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) $(shell pkg-config --cflags libnl-3.0) -o $@ \
		$(NIC_SRCS) $(NIC_LIBS)
