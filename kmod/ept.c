// SPDX-License-Identifier: GPL-2.0
/*
 * Extended page tables: guest-physical to host-physical, 4 levels of 4 KiB
 * pages, write-back memory type (SDM Vol. 3C 29.3). Tables are allocated
 * on demand, under the VM lock, charged to the VM owner's memory cgroup,
 * and freed only with the EPT: a walk that does not allocate may run
 * beside one that does (memslot.c's MMU notifier walks so, under the VM's
 * mmu_lock alone). Each entry is written with one 64-bit store, so the
 * CPU walking the tables concurrently sees either the old or the new one.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include "ept.h"
#include "hvx.h"
#include "vmx_ops.h"

#define EPT_LEVELS	4
#define EPT_ENTRIES	512
#define EPT_ADDR_MASK	GENMASK_ULL(51, 12)
/* Non-leaf entries grant everything; the leaf decides. */
#define EPT_TABLE_PERMS	(HVX_EPT_R | HVX_EPT_W | HVX_EPT_X)

static u64 *alloc_table(struct hvx_ept *ept)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return NULL;
	ept->tables++;
	return page_address(page);
}

int hvx_ept_init(struct hvx_ept *ept)
{
	ept->tables = 0;
	ept->root = alloc_table(ept);
	if (!ept->root)
		return -ENOMEM;
	/* EPTP: WB paging-structure type, walk length - 1, A/D if present. */
	ept->eptp = __pa(ept->root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	if (hvx_caps.ept_vpid & VMX_EPT_AD_BIT)
		ept->eptp |= VMX_EPTP_AD_ENABLE_BIT;
	return 0;
}

static unsigned int index_at(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (EPT_ENTRIES - 1);
}

/* The leaf entry for @gpa; with @alloc, create missing tables. */
static u64 *walk(struct hvx_ept *ept, u64 gpa, bool alloc)
{
	u64 *table = ept->root;
	int level;

	for (level = EPT_LEVELS - 1; level > 0; level--) {
		u64 *entry = &table[index_at(gpa, level)];
		u64 *next;

		if (!(READ_ONCE(*entry) & EPT_TABLE_PERMS)) {
			if (!alloc)
				return NULL;
			next = alloc_table(ept);
			if (!next)
				return NULL;
			WRITE_ONCE(*entry, __pa(next) | EPT_TABLE_PERMS);
		}
		table = __va(READ_ONCE(*entry) & EPT_ADDR_MASK);
	}
	return &table[index_at(gpa, 0)];
}

int hvx_ept_map(struct hvx_ept *ept, u64 gpa, u64 hpa, u64 perms)
{
	u64 *leaf = walk(ept, gpa, true);

	if (!leaf)
		return -ENOMEM;
	WRITE_ONCE(*leaf, (hpa & EPT_ADDR_MASK) | perms |
		   (MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT));
	return 0;
}

int hvx_ept_prepare(struct hvx_ept *ept, u64 gpa)
{
	return walk(ept, gpa, true) ? 0 : -ENOMEM;
}

int hvx_ept_set(struct hvx_ept *ept, u64 gpa, u64 hpa, u64 perms)
{
	u64 *leaf = walk(ept, gpa, false);

	if (WARN_ON_ONCE(!leaf))
		return -ENOENT;
	WRITE_ONCE(*leaf, (hpa & EPT_ADDR_MASK) | perms |
		   (MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT));
	return 0;
}

u64 hvx_ept_lookup(struct hvx_ept *ept, u64 gpa)
{
	u64 *leaf = walk(ept, gpa, false);

	return leaf ? READ_ONCE(*leaf) : 0;
}

u64 hvx_ept_unmap(struct hvx_ept *ept, u64 gpa)
{
	u64 *leaf = walk(ept, gpa, false);
	u64 old;

	if (!leaf)
		return 0;
	old = READ_ONCE(*leaf);
	WRITE_ONCE(*leaf, 0);
	return (old & EPT_TABLE_PERMS) ? old & EPT_ADDR_MASK : 0;
}

#define EPT_TABLE_SPAN	(PAGE_SIZE * EPT_ENTRIES)	/* a leaf table's 2 MiB */

unsigned long hvx_ept_unmap_range(struct hvx_ept *ept, u64 start, u64 end)
{
	unsigned long n = 0;
	u64 next;

	/* A leaf table at a time: a range without tables costs one walk per 2 MiB. */
	for (; start < end; start = next) {
		u64 *table = walk(ept, ALIGN_DOWN(start, EPT_TABLE_SPAN), false);
		u64 gpa;

		next = min(ALIGN_DOWN(start, EPT_TABLE_SPAN) + EPT_TABLE_SPAN, end);
		if (!table)
			continue;
		for (gpa = start; gpa < next; gpa += PAGE_SIZE) {
			u64 *leaf = &table[index_at(gpa, 0)];

			if (READ_ONCE(*leaf) & EPT_TABLE_PERMS) {
				WRITE_ONCE(*leaf, 0);
				n++;
			}
		}
	}
	return n;
}

static void free_level(u64 *table, int level)
{
	int i;

	if (level > 0)
		for (i = 0; i < EPT_ENTRIES; i++)
			if (table[i] & EPT_TABLE_PERMS)
				free_level(__va(table[i] & EPT_ADDR_MASK),
					   level - 1);
	free_page((unsigned long)table);
}

void hvx_ept_destroy(struct hvx_ept *ept)
{
	if (ept->root)
		free_level(ept->root, EPT_LEVELS - 1);
	ept->root = NULL;
}

static void flush_on_cpu(void *eptp)
{
	if (hvx_caps.ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT)
		hvx_invept(VMX_EPT_EXTENT_CONTEXT, *(u64 *)eptp);
	else
		hvx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

/*
 * After an EPT violation on an address that is (now) mapped: the CPU must
 * not go on using a cached translation from before the change. Hardware
 * drops it on the violation (SDM Vol. 3C 29.4.3.1); an emulator may not,
 * and one local INVEPT per such fault costs little.
 */
void hvx_ept_flush_local(struct hvx_ept *ept)
{
	preempt_disable();
	flush_on_cpu(&ept->eptp);
	preempt_enable();
}

/*
 * Combined guest-physical mappings tagged with this EPTP may be cached on
 * any CPU the VM ran on; invalidate them everywhere (every online CPU is
 * in VMX root, so INVEPT is legal on all of them).
 */
void hvx_ept_flush(struct hvx_ept *ept)
{
	on_each_cpu(flush_on_cpu, &ept->eptp, 1);
}
