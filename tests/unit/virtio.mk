# SPDX-License-Identifier: GPL-2.0
#
# vmctl's virtio: split virtqueues (virtio_queue_test), the virtio-PCI
# transport with virtio-blk over a temporary image (virtio_blk_test), and
# the raw image back end and --disk options (block_test). The VM is
# virtio_fake_vm.c: guest RAM in the test, MSIs, IOAPIC lines and
# ioeventfds recorded. The PCI host and MSI-X are the real pci/ files.
VMCTL_TESTS += virtio_queue_test virtio_blk_test block_test

VIRTIO_FAKE   := virtio_fake_vm.c $(VMCTL)/core/bus.c
VIRTIO_HDRS   := unit.h virtio_fake_vm.h $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h \
		 $(wildcard $(VMCTL)/virtio/*.h) $(wildcard $(VMCTL)/block/*.h) \
		 $(VMCTL)/pci/pci.h $(VMCTL)/pci/msix.h $(TOP)/uapi/linux/hvx.h
VQ_TEST_SRCS  := virtio_queue_test.c tap.c $(VIRTIO_FAKE) \
		 $(VMCTL)/virtio/virtqueue.c
BLK_TEST_SRCS := virtio_blk_test.c tap.c $(VIRTIO_FAKE) \
		 $(VMCTL)/virtio/virtqueue.c $(VMCTL)/virtio/virtio.c \
		 $(VMCTL)/virtio/pci.c $(VMCTL)/virtio/blk.c \
		 $(VMCTL)/block/raw.c $(VMCTL)/block/opts.c \
		 $(VMCTL)/pci/pci.c $(VMCTL)/pci/msix.c $(VMCTL)/pci/msi.c $(VMCTL)/acpi/aml.c
BLOCK_TEST_SRCS := block_test.c tap.c $(VMCTL)/block/raw.c $(VMCTL)/block/opts.c

$(O)/virtio_queue_test: $(VQ_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(VQ_TEST_SRCS)

$(O)/virtio_blk_test: $(BLK_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(BLK_TEST_SRCS)

$(O)/block_test: $(BLOCK_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -pthread -o $@ $(BLOCK_TEST_SRCS)

# The same end-to-end test under ThreadSanitizer (not part of check: it
# excludes ASan): the transport's locks against the I/O thread, and the
# ring's acquire/release pairs against the test's driver.
.PHONY: virtio-tsan
virtio-tsan: $(O)/virtio_blk_tsan
	$(O)/virtio_blk_tsan

$(O)/virtio_blk_tsan: $(BLK_TEST_SRCS) $(VIRTIO_HDRS)
	@mkdir -p $(O)
	$(CC) $(subst $(SANITIZE),-fsanitize=thread,$(LOADER_CFLAGS)) -pthread \
		-o $@ $(BLK_TEST_SRCS)
