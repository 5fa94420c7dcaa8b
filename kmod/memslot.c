// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: memory slots, EPT violations on them, and EPT entries that
 * follow the owner's page tables.
 *
 * Guest memory is ordinary memory of the process that created the VM, and
 * stays the kernel's to manage: no page is held for longer than it takes
 * to write its EPT entry. An MMU notifier on the owner's mm hears of every
 * change to its page tables (munmap, MADV_DONTNEED, swap-out, migration,
 * compaction, KSM merging, a copy-on-write break) before the old page
 * goes, and removes the EPT entries of that range; the guest's next touch
 * there exits, and the fault maps whatever page the owner's tables hold
 * then. The pages are charged to the owner as any of its memory is. This
 * is KVM's scheme (virt/kvm/kvm_main.c), with one invalidation sequence
 * for the whole VM instead of ranges.
 *
 * Locking. vm->lock (a mutex) serializes slot changes and faults, and is
 * held across get_user_pages(), which sleeps and may reclaim, and so call
 * the notifier. The notifier takes only vm->mmu_lock, a spinlock: it
 * never sleeps, so it never fails (a notifier whose start may fail may
 * not have an end), and a fault never holds it across get_user_pages().
 * Under mmu_lock: EPT leaves of slot memory, the slots' "used", the
 * invalidation count and sequence. EPT tables are made under vm->lock
 * before mmu_lock is taken (hvx_ept_prepare()) and freed only with the
 * VM, so that the notifier walks them without allocating.
 *
 * A fault reads the sequence, gets the page, and maps it under mmu_lock
 * only if no invalidation began in between or runs now: otherwise the
 * page it got may be on its way out, and the guest faults again.
 */
#include <linux/magic.h>
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/nospec.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/io.h>

#include "hvx.h"
#include "vm.h"

#ifndef CONFIG_MMU_NOTIFIER
#error "hvx needs CONFIG_MMU_NOTIFIER: guest memory follows the owner's page tables"
#endif

static bool slot_writable(const struct hvx_memslot *slot)
{
	return !(slot->flags & HVX_MEM_READONLY);
}

static bool slot_logging(const struct hvx_memslot *slot)
{
	return slot->flags & HVX_MEM_LOG_DIRTY;
}

static unsigned long slot_npages(const struct hvx_memslot *slot)
{
	return slot->size >> PAGE_SHIFT;
}

static u64 slot_gpa(const struct hvx_memslot *slot, unsigned long idx)
{
	return slot->gpa + ((u64)idx << PAGE_SHIFT);
}

static struct hvx_memslot *find_slot(struct hvx_vm *vm, u64 gpa)
{
	int i;

	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		struct hvx_memslot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

/* ---- following the owner's page tables ---------------------------------- */

/*
 * Unmap the guest pages that the owner's [@start, @end) backs (mmu_lock
 * held); returns whether any was mapped, i.e. whether to flush.
 */
static bool unmap_hva_range(struct hvx_vm *vm, unsigned long start,
			    unsigned long end)
{
	unsigned long n = 0;
	int i;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		struct hvx_memslot *s = &vm->slots[i];
		u64 from, to;

		if (!s->used || end <= s->uaddr || start >= s->uaddr + s->size)
			continue;
		from = max_t(u64, start, s->uaddr) - s->uaddr;
		to = min_t(u64, end, s->uaddr + s->size) - s->uaddr;
		n += hvx_ept_unmap_range(&vm->ept, s->gpa + PAGE_ALIGN_DOWN(from),
					 s->gpa + PAGE_ALIGN(to));
	}
	atomic_long_sub(n, &vm->mapped_pages);
	return n;
}

/*
 * Before the owner's page tables change in [start, end): no new EPT entry
 * there until the matching end, and none left from before. The CPUs'
 * cached translations go before this returns, and so before the kernel
 * frees or reuses a page the guest could still reach.
 */
static int mmu_invalidate_start(struct mmu_notifier *mn,
				const struct mmu_notifier_range *range)
{
	struct hvx_vm *vm = container_of(mn, struct hvx_vm, mmu_notifier);
	bool flush;

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidating++;
	flush = unmap_hva_range(vm, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hvx_ept_flush(&vm->ept);
	return 0;
}

static void mmu_invalidate_end(struct mmu_notifier *mn,
			       const struct mmu_notifier_range *range)
{
	struct hvx_vm *vm = container_of(mn, struct hvx_vm, mmu_notifier);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/*
 * The owner's address space is going (its last user exited, or the VM's
 * notifier is unregistered): nothing of it may stay in EPT. No vCPU runs
 * after this: vCPUs run only in the owner's threads (dev.c), and those
 * are gone.
 */
static void mmu_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct hvx_vm *vm = container_of(mn, struct hvx_vm, mmu_notifier);
	bool flush;

	spin_lock(&vm->mmu_lock);
	flush = unmap_hva_range(vm, 0, ULONG_MAX);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hvx_ept_flush(&vm->ept);
}

static const struct mmu_notifier_ops hvx_mmu_notifier_ops = {
	.invalidate_range_start	= mmu_invalidate_start,
	.invalidate_range_end	= mmu_invalidate_end,
	.release		= mmu_release,
};

int hvx_memory_init(struct hvx_vm *vm)
{
	spin_lock_init(&vm->mmu_lock);
	atomic_long_set(&vm->mapped_pages, 0);
	vm->mmu_notifier.ops = &hvx_mmu_notifier_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

void hvx_memory_destroy(struct hvx_vm *vm)
{
	int i;

	/* Unmaps everything (mmu_release(), unless the mm went first). */
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		kvfree(vm->slots[i].dirty);
}

/* ---- memory slots ---------------------------------------------------------- */

/*
 * What a slot may map: memory with struct pages that the owner's page
 * tables map, anonymous, shmem (memfd, MAP_SHARED|MAP_ANONYMOUS, tmpfs)
 * or hugetlbfs. Guest RAM in a regular file would be written back to
 * disk with every guest write; device memory (VM_IO, VM_PFNMAP) has no
 * pages to follow.
 */
static bool backing_supported(struct file *file)
{
	unsigned long magic;

	if (!file)
		return true;
	magic = file_inode(file)->i_sb->s_magic;
	return magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC;
}

static int check_backing(u64 uaddr, u64 size)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 end = uaddr + size;
	int err = 0;

	mmap_read_lock(mm);
	while (uaddr < end) {
		vma = vma_lookup(mm, uaddr);
		/* Holes are the owner's business: they fault at EPT time. */
		if (!vma) {
			vma = find_vma(mm, uaddr);
			if (!vma || vma->vm_start >= end)
				break;
		} else if (!backing_supported(vma->vm_file) ||
			   (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			err = -EINVAL;
			break;
		}
		uaddr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return err;
}

static int check_region(const struct hvx_memory_region *r)
{
	/* A 4-level EPT translates 48 bits, whatever the CPU's width. */
	u64 gpa_limit = 1ull << min_t(u8, boot_cpu_data.x86_phys_bits, 48);

	if (r->slot >= HVX_MAX_MEM_SLOTS)
		return -EINVAL;
	if (r->flags & ~(HVX_MEM_READONLY | HVX_MEM_LOG_DIRTY))
		return -EINVAL;
	/* Nothing to log in a slot the guest cannot write. */
	if ((r->flags & HVX_MEM_READONLY) && (r->flags & HVX_MEM_LOG_DIRTY))
		return -EINVAL;
	if (!r->size)
		return 0;
	if (!PAGE_ALIGNED(r->guest_phys_addr) || !PAGE_ALIGNED(r->size) ||
	    !PAGE_ALIGNED(r->userspace_addr))
		return -EINVAL;
	if (r->guest_phys_addr + r->size < r->guest_phys_addr ||
	    r->guest_phys_addr + r->size > gpa_limit ||
	    r->size >> PAGE_SHIFT > HVX_MAX_SLOT_PAGES)
		return -EINVAL;
	if (r->userspace_addr + r->size < r->userspace_addr ||
	    !access_ok((void __user *)(unsigned long)r->userspace_addr,
		       r->size))
		return -EFAULT;
	return 0;
}

/* Delete a slot (vm->lock held): unmapped, flushed, forgotten. */
static void slot_delete(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	unsigned long n;

	/* From here the notifier leaves the slot alone, and no fault maps it. */
	spin_lock(&vm->mmu_lock);
	slot->used = false;
	spin_unlock(&vm->mmu_lock);
	n = hvx_ept_unmap_range(&vm->ept, slot->gpa, slot->gpa + slot->size);
	atomic_long_sub(n, &vm->mapped_pages);
	hvx_ept_flush(&vm->ept);
	kvfree(slot->dirty);
	memset(slot, 0, sizeof(*slot));
}

long hvx_vm_set_memory_region(struct hvx_vm *vm,
			      const struct hvx_memory_region *r)
{
	struct hvx_memslot *slot;
	unsigned int id;
	int i, err;

	err = check_region(r);
	if (!err && r->size)
		err = check_backing(r->userspace_addr, r->size);
	if (err)
		return err;
	id = array_index_nospec(r->slot, HVX_MAX_MEM_SLOTS);

	mutex_lock(&vm->lock);
	slot = &vm->slots[id];
	if (!r->size) {
		if (slot->used)
			slot_delete(vm, slot);
		else
			err = -ENOENT;
		goto out;
	}
	if (slot->used) {
		/* Moving or resizing is delete + create, done by the caller. */
		err = -EEXIST;
		goto out;
	}
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		const struct hvx_memslot *o = &vm->slots[i];

		if (o->used && r->guest_phys_addr < o->gpa + o->size &&
		    o->gpa < r->guest_phys_addr + r->size) {
			err = -EEXIST;
			goto out;
		}
	}
	/* User-sized: a failure is the caller's ENOMEM, not a warning. */
	if (r->flags & HVX_MEM_LOG_DIRTY) {
		slot->dirty = kvcalloc(BITS_TO_LONGS(r->size >> PAGE_SHIFT),
				       sizeof(long),
				       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!slot->dirty) {
			err = -ENOMEM;
			goto out;
		}
	}
	/* RAM over the APIC's page: it is RAM there, as on the machine. */
	if (r->guest_phys_addr <= APIC_DEFAULT_PHYS_BASE &&
	    APIC_DEFAULT_PHYS_BASE - r->guest_phys_addr < r->size)
		hvx_vm_apic_access_stop(vm);
	slot->gpa = r->guest_phys_addr;
	slot->size = r->size;
	slot->uaddr = r->userspace_addr;
	slot->flags = r->flags;
	spin_lock(&vm->mmu_lock);
	slot->used = true;
	spin_unlock(&vm->mmu_lock);
out:
	mutex_unlock(&vm->lock);
	return err;
}

/* ---- EPT violations ------------------------------------------------------ */

/*
 * A guest touches its memory in runs (a kernel clears, copies and
 * decompresses whole ranges), so an EPT violation also maps the neighbours
 * of the faulting page that the same access would fault on, within an
 * aligned window of HVX_FAULT_AROUND pages: one exit per 64 KiB instead of
 * one per page. Only for writable, unlogged slots: the others map with
 * per-page rules.
 */
#define HVX_FAULT_AROUND	16

/*
 * A run of the owner's pages at @uaddr, as its page tables have them now.
 * For a write, writable ones: holes filled and copy-on-write broken, as
 * the owner's own write would. For a read, what is there (the shared zero
 * page in a hole, a KSM page as merged), writable where the owner's
 * tables allow it already, so that the guest's first write does not exit
 * again. Returns how many (each with a reference), or -errno; *writable
 * says which kind the run is.
 */
static int get_run(unsigned long uaddr, int n, bool write,
		   struct page **pages, bool *writable)
{
	int got;

	*writable = true;
	if (write)
		return get_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	got = get_user_pages_fast_only(uaddr, n, FOLL_WRITE, pages);
	if (got > 0)
		return got;
	*writable = false;
	return get_user_pages_fast(uaddr, n, 0, pages);
}

/*
 * Map up to @n pages of @slot from @idx for a @write access (vm->lock
 * held, the leaf table prepared). Returns how many were mapped: 0 when an
 * invalidation raced with it (the guest faults again), -EFAULT when the
 * owner has no page there.
 */
static int map_run(struct hvx_vm *vm, struct hvx_memslot *slot,
		   unsigned long idx, int n, bool write)
{
	struct page *pages[HVX_FAULT_AROUND];
	unsigned long seq;
	bool writable;
	int got, mapped = 0, i;
	u64 perms;

	seq = READ_ONCE(vm->mmu_seq);
	smp_rmb();	/* the sequence before the owner's page tables */
	got = get_run(slot->uaddr + (idx << PAGE_SHIFT), n, write, pages,
		      &writable);
	if (got <= 0)
		return -EFAULT;

	/* A logged page becomes writable only once its write is recorded. */
	perms = HVX_EPT_R | HVX_EPT_X;
	if (writable && slot_writable(slot) && (!slot_logging(slot) || write))
		perms |= HVX_EPT_W;

	spin_lock(&vm->mmu_lock);
	if (!vm->mmu_invalidating && vm->mmu_seq == seq) {
		for (i = 0; i < got; i++) {
			u64 gpa = slot_gpa(slot, idx + i);

			if (!hvx_ept_lookup(&vm->ept, gpa))
				atomic_long_inc(&vm->mapped_pages);
			hvx_ept_set(&vm->ept, gpa, page_to_phys(pages[i]), perms);
		}
		mapped = got;
	}
	spin_unlock(&vm->mmu_lock);

	/*
	 * Every reference goes, mapped or not. The guest writes a writable
	 * mapping behind the owner's page tables' dirty bits: such a page is
	 * dirty from now, so that reclaim writes it out rather than drops it.
	 */
	for (i = 0; i < got; i++) {
		if (mapped && (perms & HVX_EPT_W))
			set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
	return mapped;
}

/* Whether page @idx is one that a @write access there would fault on. */
static bool needs_fault(struct hvx_vm *vm, struct hvx_memslot *slot,
			unsigned long idx, bool write)
{
	u64 e = hvx_ept_lookup(&vm->ept, slot_gpa(slot, idx));

	return write ? !(e & HVX_EPT_W) : !(e & HVX_EPT_R);
}

static void fault_around(struct hvx_vm *vm, struct hvx_memslot *slot,
			 unsigned long idx, bool write)
{
	unsigned long start = ALIGN_DOWN(idx, HVX_FAULT_AROUND);
	unsigned long end = min(start + HVX_FAULT_AROUND, slot_npages(slot));
	unsigned long i, run;
	int n;

	/*
	 * A window crosses at most one leaf table's edge (a slot's base is
	 * only page-aligned): both tables, before mmu_lock is taken.
	 */
	if (hvx_ept_prepare(&vm->ept, slot_gpa(slot, start)) ||
	    hvx_ept_prepare(&vm->ept, slot_gpa(slot, end - 1)))
		return;
	for (i = start; i < end; i = run) {
		for (run = i; run < end && needs_fault(vm, slot, run, write); run++)
			;
		if (run == i) {
			run++;
			continue;
		}
		n = map_run(vm, slot, i, run - i, write);
		if (n < (int)(run - i))
			return;
	}
}

int hvx_vm_handle_ept_fault(struct hvx_vm *vm, u64 gpa, bool write)
{
	struct hvx_memslot *slot;
	unsigned long idx;
	int err = 0, n;

	mutex_lock(&vm->lock);
	slot = find_slot(vm, gpa);
	if (!slot && (gpa & PAGE_MASK) == APIC_DEFAULT_PHYS_BASE &&
	    vm->apic_access_page && !vm->apic_access_off) {
		/* Read and write: the CPU checks EPT before the APIC page. */
		err = hvx_ept_map(&vm->ept, APIC_DEFAULT_PHYS_BASE,
				  page_to_phys(vm->apic_access_page),
				  HVX_EPT_R | HVX_EPT_W);
		hvx_ept_flush_local(&vm->ept);
		goto out;
	}
	if (!slot) {
		err = -ENOENT;
		goto out;
	}
	if (write && !slot_writable(slot)) {
		err = -EACCES;
		goto out;
	}
	idx = (gpa - slot->gpa) >> PAGE_SHIFT;
	/*
	 * Mapped already, as this access needs: another vCPU got here
	 * first. A write to a page mapped read-only (the zero page, a KSM or
	 * copy-on-write page, or one that dirty logging protected) maps it
	 * again, for writing.
	 */
	if (!needs_fault(vm, slot, idx, write)) {
		hvx_ept_flush_local(&vm->ept);
		goto out;
	}
	err = hvx_ept_prepare(&vm->ept, gpa & PAGE_MASK);
	if (err)
		goto out;
	n = map_run(vm, slot, idx, 1, write);
	if (n <= 0) {
		err = n;
		goto out;
	}
	vm->ept_faults++;
	if (write && slot_logging(slot))
		set_bit(idx, slot->dirty);
	if (slot_writable(slot) && !slot_logging(slot))
		fault_around(vm, slot, idx, write);
	hvx_ept_flush_local(&vm->ept);
out:
	mutex_unlock(&vm->lock);
	return err;
}

/* ---- the host's accesses --------------------------------------------------- */

/* Runs in the VM owner's context: guest memory is its user memory. */
static int access_gpa(struct hvx_vm *vm, u64 gpa, void *buf,
		      unsigned int len, bool write)
{
	while (len) {
		struct hvx_memslot *slot;
		unsigned int n = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		void __user *uaddr;
		unsigned long left;

		mutex_lock(&vm->lock);
		slot = find_slot(vm, gpa);
		if (!slot || (write && !slot_writable(slot))) {
			mutex_unlock(&vm->lock);
			return -EFAULT;
		}
		uaddr = (void __user *)(unsigned long)(slot->uaddr +
						       (gpa - slot->gpa));
		if (write && slot_logging(slot))
			set_bit((gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
		mutex_unlock(&vm->lock);
		left = write ? copy_to_user(uaddr, buf, n) :
			       copy_from_user(buf, uaddr, n);
		if (left)
			return -EFAULT;
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

bool hvx_vm_gpa_is_ram(struct hvx_vm *vm, u64 gpa, bool write)
{
	struct hvx_memslot *slot;
	bool ram;

	mutex_lock(&vm->lock);
	slot = find_slot(vm, gpa);
	ram = slot && (!write || slot_writable(slot));
	mutex_unlock(&vm->lock);
	return ram;
}

int hvx_vm_read_gpa(struct hvx_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return access_gpa(vm, gpa, buf, len, false);
}

int hvx_vm_write_gpa(struct hvx_vm *vm, u64 gpa, const void *buf,
		     unsigned int len)
{
	return access_gpa(vm, gpa, (void *)buf, len, true);
}

/* ---- dirty logging --------------------------------------------------------- */

/* Take write permission from the mapped pages of @slot that @bits names. */
static void write_protect(struct hvx_vm *vm, struct hvx_memslot *slot,
			  const unsigned long *bits)
{
	unsigned long w, i, npages = slot_npages(slot);

	for (w = 0; w < BITS_TO_LONGS(npages); w++) {
		if (!bits[w])
			continue;
		/* A word at a time: mmu_lock is a spinlock. */
		spin_lock(&vm->mmu_lock);
		for (i = w * BITS_PER_LONG; i < min((w + 1) * BITS_PER_LONG, npages); i++) {
			u64 gpa = slot_gpa(slot, i), e;

			if (!test_bit(i, bits))
				continue;
			e = hvx_ept_lookup(&vm->ept, gpa);
			if (e & HVX_EPT_W)
				hvx_ept_set(&vm->ept, gpa, e, HVX_EPT_R | HVX_EPT_X);
		}
		spin_unlock(&vm->mmu_lock);
		cond_resched();
	}
}

long hvx_vm_get_dirty_log(struct hvx_vm *vm, const struct hvx_dirty_log *log)
{
	struct hvx_memslot *slot;
	unsigned long *snap, npages;
	size_t bytes;
	long err = 0;

	if (log->flags || log->slot >= HVX_MAX_MEM_SLOTS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	slot = &vm->slots[array_index_nospec(log->slot, HVX_MAX_MEM_SLOTS)];
	if (!slot->used || !slot_logging(slot)) {
		mutex_unlock(&vm->lock);
		return -ENOENT;
	}
	npages = slot_npages(slot);
	bytes = BITS_TO_LONGS(npages) * sizeof(long);
	snap = kvmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!snap) {
		mutex_unlock(&vm->lock);
		return -ENOMEM;
	}
	/*
	 * Take the record and write-protect what it names. A write racing
	 * with this lands on a page already reported dirty; any later write
	 * faults and starts the next record.
	 */
	memcpy(snap, slot->dirty, bytes);
	bitmap_zero(slot->dirty, npages);
	write_protect(vm, slot, snap);
	hvx_ept_flush(&vm->ept);
	mutex_unlock(&vm->lock);

	if (copy_to_user(u64_to_user_ptr(log->bitmap), snap, bytes))
		err = -EFAULT;
	kvfree(snap);
	return err;
}
