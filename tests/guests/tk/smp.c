// SPDX-License-Identifier: GPL-2.0
/*
 * tk_smp: the second CPU, as an OS starts and uses it. The MADT says how many CPUs
 * there are; with two, the kernel starts the one with APIC ID 1 by INIT,
 * SIPI, SIPI (SDM Vol. 3A 8.4.4.1), and checks fixed IPIs both ways, an
 * IPI waking a halted CPU, the all-excluding-self shorthand, and an NMI
 * to the other CPU. With one CPU only the MADT is checked.
 */
#include "tk.h"

#define PING_VEC	0x50
#define PONG_VEC	0x51

static volatile u32 pings, pongs, ap_nmis, ap_wakeups;

static bool same(const char *a, const char *b, unsigned int n)
{
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

/* Enabled Processor Local APIC entries of the MADT; -1 without one. */
static int madt_cpus(void)
{
	const struct tk_sdt *t = tk_acpi_table("APIC");
	const u8 *p, *end;
	int cpus = 0;

	if (!t)
		return -1;
	/* After the header: local APIC address and flags, 8 bytes. */
	end = (const u8 *)t + t->len;
	for (p = (const u8 *)(t + 1) + 8; p + 2 <= end && p[1]; p += p[1])
		if (p[0] == 0 && (p[4] & 1))	/* type 0, Enabled */
			cpus++;
	return cpus;
}

static void ping_isr(struct tk_frame *f)
{
	if (tk_apic_id() == 1) {
		pings++;
		apic_eoi();
		tk_apic_send(0, PONG_VEC);
	} else {
		apic_eoi();
	}
}

static void pong_isr(struct tk_frame *f)
{
	pongs++;
	apic_eoi();
}

static void nmi_isr(struct tk_frame *f)
{
	if (tk_apic_id() == 1)
		ap_nmis++;
}

/* The second CPU: halted with interrupts on, counting its wakeups. */
static void ap_main(void)
{
	for (;;) {
		asm volatile("sti; hlt; cli" ::: "memory");
		ap_wakeups++;
	}
}

/* N of "cpus=N" on the command line (tk_test.sh passes it); 0 if none. */
static int cmdline_cpus(u32 mb_info)
{
	const char *c;

	if (!(rd32(mb_info) & BIT(2)))
		return 0;
	for (c = (const char *)rd32(mb_info + 16); *c; c++)
		if (same(c, "cpus=", 5) && c[5] >= '1' && c[5] <= '9')
			return c[5] - '0';
	return 0;
}

void tk_main(u32 mb_info)
{
	int cpus = madt_cpus(), want = cmdline_cpus(mb_info);
	u32 w;

	tk_check(cpus >= 1 && (!want || cpus == want), "madt_lists_the_cpus",
		 "%d enabled local APICs, %d CPUs given", cpus, want);
	if (cpus < 2) {
		tk_skip("ap_starts_by_init_sipi_sipi", "one CPU");
		return;
	}
	tk_apic_enable();
	tk_set_handler(PING_VEC, ping_isr);
	tk_set_handler(PONG_VEC, pong_isr);
	tk_set_handler(2, nmi_isr);
	if (!tk_check(tk_start_ap(ap_main), "ap_starts_by_init_sipi_sipi",
		      "no word from APIC ID 1"))
		return;

	tk_apic_send(1, PING_VEC);
	tk_wait_for(&pongs, 1, tk_ms(1000));
	tk_check(pings == 1 && pongs == 1, "fixed_ipi_to_the_ap_and_back",
		 "%u pings taken, %u pongs", pings, pongs);

	/* Each IPI wakes the halted AP once more. */
	w = ap_wakeups;
	tk_apic_send(1, PING_VEC);
	tk_wait_for(&pongs, 2, tk_ms(1000));
	tk_check(pongs == 2 && ap_wakeups > w, "ipi_wakes_a_halted_cpu",
		 "%u pongs, wakeups %u -> %u", pongs, w, ap_wakeups);

	/* Shorthand 11, all excluding self: the AP only. */
	apic_write(APIC_ICR_LO, 3u << 18 | PING_VEC);
	tk_wait_for(&pongs, 3, tk_ms(1000));
	tk_check(pings == 3 && pongs == 3, "all_excluding_self_reaches_the_ap",
		 "%u pings, %u pongs", pings, pongs);

	tk_apic_send(1, APIC_DM_NMI);
	tk_wait_for(&ap_nmis, 1, tk_ms(1000));
	tk_check(ap_nmis == 1, "nmi_to_the_ap", "%u NMIs on the AP", ap_nmis);
}
