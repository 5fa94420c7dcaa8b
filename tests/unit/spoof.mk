# SPDX-License-Identifier: GPL-2.0
#
# spoof_test: vmctl's anti-spoofing filter (net/spoof.bpf.c, net/spoof.c)
# loaded into this kernel and run on crafted frames with BPF_PROG_RUN; it
# needs root (BPF) and fails without it. The skeleton header that embeds
# the BPF object comes from vmctl's own Makefile, built into $(O)/spoof.
#
# spoof_test-static is the same test without sanitizers, linked -static
# like vmctl, for the testbed (which has no libc): $(O)/spoof_test-static.

# Included before the Makefile's first rule: keep "all" the default goal.
spoof_saved_goal := $(.DEFAULT_GOAL)

VMCTL_TESTS += spoof_test spoof_test-static

SPOOF_O      := $(O)/spoof
SPOOF_SKEL   := $(SPOOF_O)/net/spoof.skel.h
SPOOF_SRCS   := spoof_test.c tap.c $(VMCTL)/net/spoof.c
SPOOF_HDRS   := unit.h $(VMCTL)/net/spoof.h $(VMCTL)/net/spoof_maps.h $(SPOOF_SKEL)
SPOOF_CFLAGS := -I$(SPOOF_O) $(shell pkg-config --cflags libbpf)

$(SPOOF_SKEL): $(VMCTL)/net/spoof.bpf.c $(VMCTL)/net/spoof_maps.h
	$(MAKE) -C $(VMCTL) O=$(SPOOF_O) $@

$(O)/spoof_test: $(SPOOF_SRCS) $(SPOOF_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) $(SPOOF_CFLAGS) -o $@ $(SPOOF_SRCS) \
		$(shell pkg-config --libs libbpf)

$(O)/spoof_test-static: $(SPOOF_SRCS) $(SPOOF_HDRS)
	@mkdir -p $(O)
	$(CC) $(filter-out $(SANITIZE),$(LOADER_CFLAGS)) $(SPOOF_CFLAGS) -static \
		-o $@ $(SPOOF_SRCS) $(shell pkg-config --static --libs libbpf)

.DEFAULT_GOAL := $(spoof_saved_goal)
