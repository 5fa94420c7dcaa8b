# SPDX-License-Identifier: GPL-2.0
#
# vmctl's virtio: split virtqueues (virtio_queue_test), the virtio-PCI
# transport with virtio-blk over a temporary image (virtio_blk_test),
# virtio-net over socket pairs standing in for tap queues
# (virtio_net_test), and the raw image back end and --disk options
# (block_test, with the token buckets of iops= and bps=). The VM is
# virtio_fake_vm.c: guest RAM in the test, MSIs, IOAPIC lines and
# ioeventfds recorded. The PCI host and MSI-X are the real pci/ files.
# virtio_callfd_test: the transport's call eventfd routes (irqfds of the
# MSI-X messages, the relay thread) that vhost devices use. The tests that
# play the guest driver share virtio_driver.c (BAR and config accesses,
# feature negotiation, queues, kicks, used entries).
VMCTL_TESTS += virtio_queue_test virtio_blk_test virtio_net_test block_test virtio_callfd_test \
	       virtio_balloon_test

VIRTIO_FAKE   := virtio_fake_vm.c $(VMCTL)/core/bus.c
# The driver's side of a virtio-PCI function, for the tests that play the guest.
VIRTIO_DRV    := virtio_driver.c
VIRTIO_HDRS   := unit.h virtio_fake_vm.h virtio_driver.h $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h \
		 $(wildcard $(VMCTL)/virtio/*.h) $(wildcard $(VMCTL)/block/*.h) \
		 $(VMCTL)/pci/pci.h $(VMCTL)/pci/msix.h $(TOP)/uapi/linux/hvx.h
VQ_TEST_SRCS  := virtio_queue_test.c tap.c $(VIRTIO_FAKE) \
		 $(VMCTL)/virtio/virtqueue.c
BLK_TEST_SRCS := virtio_blk_test.c tap.c $(VIRTIO_FAKE) $(VIRTIO_DRV) \
		 $(VMCTL)/virtio/virtqueue.c $(VMCTL)/virtio/virtio.c \
		 $(VMCTL)/virtio/pci.c $(VMCTL)/virtio/blk.c $(VMCTL)/virtio/worker.c \
		 $(VMCTL)/block/raw.c $(VMCTL)/block/opts.c $(VMCTL)/core/optparse.c \
		 $(VMCTL)/core/token_bucket.c \
		 $(VMCTL)/pci/pci.c $(VMCTL)/pci/msix.c $(VMCTL)/pci/msi.c $(VMCTL)/acpi/aml.c
NET_TEST_SRCS := virtio_net_test.c tap.c $(VIRTIO_FAKE) $(VIRTIO_DRV) \
		 $(VMCTL)/virtio/virtqueue.c $(VMCTL)/virtio/virtio.c \
		 $(VMCTL)/virtio/pci.c $(VMCTL)/virtio/net.c $(VMCTL)/virtio/net_rx.c \
		 $(VMCTL)/virtio/net_tx.c $(VMCTL)/virtio/net_ctrl.c $(VMCTL)/virtio/vhost.c \
		 $(VMCTL)/pci/pci.c $(VMCTL)/pci/msix.c $(VMCTL)/pci/msi.c $(VMCTL)/acpi/aml.c
CALLFD_TEST_SRCS := virtio_callfd_test.c tap.c $(VIRTIO_FAKE) $(VIRTIO_DRV) \
		 $(VMCTL)/virtio/virtqueue.c $(VMCTL)/virtio/virtio.c \
		 $(VMCTL)/virtio/pci.c $(VMCTL)/pci/pci.c $(VMCTL)/pci/msix.c \
		 $(VMCTL)/pci/msi.c $(VMCTL)/acpi/aml.c
BALLOON_TEST_SRCS := virtio_balloon_test.c tap.c $(VIRTIO_FAKE) $(VIRTIO_DRV) \
		 $(VMCTL)/virtio/virtqueue.c $(VMCTL)/virtio/virtio.c \
		 $(VMCTL)/virtio/pci.c $(VMCTL)/virtio/balloon.c $(VMCTL)/virtio/worker.c $(VMCTL)/pci/pci.c \
		 $(VMCTL)/pci/msix.c $(VMCTL)/pci/msi.c $(VMCTL)/acpi/aml.c
BLOCK_TEST_SRCS := block_test.c tap.c $(VMCTL)/block/raw.c $(VMCTL)/block/opts.c $(VMCTL)/core/optparse.c \
		   $(VMCTL)/core/token_bucket.c

$(O)/virtio_queue_test: $(VQ_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(VQ_TEST_SRCS)

$(O)/virtio_blk_test: $(BLK_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(BLK_TEST_SRCS)

$(O)/virtio_net_test: $(NET_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(NET_TEST_SRCS)

$(O)/virtio_callfd_test: $(CALLFD_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(CALLFD_TEST_SRCS)

$(O)/virtio_balloon_test: $(BALLOON_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(BALLOON_TEST_SRCS)

$(O)/block_test: $(BLOCK_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(BLOCK_TEST_SRCS)

# The same end-to-end test under ThreadSanitizer (not part of check: it
# excludes ASan): the transport's locks against the I/O thread, and the
# ring's acquire/release pairs against the test's driver.
.PHONY: virtio-tsan
virtio-tsan: $(O)/virtio_blk_tsan $(O)/virtio_net_tsan $(O)/virtio_callfd_tsan
	$(O)/virtio_blk_tsan
	$(O)/virtio_net_tsan
	$(O)/virtio_callfd_tsan

$(O)/virtio_blk_tsan: $(BLK_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(subst $(SANITIZE),-fsanitize=thread,$(LOADER_CFLAGS)) -pthread \
		-o $@ $(BLK_TEST_SRCS)

$(O)/virtio_net_tsan: $(NET_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(subst $(SANITIZE),-fsanitize=thread,$(LOADER_CFLAGS)) -pthread \
		-o $@ $(NET_TEST_SRCS)

# The relay thread against the vCPU-side hooks.
$(O)/virtio_callfd_tsan: $(CALLFD_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(subst $(SANITIZE),-fsanitize=thread,$(LOADER_CFLAGS)) -pthread \
		-o $@ $(CALLFD_TEST_SRCS)
