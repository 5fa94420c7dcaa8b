# SPDX-License-Identifier: GPL-2.0
#
# fw_cfg_test: vmctl's QEMU fw_cfg device (hw/fw_cfg.c): every item read
# back byte by byte through ports 0x510-0x511 on a real bus map (bus.c),
# selection, offsets, the end of an item, accesses QEMU refuses. Its DSDT
# device (QEMU0002) is acpi_test's.
VMCTL_TESTS += fw_cfg_test

FW_CFG_SRCS := fw_cfg_test.c tap.c $(VMCTL)/hw/fw_cfg.c $(VMCTL)/core/bus.c $(VMCTL)/acpi/aml.c
FW_CFG_HDRS := unit.h $(VMCTL)/hw/fw_cfg.h $(VMCTL)/core/vm.h $(VMCTL)/core/bus.h \
	       $(TOP)/uapi/linux/hvx.h

$(O)/fw_cfg_test: $(FW_CFG_SRCS) $(FW_CFG_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -o $@ $(FW_CFG_SRCS) -lpthread
