/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HVX_EPT_H
#define HVX_EPT_H

#include <linux/types.h>

/* A 4-level EPT (SDM Vol. 3C 29.3), one per VM. */
struct hvx_ept {
	u64 *root;		/* the PML4 table */
	u64 eptp;		/* EPT pointer for the VMCS */
	unsigned long tables;	/* table pages allocated, root included */
};

#define HVX_EPT_R	BIT_ULL(0)
#define HVX_EPT_W	BIT_ULL(1)
#define HVX_EPT_X	BIT_ULL(2)

int hvx_ept_init(struct hvx_ept *ept);
void hvx_ept_destroy(struct hvx_ept *ept);
/* Map @gpa to @hpa, making the tables on the way (sleeps; -ENOMEM). */
int hvx_ept_map(struct hvx_ept *ept, u64 gpa, u64 hpa, u64 perms);
/* Make the tables down to @gpa's leaf, so that hvx_ept_set() needs none. */
int hvx_ept_prepare(struct hvx_ept *ept, u64 gpa);
/* Map @gpa through tables that exist (atomic context; -ENOENT). */
int hvx_ept_set(struct hvx_ept *ept, u64 gpa, u64 hpa, u64 perms);
/* The leaf entry for @gpa: 0 when nothing is mapped there. */
u64 hvx_ept_lookup(struct hvx_ept *ept, u64 gpa);
/* Returns the physical address that was mapped at @gpa, or 0. */
u64 hvx_ept_unmap(struct hvx_ept *ept, u64 gpa);
/* Unmap [@start, @end) (page-aligned); returns how many were mapped. */
unsigned long hvx_ept_unmap_range(struct hvx_ept *ept, u64 start, u64 end);
void hvx_ept_flush(struct hvx_ept *ept);
void hvx_ept_flush_local(struct hvx_ept *ept);

#endif /* HVX_EPT_H */
