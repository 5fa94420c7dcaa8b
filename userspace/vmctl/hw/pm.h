/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI fixed hardware of a vmctl guest: the PM1a event and control
 * registers, the PM timer, the reset port 0xcf9 and the fixed-feature power button, with
 * the SCI on GSI 9. dev_pm.c describes the model; acpi.c's FADT and MADT
 * advertise the same ports and interrupt, from the constants below.
 */
#ifndef VMCTL_DEV_PM_H
#define VMCTL_DEV_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vmctl_vm;

#define VMCTL_PM1A_EVT_BLK	0x600	/* PM1_STS at +0, PM1_EN at +2 */
#define VMCTL_PM1_EVT_LEN	4
#define VMCTL_PM1A_CNT_BLK	0x604	/* PM1_CNT */
#define VMCTL_PM1_CNT_LEN	2
#define VMCTL_PM_TMR_BLK	0x608	/* PM_TMR, 32 bits (TMR_VAL_EXT) */
#define VMCTL_PM_TMR_LEN	4
#define VMCTL_PM_TMR_HZ		3579545	/* ACPI 6.3 4.8.3.3: 3.579545 MHz */
#define VMCTL_PM_RESET_PORT	0xcf9	/* the PC's reset control register */
#define VMCTL_PM_RESET_VALUE	0x06	/* full reset: SYS_RST | RST_CPU */
#define VMCTL_PM_SCI_GSI	9	/* ISA IRQ 9, identity-mapped */
#define VMCTL_PM_S5_SLP_TYP	5	/* the DSDT's \_S5 package says 5 */

/* PM1 register bits (ACPI 6.3 4.8.3.1, 4.8.3.2). */
#define PM1_STS_PWRBTN		(1u << 8)
#define PM1_STS_WAK		(1u << 15)
#define PM1_EN_PWRBTN		(1u << 8)
#define PM1_CNT_SCI_EN		(1u << 0)
#define PM1_CNT_GBL_RLS		(1u << 2)	/* write-only */
#define PM1_CNT_SLP_TYP_SHIFT	10
#define PM1_CNT_SLP_TYP		(7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN		(1u << 13)	/* write-only */
/* 0xcf9 bit 2 starts a reset; bits 1 and 3 pick its kind and read back. */
#define PM_RESET_RST_CPU	(1u << 2)
#define PM_RESET_RW_MASK	0x0a

struct vmctl_pm {
	/* Serializes the vCPU threads and vmctl_pm_power_button()'s caller. */
	pthread_mutex_t lock;
	uint16_t sts, en, cnt, reset;
	bool sci;		/* the level last driven onto the SCI line */
	int64_t tmr_base;	/* CLOCK_MONOTONIC ns at which PM_TMR read 0 */
	/* Drives the SCI; 0 on success. Called with @lock held. */
	int (*set_sci)(void *sci_opaque, int level);
	void *sci_opaque;
	/* Called without @lock held, from the vCPU thread that asked. */
	void (*on_poweroff)(void *opaque);
	void (*on_reset)(void *opaque);
	void *opaque;
};

/*
 * The register logic, without a VM: tests call these directly. @port is
 * the I/O port of the access's first byte, @size 1, 2 or 4 bytes; bytes
 * beyond the block are ignored (writes) or read as 0xff. PM_TMR's ports
 * read the timer, which init starts at 0. Reads return the
 * value in the low @size bytes.
 */
void vmctl_pm_init(struct vmctl_pm *pm,
		   int (*set_sci)(void *sci_opaque, int level), void *sci_opaque,
		   void (*on_poweroff)(void *), void (*on_reset)(void *),
		   void *opaque);
void vmctl_pm_destroy(struct vmctl_pm *pm);
uint32_t vmctl_pm_read(struct vmctl_pm *pm, uint16_t port, uint8_t size);
void vmctl_pm_write(struct vmctl_pm *pm, uint16_t port, uint32_t val,
		    uint8_t size);

/*
 * PM_TMR's value @ns nanoseconds after it read 0: the ticks of a 3.579545
 * MHz clock, modulo 2^32 (it wraps as the 32-bit counter does).
 */
uint32_t vmctl_pm_timer_value(uint64_t ns);

/*
 * Press the power button: set PWRBTN_STS and raise the SCI if the guest
 * enabled it. Any thread may call it.
 */
void vmctl_pm_power_button(struct vmctl_pm *pm);

/*
 * Initialize @pm and register its ports on @vm, the SCI going to
 * vmctl_vm_irq_line(vm, VMCTL_PM_SCI_GSI). @on_poweroff (the guest entered
 * S5) and @on_reset (it wrote the reset register) must stop every vCPU:
 * the guest spins, waiting for its own end, until they do (and Linux
 * writes SLP_EN again after 10 s, so either may come more than once).
 * 0, or -1 with a message on stderr.
 */
int vmctl_pm_attach(struct vmctl_vm *vm, struct vmctl_pm *pm,
		    void (*on_poweroff)(void *), void (*on_reset)(void *),
		    void *opaque);

/* The DSDT's part: \_S5 (aml.h). */
struct aml;
void vmctl_pm_dsdt(struct aml *aml);

#endif /* VMCTL_DEV_PM_H */
