// SPDX-License-Identifier: GPL-2.0
/*
 * Eventfds bound to a VM, after the model of KVM's virt/kvm/eventfd.c.
 *
 * An ioeventfd is a device on one of the VM's I/O buses (iobus.h): a
 * guest write that matches it adds 1 to its eventfd, and the guest goes on
 * at once, without an exit to user space. It holds a reference to the
 * eventfd context, not to the file: closing the fd leaves the registration
 * working until HVX_IOEVENTFD_DEASSIGN or the VM's end.
 *
 * An irqfd is an entry on an eventfd's wait queue: each signal raises an
 * IOAPIC pin or sends an MSI. The wakeup callback runs with the eventfd's
 * wait-queue lock held and interrupts off, in whatever context signalled
 * (a driver may do it from a hard interrupt); on PREEMPT_RT that lock is
 * a sleeping one. The IOAPIC and the APIC delivery take spinlock_t locks
 * that are also taken with interrupts on: taken from the wakeup, they would
 * be irq-unsafe locks nested in an irq-safe one for lockdep, and sleeping
 * locks in atomic context on PREEMPT_RT when the signal comes from a hard
 * interrupt. So the wakeup only consumes the count and queues the irqfd's
 * inject work, which raises the interrupt in process context.
 *
 * An irqfd holds references to its eventfds and none to the VM. It is
 * taken apart by its shutdown work on hvx_irqfd_wq, queued when it is
 * deassigned, when its eventfd is released (EPOLLHUP, from the wakeup) or
 * when the VM goes; the VM's teardown flushes that workqueue before it
 * frees anything an irqfd uses. vm->irqfd_lock (irq-safe: the EPOLLHUP
 * wakeup takes it) guards the list of active irqfds and the resample list;
 * the resample list is read under vm->srcu by the EOI path.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "eventfds.h"
#include "ioapic.h"
#include "iobus.h"
#include "lapic.h"
#include "vm.h"

static struct workqueue_struct *hvx_irqfd_wq;

/* ---- ioeventfd ---------------------------------------------------------- */

struct ioeventfd {
	struct hvx_io_device dev;
	struct list_head link;		/* vm->ioeventfds, under vm->io_lock */
	struct eventfd_ctx *eventfd;
	u64 addr;
	u64 datamatch;
	u32 len;			/* 0: a write of any width */
	u32 flags;			/* HVX_IOEVENTFD_PIO, _DATAMATCH */
};

static int ioeventfd_write(struct hvx_io_device *dev, struct hvx_vcpu *v,
			   u64 addr, unsigned int len, const void *val)
{
	struct ioeventfd *p = container_of(dev, struct ioeventfd, dev);
	u64 value = 0;

	if (addr != p->addr || (p->len && len != p->len) ||
	    len > sizeof(value))
		return -EOPNOTSUPP;
	if (p->flags & HVX_IOEVENTFD_DATAMATCH) {
		memcpy(&value, val, len);
		if (value != p->datamatch)
			return -EOPNOTSUPP;
	}
	eventfd_signal(p->eventfd, 1);
	return 0;
}

/* Reads are not ioeventfds' business: no read op, they go on down the bus. */
static const struct hvx_io_device_ops ioeventfd_ops = {
	.write = ioeventfd_write,
};

static int ioeventfd_check(const struct hvx_ioeventfd *args)
{
	bool pio = args->flags & HVX_IOEVENTFD_PIO;
	bool match = args->flags & HVX_IOEVENTFD_DATAMATCH;
	u32 len = args->len;

	if (args->flags & ~(HVX_IOEVENTFD_PIO | HVX_IOEVENTFD_DATAMATCH |
			    HVX_IOEVENTFD_DEASSIGN) || args->reserved)
		return -EINVAL;
	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	/* Ports are 1, 2 or 4 bytes wide; "any width" needs no value. */
	if ((pio && (len == 0 || len == 8)) || (match && !len))
		return -EINVAL;
	/* A value wider than the write could never match; none without match. */
	if (match ? len < 8 && args->datamatch >> (8 * len) : args->datamatch)
		return -EINVAL;
	if (pio ? args->addr > 0xffff || args->addr + len > 0x10000 :
		  args->addr > U64_MAX - max(len, 1u))
		return -EINVAL;
	return 0;
}

/* KVM's rule: one write may not signal two registrations. */
static bool ioeventfd_collides(const struct ioeventfd *a,
			       const struct ioeventfd *b)
{
	if ((a->flags ^ b->flags) & HVX_IOEVENTFD_PIO || a->addr != b->addr)
		return false;
	if (!a->len || !b->len)
		return true;
	if (a->len != b->len)
		return false;
	return !(a->flags & b->flags & HVX_IOEVENTFD_DATAMATCH) ||
	       a->datamatch == b->datamatch;
}

static enum hvx_bus_id ioeventfd_bus(const struct ioeventfd *p)
{
	return p->flags & HVX_IOEVENTFD_PIO ? HVX_PIO_BUS : HVX_MMIO_BUS;
}

static void ioeventfd_free(struct ioeventfd *p)
{
	eventfd_ctx_put(p->eventfd);
	kfree(p);
}

static long ioeventfd_assign(struct hvx_vm *vm, const struct ioeventfd *tmpl,
			     struct eventfd_ctx *ctx)
{
	struct ioeventfd *p, *o;
	long err;

	p = kmemdup(tmpl, sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->dev.ops = &ioeventfd_ops;
	p->eventfd = ctx;

	mutex_lock(&vm->io_lock);
	if (vm->nr_ioeventfds >= HVX_MAX_IOEVENTFDS) {
		err = -ENOSPC;
		goto out_unlock;
	}
	list_for_each_entry(o, &vm->ioeventfds, link) {
		if (ioeventfd_collides(o, p)) {
			err = -EEXIST;
			goto out_unlock;
		}
	}
	err = hvx_io_bus_register(vm, ioeventfd_bus(p), p->addr,
				  max(p->len, 1u), &p->dev);
	if (err)
		goto out_unlock;
	list_add_tail(&p->link, &vm->ioeventfds);
	vm->nr_ioeventfds++;
	mutex_unlock(&vm->io_lock);
	return 0;

out_unlock:
	mutex_unlock(&vm->io_lock);
	kfree(p);
	return err;
}

static long ioeventfd_deassign(struct hvx_vm *vm, const struct ioeventfd *tmpl,
			       struct eventfd_ctx *ctx)
{
	struct ioeventfd *p;

	mutex_lock(&vm->io_lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (p->eventfd != ctx || p->addr != tmpl->addr ||
		    p->len != tmpl->len || p->flags != tmpl->flags ||
		    p->datamatch != tmpl->datamatch)
			continue;
		/* Returns when no vCPU can be in ioeventfd_write() on it. */
		hvx_io_bus_unregister(vm, ioeventfd_bus(p), &p->dev);
		list_del(&p->link);
		vm->nr_ioeventfds--;
		mutex_unlock(&vm->io_lock);
		ioeventfd_free(p);
		return 0;
	}
	mutex_unlock(&vm->io_lock);
	return -ENOENT;
}

long hvx_vm_ioeventfd(struct hvx_vm *vm, const struct hvx_ioeventfd *args)
{
	struct ioeventfd tmpl = {
		.addr = args->addr,
		.datamatch = args->datamatch,
		.len = args->len,
		.flags = args->flags & ~HVX_IOEVENTFD_DEASSIGN,
	};
	struct eventfd_ctx *ctx;
	long err;

	err = ioeventfd_check(args);
	if (err)
		return err;
	/* -EBADF for no fd, -EINVAL for a file that is no eventfd. */
	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	if (args->flags & HVX_IOEVENTFD_DEASSIGN) {
		err = ioeventfd_deassign(vm, &tmpl, ctx);
		eventfd_ctx_put(ctx);
		return err;
	}
	/* On success the registration keeps the reference. */
	err = ioeventfd_assign(vm, &tmpl, ctx);
	if (err)
		eventfd_ctx_put(ctx);
	return err;
}

/* ---- irqfd -------------------------------------------------------------- */

struct irqfd {
	struct hvx_vm *vm;
	struct eventfd_ctx *eventfd;
	struct eventfd_ctx *resamplefd;	/* HVX_IRQFD_RESAMPLE; else NULL */
	u32 gsi;
	bool msi;
	struct hvx_apic_irq irq;	/* HVX_IRQFD_MSI: the message */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;
	struct list_head link;		/* vm->irqfds while active */
	struct list_head resample_link;	/* vm->resamplers (RCU) */
};

/* Process context, so the IOAPIC's and the APICs' locks may be taken. */
static void irqfd_inject(struct work_struct *work)
{
	struct irqfd *f = container_of(work, struct irqfd, inject);

	if (f->msi) {
		hvx_apic_deliver(f->vm, NULL, &f->irq);
		return;
	}
	hvx_ioapic_set_line(f->vm, f->gsi, true);
	/* Edge: a pulse. Resample: held up until the guest's EOI. */
	if (!f->resamplefd)
		hvx_ioapic_set_line(f->vm, f->gsi, false);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct irqfd *f = container_of(work, struct irqfd, shutdown);
	struct hvx_vm *vm = f->vm;
	u64 cnt;

	/* Assignment hooks it onto the eventfd under SRCU: let it finish. */
	synchronize_srcu(&vm->srcu);
	/* Off the wait queue: no wakeup runs or comes after this. */
	eventfd_ctx_remove_wait_queue(f->eventfd, &f->wait, &cnt);
	/* So nothing queues the inject work again: wait for the last one. */
	flush_work(&f->inject);
	if (f->resamplefd) {
		spin_lock_irq(&vm->irqfd_lock);
		list_del_rcu(&f->resample_link);
		spin_unlock_irq(&vm->irqfd_lock);
		/* The EOI path may be signalling its resamplefd. */
		synchronize_srcu(&vm->srcu);
		/* The pin was held up by this irqfd: let it down. */
		hvx_ioapic_set_line(vm, f->gsi, false);
		eventfd_ctx_put(f->resamplefd);
	}
	eventfd_ctx_put(f->eventfd);
	spin_lock_irq(&vm->irqfd_lock);
	vm->nr_irqfds--;
	spin_unlock_irq(&vm->irqfd_lock);
	kfree(f);
}

static void irqfd_deactivate(struct irqfd *f)
{
	lockdep_assert_held(&f->vm->irqfd_lock);
	list_del_init(&f->link);
	queue_work(hvx_irqfd_wq, &f->shutdown);
}

/* The eventfd's wait-queue lock is held, interrupts off: see the top. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct irqfd *f = container_of(wait, struct irqfd, wait);
	__poll_t events = key_to_poll(key);
	struct hvx_vm *vm = f->vm;
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		/* Any number of signals since the last is one interrupt. */
		eventfd_ctx_do_read(f->eventfd, &cnt);
		schedule_work(&f->inject);
	}
	if (events & EPOLLHUP) {
		/*
		 * The eventfd is being released. Deassignment or the VM's end
		 * may have deactivated the irqfd first; its shutdown then
		 * waits for this wakeup in eventfd_ctx_remove_wait_queue(),
		 * so neither the irqfd nor the VM can go under us.
		 */
		spin_lock_irqsave(&vm->irqfd_lock, flags);
		if (!list_empty(&f->link))
			irqfd_deactivate(f);
		spin_unlock_irqrestore(&vm->irqfd_lock, flags);
	}
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct irqfd *f = container_of(pt, struct irqfd, pt);

	add_wait_queue(wqh, &f->wait);
}

static long irqfd_assign(struct hvx_vm *vm, const struct hvx_irqfd *args)
{
	struct irqfd *f, *o;
	__poll_t events;
	struct fd fd;
	long err;
	int idx;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->vm = vm;
	f->gsi = args->gsi;
	INIT_LIST_HEAD(&f->link);
	INIT_LIST_HEAD(&f->resample_link);
	INIT_WORK(&f->inject, irqfd_inject);
	INIT_WORK(&f->shutdown, irqfd_shutdown);
	if (args->flags & HVX_IRQFD_MSI) {
		err = hvx_msi_to_irq(args->msi_address, args->msi_data,
				     &f->irq);
		if (err)
			goto out_free;
		f->msi = true;
	}

	fd = fdget(args->fd);
	if (!fd.file) {
		err = -EBADF;
		goto out_free;
	}
	f->eventfd = eventfd_ctx_fileget(fd.file);
	if (IS_ERR(f->eventfd)) {
		err = PTR_ERR(f->eventfd);
		goto out_fdput;
	}
	if (args->flags & HVX_IRQFD_RESAMPLE) {
		f->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(f->resamplefd)) {
			err = PTR_ERR(f->resamplefd);
			goto out_eventfd;
		}
	}
	init_waitqueue_func_entry(&f->wait, irqfd_wakeup);
	init_poll_funcptr(&f->pt, irqfd_queue_proc);

	spin_lock_irq(&vm->irqfd_lock);
	if (vm->nr_irqfds >= HVX_MAX_IRQFDS) {
		err = -ENOSPC;
		goto out_unlock;
	}
	list_for_each_entry(o, &vm->irqfds, link) {
		if (o->eventfd == f->eventfd) {
			err = -EEXIST;
			goto out_unlock;
		}
	}
	/*
	 * Visible from here to deassignment and to the VM's end, before it
	 * is on the eventfd's wait queue: its shutdown starts with
	 * synchronize_srcu(), which waits for this read side to end.
	 */
	idx = srcu_read_lock(&vm->srcu);
	list_add_tail(&f->link, &vm->irqfds);
	if (f->resamplefd)
		list_add_rcu(&f->resample_link, &vm->resamplers);
	vm->nr_irqfds++;
	spin_unlock_irq(&vm->irqfd_lock);

	/* A signal that came before the hook is raised now, not lost. */
	events = vfs_poll(fd.file, &f->pt);
	if (events & EPOLLIN)
		schedule_work(&f->inject);
	srcu_read_unlock(&vm->srcu, idx);
	fdput(fd);
	return 0;

out_unlock:
	spin_unlock_irq(&vm->irqfd_lock);
	if (f->resamplefd)
		eventfd_ctx_put(f->resamplefd);
out_eventfd:
	eventfd_ctx_put(f->eventfd);
out_fdput:
	fdput(fd);
out_free:
	kfree(f);
	return err;
}

static long irqfd_deassign(struct hvx_vm *vm, const struct hvx_irqfd *args)
{
	struct eventfd_ctx *ctx;
	struct irqfd *f;
	long err = -ENOENT;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry(f, &vm->irqfds, link) {
		if (f->eventfd == ctx) {
			irqfd_deactivate(f);
			err = 0;
			break;
		}
	}
	spin_unlock_irq(&vm->irqfd_lock);
	eventfd_ctx_put(ctx);
	/* Gone when this returns: a later signal raises nothing. */
	flush_workqueue(hvx_irqfd_wq);
	return err;
}

long hvx_vm_irqfd(struct hvx_vm *vm, const struct hvx_irqfd *args)
{
	u32 flags = args->flags;

	if (flags & ~(HVX_IRQFD_DEASSIGN | HVX_IRQFD_RESAMPLE | HVX_IRQFD_MSI) ||
	    args->reserved)
		return -EINVAL;
	/* Only @fd names the irqfd to remove; the rest is not looked at. */
	if (flags & HVX_IRQFD_DEASSIGN)
		return irqfd_deassign(vm, args);
	/* An MSI has no pin to resample; a pin irqfd has no message. */
	if (flags & HVX_IRQFD_MSI) {
		if ((flags & HVX_IRQFD_RESAMPLE) || args->gsi)
			return -EINVAL;
	} else if (args->msi_address || args->msi_data) {
		return -EINVAL;
	}
	/* As HVX_IRQ_LINE: no IOAPIC (and no APICs), nothing to raise. */
	if (!smp_load_acquire(&vm->ioapic))
		return -ENXIO;
	if (!(flags & HVX_IRQFD_MSI) && args->gsi >= HVX_IOAPIC_PINS)
		return -EINVAL;
	return irqfd_assign(vm, args);
}

void hvx_irqfd_resample(struct hvx_vm *vm, unsigned int gsi)
{
	bool lowered = false;
	struct irqfd *f;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	list_for_each_entry_srcu(f, &vm->resamplers, resample_link,
				 srcu_read_lock_held(&vm->srcu)) {
		if (f->gsi != gsi)
			continue;
		if (!lowered) {
			hvx_ioapic_set_line(vm, gsi, false);
			lowered = true;
		}
		eventfd_signal(f->resamplefd, 1);
	}
	srcu_read_unlock(&vm->srcu, idx);
}

/* ---- VM and module ------------------------------------------------------ */

void hvx_eventfds_vm_init(struct hvx_vm *vm)
{
	INIT_LIST_HEAD(&vm->ioeventfds);
	spin_lock_init(&vm->irqfd_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	INIT_LIST_HEAD(&vm->resamplers);
}

void hvx_eventfds_vm_destroy(struct hvx_vm *vm)
{
	struct ioeventfd *p, *ptmp;
	struct irqfd *f, *ftmp;

	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry_safe(f, ftmp, &vm->irqfds, link)
		irqfd_deactivate(f);
	spin_unlock_irq(&vm->irqfd_lock);
	/* Also the shutdowns that EPOLLHUP queued before. */
	flush_workqueue(hvx_irqfd_wq);

	/* No vCPU is left to be on a bus: no SRCU reader either. */
	list_for_each_entry_safe(p, ptmp, &vm->ioeventfds, link) {
		list_del(&p->link);
		ioeventfd_free(p);
	}
	vm->nr_ioeventfds = 0;
}

int hvx_eventfds_init(void)
{
	hvx_irqfd_wq = alloc_workqueue("hvx-irqfd-cleanup", 0, 0);
	return hvx_irqfd_wq ? 0 : -ENOMEM;
}

void hvx_eventfds_exit(void)
{
	destroy_workqueue(hvx_irqfd_wq);
}
