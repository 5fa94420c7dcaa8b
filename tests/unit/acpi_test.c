// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's ACPI tables (userspace/vmctl/acpi.c) and ACPI
 * PM device (userspace/vmctl/dev_pm.c), without /dev/hvx.
 *
 * The tables are built into a calloc()ed guest memory and read back the way
 * a kernel reads them: the RSDP by the 16-byte scan of 0xE0000-0xFFFFF, the
 * rest through the pointers. Then iasl (acpica-tools), an independent
 * parser, disassembles each table and must report no error; without iasl
 * those cases are skipped.
 *
 * The DSDT is the one the machine builds: the PM's \_S5, COM1 and the PCI
 * host bridge, from their own dsdt functions (aml.c).
 *
 * The PM device's register logic is called directly; its glue is called
 * through the bus map it registers on (bus.c), with vm.c's
 * vmctl_vm_irq_line() replaced by a recorder below.
 * Prints TAP, in the format of unit_test.c, and exits non-zero if any case
 * failed. ACPI_TEST_KEEP=1 in the environment keeps the temporary directory
 * with the tables (*.dat) and what iasl made of them (*.dsl, *.log).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"
#include "hw/fw_cfg.h"
#include "hw/pm.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "pci/pci.h"
#include "unit.h"
#include "core/vm.h"

#define MIB		(1ULL << 20)
#define GUEST_MEM	(2 * MIB)
#define FILL		0xa5	/* guest memory before the build */

/* --- stand-ins for vm.c ------------------------------------------------- */

static unsigned int irq_calls, irq_repeats, irq_bad_gsi;
static int irq_level = -1;
static struct vmctl_vm glue_vm;

/* pci.c's MSI-X sends nothing in these tests. */
int vmctl_vm_signal_msi(struct vmctl_vm *vm, uint64_t addr, uint32_t data)
{
	return -1;
}

int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int level)
{
	if (gsi != VMCTL_PM_SCI_GSI)
		irq_bad_gsi++;
	if (level == irq_level)
		irq_repeats++;
	irq_level = level;
	irq_calls++;
	return 0;
}

/* --- helpers ------------------------------------------------------------ */

static char tmpdir[] = "/tmp/hvx-acpi-test.XXXXXX";

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

struct range {
	const char *name;
	uint64_t start, len;
};

/*
 * The table at @gpa with signature @sig, its length and checksum checked;
 * NULL (and a failed check) if it is not there.
 */
static const struct acpi_table_header *table_at(struct tcase *tc,
						 const uint8_t *mem,
						 uint64_t gpa, const char *sig,
						 struct range *r)
{
	const struct acpi_table_header *h;

	check(tc, gpa && gpa + sizeof(*h) <= GUEST_MEM,
	      "%s at %#llx: outside guest memory", sig, (unsigned long long)gpa);
	if (!gpa || gpa + sizeof(*h) > GUEST_MEM)
		return NULL;
	h = (const void *)(mem + gpa);
	check(tc, !memcmp(h->signature, sig, 4), "%s at %#llx: signature %.4s",
	      sig, (unsigned long long)gpa, h->signature);
	check(tc, h->length >= sizeof(*h) && gpa + h->length <= GUEST_MEM,
	      "%s: length %u", sig, h->length);
	if (memcmp(h->signature, sig, 4) || h->length < sizeof(*h) ||
	    gpa + h->length > GUEST_MEM)
		return NULL;
	check(tc, sum(h, h->length) == 0, "%s: checksum off by %#x", sig,
	      sum(h, h->length));
	check(tc, !memcmp(h->oem_id, "HVX   ", 6), "%s: OEM id '%.6s'", sig,
	      h->oem_id);
	if (strcmp(sig, "DSDT"))
		check(tc, !memcmp(h->creator_id, "HVX ", 4),
		      "%s: creator id '%.4s'", sig, h->creator_id);
	*r = (struct range){ sig, gpa, h->length };
	return h;
}

/* Linux's acpi_find_root_pointer(): 16-byte steps over 0xE0000-0xFFFFF. */
static uint64_t scan_rsdp(const uint8_t *mem)
{
	uint64_t a;

	for (a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(mem + a, "RSD PTR ", 8) &&
		    sum(mem + a, ACPI_RSDP_V1_LENGTH) == 0)
			return a;
	return 0;
}

struct tables {
	uint64_t rsdp, rsdt, xsdt, fadt, facs, madt, mcfg, dsdt;
	uint32_t rsdp_len, rsdt_len, xsdt_len, fadt_len, facs_len, madt_len,
		 mcfg_len, dsdt_len;
};

/* The DSDT body as machine.c gathers it for a kernel's machine. */
static void machine_dsdt(struct aml *aml, struct vmctl_acpi_config *cfg)
{
	static struct pci_host host;	/* no devices: the bridge's own objects */
	struct vmctl_serial *com1 = vmctl_serial_create("com1", VMCTL_COM1_BASE,
							VMCTL_COM1_IRQ, -1);

	aml_init(aml);
	vmctl_pm_dsdt(aml);
	vmctl_rtc_dsdt(aml);
	vmctl_fw_cfg_dsdt(aml);
	cfg->cmos_rtc = true;
	if (com1)
		vmctl_serial_dsdt(com1, aml, 1);
	vmctl_serial_free(com1);
	pci_host_dsdt(&host, aml);
	if (aml_finish(aml, &cfg->dsdt, &cfg->dsdt_len))
		exit(2);
	cfg->ecam_base = PCI_ECAM_BASE;
	cfg->ecam_last_bus = 0;
}

static uint8_t *build(unsigned int ncpus, struct tables *t, int *ret)
{
	struct vmctl_acpi_config cfg = { .ncpus = ncpus, .pic = true };
	uint8_t *mem = malloc(GUEST_MEM);
	uint64_t rsdp = 0;
	struct aml aml;

	if (!mem) {
		perror("malloc");
		exit(2);
	}
	memset(mem, FILL, GUEST_MEM);
	memset(t, 0, sizeof(*t));
	machine_dsdt(&aml, &cfg);
	*ret = vmctl_acpi_build(mem, GUEST_MEM, &cfg, &rsdp);
	aml_free(&aml);
	t->rsdp = rsdp;
	return mem;
}

static void check_madt(struct tcase *tc, const uint8_t *mem, uint64_t gpa,
		       unsigned int ncpus)
{
	const struct acpi_madt *madt = (const void *)(mem + gpa);
	uint64_t ids = 0, off;
	unsigned int lapics = 0, ioapics = 0, isos = 0;

	check(tc, madt->lapic_address == 0xfee00000,
	      "MADT: local APIC address %#x", madt->lapic_address);
	check(tc, madt->flags & ACPI_MADT_PCAT_COMPAT,
	      "MADT: PCAT_COMPAT clear (the 8259s are there)");
	for (off = sizeof(*madt); off < madt->header.length;) {
		const uint8_t *e = mem + gpa + off;

		if (off + 2 > madt->header.length || e[1] < 2 ||
		    off + e[1] > madt->header.length) {
			check(tc, false, "MADT: entry at +%llu overruns the table",
			      (unsigned long long)off);
			break;
		}
		switch (e[0]) {
		case ACPI_MADT_TYPE_LAPIC: {
			const struct acpi_madt_lapic *l = (const void *)e;

			check(tc, l->length == 8, "LAPIC entry length %u",
			      l->length);
			check(tc, l->flags & ACPI_MADT_ENABLED,
			      "LAPIC %u not enabled", l->apic_id);
			check(tc, l->apic_id < ncpus && !(ids >> l->apic_id & 1),
			      "LAPIC id %u out of range or twice", l->apic_id);
			check(tc, l->processor_uid == l->apic_id,
			      "LAPIC %u: UID %u", l->apic_id, l->processor_uid);
			if (l->apic_id < 64)
				ids |= 1ULL << l->apic_id;
			lapics++;
			break;
		}
		case ACPI_MADT_TYPE_IOAPIC: {
			const struct acpi_madt_ioapic *io = (const void *)e;

			check(tc, io->length == 12, "IOAPIC entry length %u",
			      io->length);
			check(tc, io->ioapic_id == ncpus, "IOAPIC id %u, not %u",
			      io->ioapic_id, ncpus);
			check(tc, io->address == 0xfec00000,
			      "IOAPIC address %#x", io->address);
			check(tc, io->gsi_base == 0, "IOAPIC GSI base %u",
			      io->gsi_base);
			ioapics++;
			break;
		}
		case ACPI_MADT_TYPE_ISO: {
			const struct acpi_madt_iso *iso = (const void *)e;

			check(tc, iso->length == 10, "ISO entry length %u",
			      iso->length);
			check(tc, iso->bus == 0 &&
			      ((iso->source == 9 && iso->gsi == 9 &&
				iso->flags == 0x000d) ||
			       (iso->source == 0 && iso->gsi == 2 &&
				iso->flags == 0)),
			      "ISO: bus %u IRQ %u -> GSI %u flags %#x, want 0 9 9 0xd or 0 0 2 0",
			      iso->bus, iso->source, iso->gsi, iso->flags);
			isos++;
			break;
		}
		default:
			check(tc, false, "MADT: unexpected entry type %u", e[0]);
		}
		off += e[1];
	}
	check(tc, lapics == ncpus, "MADT: %u LAPICs for %u vCPUs", lapics,
	      ncpus);
	check(tc, ids == (ncpus == 64 ? ~0ULL : (1ULL << ncpus) - 1),
	      "MADT: APIC ids %#llx", (unsigned long long)ids);
	check(tc, ioapics == 1, "MADT: %u IOAPICs", ioapics);
	check(tc, isos == 2, "MADT: %u overrides", isos);
}

static bool gas_is(const struct acpi_gas *g, uint8_t space, uint8_t width,
		   uint64_t addr)
{
	return g->space_id == space && g->bit_width == width &&
	       g->bit_offset == 0 && g->address == addr;
}

static bool gas_zero(const struct acpi_gas *g)
{
	static const struct acpi_gas zero;

	return !memcmp(g, &zero, sizeof(zero));
}

static void check_fadt(struct tcase *tc, const uint8_t *mem, uint64_t gpa,
		       struct tables *t)
{
	const struct acpi_fadt *f = (const void *)(mem + gpa);
	const struct acpi_facs *facs;
	uint32_t flags = f->flags;

	check(tc, f->header.length == sizeof(*f) && f->header.revision == 6,
	      "FADT: length %u revision %u", f->header.length,
	      f->header.revision);
	check(tc, f->sci_int == 9, "FADT: SCI_INT %u", f->sci_int);
	check(tc, f->smi_cmd == 0, "FADT: SMI_CMD %#x", f->smi_cmd);
	check(tc, f->pm1a_evt_blk == 0x600 && f->pm1_evt_len == 4,
	      "FADT: PM1a_EVT_BLK %#x len %u", f->pm1a_evt_blk,
	      f->pm1_evt_len);
	check(tc, f->pm1a_cnt_blk == 0x604 && f->pm1_cnt_len == 2,
	      "FADT: PM1a_CNT_BLK %#x len %u", f->pm1a_cnt_blk,
	      f->pm1_cnt_len);
	check(tc, gas_is(&f->x_pm1a_evt_blk, ACPI_GAS_SYSTEM_IO, 32, 0x600),
	      "FADT: X_PM1a_EVT_BLK");
	check(tc, gas_is(&f->x_pm1a_cnt_blk, ACPI_GAS_SYSTEM_IO, 16, 0x604),
	      "FADT: X_PM1a_CNT_BLK");
	check(tc, f->pm_tmr_blk == 0x608 && f->pm_tmr_len == 4,
	      "FADT: PM_TMR_BLK %#x len %u", f->pm_tmr_blk, f->pm_tmr_len);
	check(tc, gas_is(&f->x_pm_tmr_blk, ACPI_GAS_SYSTEM_IO, 32, 0x608) &&
	      f->x_pm_tmr_blk.access_size == ACPI_GAS_ACCESS_DWORD,
	      "FADT: X_PM_TMR_BLK");
	check(tc, flags & ACPI_FADT_TMR_VAL_EXT,
	      "FADT: TMR_VAL_EXT clear (a 24-bit PM timer)");
	check(tc, !f->pm1b_evt_blk && !f->pm1b_cnt_blk && !f->pm2_cnt_blk &&
	      !f->gpe0_blk && !f->gpe1_blk &&
	      !f->pm2_cnt_len && !f->gpe0_blk_len &&
	      !f->gpe1_blk_len, "FADT: a PM1b, PM2 or GPE block");
	check(tc, gas_zero(&f->x_pm1b_evt_blk) && gas_zero(&f->x_pm1b_cnt_blk) &&
	      gas_zero(&f->x_pm2_cnt_blk) &&
	      gas_zero(&f->x_gpe0_blk) && gas_zero(&f->x_gpe1_blk) &&
	      gas_zero(&f->sleep_control_reg) &&
	      gas_zero(&f->sleep_status_reg),
	      "FADT: an X_ block that should be absent");
	check(tc, gas_is(&f->reset_reg, ACPI_GAS_SYSTEM_IO, 8, 0xcf9) &&
	      f->reset_value == 0x06, "FADT: RESET_REG/RESET_VALUE");
	check(tc, flags & ACPI_FADT_WBINVD, "FADT: WBINVD clear");
	check(tc, !(flags & ACPI_FADT_PWR_BUTTON), "FADT: PWR_BUTTON set");
	check(tc, flags & ACPI_FADT_SLP_BUTTON, "FADT: SLP_BUTTON clear");
	check(tc, flags & ACPI_FADT_RESET_REG_SUP, "FADT: RESET_REG_SUP clear");
	check(tc, !(flags & ACPI_FADT_HW_REDUCED_ACPI), "FADT: HW_REDUCED set");
	check(tc, !(f->iapc_boot_arch & ACPI_FADT_BOOT_8042) &&
	      f->iapc_boot_arch & ACPI_FADT_BOOT_NO_VGA &&
	      !(f->iapc_boot_arch & ACPI_FADT_BOOT_NO_MSI) &&
	      !(f->iapc_boot_arch & ACPI_FADT_BOOT_NO_CMOS_RTC),
	      "FADT: IAPC_BOOT_ARCH %#x", f->iapc_boot_arch);
	check(tc, f->century == 0x32 && !f->day_alrm && !f->mon_alrm,
	      "FADT: CENTURY %#x DAY_ALRM %#x MON_ALRM %#x", f->century,
	      f->day_alrm, f->mon_alrm);
	check(tc, f->firmware_ctrl && f->firmware_ctrl == f->x_firmware_ctrl,
	      "FADT: FIRMWARE_CTRL %#x, X_ %#llx", f->firmware_ctrl,
	      (unsigned long long)f->x_firmware_ctrl);
	check(tc, f->dsdt && f->dsdt == f->x_dsdt, "FADT: DSDT %#x, X_ %#llx",
	      f->dsdt, (unsigned long long)f->x_dsdt);

	t->facs = f->x_firmware_ctrl;
	t->dsdt = f->x_dsdt;
	check(tc, t->facs % 64 == 0, "FACS at %#llx: not 64-byte aligned",
	      (unsigned long long)t->facs);
	if (t->facs + sizeof(*facs) <= GUEST_MEM) {
		facs = (const void *)(mem + t->facs);
		check(tc, !memcmp(facs->signature, "FACS", 4) &&
		      facs->length == 64, "FACS: '%.4s' length %u",
		      facs->signature, facs->length);
		t->facs_len = facs->length;
	} else {
		check(tc, false, "FACS outside memory");
	}
}

/* The build for @ncpus, read back as a kernel would; t is filled. */
/* One ECAM allocation: segment 0, bus 0, at the PCI host's ECAM. */
static void check_mcfg(struct tcase *tc, const uint8_t *mem, uint64_t gpa)
{
	const struct acpi_mcfg *m = (const void *)(mem + gpa);
	struct acpi_mcfg_allocation e;

	check(tc, m->header.length == sizeof(*m) + sizeof(e),
	      "MCFG: %u bytes, not one allocation", m->header.length);
	memcpy(&e, mem + gpa + sizeof(*m), sizeof(e));
	check(tc, e.address == PCI_ECAM_BASE && e.segment == 0 &&
	      e.start_bus == 0 && e.end_bus == 0,
	      "MCFG: %#llx segment %u buses %u-%u", (unsigned long long)e.address,
	      e.segment, e.start_bus, e.end_bus);
}

static void table_tests(unsigned int ncpus, const uint8_t *mem,
			struct tables *t)
{
	struct range r[8] = { 0 };
	const struct acpi_table_header *rsdt, *xsdt;
	const struct acpi_rsdp *rsdp;
	struct tcase tc;
	unsigned int i, j, n = 0;
	uint64_t a, found;

	case_begin(&tc);
	found = scan_rsdp(mem);
	check(&tc, found && found == t->rsdp,
	      "the scan finds the RSDP at %#llx, the build says %#llx",
	      (unsigned long long)found, (unsigned long long)t->rsdp);
	if (!found)
		goto out;
	rsdp = (const void *)(mem + found);
	check(&tc, rsdp->revision == 2 && rsdp->length == 36,
	      "RSDP: revision %u length %u", rsdp->revision, rsdp->length);
	check(&tc, sum(rsdp, sizeof(*rsdp)) == 0, "RSDP: extended checksum");
	check(&tc, !memcmp(rsdp->oem_id, "HVX   ", 6), "RSDP: OEM id");
	r[n++] = (struct range){ "RSDP", found, sizeof(*rsdp) };
	t->rsdp_len = sizeof(*rsdp);

	xsdt = table_at(&tc, mem, rsdp->xsdt_address, "XSDT", &r[n]);
	rsdt = table_at(&tc, mem, rsdp->rsdt_address, "RSDT", &r[n + 1]);
	if (!xsdt || !rsdt)
		goto out;
	n += 2;
	t->xsdt = rsdp->xsdt_address;
	t->xsdt_len = xsdt->length;
	t->rsdt = rsdp->rsdt_address;
	t->rsdt_len = rsdt->length;
	check(&tc, xsdt->length == sizeof(*xsdt) + 3 * 8,
	      "XSDT: %u bytes, not 3 entries", xsdt->length);
	check(&tc, rsdt->length == sizeof(*rsdt) + 3 * 4,
	      "RSDT: %u bytes, not 3 entries", rsdt->length);
	for (i = 0; i < 3 && xsdt->length == sizeof(*xsdt) + 24 &&
	     rsdt->length == sizeof(*rsdt) + 12; i++) {
		const struct acpi_table_header *h;
		uint64_t x;
		uint32_t r32;

		memcpy(&x, (const uint8_t *)xsdt + sizeof(*xsdt) + 8 * i, 8);
		memcpy(&r32, (const uint8_t *)rsdt + sizeof(*rsdt) + 4 * i, 4);
		check(&tc, x == r32, "XSDT entry %u %#llx, RSDT's %#x", i,
		      (unsigned long long)x, r32);
		if (x + 4 > GUEST_MEM) {
			check(&tc, false, "XSDT entry %u outside memory", i);
			continue;
		}
		if (!memcmp(mem + x, "FACP", 4)) {
			h = table_at(&tc, mem, x, "FACP", &r[n]);
			if (h) {
				n++;
				t->fadt = x;
				t->fadt_len = h->length;
				check_fadt(&tc, mem, x, t);
			}
		} else if (!memcmp(mem + x, "APIC", 4)) {
			h = table_at(&tc, mem, x, "APIC", &r[n]);
			if (h) {
				n++;
				t->madt = x;
				t->madt_len = h->length;
				check_madt(&tc, mem, x, ncpus);
			}
		} else if (!memcmp(mem + x, "MCFG", 4)) {
			h = table_at(&tc, mem, x, "MCFG", &r[n]);
			if (h) {
				n++;
				t->mcfg = x;
				t->mcfg_len = h->length;
				check_mcfg(&tc, mem, x);
			}
		} else {
			check(&tc, false, "XSDT entry %u: '%.4s'", i,
			      (const char *)mem + x);
		}
	}
	check(&tc, t->fadt && t->madt && t->mcfg,
	      "XSDT lacks the FADT, the MADT or the MCFG");
	if (t->facs) {
		r[n++] = (struct range){ "FACS", t->facs, t->facs_len };
		if (table_at(&tc, mem, t->dsdt, "DSDT", &r[n])) {
			t->dsdt_len = r[n].len;
			n++;
		}
	}
	check(&tc, n == 8, "found %u of 8 tables", n);

	/* Inside the BIOS area, not overlapping, and nothing else written. */
	for (i = 0; i < n; i++) {
		check(&tc, r[i].start >= 0xe0000 &&
		      r[i].start + r[i].len <= 0x100000,
		      "%s at %#llx+%llu: outside 0xE0000-0xFFFFF", r[i].name,
		      (unsigned long long)r[i].start,
		      (unsigned long long)r[i].len);
		for (j = 0; j < i; j++)
			check(&tc, r[i].start + r[i].len <= r[j].start ||
			      r[j].start + r[j].len <= r[i].start,
			      "%s and %s overlap", r[i].name, r[j].name);
	}
	for (a = 0; a < GUEST_MEM; a++) {
		if (a == VMCTL_ACPI_AREA_START)
			a += VMCTL_ACPI_MAX_SIZE;
		if (mem[a] != FILL) {
			check(&tc, false, "byte at %#llx changed outside the tables' area",
			      (unsigned long long)a);
			break;
		}
	}
out:
	case_end(&tc, "acpi: %u vCPU%s: RSDP by scan, RSDT/XSDT, MADT, FADT, FACS, DSDT",
		 ncpus, ncpus == 1 ? "" : "s");
}

/* --- iasl, the independent check ---------------------------------------- */

static bool have_iasl(void)
{
	return !system("iasl -v >/dev/null 2>&1");
}

static void write_table(struct tcase *tc, const char *name, const void *p,
			size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", tmpdir, name);
	f = fopen(path, "wb");
	check(tc, f && fwrite(p, 1, len, f) == len && !fclose(f),
	      "cannot write %s", path);
}

/* Read all of @path into a NUL-terminated buffer (freed by the caller). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;

	if (!f)
		return NULL;
	do {
		buf = realloc(buf, len + 4097);
		if (!buf)
			exit(2);
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/*
 * What iasl -d says that means trouble: it prints errors and warnings
 * about the tables on its output and into the .dsl files, and exits
 * non-zero only on some of them.
 */
static const char *const iasl_trouble[] = {
	"Error", "Warning", "Incorrect checksum", "Invalid", "**** ",
	"Unknown",
};

/*
 * Write @len bytes at @p to <name>.dat, disassemble it with iasl -d, and
 * fail @tc with whatever iasl complained of. Returns the .dsl text (freed
 * by the caller), or NULL.
 */
static char *iasl_check(struct tcase *tc, const char *name, const void *p,
			size_t len)
{
	char cmd[1024], path[256], *out, *dsl = NULL;
	unsigned int k, w;
	int rc;

	write_table(tc, name, p, len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat >%s.log 2>&1",
		 tmpdir, name, name);
	rc = system(cmd);
	check(tc, rc == 0, "iasl -d %s.dat: exit status %#x", name, rc);
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/%s.%s", tmpdir, name,
			 k ? "dsl" : "log");
		out = slurp(path);
		check(tc, out, "iasl -d %s.dat: no %s", name, path);
		if (!out)
			continue;
		for (w = 0; w < ARRAY_SIZE(iasl_trouble); w++) {
			const char *hit = strstr(out, iasl_trouble[w]);
			const char *eol = hit ? strchr(hit, '\n') : NULL;

			check(tc, !hit, "iasl -d %s.dat says: %.*s", name,
			      hit ? (int)(eol ? eol - hit : 80) : 0,
			      hit ? hit : "");
		}
		if (k)
			dsl = out;
		else
			free(out);
	}
	return dsl;
}

/*
 * Every table but the RSDP, which iasl 20200925 does not take as a binary
 * file ("does not contain a valid ACPI table"): the scan case covers it.
 */
static void iasl_tests(unsigned int ncpus, const uint8_t *mem,
		       const struct tables *t)
{
	static const char *const names[] = {
		"rsdt", "xsdt", "facp", "facs", "apic", "mcfg", "dsdt",
	};
	const uint64_t gpa[] = {
		t->rsdt, t->xsdt, t->fadt, t->facs, t->madt, t->mcfg, t->dsdt,
	};
	const uint32_t len[] = {
		t->rsdt_len, t->xsdt_len, t->fadt_len, t->facs_len,
		t->madt_len, t->mcfg_len, t->dsdt_len,
	};
	unsigned int i, lapics;
	struct tcase tc;
	const char *p;
	char *dsl;

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!len[i]) {
			check(&tc, false, "no %s to disassemble", names[i]);
			continue;
		}
		dsl = iasl_check(&tc, names[i], mem + gpa[i], len[i]);
		if (dsl && !strcmp(names[i], "dsdt")) {
			check(&tc, strstr(dsl, "Name (_S5, Package"),
			      "the disassembled DSDT has no _S5");
			check(&tc, strstr(dsl, "EisaId (\"PNP0A08\")") &&
			      strstr(dsl, "Name (_PRT, Package (0x7C)"),
			      "the DSDT has no PCI host bridge with 124 _PRT entries");
			check(&tc, strstr(dsl, "EisaId (\"PNP0501\")") &&
			      strstr(dsl, "IRQNoFlags ()") &&
			      strstr(dsl, "{4}"), "the DSDT has no COM1 on IRQ 4");
			check(&tc, strstr(dsl, "EisaId (\"PNP0B00\")") &&
			      strstr(dsl, "0x0070,             // Range Minimum") &&
			      strstr(dsl, "{8}"),
			      "the DSDT has no RTC at 0x70 on IRQ 8");
			check(&tc, strstr(dsl, "\"QEMU0002\"") &&
			      strstr(dsl, "0x0510,             // Range Minimum"),
			      "the DSDT has no fw_cfg (QEMU0002) at 0x510");
			check(&tc, strstr(dsl, "EisaId (\"PNP0C02\")") &&
			      strstr(dsl, "0xE0000000"),
			      "the DSDT does not reserve the ECAM");
		}
		if (dsl && !strcmp(names[i], "apic")) {
			for (lapics = 0, p = dsl;
			     (p = strstr(p, "[Processor Local APIC]")); p++)
				lapics++;
			check(&tc, lapics == ncpus, "iasl sees %u local APICs",
			      lapics);
		}
		free(dsl);
	}
	case_end(&tc, "acpi: %u vCPU%s: iasl -d disassembles every table without complaint",
		 ncpus, ncpus == 1 ? "" : "s");
}

/* The case above can fail: iasl's complaints about broken MADTs are seen. */
static void iasl_control_test(const uint8_t *mem, const struct tables *t)
{
	uint8_t bad[4096];
	struct tcase tc, probe;

	case_begin(&tc);
	if (!t->madt_len || t->madt_len > sizeof(bad)) {
		check(&tc, false, "no MADT");
		goto out;
	}
	memcpy(bad, mem + t->madt, t->madt_len);
	bad[offsetof(struct acpi_table_header, checksum)] ^= 0x5a;
	case_begin(&probe);
	free(iasl_check(&probe, "bad-checksum", bad, t->madt_len));
	check(&tc, !probe.ok, "a wrong checksum passed");

	memcpy(bad, mem + t->madt, t->madt_len);
	bad[sizeof(struct acpi_madt) + 1] = 0;	/* first entry's length */
	case_begin(&probe);
	free(iasl_check(&probe, "bad-entry", bad, t->madt_len));
	check(&tc, !probe.ok, "a zero-length MADT entry passed");
out:
	case_end(&tc, "acpi: iasl -d flags a MADT with a wrong checksum or a zero-length entry");
}

static void build_error_tests(void)
{
	static const struct { unsigned int ncpus; uint64_t mem; } bad[] = {
		{ 0, GUEST_MEM }, { 65, GUEST_MEM }, { 1, 0xf0000 },
	};
	struct vmctl_acpi_config cfg;
	uint8_t *mem = calloc(1, GUEST_MEM);
	uint64_t rsdp = 0x1234;
	struct tcase tc;
	unsigned int i;
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	if (!mem)
		exit(2);
	case_begin(&tc);
	/* The messages are expected: keep them out of the TAP log. */
	fflush(stderr);
	if (null < 0 || saved < 0 || dup2(null, STDERR_FILENO) < 0)
		exit(2);
	close(null);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cfg.ncpus = bad[i].ncpus;
		check(&tc, vmctl_acpi_build(mem, bad[i].mem, &cfg, &rsdp) == -1,
		      "%u vCPUs, %#llx bytes: accepted", bad[i].ncpus,
		      (unsigned long long)bad[i].mem);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	check(&tc, rsdp == 0x1234, "*rsdp_gpa written on failure");
	for (i = 0; i < GUEST_MEM && !mem[i]; i++)
		;
	check(&tc, i == GUEST_MEM, "memory written on failure, at %#x", i);
	free(mem);
	case_end(&tc, "acpi: 0 or 65 vCPUs, or memory short of 1 MiB: refused");
}

static void acpi_tests(void)
{
	static const unsigned int ncpus[] = { 1, 2, 64 };
	bool iasl = have_iasl();
	struct tables t;
	unsigned int i;
	uint8_t *mem;
	int ret;

	for (i = 0; i < ARRAY_SIZE(ncpus); i++) {
		mem = build(ncpus[i], &t, &ret);
		if (ret) {
			struct tcase tc;

			case_begin(&tc);
			check(&tc, false, "vmctl_acpi_build() returned %d", ret);
			case_end(&tc, "acpi: %u vCPUs: build", ncpus[i]);
		} else {
			table_tests(ncpus[i], mem, &t);
		}
		if (!iasl)
			skip("acpi: iasl -d disassembles every table without complaint",
			     "no iasl (apt-get install acpica-tools)");
		else if (!ret)
			iasl_tests(ncpus[i], mem, &t);
		if (iasl && !ret && ncpus[i] == 2)
			iasl_control_test(mem, &t);
		free(mem);
	}
	if (!iasl)
		skip("acpi: iasl -d flags a MADT with a wrong checksum or a zero-length entry",
		     "no iasl (apt-get install acpica-tools)");
	build_error_tests();
}

/* --- the PM device ------------------------------------------------------ */

struct pm_log {
	unsigned int sci_calls, sci_repeats, poweroffs, resets;
	int sci;
};

static int log_sci(void *opaque, int level)
{
	struct pm_log *l = opaque;

	if (level == l->sci)
		l->sci_repeats++;
	l->sci = level;
	l->sci_calls++;
	return 0;
}

static void log_poweroff(void *opaque)
{
	((struct pm_log *)opaque)->poweroffs++;
}

static void log_reset(void *opaque)
{
	((struct pm_log *)opaque)->resets++;
}

static void pm_new(struct vmctl_pm *pm, struct pm_log *l)
{
	memset(l, 0, sizeof(*l));
	vmctl_pm_init(pm, log_sci, l, log_poweroff, log_reset, l);
}

#define STS	0x600
#define EN	0x602
#define CNT	0x604
#define SLP(typ)	((typ) << PM1_CNT_SLP_TYP_SHIFT)

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* floor(ns * 3579545 / 10^9) mod 2^32, the slow way. */
static uint32_t ref_ticks(uint64_t ns)
{
	return (unsigned __int128)ns * 3579545 / 1000000000;
}

static void pm_timer_tests(void)
{
	static const uint64_t ns[] = {
		0, 1, 279, 280, 999999999, 1000000000, 1199864000000ULL,
		1199864100000ULL, 1199864178000ULL, 86400ULL * 1000000000 * 365,
		UINT64_MAX / 3, UINT64_MAX,
	};
	struct vmctl_pm pm;
	struct pm_log l;
	struct tcase tc;
	uint32_t a, b, w0, w1;
	int64_t t0, t1;
	double rate;
	unsigned int i;

	case_begin(&tc);
	for (i = 0; i < ARRAY_SIZE(ns); i++)
		check(&tc, vmctl_pm_timer_value(ns[i]) == ref_ticks(ns[i]),
		      "%llu ns: %u ticks, want %u", (unsigned long long)ns[i],
		      vmctl_pm_timer_value(ns[i]), ref_ticks(ns[i]));
	/* 2^32 ticks are 1199.86 s: the count wraps to small values there. */
	w0 = vmctl_pm_timer_value(1199864000000ULL);
	w1 = vmctl_pm_timer_value(1200864000000ULL);
	check(&tc, w0 > 0xfff00000u && w1 < 0x00400000u && w1 - w0 == 3579545,
	      "around 2^32 ticks: %#x then %#x a second later", w0, w1);
	case_end(&tc, "pm: PM_TMR = ns * 3579545 / 10^9 exactly, without overflow, wrapping at 32 bits");

	case_begin(&tc);
	pm_new(&pm, &l);
	t0 = mono_ns();
	a = vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK, 4);
	usleep(200000);
	b = vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK, 4);
	t1 = mono_ns();
	rate = (double)(uint32_t)(b - a) * 1e9 / (t1 - t0);
	check(&tc, rate > 3579545 * 0.99 && rate <= 3579545 * 1.0001,
	      "%u ticks in %lld ns: %.0f Hz", b - a, (long long)(t1 - t0),
	      rate);
	check(&tc, a < 3579545 / 10, "PM_TMR %u right after init", a);
	b = vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK, 4);
	a = vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK, 2) |
	    vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK + 2, 2) << 16;
	check(&tc, (uint32_t)(a - b) < 3579545 / 100,
	      "two word reads %#x, a dword read %#x", a, b);
	vmctl_pm_write(&pm, VMCTL_PM_TMR_BLK, 0, 4);
	check(&tc, vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK, 4) - a < 3579545,
	      "a write moved the timer");
	check(&tc, (vmctl_pm_read(&pm, VMCTL_PM_TMR_BLK + 3, 2) & 0xff00) ==
	      0xff00, "the byte past PM_TMR does not read 0xff");
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: PM_TMR at 0x608 counts at 3.579545 MHz over a sleep, read-only");
}

static void pm_tests(void)
{
	struct vmctl_pm pm;
	struct pm_log l;
	struct tcase tc;
	unsigned int typ;

	case_begin(&tc);
	pm_new(&pm, &l);
	vmctl_pm_power_button(&pm);
	check(&tc, vmctl_pm_read(&pm, STS, 2) == PM1_STS_PWRBTN,
	      "PM1_STS %#x after a press", vmctl_pm_read(&pm, STS, 2));
	check(&tc, l.sci_calls == 0, "SCI driven while PWRBTN_EN is clear");
	vmctl_pm_write(&pm, EN, PM1_EN_PWRBTN, 2);
	check(&tc, l.sci == 1 && l.sci_calls == 1,
	      "enabling a pending event: SCI %d after %u calls", l.sci,
	      l.sci_calls);
	vmctl_pm_write(&pm, EN, PM1_EN_PWRBTN, 2);
	vmctl_pm_power_button(&pm);
	check(&tc, l.sci_calls == 1, "SCI driven again without a change");
	vmctl_pm_write(&pm, STS, PM1_STS_PWRBTN, 2);
	check(&tc, l.sci == 0 && l.sci_calls == 2, "clearing: SCI %d", l.sci);
	vmctl_pm_power_button(&pm);
	check(&tc, l.sci == 1 && l.sci_calls == 3, "a press: SCI %d", l.sci);
	vmctl_pm_write(&pm, EN + 1, 0, 1);
	check(&tc, l.sci == 0 && l.sci_calls == 4,
	      "disabling (byte write to 0x603): SCI %d", l.sci);
	check(&tc, vmctl_pm_read(&pm, STS, 4) == PM1_STS_PWRBTN,
	      "PM1_STS|PM1_EN as one dword: %#x", vmctl_pm_read(&pm, STS, 4));
	check(&tc, l.sci_repeats == 0, "the same level driven twice");
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: the SCI follows PM1_STS & PM1_EN & PWRBTN, driven only on changes");

	case_begin(&tc);
	pm_new(&pm, &l);
	vmctl_pm_power_button(&pm);
	vmctl_pm_write(&pm, STS, 0, 2);
	check(&tc, vmctl_pm_read(&pm, STS, 2) & PM1_STS_PWRBTN,
	      "writing 0 cleared PWRBTN_STS");
	vmctl_pm_write(&pm, STS, 0xffff & ~PM1_STS_PWRBTN, 2);
	check(&tc, vmctl_pm_read(&pm, STS, 2) == PM1_STS_PWRBTN,
	      "writing the other bits: PM1_STS %#x", vmctl_pm_read(&pm, STS, 2));
	vmctl_pm_write(&pm, STS, 0x01, 1);
	check(&tc, vmctl_pm_read(&pm, STS, 2) & PM1_STS_PWRBTN,
	      "a byte write to 0x600 cleared bit 8");
	vmctl_pm_write(&pm, STS + 1, 0x01, 1);
	check(&tc, vmctl_pm_read(&pm, STS, 2) == 0,
	      "a byte write of 1 to 0x601 left PM1_STS %#x",
	      vmctl_pm_read(&pm, STS, 2));
	vmctl_pm_write(&pm, EN, 0x0120, 2);
	check(&tc, vmctl_pm_read(&pm, EN, 2) == 0x0120,
	      "PM1_EN reads %#x, written 0x120 (GBL_EN must stick)",
	      vmctl_pm_read(&pm, EN, 2));
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: PM1_STS is write-1-to-clear, PM1_EN read/write");

	case_begin(&tc);
	pm_new(&pm, &l);
	vmctl_pm_write(&pm, CNT, SLP(5), 2);
	check(&tc, l.poweroffs == 0, "SLP_TYP 5 without SLP_EN powered off");
	check(&tc, (vmctl_pm_read(&pm, CNT, 2) & PM1_CNT_SLP_TYP) == SLP(5),
	      "SLP_TYP does not read back: %#x", vmctl_pm_read(&pm, CNT, 2));
	vmctl_pm_write(&pm, CNT, SLP(5) | PM1_CNT_SLP_EN, 2);
	check(&tc, l.poweroffs == 1, "%u poweroffs", l.poweroffs);
	check(&tc, !(vmctl_pm_read(&pm, CNT, 2) & PM1_CNT_SLP_EN),
	      "SLP_EN reads back");
	vmctl_pm_write(&pm, CNT + 1, (SLP(5) | PM1_CNT_SLP_EN) >> 8, 1);
	check(&tc, l.poweroffs == 2, "a byte write to 0x605: %u poweroffs",
	      l.poweroffs);
	vmctl_pm_write(&pm, CNT, SLP(5) | PM1_CNT_SLP_EN, 4);
	check(&tc, l.poweroffs == 3, "a dword write at 0x604: %u poweroffs",
	      l.poweroffs);
	check(&tc, l.resets == 0 && l.sci_calls == 0, "reset or SCI on S5");
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: SLP_EN with SLP_TYP 5 powers off");

	case_begin(&tc);
	pm_new(&pm, &l);
	for (typ = 0; typ < 8; typ++) {
		if (typ == VMCTL_PM_S5_SLP_TYP)
			continue;
		vmctl_pm_write(&pm, CNT, SLP(typ), 2);
		vmctl_pm_write(&pm, CNT, SLP(typ) | PM1_CNT_SLP_EN, 2);
	}
	check(&tc, l.poweroffs == 0 && l.resets == 0 && l.sci_calls == 0,
	      "%u poweroffs, %u resets, %u SCI changes", l.poweroffs,
	      l.resets, l.sci_calls);
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: SLP_EN with any other SLP_TYP does nothing");

	case_begin(&tc);
	pm_new(&pm, &l);
	check(&tc, vmctl_pm_read(&pm, CNT, 2) == PM1_CNT_SCI_EN,
	      "PM1_CNT %#x at reset", vmctl_pm_read(&pm, CNT, 2));
	vmctl_pm_write(&pm, CNT, 0, 2);
	check(&tc, vmctl_pm_read(&pm, CNT, 2) & PM1_CNT_SCI_EN,
	      "SCI_EN cleared by a write");
	check(&tc, vmctl_pm_read(&pm, CNT, 1) & PM1_CNT_SCI_EN,
	      "SCI_EN clear in a byte read");
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: SCI_EN always reads 1 (ACPI mode from reset)");

	case_begin(&tc);
	pm_new(&pm, &l);
	vmctl_pm_write(&pm, VMCTL_PM_RESET_PORT, 0x02, 1);
	check(&tc, l.resets == 0, "0x02 (no RST_CPU) reset");
	check(&tc, vmctl_pm_read(&pm, VMCTL_PM_RESET_PORT, 1) == 0x02,
	      "0xcf9 reads %#x after 0x02",
	      vmctl_pm_read(&pm, VMCTL_PM_RESET_PORT, 1));
	vmctl_pm_write(&pm, VMCTL_PM_RESET_PORT, 0x06, 1);
	check(&tc, l.resets == 1, "0x06: %u resets", l.resets);
	vmctl_pm_write(&pm, VMCTL_PM_RESET_PORT, 0x0e, 1);
	check(&tc, l.resets == 2, "0x0e: %u resets", l.resets);
	check(&tc, l.poweroffs == 0, "a poweroff on reset");
	vmctl_pm_destroy(&pm);
	case_end(&tc, "pm: 0xcf9 <- 6 (the FADT's RESET_VALUE) resets");

	pm_timer_tests();
}

/* The glue: what vmctl_pm_attach() registers, reached as vm.c does. */
static bool pio_for(uint16_t port)
{
	uint32_t val;

	return vmctl_bus_access(&glue_vm.pio, port, false, &val, 1);
}

static void pio_out(uint16_t port, uint32_t val, uint8_t size)
{
	vmctl_bus_access(&glue_vm.pio, port, true, &val, size);
}

static uint32_t pio_in(uint16_t port, uint8_t size)
{
	uint32_t val = 0;

	vmctl_bus_access(&glue_vm.pio, port, false, &val, size);
	return val;
}

static void *press_loop(void *arg)
{
	int i;

	for (i = 0; i < 20000; i++)
		vmctl_pm_power_button(arg);
	return NULL;
}

static void glue_tests(void)
{
	static struct vmctl_pm pm;
	struct vmctl_vm *vm = &glue_vm;
	struct pm_log l = { 0 };
	struct tcase tc;
	pthread_t th;
	int i;

	case_begin(&tc);
	vm->fd = -1;
	vmctl_bus_init(&vm->pio, "port");
	check(&tc, !vmctl_pm_attach(vm, &pm, log_poweroff, log_reset, &l),
	      "vmctl_pm_attach failed");
	check(&tc, pio_for(0x600) && pio_for(0x605) && !pio_for(0x606) &&
	      !pio_for(0x607) && pio_for(0x608) && pio_for(0x60b) &&
	      !pio_for(0x60c) &&
	      !pio_for(0x5ff) && pio_for(0xcf9) && !pio_for(0xcf8) &&
	      !pio_for(0xcfa),
	      "registered ports: not 0x600-0x605, 0x608-0x60b and 0xcf9");
	if (!tc.ok)
		goto out;
	check(&tc, pio_in(CNT, 2) == PM1_CNT_SCI_EN, "PM1_CNT reads %#x",
	      pio_in(CNT, 2));
	{
		uint32_t t0 = pio_in(VMCTL_PM_TMR_BLK, 4), t1;

		usleep(10000);
		t1 = pio_in(VMCTL_PM_TMR_BLK, 4);
		check(&tc, t1 - t0 >= 35795 && t1 - t0 < 3579545,
		      "PM_TMR through the port: %u ticks in 10 ms", t1 - t0);
	}
	irq_calls = irq_repeats = irq_bad_gsi = 0;
	irq_level = -1;
	pio_out(EN, PM1_EN_PWRBTN, 2);
	vmctl_pm_power_button(&pm);
	check(&tc, irq_calls == 1 && irq_level == 1 && !irq_bad_gsi,
	      "a press: %u irq_line calls, level %d", irq_calls, irq_level);
	pio_out(STS, PM1_STS_PWRBTN, 2);
	check(&tc, irq_calls == 2 && irq_level == 0, "clearing: level %d",
	      irq_level);
	pio_out(CNT, SLP(5) | PM1_CNT_SLP_EN, 2);
	check(&tc, l.poweroffs == 1, "S5 through the port: %u poweroffs",
	      l.poweroffs);
	pio_out(VMCTL_PM_RESET_PORT, 0x06, 1);
	check(&tc, l.resets == 1, "0xcf9 through the port: %u resets",
	      l.resets);

	/*
	 * The control thread presses while a vCPU thread acknowledges: the
	 * line must alternate, never driven to the level it already has.
	 */
	irq_repeats = 0;
	if (pthread_create(&th, NULL, press_loop, &pm)) {
		check(&tc, false, "pthread_create");
		goto out;
	}
	for (i = 0; i < 20000; i++)
		if (pio_in(STS, 2) & PM1_STS_PWRBTN)
			pio_out(STS, PM1_STS_PWRBTN, 2);
	pthread_join(th, NULL);
	pio_out(STS, PM1_STS_PWRBTN, 2);
	check(&tc, irq_repeats == 0 && irq_level == 0 && !irq_bad_gsi,
	      "racing: %u repeats, final level %d", irq_repeats, irq_level);
out:
	vmctl_pm_destroy(&pm);
	vmctl_bus_destroy(&vm->pio);
	case_end(&tc, "pm: vmctl_pm_attach: ports, SCI on GSI 9 via vmctl_vm_irq_line, callbacks");
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	acpi_tests();
	pm_tests();
	glue_tests();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (getenv("ACPI_TEST_KEEP"))
		printf("# tables and iasl output kept in %s\n", tmpdir);
	else if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return tap_finish();
}
