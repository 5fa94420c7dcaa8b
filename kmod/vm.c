// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: creation and teardown, memory slots, and the resolution of EPT
 * faults on guest memory.
 *
 * Guest memory is ordinary memory of the process that created the VM. A
 * page is pinned and mapped into EPT when the guest first touches it, and
 * unpinned when its slot is deleted or the VM dies; the pages stay charged
 * to that process as any of its memory is.
 */
#include <linux/anon_inodes.h>
#include <linux/magic.h>
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/io.h>

#include "eventfds.h"
#include "hvx.h"
#include "ioapic.h"
#include "iobus.h"
#include "lapic.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx.h"

static bool slot_writable(const struct hvx_memslot *slot)
{
	return !(slot->flags & HVX_MEM_READONLY);
}

static unsigned long slot_npages(const struct hvx_memslot *slot)
{
	return slot->size >> PAGE_SHIFT;
}

/* Unmap and unpin a slot's pages; the caller flushes EPT before reuse. */
static void slot_unmap(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	unsigned long i;

	for (i = 0; i < slot_npages(slot); i++) {
		if (slot->pages[i])
			hvx_ept_unmap(&vm->ept, slot->gpa + (i << PAGE_SHIFT));
		cond_resched();
	}
}

static void slot_unpin(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	unsigned long i;

	for (i = 0; i < slot_npages(slot); i++) {
		if (!slot->pages[i])
			continue;
		unpin_user_pages_dirty_lock(&slot->pages[i], 1,
					    slot_writable(slot));
		vm->pinned_pages--;
		cond_resched();
	}
	kvfree(slot->pages);
	kvfree(slot->dirty);
	memset(slot, 0, sizeof(*slot));
}

static void hvx_vm_free(struct kref *ref)
{
	struct hvx_vm *vm = container_of(ref, struct hvx_vm, ref);
	int i;

	/*
	 * No CPU may keep a translation to a page that goes back to its
	 * owner, or through a table that is freed, for a later VM whose EPT
	 * root lands on the same page to use.
	 */
	hvx_ept_flush(&vm->ept);
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		if (vm->slots[i].used)
			slot_unpin(vm, &vm->slots[i]);
	hvx_ept_destroy(&vm->ept);
	/* First: irqfds' work items use the IOAPIC and the SRCU. */
	hvx_eventfds_vm_destroy(vm);
	hvx_io_bus_destroy(vm);
	hvx_ioapic_free(vm);
	if (vm->apic_access_page)
		__free_page(vm->apic_access_page);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	kfree(vm);
}

void hvx_vm_put(struct hvx_vm *vm)
{
	kref_put(&vm->ref, hvx_vm_free);
}

int hvx_vm_create(unsigned long flags)
{
	struct hvx_vm *vm;
	int fd, err;

	if (flags)
		return -EINVAL;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->irq_lock);
	mutex_init(&vm->io_lock);
	hvx_eventfds_vm_init(vm);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	err = init_srcu_struct(&vm->srcu);
	if (err)
		goto out_free;
	err = hvx_ept_init(&vm->ept);
	if (err)
		goto out_srcu;

	fd = anon_inode_getfd("hvx-vm", &hvx_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out_ept;
	}
	return fd;

out_ept:
	hvx_ept_destroy(&vm->ept);
out_srcu:
	cleanup_srcu_struct(&vm->srcu);
out_free:
	mmdrop(vm->mm);
	kfree(vm);
	return err;
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

/*
 * Guest memory is pinned for as long as the slot lives. Only anonymous
 * and shmem (memfd, MAP_SHARED|MAP_ANONYMOUS, tmpfs) or hugetlbfs memory
 * may be: a long-term pin of a page-cache page of a regular file defeats
 * writeback and truncation (the problem behind FOLL_LONGTERM's limits).
 */
static bool backing_pinnable(struct file *file)
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
		} else if (!backing_pinnable(vma->vm_file) ||
			   (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			err = -EINVAL;
			break;
		}
		uaddr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return err;
}

/* A page pinned at fault time: the mapping may have changed since. */
static bool page_pinnable(struct page *page)
{
	struct address_space *mapping;

	if (PageAnon(page))
		return true;
	mapping = page_mapping(page);
	return mapping && mapping->host &&
	       (mapping->host->i_sb->s_magic == TMPFS_MAGIC ||
		mapping->host->i_sb->s_magic == HUGETLBFS_MAGIC);
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

/*
 * No more APIC-access page in the EPT (vm->lock held): each vCPU drops
 * the control at its next entry (update_apic_access() in vmx.c), and
 * until then its accesses there fault on the EPT like any unbacked MMIO.
 */
static void apic_access_stop(struct hvx_vm *vm)
{
	if (!vm->apic_access_page || vm->apic_access_off)
		return;
	WRITE_ONCE(vm->apic_access_off, true);
	hvx_ept_unmap(&vm->ept, APIC_DEFAULT_PHYS_BASE);
	hvx_ept_flush(&vm->ept);
}

void hvx_vm_apic_base_changed(struct hvx_vcpu *v)
{
	if (!v->vm->apic_access_page || READ_ONCE(v->vm->apic_access_off) ||
	    hvx_vcpu_xapic_at_default(v))
		return;
	mutex_lock(&v->vm->lock);
	apic_access_stop(v->vm);
	mutex_unlock(&v->vm->lock);
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
		if (!slot->used) {
			err = -ENOENT;
			goto out;
		}
		slot_unmap(vm, slot);
		hvx_ept_flush(&vm->ept);
		slot_unpin(vm, slot);
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
	/* RAM over the APIC's page: it is RAM there, as on the machine. */
	if (r->guest_phys_addr <= APIC_DEFAULT_PHYS_BASE &&
	    APIC_DEFAULT_PHYS_BASE - r->guest_phys_addr < r->size)
		apic_access_stop(vm);
	/* User-sized: a failure is the caller's ENOMEM, not a warning. */
	slot->pages = kvcalloc(r->size >> PAGE_SHIFT, sizeof(*slot->pages),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (slot->pages && (r->flags & HVX_MEM_LOG_DIRTY))
		slot->dirty = kvcalloc(BITS_TO_LONGS(r->size >> PAGE_SHIFT),
				       sizeof(long),
				       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slot->pages ||
	    (!slot->dirty && (r->flags & HVX_MEM_LOG_DIRTY))) {
		kvfree(slot->pages);
		kvfree(slot->dirty);
		slot->pages = NULL;
		slot->dirty = NULL;
		err = -ENOMEM;
		goto out;
	}
	slot->gpa = r->guest_phys_addr;
	slot->size = r->size;
	slot->uaddr = r->userspace_addr;
	slot->flags = r->flags;
	slot->used = true;
out:
	mutex_unlock(&vm->lock);
	return err;
}

/*
 * A guest touches its memory in runs (a kernel clears, copies and
 * decompresses whole ranges), so an EPT violation also maps the unmapped
 * neighbours of the faulting page within an aligned window of
 * HVX_FAULT_AROUND pages: one exit per 64 KiB instead of one per page.
 * Pinning is batched per run of unmapped pages; a page that does not pin
 * is left to fault on its own. Only for writable, unlogged slots: the
 * others map with per-page rules.
 */
#define HVX_FAULT_AROUND	16

static void fault_around(struct hvx_vm *vm, struct hvx_memslot *slot,
			 unsigned long idx)
{
	unsigned long start = ALIGN_DOWN(idx, HVX_FAULT_AROUND);
	unsigned long end = min(start + HVX_FAULT_AROUND, slot_npages(slot));
	struct page *pages[HVX_FAULT_AROUND];
	unsigned long i, run;
	int n, j;

	for (i = start; i < end; i = run) {
		for (run = i; run < end && !slot->pages[run]; run++)
			;
		if (run == i) {
			run++;
			continue;
		}
		n = pin_user_pages_fast(slot->uaddr + (i << PAGE_SHIFT),
					run - i, FOLL_LONGTERM | FOLL_WRITE,
					pages);
		if (n <= 0)
			return;
		for (j = 0; j < n; j++) {
			if (!page_pinnable(pages[j]) ||
			    hvx_ept_map(&vm->ept,
					slot->gpa + ((i + j) << PAGE_SHIFT),
					page_to_phys(pages[j]),
					HVX_EPT_R | HVX_EPT_W | HVX_EPT_X)) {
				unpin_user_pages(pages + j, n - j);
				return;
			}
			slot->pages[i + j] = pages[j];
			vm->pinned_pages++;
		}
		if (n < run - i)
			return;
	}
}

int hvx_vm_handle_ept_fault(struct hvx_vm *vm, u64 gpa, bool write)
{
	struct hvx_memslot *slot;
	struct page *page;
	unsigned long idx;
	bool logging;
	u64 perms;
	int err = 0;

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
	logging = slot->flags & HVX_MEM_LOG_DIRTY;
	if (slot->pages[idx]) {
		/*
		 * Mapped already: either another vCPU got here first, or this
		 * is the first write since dirty logging write-protected it.
		 */
		if (write && logging) {
			err = hvx_ept_map(&vm->ept, gpa & PAGE_MASK,
					  page_to_phys(slot->pages[idx]),
					  HVX_EPT_R | HVX_EPT_W | HVX_EPT_X);
			set_bit(idx, slot->dirty);
			vm->ept_faults++;
		}
		hvx_ept_flush_local(&vm->ept);
		goto out;
	}

	/*
	 * Long-term: the page stays mapped in EPT until the slot goes. Pin
	 * for writing even for a read-only slot where the mapping allows it:
	 * a read pin of an untouched page would pin the shared zero page,
	 * and the owner's later writes would go to a copy the guest never
	 * sees.
	 */
	if (pin_user_pages_fast(slot->uaddr + (idx << PAGE_SHIFT), 1,
				FOLL_LONGTERM | FOLL_WRITE, &page) != 1 &&
	    (slot_writable(slot) ||
	     pin_user_pages_fast(slot->uaddr + (idx << PAGE_SHIFT), 1,
				 FOLL_LONGTERM, &page) != 1)) {
		err = -EFAULT;
		goto out;
	}
	if (!page_pinnable(page)) {
		unpin_user_page(page);
		err = -EFAULT;
		goto out;
	}
	/* A logged page becomes writable only once its write is recorded. */
	perms = HVX_EPT_R | HVX_EPT_X;
	if (slot_writable(slot) && (!logging || write))
		perms |= HVX_EPT_W;
	err = hvx_ept_map(&vm->ept, gpa & PAGE_MASK, page_to_phys(page),
			  perms);
	if (err) {
		unpin_user_page(page);
		goto out;
	}
	slot->pages[idx] = page;
	vm->pinned_pages++;
	vm->ept_faults++;
	if (logging && write)
		set_bit(idx, slot->dirty);
	if (slot_writable(slot) && !logging)
		fault_around(vm, slot, idx);
out:
	mutex_unlock(&vm->lock);
	return err;
}

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
		if (write && (slot->flags & HVX_MEM_LOG_DIRTY))
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

int hvx_vm_read_gpa(struct hvx_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return access_gpa(vm, gpa, buf, len, false);
}

int hvx_vm_write_gpa(struct hvx_vm *vm, u64 gpa, const void *buf,
		     unsigned int len)
{
	return access_gpa(vm, gpa, (void *)buf, len, true);
}

long hvx_vm_create_vcpu(struct hvx_vm *vm, unsigned long id)
{
	int fd;

	if (id >= HVX_MAX_VCPUS)
		return -EINVAL;
	id = array_index_nospec(id, HVX_MAX_VCPUS);

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		fd = -EEXIST;
		goto out;
	}
	fd = hvx_vcpu_fd_create(vm, id);
out:
	mutex_unlock(&vm->lock);
	return fd;
}

long hvx_vm_create_irqchip(struct hvx_vm *vm)
{
	long err = 0;
	int i;

	mutex_lock(&vm->lock);
	if (vm->ioapic) {
		err = -EEXIST;
		goto out;
	}
	/* Every vCPU must have its APIC: none may exist yet. */
	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		if (vm->vcpus[i]) {
			err = -EBUSY;
			goto out;
		}
	}
	if (hvx_vmx_apic_access()) {
		vm->apic_access_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!vm->apic_access_page) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = hvx_ioapic_create(vm);
	if (err && vm->apic_access_page) {
		__free_page(vm->apic_access_page);
		vm->apic_access_page = NULL;
	}
out:
	mutex_unlock(&vm->lock);
	return err;
}

long hvx_vm_irq_line(struct hvx_vm *vm, const struct hvx_irq_line *line)
{
	if (line->flags || line->reserved || line->level > 1)
		return -EINVAL;
	return hvx_ioapic_set_line(vm, line->gsi, line->level);
}

long hvx_vm_signal_msi(struct hvx_vm *vm, const struct hvx_msi *msi)
{
	struct hvx_apic_irq irq;
	long err;

	if (msi->flags || msi->reserved)
		return -EINVAL;
	/* As HVX_IRQ_LINE: without the irqchip there are no APICs. */
	if (!smp_load_acquire(&vm->ioapic))
		return -ENXIO;
	err = hvx_msi_to_irq(msi->address, msi->data, &irq);
	if (err)
		return err;
	return hvx_apic_deliver(vm, NULL, &irq);
}

long hvx_vm_get_dirty_log(struct hvx_vm *vm, const struct hvx_dirty_log *log)
{
	struct hvx_memslot *slot;
	unsigned long *snap, npages, i;
	size_t bytes;
	long err = 0;

	if (log->flags || log->slot >= HVX_MAX_MEM_SLOTS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	slot = &vm->slots[array_index_nospec(log->slot, HVX_MAX_MEM_SLOTS)];
	if (!slot->used || !(slot->flags & HVX_MEM_LOG_DIRTY)) {
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
	for_each_set_bit(i, snap, npages) {
		if (slot->pages[i])
			hvx_ept_map(&vm->ept, slot->gpa + (i << PAGE_SHIFT),
				    page_to_phys(slot->pages[i]),
				    HVX_EPT_R | HVX_EPT_X);
		cond_resched();
	}
	hvx_ept_flush(&vm->ept);
	mutex_unlock(&vm->lock);

	if (copy_to_user(u64_to_user_ptr(log->bitmap), snap, bytes))
		err = -EFAULT;
	kvfree(snap);
	return err;
}

void hvx_vm_get_stats(struct hvx_vm *vm, struct hvx_vm_stats *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	mutex_lock(&vm->lock);
	st->pinned_pages = vm->pinned_pages;
	st->ept_tables = vm->ept.tables;
	st->ept_faults = vm->ept_faults;
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		st->vcpus += !!vm->vcpus[i];
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		st->mem_slots += vm->slots[i].used;
	mutex_unlock(&vm->lock);
}
