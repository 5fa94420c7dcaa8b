// SPDX-License-Identifier: GPL-2.0
/*
 * tk_cpu: the instructions and MSRs a kernel uses at boot, against the
 * SDM (Vol. 2 for the instructions, Vol. 4 for the MSRs) and hvx's
 * hypercall ABI (Documentation/api.rst "Hypercalls"), and NMIs as the
 * CPU latches them (SDM Vol. 3A 6.7.1: while an NMI handler runs, one more
 * NMI waits for its IRET and any further one is lost).
 */
#include "tk.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_TSC_ADJUST	0x3b
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_IA32_CR_PAT		0x277
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_TSC_AUX		0xc0000103

#define HC_ENOSYS		1000	/* hvx's and KVM's -ENOSYS */

static void vmcall(void)
{
	u32 ret = 0x7fff1234u, f;

	/* Without a hypervisor (or under one that does not take it): #UD. */
	asm volatile(TK_SAFE("vmcall") : "+a"(ret) : "b"(0), "c"(0), "d"(0)
		     : "memory");
	f = tk_fault();
	tk_check(!f && ret == (u32)-HC_ENOSYS,
		 "vmcall_unknown_number_returns_enosys",
		 "fault %u eax %x want %x", f, ret, (u32)-HC_ENOSYS);
}

static void tsc_aux(void)
{
	u32 r[4], aux = 0, lo, hi, f;
	u64 v = 0;

	cpuid(0x80000001, 0, r);
	if (!(r[3] & BIT(27))) {
		tk_skip("rdtscp_returns_tsc_aux", "no RDTSCP in CPUID");
		return;
	}
	f = tk_wrmsr(MSR_TSC_AUX, 0x1234);
	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	tk_check(!f && aux == 0x1234, "rdtscp_returns_tsc_aux",
		 "wrmsr fault %u, ecx %x", f, aux);
	f = tk_rdmsr(MSR_TSC_AUX, &v);
	tk_check(!f && v == 0x1234, "tsc_aux_reads_back", "fault %u value %llx",
		 f, v);
	f = tk_wrmsr(MSR_TSC_AUX, 1ull << 32);
	tk_check(f == TK_GP && tk_fault_error == 0,
		 "tsc_aux_reserved_bits_are_gp", "fault %u error %x", f,
		 tk_fault_error);

	cpuid(7, 0, r);
	aux = 0;
	/* RDPID EAX (F3 0F C7 /7): #UD where CPUID.7.0:ECX[22] is clear. */
	asm volatile(TK_SAFE(".byte 0xf3, 0x0f, 0xc7, 0xf8")
		     : "+a"(aux) :: "memory");
	f = tk_fault();
	if (r[2] & BIT(22))
		tk_check(!f && aux == 0x1234, "rdpid_follows_cpuid",
			 "fault %u eax %x", f, aux);
	else
		tk_check(f == TK_UD, "rdpid_follows_cpuid",
			 "no RDPID in CPUID, yet fault %u eax %x", f, aux);
}

static void msrs(void)
{
	u64 v = 0, w = 0, adj0 = 0, adj1 = 0, t;
	u32 f, r[4];

	f = tk_rdmsr(MSR_IA32_APICBASE, &v);
	tk_check(!f && v == 0xfee00900, "apic_base_is_bsp_enabled_default",
		 "fault %u value %llx", f, v);
	f = tk_rdmsr(MSR_IA32_CR_PAT, &v);
	tk_check(!f && v == 0x0007040600070406ull, "pat_reset_value",
		 "fault %u value %llx", f, v);
	f = tk_wrmsr(MSR_IA32_CR_PAT, 0x0007040600070401ull);	/* PA0 WC */
	tk_rdmsr(MSR_IA32_CR_PAT, &w);
	tk_check(!f && w == 0x0007040600070401ull, "pat_keeps_what_is_written",
		 "fault %u value %llx", f, w);
	/* Memory type 2 is reserved (SDM Vol. 3A 11.12.2). */
	f = tk_wrmsr(MSR_IA32_CR_PAT, 0x0007040600070202ull);
	tk_check(f == TK_GP, "pat_reserved_type_is_gp", "fault %u", f);
	tk_wrmsr(MSR_IA32_CR_PAT, 0x0007040600070406ull);

	/* Fast strings (bit 0) is on at reset and kept as written. */
	f = tk_rdmsr(MSR_IA32_MISC_ENABLE, &v);
	tk_check(!f && (v & 1), "misc_enable_fast_strings_at_reset",
		 "fault %u value %llx", f, v);
	f = tk_wrmsr(MSR_IA32_MISC_ENABLE, v & ~1ull);
	tk_rdmsr(MSR_IA32_MISC_ENABLE, &w);
	tk_check(!f && w == (v & ~1ull), "misc_enable_keeps_what_is_written",
		 "fault %u wrote %llx read %llx", f, v & ~1ull, w);
	tk_wrmsr(MSR_IA32_MISC_ENABLE, v);

	/* MTRR default type: E, FE and WB kept; type 2 is reserved. */
	tk_rdmsr(MSR_MTRR_DEF_TYPE, &v);
	f = tk_wrmsr(MSR_MTRR_DEF_TYPE, 0xc06);
	tk_rdmsr(MSR_MTRR_DEF_TYPE, &w);
	tk_check(!f && w == 0xc06, "mtrr_def_type_keeps_what_is_written",
		 "fault %u read %llx", f, w);
	f = tk_wrmsr(MSR_MTRR_DEF_TYPE, 0xc02);
	tk_check(f == TK_GP, "mtrr_def_type_reserved_type_is_gp", "fault %u", f);
	tk_wrmsr(MSR_MTRR_DEF_TYPE, v);

	f = tk_rdmsr(0x12345678, &v);
	tk_check(f == TK_GP && tk_fault_error == 0,
		 "rdmsr_of_no_msr_is_gp", "fault %u error %x", f,
		 tk_fault_error);

	/*
	 * A write to IA32_TSC moves the TSC there and IA32_TSC_ADJUST by
	 * the same step (SDM Vol. 3B 17.17.3), where the CPU has the latter.
	 */
	cpuid(7, 0, r);
	if (r[1] & BIT(1))
		tk_rdmsr(MSR_IA32_TSC_ADJUST, &adj0);
	t = rdtsc();
	f = tk_wrmsr(MSR_IA32_TSC, t + (1ull << 40));
	v = rdtsc();
	tk_check(!f && v >= t + (1ull << 40) && v < t + (1ull << 40) + tk_ms(1000),
		 "tsc_write_moves_the_tsc", "fault %u from %llx to %llx", f, t,
		 v);
	if (r[1] & BIT(1)) {
		tk_rdmsr(MSR_IA32_TSC_ADJUST, &adj1);
		tk_check(adj1 - adj0 > (1ull << 40) - tk_ms(1000) &&
			 adj1 - adj0 <= (1ull << 40),
			 "tsc_write_moves_tsc_adjust", "adjust %llx -> %llx",
			 adj0, adj1);
	} else {
		tk_skip("tsc_write_moves_tsc_adjust", "no IA32_TSC_ADJUST");
	}
}

static volatile u32 nmis, nmis_inside;
static volatile bool nested;
static volatile u32 in_nmi;

static void nmi_handler(struct tk_frame *f)
{
	if (in_nmi)
		nested = true;
	in_nmi = 1;
	if (++nmis == 1) {
		/* Two more while this one runs: one waits, one is lost. */
		tk_apic_send(tk_apic_id(), APIC_DM_NMI);
		tk_apic_send(tk_apic_id(), APIC_DM_NMI);
		for (int i = 0; i < 100000; i++)
			pause();
		nmis_inside = nmis;
	}
	in_nmi = 0;
}

static void nmi(void)
{
	u64 start;

	tk_apic_enable();
	tk_set_handler(2, nmi_handler);
	tk_apic_send(tk_apic_id(), APIC_DM_NMI);
	start = rdtsc();
	while (nmis < 2 && rdtsc() - start < tk_ms(200))
		pause();
	for (int i = 0; i < 100000; i++)	/* a third would come now */
		pause();
	tk_check(nmis_inside == 1 && !nested,
		 "nmi_is_blocked_until_its_iret", "%u NMIs inside, nested %u",
		 nmis_inside, nested);
	tk_check(nmis == 2, "second_nmi_comes_after_iret_third_is_lost",
		 "%u NMIs", nmis);
}

void tk_main(u32 mb_info)
{
	vmcall();
	tsc_aux();
	msrs();
	nmi();
}
