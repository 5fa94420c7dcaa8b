// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI fixed hardware of a vmctl guest, as acpi.c's FADT advertises it
 * (ACPI 6.3 4.8: "ACPI Hardware Specification"):
 *
 *   0x600  PM1_STS, 16 bits, write 1 to clear. Bit 8 PWRBTN_STS is set by
 *          vmctl_pm_power_button(); bit 15 WAK_STS exists but is never set,
 *          as no sleep state returns. Other bits read 0.
 *   0x602  PM1_EN, 16 bits, read/write. Only bit 8 PWRBTN_EN has an event
 *          behind it, but every bit sticks: ACPICA takes an enable bit that
 *          reads back 0 (GBL_EN, for one) for missing hardware and logs
 *          errors at boot.
 *   0x604  PM1_CNT, 16 bits. SCI_EN (bit 0) always reads 1: the machine is
 *          in ACPI mode from reset, the FADT has no SMI_CMD. SLP_TYP (bits
 *          12:10) reads back what was written. SLP_EN (bit 13) and GBL_RLS
 *          (bit 2) are write-only. A write with SLP_EN set and SLP_TYP 5
 *          (the DSDT's \_S5) calls on_poweroff(); other sleep types are
 *          ignored: S1-S4 are not offered by the DSDT.
 *   0x608  PM_TMR, 32 bits, read-only (ACPI 6.3 4.8.3.3): a 3.579545 MHz
 *          count that wraps at 2^32 (the FADT sets TMR_VAL_EXT), from
 *          CLOCK_MONOTONIC, 0 when the machine is made. Monotonic rather than
 *          the TSC: it is what vmctl's other timers use, it does not depend
 *          on the TSC being invariant or on its rate (which the guest's
 *          calibration against this very timer is meant to find), and the
 *          vDSO reads it without a system call. ns * 3579545 / 10^9 is
 *          taken apart into whole seconds and the rest, so it is exact and
 *          cannot overflow. The timer's carry event (TMR_STS, TMR_EN) is not
 *          emulated: TMR_STS reads 0 and TMR_EN only sticks; Linux and
 *          ACPICA read the counter and never wait for the carry.
 *   0xcf9  the PC reset control register, one byte: a write with bit 2
 *          (RST_CPU) set, such as the FADT's RESET_VALUE 0x06 or 0x0e,
 *          calls on_reset(). Bits 1 and 3 read back.
 *
 * Accesses of 1, 2 or 4 bytes at any port of a block are taken apart into
 * bytes, so a byte write to 0x605 sets SLP_TYP and SLP_EN as the spec's
 * byte-granular registers allow.
 *
 * The SCI is GSI 9 of the in-kernel IOAPIC, level-triggered and active
 * high (the MADT's override for ISA IRQ 9 says so): asserted while
 * PM1_STS & PM1_EN & PWRBTN is non-zero, driven only when that changes.
 *
 * Several vCPU threads may do port I/O at once and the power button is
 * pressed from vmctl's control thread, so one mutex covers the registers
 * and the SCI level; driving the line happens under it too, so that two
 * threads cannot drive it in the opposite order to their state changes.
 * on_poweroff() and on_reset() run after it is dropped.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acpi/aml.h"
#include "core/clock.h"
#include "hw/pm.h"
#include "core/vm.h"

#define PM1_STS_OFF	0
#define PM1_EN_OFF	2
#define PM1_CNT_OFF	4
#define PM_BLOCK_LEN	(VMCTL_PM1_EVT_LEN + VMCTL_PM1_CNT_LEN)

_Static_assert(VMCTL_PM1A_CNT_BLK == VMCTL_PM1A_EVT_BLK + VMCTL_PM1_EVT_LEN,
	       "the PM1 event and control blocks are one port range");

/* The bits of PM1_STS that hold state; the rest read 0. */
#define PM1_STS_MASK	(PM1_STS_PWRBTN | PM1_STS_WAK)

uint32_t vmctl_pm_timer_value(uint64_t ns)
{
	uint64_t s = ns / 1000000000, r = ns % 1000000000;

	/* r * HZ < 3.6e15: no overflow; s * HZ only loses what wraps anyway. */
	return s * VMCTL_PM_TMR_HZ + r * VMCTL_PM_TMR_HZ / 1000000000;
}

void vmctl_pm_init(struct vmctl_pm *pm,
		   int (*set_sci)(void *sci_opaque, int level), void *sci_opaque,
		   void (*on_poweroff)(void *), void (*on_reset)(void *),
		   void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->set_sci = set_sci;
	pm->sci_opaque = sci_opaque;
	pm->on_poweroff = on_poweroff;
	pm->on_reset = on_reset;
	pm->opaque = opaque;
	pm->tmr_base = vmctl_clock_ns(CLOCK_MONOTONIC);
}

void vmctl_pm_destroy(struct vmctl_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

/* Drive the SCI to its level if that changed; called with the lock held. */
static void update_sci(struct vmctl_pm *pm)
{
	bool level = pm->sts & pm->en & PM1_STS_PWRBTN;

	if (level == pm->sci)
		return;
	/* On failure keep the old level, so the next change tries again. */
	if (!pm->set_sci || !pm->set_sci(pm->sci_opaque, level))
		pm->sci = level;
}

/* The 16-bit register at block offset @reg (0, 2 or 4), as it reads. */
static uint16_t reg_read(const struct vmctl_pm *pm, unsigned int reg)
{
	switch (reg) {
	case PM1_STS_OFF:
		return pm->sts;
	case PM1_EN_OFF:
		return pm->en;
	default:
		return pm->cnt | PM1_CNT_SCI_EN;
	}
}

uint32_t vmctl_pm_read(struct vmctl_pm *pm, uint16_t port, uint8_t size)
{
	uint32_t val = 0, tmr = 0;
	unsigned int i, off;

	if (port + size > VMCTL_PM_TMR_BLK &&
	    port < VMCTL_PM_TMR_BLK + VMCTL_PM_TMR_LEN)
		tmr = vmctl_pm_timer_value(vmctl_clock_ns(CLOCK_MONOTONIC) - pm->tmr_base);
	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < size && i < 4; i++) {
		uint32_t byte = 0xff;	/* past the block: an undecoded port */

		off = port + i;
		if (off == VMCTL_PM_RESET_PORT)
			byte = pm->reset;
		else if (off >= VMCTL_PM_TMR_BLK &&
			 off < VMCTL_PM_TMR_BLK + VMCTL_PM_TMR_LEN)
			byte = tmr >> (off - VMCTL_PM_TMR_BLK) * 8 & 0xff;
		else if (off >= VMCTL_PM1A_EVT_BLK &&
			 off < VMCTL_PM1A_EVT_BLK + PM_BLOCK_LEN) {
			off -= VMCTL_PM1A_EVT_BLK;
			byte = reg_read(pm, off & ~1u) >> (off & 1) * 8 & 0xff;
		}
		val |= byte << i * 8;
	}
	pthread_mutex_unlock(&pm->lock);
	return val;
}

void vmctl_pm_write(struct vmctl_pm *pm, uint16_t port, uint32_t val,
		    uint8_t size)
{
	/* The written bytes of each 16-bit register, and which they are. */
	uint16_t data[PM_BLOCK_LEN / 2] = { 0 }, mask[PM_BLOCK_LEN / 2] = { 0 };
	bool poweroff = false, reset = false;
	unsigned int i, off;
	uint16_t cnt;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < size && i < 4; i++) {
		uint8_t byte = val >> i * 8;

		off = port + i;
		if (off == VMCTL_PM_RESET_PORT) {
			pm->reset = byte & PM_RESET_RW_MASK;
			reset |= byte & PM_RESET_RST_CPU;
		} else if (off >= VMCTL_PM1A_EVT_BLK &&
			   off < VMCTL_PM1A_EVT_BLK + PM_BLOCK_LEN) {
			off -= VMCTL_PM1A_EVT_BLK;
			data[off / 2] |= byte << (off & 1) * 8;
			mask[off / 2] |= 0xff << (off & 1) * 8;
		}
	}

	pm->sts &= ~(data[PM1_STS_OFF / 2] & mask[PM1_STS_OFF / 2]);
	pm->en = (pm->en & ~mask[PM1_EN_OFF / 2]) | data[PM1_EN_OFF / 2];
	if (mask[PM1_CNT_OFF / 2]) {
		cnt = (pm->cnt & ~mask[PM1_CNT_OFF / 2]) | data[PM1_CNT_OFF / 2];
		/*
		 * ACPICA writes SLP_TYP alone, then SLP_TYP | SLP_EN: only the
		 * second write, with the S5 type, turns the machine off.
		 */
		poweroff = cnt & PM1_CNT_SLP_EN &&
			   (cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT ==
			   VMCTL_PM_S5_SLP_TYP;
		pm->cnt = cnt & ~(PM1_CNT_SLP_EN | PM1_CNT_GBL_RLS |
				  PM1_CNT_SCI_EN);
	}
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);

	if (poweroff && pm->on_poweroff)
		pm->on_poweroff(pm->opaque);
	if (reset && pm->on_reset)
		pm->on_reset(pm->opaque);
}

void vmctl_pm_power_button(struct vmctl_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_STS_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* --- glue to vm.c ------------------------------------------------------- */

static int pm_set_sci(void *sci_opaque, int level)
{
	return vmctl_vm_irq_line(sci_opaque, VMCTL_PM_SCI_GSI, level);
}

static void pm_io(struct vmctl_pm *pm, uint16_t port, bool write,
		  void *data, unsigned int len)
{
	uint32_t val = 0;

	if (len > sizeof(val))
		len = sizeof(val);
	if (write) {
		memcpy(&val, data, len);
		vmctl_pm_write(pm, port, val, len);
	} else {
		val = vmctl_pm_read(pm, port, len);
		memcpy(data, &val, len);
	}
}

static void pm1_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	memset(data, 0xff, len);
	pm_io(opaque, VMCTL_PM1A_EVT_BLK + off, false, data, len);
}

static void pm1_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
	pm_io(opaque, VMCTL_PM1A_EVT_BLK + off, true, (void *)data, len);
}

static void tmr_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	memset(data, 0xff, len);
	pm_io(opaque, VMCTL_PM_TMR_BLK + off, false, data, len);
}

/* PM_TMR is read-only. */
static void tmr_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
}

static void rst_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	memset(data, 0xff, len);
	pm_io(opaque, VMCTL_PM_RESET_PORT + off, false, data, len);
}

static void rst_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
	pm_io(opaque, VMCTL_PM_RESET_PORT + off, true, (void *)data, len);
}

static const struct vmctl_io_ops pm1_ops = {
	.read = pm1_read, .write = pm1_write,
};

static const struct vmctl_io_ops tmr_ops = {
	.read = tmr_read, .write = tmr_write,
};

static const struct vmctl_io_ops rst_ops = {
	.read = rst_read, .write = rst_write,
};

int vmctl_pm_attach(struct vmctl_vm *vm, struct vmctl_pm *pm,
		    void (*on_poweroff)(void *), void (*on_reset)(void *),
		    void *opaque)
{
	vmctl_pm_init(pm, pm_set_sci, vm, on_poweroff, on_reset, opaque);
	if (vmctl_bus_register(&vm->pio, VMCTL_PM1A_EVT_BLK, PM_BLOCK_LEN,
			       &pm1_ops, pm, "acpi-pm1") ||
	    vmctl_bus_register(&vm->pio, VMCTL_PM_TMR_BLK, VMCTL_PM_TMR_LEN,
			       &tmr_ops, pm, "acpi-pm-tmr") ||
	    vmctl_bus_register(&vm->pio, VMCTL_PM_RESET_PORT, 1, &rst_ops, pm,
			       "reset-cf9"))
		return -1;
	return 0;
}

/*
 * \_S5: the sleep type that PM1_CNT's SLP_TYP takes for soft-off, the one
 * sleep state offered (an OS only tries the states the namespace lists).
 * The registers themselves are fixed hardware, in the FADT.
 */
void vmctl_pm_dsdt(struct aml *aml)
{
	aml_name_package_begin(aml, "_S5");
	aml_int(aml, VMCTL_PM_S5_SLP_TYP);	/* SLP_TYPa */
	aml_int(aml, VMCTL_PM_S5_SLP_TYP);	/* SLP_TYPb */
	aml_int(aml, 0);
	aml_int(aml, 0);
	aml_end(aml);
}
