# SPDX-License-Identifier: GPL-2.0
#
# vmctl's vhost-net data path (virtio/vhost.c) against the kernel's
# vhost_net, with the fake VM's memory as guest RAM and a tap of its own
# (vhost_net_test.c says how). On a host without /dev/vhost-net, or not
# root, check runs it and it skips. The testbed (Debian's kernel, where
# vhost_net is a module) runs the static build:
#   make -C tests/unit vhost-static	-> build/unit/vhost_net_test-static
# which suite_check.sh's vhost_net case runs as /vhost_net_test.
VMCTL_TESTS += vhost_net_test

VHOST_TEST_SRCS := vhost_net_test.c tap.c virtio_fake_vm.c $(VMCTL)/core/bus.c \
		   $(VMCTL)/virtio/vhost.c
VHOST_STATIC    := $(O)/vhost_net_test-static

$(O)/vhost_net_test: $(VHOST_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(VHOST_TEST_SRCS)

# No sanitizers: their runtimes do not link statically. check builds and
# runs it too (it is the testbed's copy of the same test).
VMCTL_TESTS += vhost_net_test-static
.PHONY: vhost-static
vhost-static: $(VHOST_STATIC)
$(VHOST_STATIC): $(VHOST_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(subst $(SANITIZE),,$(LOADER_CFLAGS)) -pthread -static -o $@ \
		$(VHOST_TEST_SRCS)
