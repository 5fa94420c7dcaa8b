# SPDX-License-Identifier: GPL-2.0
#
# pci_test: vmctl's PCI host bridge, config space, BARs, INTx and MSI-X on
# the real bus maps; the VM's interrupt ioctls replaced by recorders.
VMCTL_TESTS += pci_test

PCI_SRCS := pci_test.c tap.c $(VMCTL)/pci/pci.c $(VMCTL)/pci/msix.c $(VMCTL)/pci/msi.c \
	    $(VMCTL)/core/bus.c $(VMCTL)/acpi/aml.c
PCI_HDRS := unit.h $(VMCTL)/pci/pci.h $(VMCTL)/pci/msix.h \
	    $(VMCTL)/core/bus.h $(VMCTL)/core/vm.h $(TOP)/uapi/linux/hvx.h

$(O)/pci_test: $(PCI_SRCS) $(PCI_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(PCI_SRCS) -lpthread
