// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables for vmctl's Linux guests. There is no firmware: vmctl writes
 * the tables into the BIOS area before the first vCPU runs, and a stock
 * kernel finds the RSDP there by the same 16-byte scan of 0xE0000-0xFFFFF
 * it does on a PC (or through boot_params.acpi_rsdp_addr, if the loader
 * passes *rsdp_gpa). The E820 map of loader_linux.c reports 0x9fc00-0xfffff
 * as reserved, so the kernel keeps the tables intact.
 *
 * Layout, from VMCTL_ACPI_AREA_START (0xE0000), each table 16-byte aligned:
 *
 *   RSDP  revision 2 (ACPI 2.0+), OEM "HVX   ". It points at both an XSDT
 *         (64-bit entries, what ACPI 2.0+ kernels use) and an RSDT with the
 *         same two entries: everything is below 4 GiB, and the RSDT keeps
 *         "acpi=rsdt" and 32-bit-only parsers working for 44 bytes.
 *   RSDT, XSDT  revision 1: FADT ("FACP"), MADT ("APIC") and, with PCI,
 *         MCFG.
 *   FACS  64-byte aligned as the spec demands; version 2, no waking vector
 *         (no S3), global lock free.
 *   FADT  revision 6, minor 3 (ACPI 6.3), full ACPI hardware (not reduced):
 *         SCI_INT 9; SMI_CMD 0, so the OS finds ACPI mode on already;
 *         PM1a_EVT_BLK I/O 0x600 length 4 (PM1_STS 0x600, PM1_EN 0x602),
 *         PM1a_CNT_BLK I/O 0x604 length 2, in both the 32-bit fields and the
 *         X_ Generic Address Structures; PM_TMR_BLK I/O 0x608 length 4,
 *         X_PM_TMR_BLK 32 bits, dword access; no PM1b, PM2 or GPE blocks; no C2/C3 (latencies over the limits); RESET_REG I/O 0xcf9
 *         byte, RESET_VALUE 0x06. Flags: WBINVD, PROC_C1 (HLT works),
 *         SLP_BUTTON and FIX_RTC (neither fixed event exists), TMR_VAL_EXT
 *         (the PM timer counts 32 bits), RESET_REG_SUP;
 *         PWR_BUTTON clear: the fixed-feature power button exists.
 *         IAPC_BOOT_ARCH: LEGACY_DEVICES (COM1), VGA not present; CMOS
 *         RTC not present unless cfg->cmos_rtc, which also sets CENTURY to
 *         the RTC's century byte 0x32 (hw/rtc.c); 8042 clear. MSI is supported (NO_MSI clear:
 *         Linux would otherwise turn MSI and MSI-X off for every device).
 *   MADT  revision 5: local APIC address 0xfee00000, flags PCAT_COMPAT
 *         with cfg->pic (the 8259s are there: Linux masks them), else 0;
 *         one enabled Processor Local APIC per vCPU i, UID i and APIC ID i;
 *         one I/O APIC, ID ncpus, at 0xfec00000, GSI base 0 (24 pins); an
 *         Interrupt Source Override, ISA IRQ 9 -> GSI 9, flags 0x000d
 *         (level, active high), for the SCI; with cfg->pic another, ISA
 *         IRQ 0 -> GSI 2, flags 0 (bus default: edge, active high), as on
 *         every PC: the PIT is IOAPIC pin 2 (pin 0 is the 8259's INT).
 *         The other ISA IRQs (COM1's 4) are identity-mapped edge/active-
 *         high by default.
 *   MCFG  revision 1: one allocation, segment 0, buses 0 to ecam_last_bus
 *         at ecam_base (the PCI host's ECAM), when the machine has PCI.
 *   DSDT  revision 2 (64-bit integers); its body is what the machine's
 *         devices wrote with aml.h (the PM's \_S5, each UART, the PCI host
 *         bridge and its _PRT): machine.c gathers it.
 *
 * hw/pm.c implements the PM1 registers, the PM timer, port 0xcf9 and the SCI; the port
 * numbers and GSI here come from its header so the two cannot disagree.
 */
#include <stdio.h>
#include <string.h>
#include <linux/hvx.h>

#include "acpi/acpi.h"
#include "hw/pm.h"
#include "hw/rtc.h"

#define ACPI_OEM_ID		"HVX   "
#define ACPI_CREATOR_ID		"HVX "
#define ACPI_TABLE_ALIGN	16
#define ACPI_FACS_ALIGN		64
#define ACPI_FADT_MINOR		3	/* ACPI 6.3 */
#define ACPI_MADT_REVISION	5	/* ACPI 6.3 */
#define ACPI_SCI_IRQ		VMCTL_PM_SCI_GSI
/* P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 (us) say "no C2", "no C3". */
#define ACPI_NO_C2_LAT		101
#define ACPI_NO_C3_LAT		1001

static uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The header's fixed fields; length and checksum are done in finish(). */
static void init_header(struct acpi_table_header *h, const char *sig,
			uint8_t revision, const char *table_id)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, table_id, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* Set @len as the length of the table at @buf and checksum it. */
static void finish(uint8_t *buf, uint32_t len)
{
	struct acpi_table_header h;

	memcpy(&h, buf, sizeof(h));
	h.length = len;
	h.checksum = 0;
	memcpy(buf, &h, sizeof(h));
	buf[offsetof(struct acpi_table_header, checksum)] =
		acpi_checksum(buf, len);
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bytes, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SYSTEM_IO, .bit_width = bytes * 8,
		.access_size = access, .address = port,
	};
}

static size_t build_madt(uint8_t *buf, unsigned int ncpus, bool pic)
{
	struct acpi_madt madt;
	struct acpi_madt_ioapic ioapic = {
		.type = ACPI_MADT_TYPE_IOAPIC, .length = sizeof(ioapic),
		.ioapic_id = ncpus, .address = HVX_IOAPIC_ADDR, .gsi_base = 0,
	};
	struct acpi_madt_iso sci = {
		.type = ACPI_MADT_TYPE_ISO, .length = sizeof(sci),
		.bus = 0, .source = ACPI_SCI_IRQ, .gsi = VMCTL_PM_SCI_GSI,
		.flags = ACPI_MPS_LEVEL | ACPI_MPS_ACTIVE_HIGH,
	};
	struct acpi_madt_iso timer = {
		.type = ACPI_MADT_TYPE_ISO, .length = sizeof(timer),
		.bus = 0, .source = 0, .gsi = 2, .flags = 0,
	};
	size_t len = sizeof(madt);
	unsigned int i;

	init_header(&madt.header, "APIC", ACPI_MADT_REVISION, "HVXAPIC ");
	madt.lapic_address = HVX_APIC_DEFAULT_ADDR;
	/* Without the 8259s, no PCAT_COMPAT: there is none to mask. */
	madt.flags = pic ? ACPI_MADT_PCAT_COMPAT : 0;
	memcpy(buf, &madt, sizeof(madt));

	for (i = 0; i < ncpus; i++) {
		struct acpi_madt_lapic lapic = {
			.type = ACPI_MADT_TYPE_LAPIC, .length = sizeof(lapic),
			.processor_uid = i, .apic_id = i,
			.flags = ACPI_MADT_ENABLED,
		};

		memcpy(buf + len, &lapic, sizeof(lapic));
		len += sizeof(lapic);
	}
	memcpy(buf + len, &ioapic, sizeof(ioapic));
	len += sizeof(ioapic);
	/*
	 * Without the override Linux would take the SCI as an ISA interrupt,
	 * edge-triggered; the FADT's SCI is level-triggered and the irqchip
	 * takes polarity literally, so say level and active high, as dev_pm.c
	 * drives it.
	 */
	memcpy(buf + len, &sci, sizeof(sci));
	len += sizeof(sci);
	if (pic) {
		memcpy(buf + len, &timer, sizeof(timer));
		len += sizeof(timer);
	}
	finish(buf, len);
	return len;
}

static void build_mcfg(uint8_t *buf, const struct vmctl_acpi_config *cfg)
{
	struct acpi_mcfg m;
	struct acpi_mcfg_allocation e = {
		.address = cfg->ecam_base, .segment = 0,
		.start_bus = 0, .end_bus = cfg->ecam_last_bus,
	};

	memset(&m, 0, sizeof(m));
	init_header(&m.header, "MCFG", 1, "HVXMCFG ");
	memcpy(buf, &m, sizeof(m));
	memcpy(buf + sizeof(m), &e, sizeof(e));
	finish(buf, sizeof(m) + sizeof(e));
}

static void build_fadt(uint8_t *buf, uint32_t facs, uint32_t dsdt,
		       bool cmos_rtc)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	init_header(&f.header, "FACP", 6, "HVXFACP ");
	f.firmware_ctrl = facs;
	f.dsdt = dsdt;
	f.x_firmware_ctrl = facs;
	f.x_dsdt = dsdt;
	f.preferred_pm_profile = 0;	/* unspecified */
	f.sci_int = ACPI_SCI_IRQ;
	/* No SMI command port: the OS finds the machine in ACPI mode. */
	f.smi_cmd = 0;

	f.pm1a_evt_blk = VMCTL_PM1A_EVT_BLK;
	f.pm1_evt_len = VMCTL_PM1_EVT_LEN;
	f.pm1a_cnt_blk = VMCTL_PM1A_CNT_BLK;
	f.pm1_cnt_len = VMCTL_PM1_CNT_LEN;
	/*
	 * ACPICA warns unless each X_ block's bit width is 8 times the 32-bit
	 * length; the registers inside are 16 bits wide, hence word access.
	 */
	f.x_pm1a_evt_blk = io_gas(VMCTL_PM1A_EVT_BLK, VMCTL_PM1_EVT_LEN,
				  ACPI_GAS_ACCESS_WORD);
	f.x_pm1a_cnt_blk = io_gas(VMCTL_PM1A_CNT_BLK, VMCTL_PM1_CNT_LEN,
				  ACPI_GAS_ACCESS_WORD);
	f.pm_tmr_blk = VMCTL_PM_TMR_BLK;
	f.pm_tmr_len = VMCTL_PM_TMR_LEN;
	f.x_pm_tmr_blk = io_gas(VMCTL_PM_TMR_BLK, VMCTL_PM_TMR_LEN,
				ACPI_GAS_ACCESS_DWORD);

	f.p_lvl2_lat = ACPI_NO_C2_LAT;
	f.p_lvl3_lat = ACPI_NO_C3_LAT;
	/* The RTC has no day or month alarm; its century is CMOS byte 0x32. */
	f.century = cmos_rtc ? VMCTL_RTC_CENTURY : 0;

	f.iapc_boot_arch = ACPI_FADT_BOOT_LEGACY_DEVICES | ACPI_FADT_BOOT_NO_VGA |
			   (cmos_rtc ? 0 : ACPI_FADT_BOOT_NO_CMOS_RTC);
	f.flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 |
		  ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC |
		  ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP;
	f.reset_reg = io_gas(VMCTL_PM_RESET_PORT, 1, ACPI_GAS_ACCESS_BYTE);
	f.reset_value = VMCTL_PM_RESET_VALUE;
	f.minor_version = ACPI_FADT_MINOR;

	memcpy(buf, &f, sizeof(f));
	finish(buf, sizeof(f));
}

int vmctl_acpi_build(uint8_t *mem, uint64_t mem_size,
		     const struct vmctl_acpi_config *cfg, uint64_t *rsdp_gpa)
{
	static const uint32_t base = VMCTL_ACPI_AREA_START;
	uint8_t area[VMCTL_ACPI_MAX_SIZE];
	size_t rsdp, rsdt, xsdt, facs, fadt, madt, mcfg, dsdt, end;
	size_t mcfg_len = cfg->ecam_base ? sizeof(struct acpi_mcfg) +
			  sizeof(struct acpi_mcfg_allocation) : 0;
	unsigned int ntables = cfg->ecam_base ? 3 : 2;
	size_t madt_len = sizeof(struct acpi_madt) +
			  cfg->ncpus * sizeof(struct acpi_madt_lapic) +
			  sizeof(struct acpi_madt_ioapic) +
			  (cfg->pic ? 2 : 1) * sizeof(struct acpi_madt_iso);
	struct acpi_table_header h;
	struct acpi_facs fc;
	struct acpi_rsdp rp;
	uint32_t tables[3];
	uint64_t xtables[3];

	if (cfg->ncpus < 1 || cfg->ncpus > VMCTL_ACPI_MAX_CPUS) {
		fprintf(stderr, "vmctl: ACPI: %u vCPUs, the tables describe 1 to %u\n",
			cfg->ncpus, VMCTL_ACPI_MAX_CPUS);
		return -1;
	}
	if (mem_size < VMCTL_ACPI_AREA_END) {
		fprintf(stderr, "vmctl: ACPI: guest memory (%llu KiB) does not reach the BIOS area at %#x-%#x\n",
			(unsigned long long)mem_size >> 10,
			VMCTL_ACPI_AREA_START, VMCTL_ACPI_AREA_END - 1);
		return -1;
	}

	/* Place everything first: tables point at each other. */
	rsdp = 0;
	rsdt = align_up(rsdp + sizeof(struct acpi_rsdp), ACPI_TABLE_ALIGN);
	xsdt = align_up(rsdt + sizeof(h) + ntables * sizeof(tables[0]),
			ACPI_TABLE_ALIGN);
	facs = align_up(xsdt + sizeof(h) + ntables * sizeof(xtables[0]),
			ACPI_FACS_ALIGN);
	fadt = align_up(facs + sizeof(struct acpi_facs), ACPI_TABLE_ALIGN);
	madt = align_up(fadt + sizeof(struct acpi_fadt), ACPI_TABLE_ALIGN);
	mcfg = align_up(madt + madt_len, ACPI_TABLE_ALIGN);
	dsdt = align_up(mcfg + mcfg_len, ACPI_TABLE_ALIGN);
	end = dsdt + sizeof(h) + cfg->dsdt_len;
	/* The DSDT grows with the devices: checked at run time. */
	if (end > sizeof(area)) {
		fprintf(stderr, "vmctl: ACPI: tables need %zu bytes, room for %zu\n",
			end, sizeof(area));
		return -1;
	}
	memset(area, 0, end);

	init_header(&h, "DSDT", 2, "HVXDSDT ");
	memcpy(area + dsdt, &h, sizeof(h));
	if (cfg->dsdt_len)
		memcpy(area + dsdt + sizeof(h), cfg->dsdt, cfg->dsdt_len);
	finish(area + dsdt, sizeof(h) + cfg->dsdt_len);
	build_madt(area + madt, cfg->ncpus, cfg->pic);
	if (mcfg_len)
		build_mcfg(area + mcfg, cfg);
	build_fadt(area + fadt, base + facs, base + dsdt, cfg->cmos_rtc);

	memset(&fc, 0, sizeof(fc));
	memcpy(fc.signature, "FACS", 4);
	fc.length = sizeof(fc);
	fc.version = 2;
	memcpy(area + facs, &fc, sizeof(fc));

	/* FADT first: some parsers expect it there. */
	tables[0] = base + fadt;
	tables[1] = base + madt;
	tables[2] = base + mcfg;
	xtables[0] = base + fadt;
	xtables[1] = base + madt;
	xtables[2] = base + mcfg;
	init_header(&h, "RSDT", 1, "HVXRSDT ");
	memcpy(area + rsdt, &h, sizeof(h));
	memcpy(area + rsdt + sizeof(h), tables, ntables * sizeof(tables[0]));
	finish(area + rsdt, sizeof(h) + ntables * sizeof(tables[0]));
	init_header(&h, "XSDT", 1, "HVXXSDT ");
	memcpy(area + xsdt, &h, sizeof(h));
	memcpy(area + xsdt + sizeof(h), xtables, ntables * sizeof(xtables[0]));
	finish(area + xsdt, sizeof(h) + ntables * sizeof(xtables[0]));

	memset(&rp, 0, sizeof(rp));
	memcpy(rp.signature, "RSD PTR ", 8);
	memcpy(rp.oem_id, ACPI_OEM_ID, 6);
	rp.revision = 2;
	rp.rsdt_address = base + rsdt;
	rp.length = sizeof(rp);
	rp.xsdt_address = base + xsdt;
	rp.checksum = acpi_checksum(&rp, ACPI_RSDP_V1_LENGTH);
	rp.extended_checksum = acpi_checksum(&rp, sizeof(rp));
	memcpy(area + rsdp, &rp, sizeof(rp));

	memcpy(mem + base, area, end);
	*rsdp_gpa = base + rsdp;
	return 0;
}
