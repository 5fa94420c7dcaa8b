/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI tables vmctl gives a Linux guest: RSDP, RSDT, XSDT, FADT, FACS,
 * MADT, MCFG and DSDT in the BIOS area, where a kernel without firmware finds the
 * RSDP by scanning. acpi.c describes the platform they advertise.
 *
 * The structures are ACPI 6.3's (chapter 5.2), written from the spec as
 * packed little-endian C structs: Debian ships no user-space ACPICA
 * headers. The _Static_asserts pin each table's size and the offsets of
 * the fields that Linux reads, so a typo cannot shift them silently.
 */
#ifndef VMCTL_ACPI_H
#define VMCTL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmctl_acpi_config {
	unsigned int ncpus;	/* 1..VMCTL_ACPI_MAX_CPUS */
	/* The DSDT's body, after its header: what the devices wrote (aml.h). */
	const uint8_t *dsdt;
	size_t dsdt_len;
	/* PCI ECAM for the MCFG table, bus 0 to @ecam_last_bus; 0: no MCFG. */
	uint64_t ecam_base;
	uint8_t ecam_last_bus;
	/* The CMOS RTC is there (hw/rtc.h): FADT CENTURY, no NO_CMOS_RTC. */
	bool cmos_rtc;
	/*
	 * The 8259s and the PIT are there (HVX_CREATE_PIC, hw/pit.h): MADT
	 * PCAT_COMPAT and the override of ISA IRQ 0 to GSI 2.
	 */
	bool pic;
};

#define VMCTL_ACPI_MAX_CPUS	64

/*
 * Where the tables go: the 128 KiB that a PC keeps for its BIOS, which
 * Linux scans for the RSDP in 16-byte steps (ACPI 6.3 5.2.5.1) and which
 * vmctl's E820 map reports as reserved. The tables use at most the first
 * VMCTL_ACPI_MAX_SIZE bytes of it; the rest is left as it is.
 */
#define VMCTL_ACPI_AREA_START	0xe0000
#define VMCTL_ACPI_AREA_END	0x100000
#define VMCTL_ACPI_MAX_SIZE	0x4000

/*
 * Write the tables for @cfg into guest memory @mem (guest-physical 0 to
 * @mem_size, which must cover the BIOS area) and return 0 with the RSDP's
 * guest-physical address in *@rsdp_gpa (the boot_params acpi_rsdp_addr a
 * loader may pass), or -1 with a message on stderr.
 */
int vmctl_acpi_build(uint8_t *mem, uint64_t mem_size,
		     const struct vmctl_acpi_config *cfg, uint64_t *rsdp_gpa);

/* ACPI 6.3 5.2.3.2: Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;		/* ACPI_GAS_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* ACPI_GAS_ACCESS_* */
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_SYSTEM_IO		1
#define ACPI_GAS_ACCESS_BYTE		1
#define ACPI_GAS_ACCESS_WORD		2
#define ACPI_GAS_ACCESS_DWORD		3

/* 5.2.5.3: Root System Description Pointer, revision 2. */
struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* of the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;		/* 2: XsdtAddress is valid */
	uint32_t rsdt_address;
	uint32_t length;		/* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* of all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

#define ACPI_RSDP_V1_LENGTH	20

/* 5.2.6: the header every table but the RSDP and FACS starts with. */
struct acpi_table_header {
	char signature[4];
	uint32_t length;		/* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;		/* the table's bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* 5.2.9: Fixed ACPI Description Table, revision 6 (ACPI 6.0-6.5). */
struct acpi_fadt {
	struct acpi_table_header header;	/* "FACP" */
	uint32_t firmware_ctrl;		/* 36: FACS */
	uint32_t dsdt;			/* 40 */
	uint8_t reserved0;		/* 44: INT_MODEL in ACPI 1.0 */
	uint8_t preferred_pm_profile;	/* 45 */
	uint16_t sci_int;		/* 46: an ISA IRQ in the 8259 sense */
	uint32_t smi_cmd;		/* 48: 0: no SMI, always in ACPI mode */
	uint8_t acpi_enable;		/* 52 */
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;		/* 56 */
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;		/* 64 */
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;		/* 76 */
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;		/* 88 */
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;		/* 96 */
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;		/* 104 */
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;	/* 109: ACPI_FADT_BOOT_* */
	uint8_t reserved1;
	uint32_t flags;			/* 112: ACPI_FADT_* */
	struct acpi_gas reset_reg;	/* 116 */
	uint8_t reset_value;		/* 128 */
	uint16_t arm_boot_arch;
	uint8_t minor_version;		/* 131 */
	uint64_t x_firmware_ctrl;	/* 132 */
	uint64_t x_dsdt;		/* 140 */
	struct acpi_gas x_pm1a_evt_blk;	/* 148 */
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;	/* 172 */
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;	/* 244 */
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;	/* 268 */
} __attribute__((packed));

/* FADT flags (ACPI 6.3 Table 5-34). */
#define ACPI_FADT_WBINVD		(1u << 0)
#define ACPI_FADT_PROC_C1		(1u << 2)
#define ACPI_FADT_PWR_BUTTON		(1u << 4)	/* set: no fixed button */
#define ACPI_FADT_SLP_BUTTON		(1u << 5)	/* set: no fixed button */
#define ACPI_FADT_FIX_RTC		(1u << 6)	/* set: no fixed RTC event */
#define ACPI_FADT_TMR_VAL_EXT		(1u << 8)	/* PM_TMR is 32 bits */
#define ACPI_FADT_RESET_REG_SUP		(1u << 10)
#define ACPI_FADT_HW_REDUCED_ACPI	(1u << 20)

/* FADT IA-PC boot architecture flags (Table 5-35). */
#define ACPI_FADT_BOOT_LEGACY_DEVICES	(1u << 0)
#define ACPI_FADT_BOOT_8042		(1u << 1)
#define ACPI_FADT_BOOT_NO_VGA		(1u << 2)
#define ACPI_FADT_BOOT_NO_MSI		(1u << 3)
#define ACPI_FADT_BOOT_NO_ASPM		(1u << 4)
#define ACPI_FADT_BOOT_NO_CMOS_RTC	(1u << 5)

/* 5.2.10: Firmware ACPI Control Structure, version 2; 64-byte aligned. */
struct acpi_facs {
	char signature[4];		/* "FACS" */
	uint32_t length;		/* 64 */
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;		/* 2 */
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));

/* PCI Firmware Specification 3.0, 4.1.2: MCFG, one allocation per segment. */
struct acpi_mcfg {
	struct acpi_table_header header;	/* "MCFG", revision 1 */
	uint8_t reserved[8];
} __attribute__((packed));

struct acpi_mcfg_allocation {
	uint64_t address;		/* ECAM base of bus 0 of the segment */
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

/* 5.2.12: Multiple APIC Description Table, revision 5. */
struct acpi_madt {
	struct acpi_table_header header;	/* "APIC" */
	uint32_t lapic_address;
	uint32_t flags;			/* ACPI_MADT_PCAT_COMPAT */
	/* followed by interrupt controller structures */
} __attribute__((packed));

#define ACPI_MADT_PCAT_COMPAT	(1u << 0)	/* a dual 8259 is present */

#define ACPI_MADT_TYPE_LAPIC	0
#define ACPI_MADT_TYPE_IOAPIC	1
#define ACPI_MADT_TYPE_ISO	2

struct acpi_madt_lapic {
	uint8_t type, length;		/* 0, 8 */
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;			/* ACPI_MADT_ENABLED */
} __attribute__((packed));

#define ACPI_MADT_ENABLED	(1u << 0)

struct acpi_madt_ioapic {
	uint8_t type, length;		/* 1, 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

/* Interrupt Source Override: ISA IRQ @source is GSI @gsi with @flags. */
struct acpi_madt_iso {
	uint8_t type, length;		/* 2, 10 */
	uint8_t bus;			/* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;			/* ACPI_MPS_* */
} __attribute__((packed));

/* MPS INTI flags (Table 5-50): polarity bits 1:0, trigger mode bits 3:2. */
#define ACPI_MPS_ACTIVE_HIGH	0x1
#define ACPI_MPS_ACTIVE_LOW	0x3
#define ACPI_MPS_EDGE		0x4
#define ACPI_MPS_LEVEL		0xc

_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP XsdtAddress");
_Static_assert(sizeof(struct acpi_table_header) == 36, "table header");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88, "FADT PM1_EVT_LEN");
_Static_assert(offsetof(struct acpi_fadt, p_lvl2_lat) == 96, "FADT P_LVL2_LAT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
_Static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT X_FIRMWARE_CTRL");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG");
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "MCFG allocation");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");

#endif /* VMCTL_ACPI_H */
