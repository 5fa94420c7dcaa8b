// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID. hvx answers CPUID in the kernel from a table that user
 * space gives with HVX_SET_CPUID; a leaf missing from it reads as zeros
 * (Documentation/api.rst). vmctl builds that table from the host's CPUID,
 * then takes away what a guest cannot use under hvx, because a guest that
 * sees a feature uses it: an MSR hvx does not emulate is a #GP (kmod/msr.c
 * lists the ones it has), a CR4 bit outside hvx's guest CR4 mask is
 * refused, an instruction whose VMX control hvx does not set is a #UD.
 *
 * The table is built in two steps so that the policy can be tested on any
 * machine: vmctl_cpuid_read_host() reads the host's leaves and sub-leaves,
 * vmctl_cpuid_filter() turns them into the guest's table without touching
 * the CPU.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vm.h"

#define BIT(n)			(1U << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define SIG			HVX_CPUID_SIGNIFICANT_INDEX

enum { EAX, EBX, ECX, EDX };

/* vmctl knows the basic leaves up to 0x1f (V2 extended topology). */
#define MAX_BASIC		0x1fU
/* Intel's extended leaves end at 0x80000008; later ones are AMD's. */
#define MAX_EXTENDED		0x80000008U
#define HOST_MAX_ENTRIES	512

/* Leaf 1 ECX (SDM Vol. 2A, CPUID, Table 3-10). */
#define L1C_DTES64		BIT(2)	/* debug store: MSRs */
#define L1C_MONITOR		BIT(3)	/* MONITOR/MWAIT: #UD under hvx */
#define L1C_DS_CPL		BIT(4)
#define L1C_VMX			BIT(5)	/* no nested VMX */
#define L1C_SMX			BIT(6)	/* GETSEC: #UD under hvx */
#define L1C_EST			BIT(7)	/* SpeedStep: the host's business */
#define L1C_TM2			BIT(8)
#define L1C_FMA			BIT(12)
#define L1C_SDBG		BIT(11)	/* IA32_DEBUG_INTERFACE MSR */
#define L1C_XTPR		BIT(14)
#define L1C_PDCM		BIT(15)	/* IA32_PERF_CAPABILITIES MSR */
#define L1C_DCA			BIT(18)
#define L1C_X2APIC		BIT(21)	/* set back with an irqchip */
#define L1C_TSC_DEADLINE	BIT(24)	/* a local APIC timer mode */
#define L1C_XSAVE		BIT(26)
#define L1C_OSXSAVE		BIT(27)	/* mirrors CR4.OSXSAVE: dynamic */
#define L1C_AVX			BIT(28)
#define L1C_F16C		BIT(29)
#define L1C_HYPERVISOR		BIT(31)
#define L1C_CLEAR		(L1C_DTES64 | L1C_MONITOR | L1C_DS_CPL | \
				 L1C_VMX | L1C_SMX | L1C_EST | L1C_TM2 | \
				 L1C_SDBG | L1C_XTPR | L1C_PDCM | L1C_DCA | \
				 L1C_X2APIC | L1C_TSC_DEADLINE | L1C_OSXSAVE)
#define L1C_NEED_YMM		(L1C_AVX | L1C_FMA | L1C_F16C)

/* Leaf 1 EDX (Table 3-11). */
#define L1D_APIC		BIT(9)	/* set back with an irqchip */
#define L1D_DS			BIT(21)	/* debug store */
#define L1D_ACPI		BIT(22)	/* thermal monitor MSRs */
#define L1D_HTT			BIT(28)	/* one logical processor */
#define L1D_TM			BIT(29)
#define L1D_PBE			BIT(31)
#define L1D_CLEAR		(L1D_APIC | L1D_DS | L1D_ACPI | L1D_HTT | \
				 L1D_TM | L1D_PBE)

/* Leaf 7 sub-leaf 0 EBX. */
#define L7B_TSC_ADJUST		BIT(1)	/* IA32_TSC_ADJUST MSR */
#define L7B_SGX			BIT(2)
#define L7B_HLE			BIT(4)	/* TSX: not offered */
#define L7B_AVX2		BIT(5)
#define L7B_RTM			BIT(11)
#define L7B_RDT_M		BIT(12)	/* resource director: MSRs */
#define L7B_MPX			BIT(14)	/* needs BNDCFGS in the VMCS */
#define L7B_RDT_A		BIT(15)
#define L7B_INTEL_PT		BIT(25)	/* processor trace: MSRs */
#define L7B_AVX512		(BIT(16) | BIT(17) | BIT(21) | BIT(26) | \
				 BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define L7B_CLEAR		(L7B_TSC_ADJUST | L7B_SGX | L7B_HLE | L7B_RTM | \
				 L7B_RDT_M | L7B_MPX | L7B_RDT_A | \
				 L7B_INTEL_PT)

/* Leaf 7 sub-leaf 0 ECX. */
#define L7C_PKU			BIT(3)	/* CR4.PKE is not a guest CR4 bit */
#define L7C_OSPKE		BIT(4)
#define L7C_WAITPKG		BIT(5)	/* UMWAIT/TPAUSE: no VMX control set */
#define L7C_CET_SS		BIT(7)	/* CR4.CET and the CET MSRs */
#define L7C_TME			BIT(13)	/* IA32_TME_* MSRs */
#define L7C_LA57		BIT(16)	/* CR4.LA57 is not a guest CR4 bit */
#define L7C_MAWAU		(0x1fU << 17) /* MPX address width */
#define L7C_RDPID		BIT(22)	/* reads IA32_TSC_AUX: HVX_CAP_TSC_AUX */
#define L7C_KL			BIT(23)	/* Key Locker: CR4.KL */
#define L7C_BUS_LOCK_DETECT	BIT(24)	/* a DEBUGCTL bit hvx refuses */
#define L7C_ENQCMD		BIT(29)	/* IA32_PASID MSR */
#define L7C_SGX_LC		BIT(30)
#define L7C_PKS			BIT(31)	/* CR4.PKS */
#define L7C_AVX512		(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
#define L7C_CLEAR		(L7C_PKU | L7C_OSPKE | L7C_WAITPKG | \
				 L7C_CET_SS | L7C_TME | L7C_LA57 | L7C_MAWAU | \
				 L7C_RDPID | L7C_KL | L7C_BUS_LOCK_DETECT | \
				 L7C_ENQCMD | L7C_SGX_LC | L7C_PKS)

/* Leaf 7 sub-leaf 0 EDX: mostly MSR-backed controls. */
#define L7D_UINTR		BIT(5)
#define L7D_SRBDS_CTRL		BIT(9)	/* IA32_MCU_OPT_CTRL */
#define L7D_TSX_FORCE_ABORT	BIT(13)
#define L7D_HYBRID		BIT(15)	/* one vCPU is not a hybrid CPU */
#define L7D_TSXLDTRK		BIT(16)	/* TSX, which is not offered */
#define L7D_PCONFIG		BIT(18)
#define L7D_ARCH_LBR		BIT(19)
#define L7D_CET_IBT		BIT(20)
#define L7D_AMX			(BIT(22) | BIT(24) | BIT(25))
#define L7D_SPEC_CTRL		BIT(26)	/* IA32_SPEC_CTRL, IA32_PRED_CMD */
#define L7D_STIBP		BIT(27)
#define L7D_FLUSH_L1D		BIT(28)	/* IA32_FLUSH_CMD */
#define L7D_ARCH_CAPS		BIT(29)	/* IA32_ARCH_CAPABILITIES */
#define L7D_CORE_CAPS		BIT(30)	/* IA32_CORE_CAPABILITIES */
#define L7D_SSBD		BIT(31)
#define L7D_AVX512		(BIT(2) | BIT(3) | BIT(8) | BIT(23))
#define L7D_CLEAR		(L7D_UINTR | L7D_SRBDS_CTRL | \
				 L7D_TSX_FORCE_ABORT | L7D_HYBRID | \
				 L7D_TSXLDTRK | L7D_PCONFIG | L7D_ARCH_LBR | \
				 L7D_CET_IBT | L7D_AMX | L7D_SPEC_CTRL | \
				 L7D_STIBP | L7D_FLUSH_L1D | L7D_ARCH_CAPS | \
				 L7D_CORE_CAPS | L7D_SSBD)

/*
 * Leaf 7 sub-leaf 1 grows new system features often (LAM, FRED, LASS...),
 * so it is passed by allow-list: new instructions only.
 */
#define L71A_AVX_VNNI		BIT(4)
#define L71A_AVX512_BF16	BIT(5)
#define L71A_KEEP		(L71A_AVX_VNNI | L71A_AVX512_BF16 | \
				 BIT(7) /* CMPCCXADD */ | \
				 BIT(10) | BIT(11) | BIT(12) /* fast rep mov/sto/cmp */ | \
				 BIT(23) /* AVX-IFMA */)
#define L71A_NEED_YMM		(L71A_AVX_VNNI | BIT(23))
/* AVX-VNNI-INT8, AVX-NE-CONVERT, AVX-VNNI-INT16, PREFETCHI */
#define L71D_KEEP		(BIT(4) | BIT(5) | BIT(10) | BIT(14))
#define L71D_NEED_YMM		(BIT(4) | BIT(5) | BIT(10))

/* Leaf 0xd sub-leaf 1 EAX. */
#define LD1A_KEEP		(BIT(0) | BIT(1) | BIT(2)) /* XSAVEOPT, XSAVEC, XGETBV1 */

/* Extended leaves. */
#define L81C_SVM		BIT(2)	/* AMD's VMX: no nesting either */
#define L81D_RDTSCP		BIT(27)	/* IA32_TSC_AUX too: HVX_CAP_TSC_AUX */
#define L87D_INVARIANT_TSC	BIT(8)
#define L88B_WBNOINVD		BIT(9)

/* XSAVE state components (SDM Vol. 1 13.1). */
#define XFEATURE_X87		(1ULL << 0)
#define XFEATURE_SSE		(1ULL << 1)
#define XFEATURE_YMM		(1ULL << 2)
#define XFEATURE_AVX512		(7ULL << 5)	/* opmask, ZMM_Hi256, Hi16_ZMM */
#define XSAVE_LEGACY_AND_HEADER	576		/* bytes before component 2 */

static const char hvx_signature[12] = "hvxhvxhvx\0\0";

struct table {
	struct hvx_cpuid_entry *e;
	unsigned int n, max;
	bool overflow;
};

static void emit(struct table *t, uint32_t fn, uint32_t index, uint32_t flags,
		 const uint32_t r[4])
{
	if (t->n == t->max) {
		t->overflow = true;
		return;
	}
	t->e[t->n++] = (struct hvx_cpuid_entry) {
		.function = fn, .index = index, .flags = flags,
		.eax = r[EAX], .ebx = r[EBX], .ecx = r[ECX], .edx = r[EDX],
	};
}

/* What the host said for @fn/@index, matched as hvx matches the table. */
static void lookup(const struct hvx_cpuid_entry *host, unsigned int nhost,
		   uint32_t fn, uint32_t index, uint32_t r[4])
{
	unsigned int i;

	for (i = 0; i < nhost; i++) {
		const struct hvx_cpuid_entry *h = &host[i];

		if (h->function == fn &&
		    (!(h->flags & SIG) || h->index == index)) {
			r[EAX] = h->eax;
			r[EBX] = h->ebx;
			r[ECX] = h->ecx;
			r[EDX] = h->edx;
			return;
		}
	}
	memset(r, 0, 4 * sizeof(*r));
}

/*
 * The XCR0 bits the guest may enable. hvx lets XSETBV set any bit the host
 * has in XCR0; vmctl offers only x87, SSE, AVX and AVX-512: MPX needs
 * BNDCFGS in the VMCS, PKRU needs CR4.PKE, AMX needs XFD and does not fit
 * the 4 KiB XSAVE area of struct hvx_fpu, and the supervisor components
 * need IA32_XSS, which hvx does not have.
 */
static uint64_t guest_xcr0(uint64_t host_xcr0)
{
	uint64_t x = host_xcr0 & (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_YMM |
				  XFEATURE_AVX512);

	if (!(x & XFEATURE_X87) || !(x & XFEATURE_SSE))
		return 0;	/* the host has no usable XSAVE */
	if (!(x & XFEATURE_YMM) || (x & XFEATURE_AVX512) != XFEATURE_AVX512)
		x &= ~XFEATURE_AVX512;
	return x;
}

/* Standard-format XSAVE area size for @xcr0 (CPUID.0xd.0:EBX). */
static uint32_t xsave_size(const struct hvx_cpuid_entry *host,
			   unsigned int nhost, uint64_t xcr0)
{
	uint32_t size = XSAVE_LEGACY_AND_HEADER, r[4];
	unsigned int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & (1ULL << i)))
			continue;
		lookup(host, nhost, 0xd, i, r);
		if (r[EBX] + r[EAX] > size)
			size = r[EBX] + r[EAX];
	}
	return size;
}

static void leaf_1(struct table *t, uint32_t r[4], uint64_t xcr0)
{
	r[ECX] &= ~L1C_CLEAR;
	r[ECX] |= L1C_HYPERVISOR;
	if (!xcr0)
		r[ECX] &= ~L1C_XSAVE;
	if (!(xcr0 & XFEATURE_YMM))
		r[ECX] &= ~L1C_NEED_YMM;
	r[EDX] &= ~L1D_CLEAR;
	/*
	 * EBX[31:24] initial APIC ID 0, EBX[23:16] one logical processor;
	 * keep the CLFLUSH line size and brand index.
	 */
	r[EBX] = (r[EBX] & 0xffff) | 1 << 16;
	emit(t, 1, 0, 0, r);
}

/* Deterministic cache parameters: the host's caches, shared by nobody. */
static void leaf_4(struct table *t, const struct hvx_cpuid_entry *host,
		   unsigned int nhost)
{
	uint32_t r[4], sub;

	for (sub = 0; sub < 64; sub++) {
		lookup(host, nhost, 4, sub, r);
		/* EAX[31:26] cores per package - 1, [25:14] sharing - 1. */
		r[EAX] &= ~(0x3fU << 26 | 0xfffU << 14);
		emit(t, 4, sub, SIG, r);
		if (!(r[EAX] & 0x1f))	/* cache type 0: no more caches */
			break;
	}
}

static void leaf_7(struct table *t, const struct hvx_cpuid_entry *host,
		   unsigned int nhost, uint64_t xcr0)
{
	bool ymm = xcr0 & XFEATURE_YMM, avx512 = xcr0 & XFEATURE_AVX512;
	uint32_t r[4], subs;

	lookup(host, nhost, 7, 0, r);
	subs = r[EAX] ? 1 : 0;	/* sub-leaves above 1 are not passed */
	r[EAX] = subs;
	r[EBX] &= ~L7B_CLEAR;
	r[ECX] &= ~L7C_CLEAR;
	r[EDX] &= ~L7D_CLEAR;
	if (!ymm)
		r[EBX] &= ~L7B_AVX2;
	if (!avx512) {
		r[EBX] &= ~L7B_AVX512;
		r[ECX] &= ~L7C_AVX512;
		r[EDX] &= ~L7D_AVX512;
	}
	emit(t, 7, 0, SIG, r);
	if (!subs)
		return;
	lookup(host, nhost, 7, 1, r);
	r[EAX] &= L71A_KEEP;
	r[EBX] = 0;		/* PPIN: an MSR */
	r[ECX] = 0;
	r[EDX] &= L71D_KEEP;
	if (!ymm) {
		r[EAX] &= ~L71A_NEED_YMM;
		r[EDX] &= ~L71D_NEED_YMM;
	}
	if (!avx512)
		r[EAX] &= ~L71A_AVX512_BF16;
	emit(t, 7, 1, SIG, r);
}

/*
 * Extended topology (0xb, and V2 0x1f): one thread per core, one core per
 * package, x2APIC ID 0. Sub-leaf 0 is the SMT level, 1 the core level, 2
 * the invalid level that ends the list; EAX = 0 means no ID bits below the
 * next level.
 */
static void leaf_topology(struct table *t, uint32_t fn)
{
	static const uint32_t levels[3][4] = {
		{ 0, 1, 1 << 8 | 0, 0 },	/* SMT, 1 logical processor */
		{ 0, 1, 2 << 8 | 1, 0 },	/* core, 1 logical processor */
		{ 0, 0, 2, 0 },			/* invalid: the end */
	};
	uint32_t sub;

	for (sub = 0; sub < ARRAY_SIZE(levels); sub++)
		emit(t, fn, sub, SIG, levels[sub]);
}

static void leaf_xsave(struct table *t, const struct hvx_cpuid_entry *host,
		       unsigned int nhost, uint64_t xcr0)
{
	uint32_t r[4], size = xsave_size(host, nhost, xcr0);
	unsigned int i;

	if (!xcr0)
		return;
	/*
	 * EBX is the size for the XCR0 in force, ECX for all of EDX:EAX. A
	 * static table cannot follow the guest's XSETBV; a kernel enables
	 * everything offered, so both give the size for the whole offer.
	 */
	r[EAX] = (uint32_t)xcr0;
	r[EBX] = size;
	r[ECX] = size;
	r[EDX] = (uint32_t)(xcr0 >> 32);
	emit(t, 0xd, 0, SIG, r);

	/* No XSAVES (no IA32_XSS, no VMX control set), no XFD (an MSR). */
	lookup(host, nhost, 0xd, 1, r);
	r[EAX] &= LD1A_KEEP;
	r[EBX] = r[ECX] = r[EDX] = 0;
	emit(t, 0xd, 1, SIG, r);

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & (1ULL << i)))
			continue;
		lookup(host, nhost, 0xd, i, r);
		r[EDX] = 0;
		emit(t, 0xd, i, SIG, r);
	}
}

int vmctl_cpuid_filter(const struct hvx_cpuid_entry *host, unsigned int nhost,
		       uint64_t host_xcr0, struct hvx_cpuid_entry *out,
		       unsigned int max)
{
	struct table t = { .e = out, .max = max };
	uint64_t xcr0 = guest_xcr0(host_xcr0);
	uint32_t r[4], fn, max_basic, max_ext;

	lookup(host, nhost, 0, 0, r);
	max_basic = r[EAX] < MAX_BASIC ? r[EAX] : MAX_BASIC;
	r[EAX] = max_basic;	/* the vendor string stays */
	emit(&t, 0, 0, 0, r);

	/*
	 * Leaves vmctl does not know are left out of the table, so they read
	 * as zeros: 3 (serial number), 5 (MONITOR/MWAIT), 6 (thermal and
	 * power management), 9 (DCA), 0xa (architectural PMU: hvx has none),
	 * 0xf/0x10 (resource director), 0x12 (SGX), 0x14 (processor trace),
	 * 0x19 (Key Locker), 0x1a (hybrid), 0x1b (PCONFIG), 0x1c (LBRs),
	 * 0x1d/0x1e (AMX) and whatever comes next.
	 */
	for (fn = 1; fn <= max_basic; fn++) {
		lookup(host, nhost, fn, 0, r);
		switch (fn) {
		case 1:
			leaf_1(&t, r, xcr0);
			break;
		case 2:		/* cache and TLB descriptors */
		case 0x15:	/* TSC/crystal clock ratio: spares calibration */
		case 0x16:	/* processor frequencies */
			emit(&t, fn, 0, 0, r);
			break;
		case 4:
			leaf_4(&t, host, nhost);
			break;
		case 7:
			leaf_7(&t, host, nhost, xcr0);
			break;
		case 0xb:
		case 0x1f:
			leaf_topology(&t, fn);
			break;
		case 0xd:
			leaf_xsave(&t, host, nhost, xcr0);
			break;
		}
	}

	/*
	 * The hypervisor range (0x40000000, which CPUs leave to hypervisors):
	 * the highest hypervisor leaf and a signature that names no known
	 * hypervisor, so that a guest tries no paravirtual interface.
	 */
	r[EAX] = 0x40000001;
	memcpy(&r[EBX], hvx_signature, sizeof(hvx_signature));
	emit(&t, 0x40000000, 0, 0, r);
	memset(r, 0, sizeof(r));
	emit(&t, 0x40000001, 0, 0, r);	/* hvx features: none yet */

	lookup(host, nhost, 0x80000000, 0, r);
	max_ext = r[EAX];
	if (max_ext < 0x80000000 || max_ext > 0x8000ffff)
		max_ext = 0;		/* no extended leaves */
	else if (max_ext > MAX_EXTENDED)
		max_ext = MAX_EXTENDED;
	if (max_ext) {
		r[EAX] = max_ext;
		emit(&t, 0x80000000, 0, 0, r);
	}
	for (fn = 0x80000001; max_ext && fn <= max_ext; fn++) {
		lookup(host, nhost, fn, 0, r);
		switch (fn) {
		case 0x80000001:
			r[ECX] &= ~L81C_SVM;
			r[EDX] &= ~L81D_RDTSCP;
			break;
		case 0x80000007:
			/*
			 * Power management: only "the TSC runs at a constant
			 * rate in every state", which a guest can rely on.
			 */
			r[EAX] = r[EBX] = r[ECX] = 0;
			r[EDX] &= L87D_INVARIANT_TSC;
			break;
		case 0x80000008:
			/*
			 * Keep the address sizes; EBX holds AMD-style
			 * speculation controls (MSRs).
			 */
			r[EBX] &= L88B_WBNOINVD;
			r[ECX] = r[EDX] = 0;
			break;
		}
		emit(&t, fn, 0, 0, r);
	}
	return t.overflow ? -1 : (int)t.n;
}

static struct hvx_cpuid_entry *find(struct hvx_cpuid_entry *e, unsigned int n,
				     uint32_t fn, uint32_t index)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn &&
		    (!(e[i].flags & SIG) || e[i].index == index))
			return &e[i];
	return NULL;
}

static int put(struct hvx_cpuid_entry *e, unsigned int *n, unsigned int max,
	       uint32_t fn, const uint32_t r[4])
{
	struct hvx_cpuid_entry *old = find(e, *n, fn, 0);

	if (!old) {
		if (*n == max)
			return -1;
		old = &e[(*n)++];
	}
	*old = (struct hvx_cpuid_entry) {
		.function = fn,
		.eax = r[EAX], .ebx = r[EBX], .ecx = r[ECX], .edx = r[EDX],
	};
	return 0;
}

int vmctl_cpuid_platform(struct hvx_cpuid_entry *e, unsigned int n,
			 unsigned int max, unsigned int ncpus, uint32_t tsc_khz)
{
	/*
	 * 0x15: TSC = crystal (ECX Hz) * EBX / EAX. The crystal is the APIC
	 * timer's clock. Linux multiplies crystal kHz by EBX in 32 bits:
	 * halve the ratio's terms until that fits.
	 */
	uint32_t tsc_leaf[4] = { HVX_APIC_TIMER_KHZ, tsc_khz,
				 HVX_APIC_TIMER_KHZ * 1000, 0 };
	/* 6: ARAT, the APIC timer runs in every C-state. */
	const uint32_t pm_leaf[4] = { BIT(2), 0, 0, 0 };
	struct hvx_cpuid_entry *l;
	uint32_t fn;

	while ((uint64_t)HVX_APIC_TIMER_KHZ * tsc_leaf[EBX] > UINT32_MAX) {
		tsc_leaf[EAX] /= 2;
		tsc_leaf[EBX] /= 2;
	}
	l = find(e, n, 0, 0);
	if (!l || !(l = find(e, n, 1, 0)))
		return -1;
	l->edx |= L1D_APIC;
	l->ecx |= L1C_X2APIC | L1C_TSC_DEADLINE;
	l = find(e, n, 0, 0);
	if (l->eax < 0x15)
		l->eax = 0x15;
	if (put(e, &n, max, 6, pm_leaf) ||
	    (tsc_khz && put(e, &n, max, 0x15, tsc_leaf)))
		return -1;
	/* Topology: the vCPUs are the cores of one package (6 ID bits). */
	for (fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
		l = find(e, n, fn, 1);
		if (l) {
			l->eax = 6;
			l->ebx = ncpus;
		}
	}
	return (int)n;
}

static int host_add(struct hvx_cpuid_entry *host, unsigned int *n,
		    unsigned int max, uint32_t fn, uint32_t index,
		    uint32_t flags)
{
	unsigned int a, b, c, d;

	if (*n == max)
		return -1;
	__cpuid_count(fn, index, a, b, c, d);
	host[(*n)++] = (struct hvx_cpuid_entry) {
		.function = fn, .index = index, .flags = flags,
		.eax = a, .ebx = b, .ecx = c, .edx = d,
	};
	return 0;
}

int vmctl_cpuid_read_host(struct hvx_cpuid_entry *host, unsigned int max)
{
	unsigned int n = 0, a, b, c, d, sub;
	uint32_t fn, max_basic, max_ext;
	uint64_t xmask;
	int err = 0;

	__cpuid_count(0, 0, max_basic, b, c, d);
	if (max_basic > MAX_BASIC)
		max_basic = MAX_BASIC;
	for (fn = 0; fn <= max_basic && !err; fn++) {
		switch (fn) {
		case 4:		/* until the null cache type, included */
			for (sub = 0; sub < 64 && !err; sub++) {
				err = host_add(host, &n, max, fn, sub, SIG);
				if (!err && !(host[n - 1].eax & 0x1f))
					break;
			}
			break;
		case 7:		/* EAX of sub-leaf 0: the last sub-leaf */
			__cpuid_count(7, 0, a, b, c, d);
			for (sub = 0; sub <= a && sub < 8 && !err; sub++)
				err = host_add(host, &n, max, fn, sub, SIG);
			break;
		case 0xb:
		case 0x1f:	/* until level type 0, included */
			for (sub = 0; sub < 16 && !err; sub++) {
				err = host_add(host, &n, max, fn, sub, SIG);
				if (!err && !(host[n - 1].ecx & 0xff00))
					break;
			}
			break;
		case 0xd:	/* 0, 1 and each component the CPU has */
			__cpuid_count(0xd, 0, a, b, c, d);
			xmask = a | (uint64_t)d << 32;
			__cpuid_count(0xd, 1, a, b, c, d);
			xmask |= c | (uint64_t)d << 32;
			for (sub = 0; sub < 64 && !err; sub++)
				if (sub < 2 || (xmask & (1ULL << sub)))
					err = host_add(host, &n, max, fn, sub,
						       SIG);
			break;
		default:
			err = host_add(host, &n, max, fn, 0, 0);
		}
	}
	__cpuid_count(0x80000000, 0, max_ext, b, c, d);
	if (max_ext >= 0x80000000 && max_ext <= 0x8000ffff)
		for (fn = 0x80000000; fn <= max_ext && !err; fn++)
			err = host_add(host, &n, max, fn, 0, 0);
	return err ? -1 : (int)n;
}

/* XCR0 as the host kernel set it: what hvx lets a guest's XSETBV use. */
static uint64_t host_xcr0(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	__cpuid_count(1, 0, a, b, c, d);
	if (!(c & L1C_OSXSAVE))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

int vmctl_setup_cpuid(struct vmctl_vm *vm, int vcpu_fd)
{
	struct hvx_cpuid_entry host[HOST_MAX_ENTRIES];
	struct hvx_cpuid_entry table[HVX_MAX_CPUID_ENTRIES];
	struct hvx_cpuid cpuid = { 0 };
	struct hvx_cpuid_entry *l;
	uint32_t r[4];
	int nhost, n;

	nhost = vmctl_cpuid_read_host(host, ARRAY_SIZE(host));
	n = nhost < 0 ? -1 : vmctl_cpuid_filter(host, nhost, host_xcr0(),
						 table, ARRAY_SIZE(table));
	/*
	 * Invariant TSC, and TSC_ADJUST found zero, tell a Linux guest that
	 * its TSC needs no clocksource watchdog, which would otherwise judge
	 * it against ticks that a busy host delivers late.
	 */
	if (n >= 0 && vm->tsc_adjust && (l = find(table, n, 7, 0))) {
		lookup(host, nhost, 7, 0, r);
		l->ebx |= r[EBX] & L7B_TSC_ADJUST;
	}
	/*
	 * RDTSCP and RDPID, which the filter takes out, where the module
	 * gives each vCPU its own TSC_AUX for them (HVX_CAP_TSC_AUX).
	 */
	if (n >= 0 && vm->tsc_aux) {
		if ((l = find(table, n, 0x80000001, 0))) {
			lookup(host, nhost, 0x80000001, 0, r);
			l->edx |= r[EDX] & L81D_RDTSCP;
		}
		if ((l = find(table, n, 7, 0))) {
			lookup(host, nhost, 7, 0, r);
			l->ecx |= r[ECX] & L7C_RDPID;
		}
	}
	if (n >= 0 && vm->irqchip)
		n = vmctl_cpuid_platform(table, n, ARRAY_SIZE(table),
					 vm->nr_vcpus, vm->tsc_khz);
	if (n < 0) {
		fprintf(stderr, "vmctl: this CPU has more CPUID leaves than vmctl can pass on\n");
		return -1;
	}
	cpuid.nent = n;
	cpuid.entries = (uintptr_t)table;
	if (ioctl(vcpu_fd, HVX_SET_CPUID, &cpuid)) {
		fprintf(stderr, "vmctl: HVX_SET_CPUID: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
