# SPDX-License-Identifier: GPL-2.0
#
# acpi_test: vmctl's ACPI tables (acpi.c, with the DSDT that iasl compiles
# from dsdt.asl) and its ACPI PM device (dev_pm.c). The DSDT header is made
# here the same way the top Makefile makes $(BUILD)/gen/dsdt.h, so that this
# directory builds alone. Included by the Makefile beside it.

# Included before the Makefile's first rule: keep "all" the default goal.
acpi_saved_goal := $(.DEFAULT_GOAL)

VMCTL_TESTS += acpi_test

ACPI_GEN       := $(O)/acpi-gen
ACPI_TEST_SRCS := acpi_test.c tap.c $(VMCTL)/acpi.c $(VMCTL)/dev_pm.c
ACPI_TEST_HDRS := unit.h $(VMCTL)/acpi.h $(VMCTL)/dev_pm.h $(VMCTL)/vm.h \
		  $(TOP)/uapi/linux/hvx.h $(ACPI_GEN)/dsdt.h

$(ACPI_GEN)/dsdt.h: $(VMCTL)/dsdt.asl
	@mkdir -p $(ACPI_GEN)
	iasl -vs -we -p $(ACPI_GEN)/dsdt -tc $< >$(ACPI_GEN)/iasl.log 2>&1 || \
		{ cat $(ACPI_GEN)/iasl.log >&2; exit 1; }
	sed -e 's/^unsigned char dsdt_aml_code\[\]/static const unsigned char vmctl_dsdt_aml[]/' \
	    -e '/Compilation of/d' $(ACPI_GEN)/dsdt.hex >$@.tmp
	grep -q vmctl_dsdt_aml $@.tmp && mv $@.tmp $@

$(O)/acpi_test: $(ACPI_TEST_SRCS) $(ACPI_TEST_HDRS)
	@mkdir -p $(O)
	$(CC) $(LOADER_CFLAGS) -I$(ACPI_GEN) -pthread -o $@ $(ACPI_TEST_SRCS)

.DEFAULT_GOAL := $(acpi_saved_goal)
