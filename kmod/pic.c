// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair on the VM's port bus and its INT output (see pic.h).
 *
 * Delivery. On a PC the master's INT is wired to LINT0 of every local
 * APIC; an APIC passes it to its CPU when LINT0 is unmasked in ExtINT mode
 * (the MP specification's "virtual wire" through the local APIC) or when
 * the APIC is globally disabled, LINT0 then being the CPU's INTR pin (SDM
 * Vol. 3A 10.4.3). The vector is the 8259's: it comes from the acknowledge
 * (INTA), which moves the request from IRR to ISR, so that happens when
 * vmx.c injects it, not when INT rises: a request masked or withdrawn
 * before the CPU takes it is never seen, as on hardware. Such an
 * interrupt bypasses the local APIC's IRR, ISR, TPR and EOI; vmx.c gives
 * it precedence over the APIC's own, as KVM does. Linux unmasks LINT0 on
 * the BSP only: with several vCPUs accepting, the first to acknowledge
 * takes it and any other gets the spurious vector, as CPUs would.
 *
 * Ports. Byte accesses only: a wider one is not the PIC's (-EOPNOTSUPP)
 * and goes to user space as an unclaimed port. String I/O always goes to
 * user space (exits.c), which owns none of these ports.
 */
#include <linux/nospec.h>
#include <linux/slab.h>

#include "lapic.h"
#include "pic.h"
#include "vcpu.h"
#include "vm.h"

/* Update output under pic->lock; true if INT rose. */
static bool update_output(struct hvx_pic *pic)
{
	bool was = pic->output;

	WRITE_ONCE(pic->output, hvx_pic_core_output(&pic->core));
	return pic->output && !was;
}

/* INT rose: every vCPU whose APIC passes it through looks again. */
static void kick_accepting(struct hvx_vm *vm)
{
	struct hvx_vcpu *v;
	int i;

	/* Order output's store before the kicked vCPUs' looks at it. */
	smp_mb();
	spin_lock(&vm->irq_lock);
	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		v = vm->vcpus[i];
		if (v && v->apic && hvx_lapic_accepts_extint(v->apic))
			hvx_vcpu_kick(v);
	}
	spin_unlock(&vm->irq_lock);
}

void hvx_pic_set_gsi(struct hvx_vm *vm, u32 gsi, bool level)
{
	/* Pairs with the release in hvx_pic_create(). */
	struct hvx_pic *pic = smp_load_acquire(&vm->pic);
	unsigned int irq;
	bool rose;

	if (!pic || gsi >= HVX_PIC_IRQS || gsi == 0)
		return;
	irq = gsi == 2 ? 0 : gsi;
	raw_spin_lock(&pic->lock);
	hvx_pic_core_set_irq(&pic->core, irq, level);
	rose = update_output(pic);
	raw_spin_unlock(&pic->lock);
	if (rose)
		kick_accepting(vm);
}

bool hvx_pic_extint_pending(struct hvx_vcpu *v)
{
	/* Pairs with the release in hvx_pic_create(). */
	struct hvx_pic *pic = smp_load_acquire(&v->vm->pic);

	return pic && READ_ONCE(pic->output) && v->apic &&
	       hvx_lapic_accepts_extint(v->apic);
}

u8 hvx_pic_ack(struct hvx_vcpu *v)
{
	struct hvx_pic *pic = v->vm->pic;
	u8 vector;

	raw_spin_lock(&pic->lock);
	vector = hvx_pic_core_ack(&pic->core);
	/* INTA never raises INT where it was down: no one to kick. */
	update_output(pic);
	raw_spin_unlock(&pic->lock);
	return vector;
}

static int pic_read(struct hvx_io_device *dev, struct hvx_vcpu *v, u64 port,
		    unsigned int len, void *val)
{
	struct hvx_pic *pic = container_of(dev, struct hvx_pic, dev);

	if (len != 1)
		return -EOPNOTSUPP;
	raw_spin_lock(&pic->lock);
	*(u8 *)val = hvx_pic_core_read(&pic->core, port);
	/* A poll is an acknowledge: INT may fall. */
	update_output(pic);
	raw_spin_unlock(&pic->lock);
	return 0;
}

static int pic_write(struct hvx_io_device *dev, struct hvx_vcpu *v, u64 port,
		     unsigned int len, const void *val)
{
	struct hvx_pic *pic = container_of(dev, struct hvx_pic, dev);
	bool rose;

	if (len != 1)
		return -EOPNOTSUPP;
	raw_spin_lock(&pic->lock);
	hvx_pic_core_write(&pic->core, port, *(const u8 *)val);
	rose = update_output(pic);
	raw_spin_unlock(&pic->lock);
	if (rose)
		kick_accepting(pic->vm);
	return 0;
}

static const struct hvx_io_device_ops pic_ops = {
	.read = pic_read,
	.write = pic_write,
};

static const u16 pic_ports[] = {
	HVX_PIC_MASTER_PORT, HVX_PIC_SLAVE_PORT, HVX_PIC_ELCR_PORT,
};

int hvx_pic_create(struct hvx_vm *vm)
{
	struct hvx_pic *pic;
	int i, err;

	lockdep_assert_held(&vm->lock);
	if (!vm->ioapic)
		return -ENXIO;
	if (vm->pic)
		return -EEXIST;
	pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return -ENOMEM;
	pic->vm = vm;
	pic->dev.ops = &pic_ops;
	raw_spin_lock_init(&pic->lock);
	hvx_pic_core_reset(&pic->core);

	mutex_lock(&vm->io_lock);
	for (i = 0; i < ARRAY_SIZE(pic_ports); i++) {
		err = hvx_io_bus_register(vm, HVX_PIO_BUS, pic_ports[i], 2,
					  &pic->dev);
		if (err)
			goto out_unregister;
	}
	mutex_unlock(&vm->io_lock);
	/* HVX_IRQ_LINE and vCPUs may look at it at once. */
	smp_store_release(&vm->pic, pic);
	return 0;

out_unregister:
	/* Each call takes one of the device's ranges off the bus. */
	while (i--)
		hvx_io_bus_unregister(vm, HVX_PIO_BUS, &pic->dev);
	mutex_unlock(&vm->io_lock);
	kfree(pic);
	return err;
}

void hvx_pic_free(struct hvx_vm *vm)
{
	kfree(vm->pic);
	vm->pic = NULL;
}
