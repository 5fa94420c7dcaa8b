// SPDX-License-Identifier: GPL-2.0
/*
 * The long-mode bench guest's system structures (bench_layout.h): a GDT
 * with one 64-bit code, one data and one TSS descriptor, an IDT whose
 * gates point into bench_guests64.S, page tables that map GPA 0..2 MiB
 * and the xAPIC page 1:1 (2 MiB pages), the AP's real-mode stub; and the
 * CPU state the host gives each vCPU for a figure.
 */
#include <string.h>

#include "bench.h"
#include "bench_layout.h"

extern const uint8_t bench64_start[], bench64_irq[], bench64_spurious[],
	bench64_bad_vector[], bench64_exceptions[];

#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PWT		(1ull << 3)
#define PTE_PCD		(1ull << 4)
#define PTE_A		(1ull << 5)
#define PTE_D		(1ull << 6)
#define PTE_PS		(1ull << 7)

#define TSS_LIMIT	0x67		/* a 64-bit TSS (SDM Vol. 3A 8.7) */

/* A present DPL-0 segment descriptor (SDM Vol. 3A 3.4.5). */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t type, int s,
			 int l, int db, int g)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)type << 40 | (uint64_t)s << 44 | 1ull << 47 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)l << 53 |
	       (uint64_t)db << 54 | (uint64_t)g << 55 |
	       (uint64_t)(base >> 24) << 56;
}

/* The guest address of a symbol of bench_guests64.S. */
static uint64_t guest_addr(const uint8_t *sym)
{
	return LM_CODE + (sym - bench64_start);
}

/* A 64-bit interrupt gate, DPL 0, no IST (SDM Vol. 3A 6.14.1). */
static void set_gate(uint8_t *mem, unsigned int vector, uint64_t handler)
{
	uint8_t *g = mem + LM_IDT + 16 * vector;
	uint64_t lo = (handler & 0xffff) | (uint64_t)LM_SEL_CODE << 16 |
		      0x8eull << 40 | ((handler >> 16) & 0xffff) << 48;
	uint64_t hi = handler >> 32;

	memcpy(g, &lo, 8);
	memcpy(g + 8, &hi, 8);
}

void lm_write_system(uint8_t *mem, const uint8_t *code, size_t code_size)
{
	/* OUT %al, $PORT_AP_UP; HLT: the AP tells the host it started. */
	static const uint8_t ap_stub[] = { 0xe6, PORT_AP_UP, 0xf4 };
	uint64_t gdt[5] = {
		0,
		seg_desc(0, 0xfffff, 0xb, 1, 1, 0, 1),	/* LM_SEL_CODE */
		seg_desc(0, 0xfffff, 0x3, 1, 0, 1, 1),	/* LM_SEL_DATA */
		seg_desc(LM_TSS, TSS_LIMIT, 0xb, 0, 0, 0, 0), /* busy TSS */
		0,					/* its base 63:32 */
	};
	uint64_t *pml4 = (uint64_t *)(mem + LM_PML4);
	uint64_t *pdpt = (uint64_t *)(mem + LM_PDPT);
	uint64_t *pd0 = (uint64_t *)(mem + LM_PD0);
	uint64_t *pd3 = (uint64_t *)(mem + LM_PD3);
	unsigned int v;

	memset(mem, 0, LM_MEM_SIZE);
	memcpy(mem + LM_GDT, gdt, sizeof(gdt));
	for (v = 0; v < 32; v++)
		set_gate(mem, v, guest_addr(bench64_exceptions) + 16 * v);
	for (v = 32; v < 256; v++)
		set_gate(mem, v, guest_addr(bench64_bad_vector));
	set_gate(mem, VEC_TIMER, guest_addr(bench64_irq));
	set_gate(mem, VEC_SELF, guest_addr(bench64_irq));
	set_gate(mem, VEC_IPI, guest_addr(bench64_irq));
	set_gate(mem, VEC_SPURIOUS, guest_addr(bench64_spurious));

	pml4[0] = LM_PDPT | PTE_P | PTE_RW | PTE_A;
	pdpt[0] = LM_PD0 | PTE_P | PTE_RW | PTE_A;
	pdpt[XAPIC_BASE >> 30] = LM_PD3 | PTE_P | PTE_RW | PTE_A;
	pd0[0] = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
	pd3[(XAPIC_BASE >> 21) & 511] = (XAPIC_BASE & ~((1ull << 21) - 1)) |
		PTE_P | PTE_RW | PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_PS;

	memcpy(mem + LM_AP_STUB, ap_stub, sizeof(ap_stub));
	memcpy(mem + LM_CODE, code, code_size);
}

static void flat(struct lm_seg *s, uint16_t selector, uint8_t type, int l,
		 int db)
{
	*s = (struct lm_seg){
		.limit = 0xffffffff, .selector = selector, .type = type,
		.s = 1, .l = l, .db = db, .g = 1,
	};
}

void lm_state(struct lm_state *st, unsigned int vcpu_id,
	      const uint8_t *entry, uint64_t rbp)
{
	memset(st, 0, sizeof(*st));
	flat(&st->cs, LM_SEL_CODE, 0xb, 1, 0);
	flat(&st->data, LM_SEL_DATA, 0x3, 0, 1);
	st->tr = (struct lm_seg){
		.base = LM_TSS, .limit = TSS_LIMIT, .selector = LM_SEL_TSS,
		.type = 0xb,
	};
	st->ldt = (struct lm_seg){ .type = 2, .unusable = 1 };
	st->gdt_base = LM_GDT;
	st->gdt_limit = 5 * 8 - 1;
	st->idt_base = LM_IDT;
	st->idt_limit = 256 * 16 - 1;
	st->cr0 = 0x80050033;	/* PG, AM, WP, NE, ET, MP, PE */
	st->cr3 = LM_PML4;
	st->cr4 = 0x620;	/* OSXMMEXCPT, OSFXSR, PAE */
	st->efer = 0x500;	/* LMA, LME */
	st->rip = guest_addr(entry);
	st->rsp = LM_STACK_TOP(vcpu_id);
	st->rbp = rbp;
	st->rflags = 2;
}
