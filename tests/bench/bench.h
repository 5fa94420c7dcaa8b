/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exit_bench's shared declarations: a hypervisor back end (hv_hvx.c,
 * hv_kvm.c) behind one table of operations, so that every figure is the
 * same code under both; the long-mode guest's setup (long_mode.c); and
 * the figures (exit_bench.c: real mode; apic_bench.c: long mode).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_VCPUS	2

struct hv_vcpu {
	int fd;
	void *run;		/* the mmap()ed run page */
	unsigned int id;
};

/* What a vCPU exit to user space was, in neither ABI's words. */
enum hv_exit_kind { HV_EXIT_HLT, HV_EXIT_IO, HV_EXIT_MMIO, HV_EXIT_OTHER };

struct hv_exit {
	enum hv_exit_kind kind;
	uint32_t reason;	/* the ABI's own exit reason */
	uint16_t port;		/* HV_EXIT_IO */
	bool out;
	uint32_t data;		/* HV_EXIT_IO, OUT: up to 4 bytes written */
};

/* The long-mode CPU state both ABIs are given (long_mode.c fills it). */
struct lm_seg {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, s, l, db, g, unusable;
};

struct lm_state {
	struct lm_seg cs, data, tr, ldt;
	uint64_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rip, rsp, rbp, rflags;
};

/*
 * struct hvx_sregs and struct kvm_sregs name their fields alike, and so do
 * their segments: one macro fills either from a struct lm_state (after a
 * GET_SREGS, which keeps the APIC base and what else the ABI holds).
 */
#define LM_SEG(dst, src) do {						\
	(dst).base = (src).base;					\
	(dst).limit = (src).limit;					\
	(dst).selector = (src).selector;				\
	(dst).type = (src).type;					\
	(dst).present = !(src).unusable;				\
	(dst).dpl = 0;							\
	(dst).s = (src).s;						\
	(dst).l = (src).l;						\
	(dst).db = (src).db;						\
	(dst).g = (src).g;						\
	(dst).avl = 0;							\
	(dst).unusable = (src).unusable;				\
} while (0)

#define LM_FILL_SREGS(sr, st) do {					\
	LM_SEG((sr).cs, (st)->cs);					\
	LM_SEG((sr).ds, (st)->data);					\
	LM_SEG((sr).es, (st)->data);					\
	LM_SEG((sr).fs, (st)->data);					\
	LM_SEG((sr).gs, (st)->data);					\
	LM_SEG((sr).ss, (st)->data);					\
	LM_SEG((sr).tr, (st)->tr);					\
	LM_SEG((sr).ldt, (st)->ldt);					\
	(sr).gdt.base = (st)->gdt_base;					\
	(sr).gdt.limit = (st)->gdt_limit;				\
	(sr).idt.base = (st)->idt_base;					\
	(sr).idt.limit = (st)->idt_limit;				\
	(sr).cr0 = (st)->cr0;						\
	(sr).cr2 = 0;							\
	(sr).cr3 = (st)->cr3;						\
	(sr).cr4 = (st)->cr4;						\
	(sr).cr8 = 0;							\
	(sr).efer = (st)->efer;						\
} while (0)

struct hv;

struct hv_ops {
	/* A VM with hv->mem at GPA 0; @irqchip: the in-kernel APICs first. */
	int (*create_vm)(struct hv *hv, bool irqchip);
	int (*create_vcpu)(struct hv *hv, struct hv_vcpu *v, unsigned int id);
	/* CS = 0, RIP = @rip, RBP = @rbp, RFLAGS = 2: real mode. */
	int (*set_real_mode)(struct hv *hv, struct hv_vcpu *v, uint64_t rip,
			     uint64_t rbp);
	int (*set_long_mode)(struct hv *hv, struct hv_vcpu *v,
			     const struct lm_state *st);
	/* One entry; 0 and *e, or -1 with errno. */
	int (*run)(struct hv *hv, struct hv_vcpu *v, struct hv_exit *e);
	int (*ioeventfd)(struct hv *hv, uint64_t addr, int fd, bool deassign);
	/* The TSC frequency in kHz the guest's RDTSC runs at, or 0. */
	uint64_t (*tsc_khz)(struct hv *hv, struct hv_vcpu *v);
	/*
	 * The guest's CPUID: what the module takes, with TSC-deadline
	 * (leaf 1 ECX bit 24); 0, or -1 and *why.
	 */
	int (*set_cpuid)(struct hv *hv, struct hv_vcpu *v, const char **why);
};

struct hv {
	const char *name;		/* "hvx" or "kvm" */
	const struct hv_ops *ops;
	int sys, vm;
	size_t run_size;
	uint8_t *mem;
	size_t mem_size;
	struct hv_vcpu vcpu[BENCH_MAX_VCPUS];
	unsigned int nr_vcpus;
};

extern const struct hv_ops hvx_ops, kvm_ops;

void die(const char *what) __attribute__((noreturn));
void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
uint64_t now_ns(void);

/* Close the VM and its vCPUs (the same closes for both ABIs). */
void hv_destroy_vm(struct hv *hv);

/* long_mode.c */
void lm_write_system(uint8_t *mem, const uint8_t *code, size_t code_size);
/* vCPU @vcpu_id at @entry (a symbol of bench_guests64.S), RBP = @rbp. */
void lm_state(struct lm_state *st, unsigned int vcpu_id,
	      const uint8_t *entry, uint64_t rbp);

/* apic_bench.c: the long-mode figures, in a VM of their own. */
void apic_bench(struct hv *hv, uint64_t n);

#endif
