// SPDX-License-Identifier: GPL-2.0
/*
 * tk_mmio: instructions aimed at MMIO behave as on memory (SDM Vol. 2).
 * The device is the IOAPIC's register select at 0xfec00000, an 8-bit
 * read/write register in a 32-bit slot on every PC (hvx's and KVM's
 * IOAPICs both keep the written byte and read it back), so the
 * hypervisor's instruction emulator does the work. Each instruction runs
 * twice from the same register and flag values: on a variable in RAM,
 * which the CPU executes, and on the register, which the hypervisor
 * emulates; the results (the register keeps only the low byte) and the
 * arithmetic flags must agree. Strings, PUSH/POP and the exchanges move
 * values between RAM and the register.
 */
#include "tk.h"

#define IOREGSEL	0xfec00000u
#define FLAGS		0x8d5u		/* OF SF ZF AF PF CF */

static volatile u32 *const sel = (volatile u32 *)IOREGSEL;
static volatile u32 ram;
static unsigned int bad;

static void set_sel(u32 v)
{
	mw32(IOREGSEL, v);
}

static u32 get_sel(void)
{
	return mr32(IOREGSEL);
}

/*
 * OP on a 32-bit memory operand with immediate IMM, CF in as CIN: the RAM
 * run and the MMIO run, compared. The register keeps bits 7:0.
 */
#define ALU_IMM(op, start, imm, cin) do {				\
	u32 fr, fm, vr;							\
	ram = (start);							\
	set_sel(start);							\
	asm volatile("push %2; popf; " op ", %0; pushf; pop %1"	\
		     : "+m"(ram), "=r"(fr) : "r"(cin), "q"(imm) : "cc");	\
	asm volatile("push %2; popf; " op ", %0; pushf; pop %1"	\
		     : "+m"(*sel), "=r"(fm) : "r"(cin), "q"(imm) : "cc");	\
	vr = get_sel();							\
	check(op, start, imm, ram, vr, fr, fm);				\
} while (0)

/* The same for a unary OP (INC, DEC, NEG, NOT). */
#define ALU_UN(op, start) do {						\
	u32 fr, fm, vr;							\
	ram = (start);							\
	set_sel(start);							\
	asm volatile("push %2; popf; " op " %0; pushf; pop %1"		\
		     : "+m"(ram), "=r"(fr) : "r"(0u) : "cc");		\
	asm volatile("push %2; popf; " op " %0; pushf; pop %1"		\
		     : "+m"(*sel), "=r"(fm) : "r"(0u) : "cc");		\
	vr = get_sel();							\
	check(op, start, 0, ram, vr, fr, fm);				\
} while (0)

static void check(const char *op, u32 start, u32 imm, u32 want, u32 got,
		  u32 fr, u32 fm)
{
	if ((want & 0xff) == got && !((fr ^ fm) & FLAGS))
		return;
	if (bad++ < 8)
		tk_printf("# %s %x, %x: RAM %x flags %x, MMIO %x flags %x\n",
			  op, imm, start, want, fr & FLAGS, got, fm & FLAGS);
}

static void alu(void)
{
	static const u32 v[] = { 0, 1, 0x7f, 0x80, 0xff };
	static const u32 k[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fffffff };
	unsigned int i, j;

	for (i = 0; i < ARRAY_LEN(v); i++) {
		for (j = 0; j < ARRAY_LEN(k); j++) {
			ALU_IMM("addl %3", v[i], k[j], 0u);
			ALU_IMM("adcl %3", v[i], k[j], 1u);
			ALU_IMM("subl %3", v[i], k[j], 0u);
			ALU_IMM("sbbl %3", v[i], k[j], 1u);
			ALU_IMM("andl %3", v[i], k[j], 0u);
			ALU_IMM("orl %3", v[i], k[j], 0u);
			ALU_IMM("xorl %3", v[i], k[j], 0u);
			ALU_IMM("cmpl %3", v[i], k[j], 0u);
			ALU_IMM("testl %3", v[i], k[j], 0u);
			ALU_IMM("addb %b3", v[i], k[j] & 0xff, 0u);
			ALU_IMM("subw %w3", v[i], k[j] & 0xffff, 0u);
		}
		ALU_UN("incl", v[i]);
		ALU_UN("decl", v[i]);
		ALU_UN("negl", v[i]);
		ALU_UN("notl", v[i]);
		ALU_UN("incb", v[i]);
		ALU_UN("lock incl", v[i]);
	}
	tk_check(!bad, "alu_on_mmio_as_on_memory",
		 "%u of %u cases differ (the first 8 above)", bad,
		 ARRAY_LEN(v) * (ARRAY_LEN(k) * 11 + 6));
}

static void bits(void)
{
	u32 cf, got;

	set_sel(0x5a);
	asm volatile("btl $3, %1; setc %b0" : "=q"(cf) : "m"(*sel) : "cc");
	tk_check((cf & 1) && get_sel() == 0x5a, "bt_reads_the_bit",
		 "CF %u register %x", cf & 1, get_sel());
	asm volatile("btsl $0, %1; setc %b0" : "=q"(cf), "+m"(*sel) :: "cc");
	got = get_sel();
	asm volatile("btrl %2, %1; setc %b0" : "=q"(cf), "+m"(*sel)
		     : "r"(6u) : "cc");
	tk_check(got == 0x5b && (cf & 1) && get_sel() == 0x1b,
		 "bts_btr_set_and_clear", "after BTS %x, after BTR %x CF %u",
		 got, get_sel(), cf & 1);
	asm volatile("btcl $7, %1; setc %b0" : "=q"(cf), "+m"(*sel) :: "cc");
	tk_check(!(cf & 1) && get_sel() == 0x9b, "btc_complements",
		 "CF %u register %x", cf & 1, get_sel());
}

static void exchanges(void)
{
	u32 r = 0x33, a, zf;

	set_sel(0x44);
	asm volatile("xchgl %0, %1" : "+r"(r), "+m"(*sel));
	tk_check(r == 0x44 && get_sel() == 0x33, "xchg_swaps",
		 "register %x, IOREGSEL %x", r, get_sel());

	a = 0x33;
	asm volatile("lock cmpxchgl %3, %1; setz %b2"
		     : "+a"(a), "+m"(*sel), "=q"(zf) : "r"(0x77u) : "cc");
	tk_check((zf & 1) && a == 0x33 && get_sel() == 0x77,
		 "cmpxchg_equal_stores", "ZF %u EAX %x IOREGSEL %x", zf & 1, a,
		 get_sel());
	a = 0x10;
	asm volatile("lock cmpxchgl %3, %1; setz %b2"
		     : "+a"(a), "+m"(*sel), "=q"(zf) : "r"(0x99u) : "cc");
	tk_check(!(zf & 1) && a == 0x77 && get_sel() == 0x77,
		 "cmpxchg_unequal_loads", "ZF %u EAX %x IOREGSEL %x", zf & 1, a,
		 get_sel());
}

static void moves(void)
{
	u32 zx, sx, be = 0, r[4];

	set_sel(0x85);
	asm volatile("movzbl %1, %0" : "=r"(zx) : "m"(*(volatile u8 *)sel));
	asm volatile("movsbl %1, %0" : "=r"(sx) : "m"(*(volatile u8 *)sel));
	tk_check(zx == 0x85 && sx == 0xffffff85, "movzx_movsx_widen",
		 "movzx %x movsx %x", zx, sx);
	cpuid(1, 0, r);
	if (r[2] & BIT(22)) {
		asm volatile("movbe %1, %0" : "=r"(be) : "m"(*sel));
		tk_check(be == 0x85000000, "movbe_swaps", "%x", be);
	} else {
		tk_skip("movbe_swaps", "no MOVBE in CPUID");
	}
	asm volatile("movl %1, %%eax; movl %%eax, %0" : "=m"(ram) : "m"(*sel)
		     : "eax");
	asm volatile("movnti %1, %0" : "=m"(*sel) : "r"(0x21u));
	tk_check(ram == 0x85 && get_sel() == 0x21, "mov_and_movnti",
		 "read %x, after MOVNTI %x", ram, get_sel());
}

static void strings(void)
{
	static volatile u32 src[3] = { 0x11, 0x22, 0x33 }, dst[3];
	u32 n, d, s, eax;

	/*
	 * REP MOVSD into the IOAPIC: three dword writes, at the register
	 * and the two unused dwords after it (offsets 4, 8: ignored).
	 */
	n = 3;
	d = IOREGSEL;
	s = (u32)src;
	asm volatile("cld; rep movsl" : "+c"(n), "+D"(d), "+S"(s) :: "memory");
	tk_check(!n && get_sel() == 0x11 && d == IOREGSEL + 12 &&
		 s == (u32)src + 12, "rep_movs_into_mmio",
		 "ECX %u EDI %x ESI %x IOREGSEL %x", n, d, s, get_sel());

	/* Backwards, out of the register into RAM (DF set). */
	n = 1;
	s = IOREGSEL;
	d = (u32)&dst[2];
	asm volatile("std; movsl; cld" : "+D"(d), "+S"(s) : "c"(n) : "memory");
	tk_check(dst[2] == 0x11 && d == (u32)&dst[1] && s == IOREGSEL - 4,
		 "movs_backwards_out_of_mmio", "dst %x EDI %x ESI %x", dst[2],
		 d, s);

	n = 2;
	d = IOREGSEL;
	asm volatile("cld; rep stosl" : "+c"(n), "+D"(d) : "a"(0x5eu) : "memory");
	s = IOREGSEL;
	asm volatile("lodsl" : "=a"(eax), "+S"(s) :: "memory");
	tk_check(!n && eax == 0x5e && d == IOREGSEL + 8, "stos_and_lods",
		 "ECX %u EAX %x EDI %x", n, eax, d);

	/* REPNE SCASD for 0x5e, which the register holds: one element. */
	n = 4;
	d = IOREGSEL;
	asm volatile("cld; repne scasl" : "+c"(n), "+D"(d) : "a"(0x5eu)
		     : "memory", "cc");
	tk_check(n == 3 && d == IOREGSEL + 4, "repne_scas_stops_on_match",
		 "ECX %u EDI %x", n, d);
}

static void stack(void)
{
	u32 v;

	set_sel(0x6c);
	asm volatile("pushl %1; popl %0" : "=r"(v) : "m"(*sel));
	asm volatile("pushl %1; popl %0" : "=m"(*sel) : "r"(0x2du));
	tk_check(v == 0x6c && get_sel() == 0x2d, "push_pop_memory_operand",
		 "pushed %x, popped into it %x", v, get_sel());
}

void tk_main(u32 mb_info)
{
	alu();
	bits();
	exchanges();
	moves();
	strings();
	stack();
	set_sel(0);
}
