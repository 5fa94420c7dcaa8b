// SPDX-License-Identifier: GPL-2.0
/*
 * hvx selftest library: the initial CPU state of a vCPU (real, flat 32-bit
 * protected, and 64-bit long mode), the system region the long mode needs
 * (GDT, IDT, page tables, TSS, stacks; layout in hvx_vm.h), and the guest
 * side of exception reporting: an IDT stub per vector, in assembly, that
 * calls hvx_guest_exception(), which reports UCALL_UNHANDLED.
 */
#include <stdint.h>
#include <string.h>

#include "hvx_vm.h"
#include "ucall.h"

/* ---- Guest side: exception stubs and the return trampoline ------------- */

/*
 * The vectors for which the CPU pushes an error code: #DF, #TS, #NP, #SS,
 * #GP, #PF, #AC, #CP, #VC, #SX. For the others the stub pushes a 0, so the
 * frame is the same for all: vector, error code, RIP, CS, RFLAGS, RSP, SS.
 *
 * Each stub starts 16 bytes after the previous one (at most 2 + 5 + 5
 * bytes of code each), so the gate of vector v points at
 * hvx_guest_idt_stubs + 16 * v; sys_setup() checks the table's size.
 * All gates use IST1, a stack of its own per vCPU, so that even a fault on
 * a bad RSP is reported. The common part aligns RSP to 16 (the ABI state
 * at a call) and calls the C handler, which never returns.
 *
 * hvx_guest_return is the return address that vcpu_setup_long_mode()
 * leaves on the guest stack: when the guest function returns there, RSP is
 * 16-byte aligned again and RAX holds its return value (if any).
 */
asm(
"	.pushsection .text, \"ax\", @progbits\n"
"	.balign 16\n"
"	.globl hvx_guest_idt_stubs\n"
"hvx_guest_idt_stubs:\n"
"	hvx_vec = 0\n"
"	.rept 256\n"
"	.balign 16\n"
"	.if hvx_vec == 8 || hvx_vec == 10 || hvx_vec == 11 || hvx_vec == 12 || hvx_vec == 13 || hvx_vec == 14 || hvx_vec == 17 || hvx_vec == 21 || hvx_vec == 29 || hvx_vec == 30\n"
"	.else\n"
"	pushq $0\n"
"	.endif\n"
"	pushq $hvx_vec\n"
"	jmp hvx_guest_exc_common\n"
"	hvx_vec = hvx_vec + 1\n"
"	.endr\n"
"	.balign 16\n"
"	.globl hvx_guest_idt_stubs_end\n"
"hvx_guest_idt_stubs_end:\n"
"hvx_guest_exc_common:\n"
"	movq 0(%rsp), %rdi\n"		/* vector */
"	movq 8(%rsp), %rsi\n"		/* error code */
"	movq 16(%rsp), %rdx\n"		/* RIP */
"	movq %cr2, %rcx\n"
"	andq $-16, %rsp\n"
"	call hvx_guest_exception\n"
"1:	hlt\n"
"	jmp 1b\n"
"\n"
"	.balign 16\n"
"	.globl hvx_guest_return\n"
"hvx_guest_return:\n"
"	movq %rax, %rdi\n"
"	andq $-16, %rsp\n"
"	call hvx_guest_returned\n"
"2:	hlt\n"
"	jmp 2b\n"
"	.popsection\n"
);

extern const char hvx_guest_idt_stubs[], hvx_guest_idt_stubs_end[];
extern const char hvx_guest_return[];

void __attribute__((noreturn))
hvx_guest_exception(uint64_t vector, uint64_t error_code, uint64_t rip,
		    uint64_t cr2);
void __attribute__((noreturn)) hvx_guest_returned(uint64_t rax);

/* Called from the stubs above, in the guest. */
void __guest_code __attribute__((used, noreturn))
hvx_guest_exception(uint64_t vector, uint64_t error_code, uint64_t rip,
		    uint64_t cr2)
{
	ucall(UCALL_UNHANDLED, vector, error_code, rip, cr2);
	guest_halt_forever();
}

/* The guest function returned: that is as good as GUEST_DONE(). */
void __guest_code __attribute__((used, noreturn))
hvx_guest_returned(uint64_t rax)
{
	ucall(UCALL_DONE, rax, 0, 0, 0);
	guest_halt_forever();
}

/* ---- Host side: the system region -------------------------------------- */

/* 64-bit TSS (Intel SDM Vol. 3, 8.7). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 0x68, "TSS layout");

/* 64-bit interrupt gate. */
struct idt_gate {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;		/* P, DPL, type */
	uint16_t offset1;
	uint32_t offset2;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

#define GDT_ENTRIES		(HVX_SEL_TSS(HVX_SYS_MAX_VCPUS) / 8)
#define GDT_LIMIT		(HVX_SEL_TSS(HVX_SYS_MAX_VCPUS) - 1)

/* Page-table entry bits. */
#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_A			(1ull << 5)
#define PTE_D			(1ull << 6)
#define PTE_PS			(1ull << 7)

/* A segment descriptor with DPL 0, present. */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t type, int s,
			 int l, int db, int g)
{
	return (uint64_t)(limit & 0xffff) |
	       (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(type & 0xf) << 40 |
	       (uint64_t)!!s << 44 |
	       1ull << 47 |				/* P */
	       (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)!!l << 53 |
	       (uint64_t)!!db << 54 |
	       (uint64_t)!!g << 55 |
	       (uint64_t)(base >> 24) << 56;
}

static uint64_t tss_gpa(struct hvx_vm *vm, uint32_t id)
{
	return vm->sys_gpa + HVX_SYS_TSS + HVX_SYS_TSS_STRIDE * id;
}

static uint64_t vcpu_block(struct hvx_vm *vm, uint32_t id)
{
	return vm->sys_gpa + HVX_SYS_STACKS + HVX_SYS_STACK_STRIDE * id;
}

uint64_t vcpu_stack_top(struct hvx_vm *vm, uint32_t id)
{
	return vcpu_block(vm, id) + HVX_SYS_EXC_STACK_SIZE +
	       HVX_SYS_STACK_SIZE;
}

static void sys_setup(struct hvx_vm *vm);

void vm_set_idt_handler(struct hvx_vm *vm, uint8_t vector, void *handler)
{
	struct idt_gate *idt;
	uint64_t h = (uint64_t)(uintptr_t)handler;

	sys_setup(vm);
	idt = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_IDT);
	idt[vector].offset0 = h & 0xffff;
	idt[vector].offset1 = (h >> 16) & 0xffff;
	idt[vector].offset2 = h >> 32;
	idt[vector].ist = 0;
}

/* Write the system region, once per VM. */
static void sys_setup(struct hvx_vm *vm)
{
	uint64_t sys = vm->sys_gpa;
	uint8_t *base;
	uint64_t *gdt, *pml4, *pdpt, *pd, *pt, *tls;
	struct idt_gate *idt;
	uint32_t i;

	if (vm->sys_ready)
		return;

	TEST_ASSERT(hvx_guest_idt_stubs_end - hvx_guest_idt_stubs == 256 * 16,
		    "the IDT stubs are %td bytes, not 16 per vector",
		    hvx_guest_idt_stubs_end - hvx_guest_idt_stubs);
	TEST_ASSERT(sys + HVX_SYS_SIZE <= (4ull << 30),
		    "the system region must be below 4 GiB");

	base = vm_gpa_to_hva(vm, sys);
	TEST_ASSERT(__vm_gpa_to_hva(vm, sys, HVX_SYS_SIZE) == base,
		    "the system region is not inside slot 0");
	memset(base, 0, HVX_SYS_STACKS);

	/* GDT. */
	gdt = (uint64_t *)(base + HVX_SYS_GDT);
	gdt[0] = 0;
	gdt[HVX_SEL_CODE64 / 8] = seg_desc(0, 0xfffff, 0xb, 1, 1, 0, 1);
	gdt[HVX_SEL_DATA / 8] = seg_desc(0, 0xfffff, 0x3, 1, 0, 1, 1);
	gdt[HVX_SEL_CODE32 / 8] = seg_desc(0, 0xfffff, 0xb, 1, 0, 1, 1);
	for (i = 0; i < HVX_SYS_MAX_VCPUS; i++) {
		uint64_t tss = tss_gpa(vm, i);

		/* Busy 64-bit TSS (busy 32-bit TSS in protected mode). */
		gdt[HVX_SEL_TSS(i) / 8] =
			seg_desc((uint32_t)tss, sizeof(struct tss64) - 1, 0xb,
				 0, 0, 0, 0);
		gdt[HVX_SEL_TSS(i) / 8 + 1] = tss >> 32;
	}
	_Static_assert(GDT_ENTRIES * 8 <= 4096, "GDT fits its page");

	/* TSSs: IST1 = the vCPU's exception stack; no I/O bitmap. */
	for (i = 0; i < HVX_SYS_MAX_VCPUS; i++) {
		struct tss64 tss = { 0 };

		tss.ist[0] = vcpu_block(vm, i) + HVX_SYS_EXC_STACK_SIZE;
		tss.rsp[0] = vcpu_stack_top(vm, i);
		tss.iomap_base = sizeof(struct tss64);
		memcpy(base + HVX_SYS_TSS + HVX_SYS_TSS_STRIDE * i, &tss,
		       sizeof(tss));
	}

	/* IDT: every vector to its stub, interrupt gate, IST1. */
	idt = (struct idt_gate *)(base + HVX_SYS_IDT);
	for (i = 0; i < 256; i++) {
		uint64_t handler = (uint64_t)(uintptr_t)hvx_guest_idt_stubs +
				   16 * i;

		idt[i].offset0 = handler & 0xffff;
		idt[i].selector = HVX_SEL_CODE64;
		idt[i].ist = 1;
		idt[i].type_attr = 0x8e;	/* P, DPL 0, interrupt gate */
		idt[i].offset1 = (handler >> 16) & 0xffff;
		idt[i].offset2 = handler >> 32;
		idt[i].reserved = 0;
	}

	/*
	 * Page tables: GVA == GPA over the first 4 GiB, with 2 MiB pages but
	 * for the first 2 MiB, mapped by 4 KiB pages with page 0 absent.
	 * Accessed and dirty are preset so the CPU need not write them.
	 */
	pml4 = (uint64_t *)(base + HVX_SYS_PML4);
	pdpt = (uint64_t *)(base + HVX_SYS_PDPT);
	pd = (uint64_t *)(base + HVX_SYS_PD);
	pt = (uint64_t *)(base + HVX_SYS_PT0);
	pml4[0] = (sys + HVX_SYS_PDPT) | PTE_P | PTE_RW | PTE_A;
	for (i = 0; i < HVX_IDENTITY_MAP_SIZE >> 30; i++)
		pdpt[i] = (sys + HVX_SYS_PD + HVX_PAGE_SIZE * i) |
			  PTE_P | PTE_RW | PTE_A;
	for (i = 0; i < HVX_IDENTITY_MAP_SIZE >> 21; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_A | PTE_D |
			PTE_PS;
	pd[0] = (sys + HVX_SYS_PT0) | PTE_P | PTE_RW | PTE_A;
	pt[0] = 0;
	for (i = 1; i < 512; i++)
		pt[i] = ((uint64_t)i << 12) | PTE_P | PTE_RW | PTE_A | PTE_D;

	/* Guest TLS page: self pointer, stack-protector canary. */
	tls = (uint64_t *)(base + HVX_SYS_TLS);
	tls[0] = sys + HVX_SYS_TLS;
	tls[0x28 / 8] = UCALL_GUEST_CANARY;

	vm->sys_ready = true;
}

/* ---- Host side: segment registers -------------------------------------- */

static void seg_set(struct hvx_segment *seg, uint64_t base, uint32_t limit,
		    uint16_t selector, uint8_t type, uint8_t s, uint8_t l,
		    uint8_t db, uint8_t g)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = base;
	seg->limit = limit;
	seg->selector = selector;
	seg->type = type;
	seg->present = 1;
	seg->s = s;
	seg->l = l;
	seg->db = db;
	seg->g = g;
}

static void seg_unusable(struct hvx_segment *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->type = 2;			/* LDT, for the form's sake */
	seg->unusable = 1;
}

static void check_sys_vcpu(struct hvx_vcpu *vcpu)
{
	TEST_ASSERT(vcpu->id < HVX_SYS_MAX_VCPUS,
		    "vCPU %u: the system region has stacks and TSSs for vCPU ids below %u",
		    vcpu->id, HVX_SYS_MAX_VCPUS);
}

/* Segments and tables common to flat protected and long mode. */
static void flat_sregs(struct hvx_vcpu *vcpu, struct hvx_sregs *s)
{
	struct hvx_vm *vm = vcpu->vm;

	seg_set(&s->ds, 0, 0xffffffff, HVX_SEL_DATA, 3, 1, 0, 1, 1);
	s->es = s->ds;
	s->fs = s->ds;
	s->gs = s->ds;
	s->ss = s->ds;
	seg_set(&s->tr, tss_gpa(vm, vcpu->id), sizeof(struct tss64) - 1,
		HVX_SEL_TSS(vcpu->id), 11, 0, 0, 0, 0);
	seg_unusable(&s->ldt);
	memset(&s->gdt, 0, sizeof(s->gdt));
	s->gdt.base = vm->sys_gpa + HVX_SYS_GDT;
	s->gdt.limit = GDT_LIMIT;
	memset(&s->idt, 0, sizeof(s->idt));
	s->cr2 = 0;
	s->cr8 = 0;
}

void vcpu_setup_long_mode(struct hvx_vcpu *vcpu, void *guest_fn,
			  uint64_t arg)
{
	struct hvx_vm *vm = vcpu->vm;
	uint64_t fn = (uint64_t)(uintptr_t)guest_fn;
	uint64_t ret_addr = (uint64_t)(uintptr_t)hvx_guest_return;
	uint64_t rsp = vcpu_stack_top(vm, vcpu->id) - 8;
	struct hvx_sregs s;
	struct hvx_regs r;

	check_sys_vcpu(vcpu);
	TEST_ASSERT(vm->image_end, "%s: call vm_load_self() first", __func__);
	TEST_ASSERT(fn >= vm->image_start && fn < vm->image_end,
		    "guest function %#llx is not in the loaded binary [%#llx, %#llx)",
		    (unsigned long long)fn,
		    (unsigned long long)vm->image_start,
		    (unsigned long long)vm->image_end);
	sys_setup(vm);

	/* The return address for a guest function that returns. */
	vm_write(vm, rsp, &ret_addr, sizeof(ret_addr));

	vcpu_sregs_get(vcpu, &s);
	flat_sregs(vcpu, &s);
	seg_set(&s.cs, 0, 0xffffffff, HVX_SEL_CODE64, 11, 1, 1, 0, 1);
	s.fs.base = vm->sys_gpa + HVX_SYS_TLS;
	s.gs.base = vm->sys_gpa + HVX_SYS_TLS;
	s.idt.base = vm->sys_gpa + HVX_SYS_IDT;
	s.idt.limit = 256 * sizeof(struct idt_gate) - 1;
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		X86_CR0_WP | X86_CR0_AM | X86_CR0_PG;	/* 0x80050033 */
	s.cr3 = vm->sys_gpa + HVX_SYS_PML4;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT; /* 0x620 */
	s.efer = EFER_SCE | EFER_LME | EFER_LMA;		/* 0x501 */
	vcpu_sregs_set(vcpu, &s);

	memset(&r, 0, sizeof(r));
	r.rip = fn;
	r.rdi = arg;
	r.rsp = rsp;			/* 16-byte aligned - 8, as after a call */
	r.rflags = X86_RFLAGS_FIXED;
	vcpu_regs_set(vcpu, &r);
}

void vcpu_setup_protected_mode(struct hvx_vcpu *vcpu, uint32_t entry_gpa)
{
	struct hvx_vm *vm = vcpu->vm;
	struct hvx_sregs s;
	struct hvx_regs r;

	check_sys_vcpu(vcpu);
	sys_setup(vm);

	vcpu_sregs_get(vcpu, &s);
	flat_sregs(vcpu, &s);
	seg_set(&s.cs, 0, 0xffffffff, HVX_SEL_CODE32, 11, 1, 0, 1, 1);
	/* No IDT: an exception becomes a triple fault, HVX_EXIT_SHUTDOWN. */
	s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	vcpu_sregs_set(vcpu, &s);

	memset(&r, 0, sizeof(r));
	r.rip = entry_gpa;
	r.rsp = vcpu_stack_top(vm, vcpu->id);
	r.rflags = X86_RFLAGS_FIXED;
	vcpu_regs_set(vcpu, &r);
}

/* A real-mode segment: base = selector << 4, 64 KiB. */
static void real_seg(struct hvx_segment *seg, uint16_t selector,
		     uint8_t type)
{
	seg_set(seg, (uint64_t)selector << 4, 0xffff, selector, type, 1, 0, 0,
		0);
}

void vcpu_setup_real_mode(struct hvx_vcpu *vcpu, uint16_t cs, uint16_t ip)
{
	struct hvx_sregs s;
	struct hvx_regs r;

	vcpu_sregs_get(vcpu, &s);
	real_seg(&s.cs, cs, 11);
	real_seg(&s.ds, 0, 3);
	real_seg(&s.es, 0, 3);
	real_seg(&s.fs, 0, 3);
	real_seg(&s.gs, 0, 3);
	real_seg(&s.ss, 0, 3);
	/* As at reset: a usable TR and LDTR at 0, the IVT at 0. */
	seg_set(&s.tr, 0, 0xffff, 0, 11, 0, 0, 0, 0);
	seg_set(&s.ldt, 0, 0xffff, 0, 2, 0, 0, 0, 0);
	memset(&s.gdt, 0, sizeof(s.gdt));
	s.gdt.limit = 0xffff;
	memset(&s.idt, 0, sizeof(s.idt));
	s.idt.limit = 0x3ff;
	s.cr0 = X86_CR0_ET | X86_CR0_NE;
	s.cr2 = 0;
	s.cr3 = 0;
	s.cr4 = 0;
	s.cr8 = 0;
	s.efer = 0;
	vcpu_sregs_set(vcpu, &s);

	memset(&r, 0, sizeof(r));
	r.rip = ip;
	r.rflags = X86_RFLAGS_FIXED;
	vcpu_regs_set(vcpu, &r);
}
