// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC (Intel 82093AA datasheet). Edge-triggered pins send a
 * message on each rising edge of their input; level-triggered pins send
 * one and set Remote IRR until the local APIC's EOI for that vector, then
 * send again if the line is still asserted. A masked pin sends nothing;
 * a level-triggered one sends when unmasked if its line is still up.
 */
#include <linux/nospec.h>
#include <linux/slab.h>
#include <asm/apicdef.h>

#include "eventfds.h"
#include "ioapic.h"
#include "lapic.h"
#include "vm.h"

#define IOAPIC_REG_SELECT	0x00
#define IOAPIC_REG_WINDOW	0x10
#define IOAPIC_ID		0x00
#define IOAPIC_VERSION		0x01
#define IOAPIC_ARB		0x02
#define IOAPIC_REDIR_BASE	0x10
#define IOAPIC_VERSION_VALUE	(0x11 | (HVX_IOAPIC_PINS - 1) << 16)

#define REDIR_VECTOR		GENMASK_ULL(7, 0)
#define REDIR_DELIVERY_MODE	GENMASK_ULL(10, 8)
#define REDIR_DEST_LOGICAL	BIT_ULL(11)
#define REDIR_POLARITY_LOW	BIT_ULL(13)
#define REDIR_REMOTE_IRR	BIT_ULL(14)
#define REDIR_LEVEL		BIT_ULL(15)
#define REDIR_MASKED		BIT_ULL(16)
#define REDIR_WRITABLE		(REDIR_VECTOR | REDIR_DELIVERY_MODE | \
				 REDIR_DEST_LOGICAL | REDIR_POLARITY_LOW | \
				 REDIR_LEVEL | REDIR_MASKED | GENMASK_ULL(63, 56))

static bool asserted(struct hvx_ioapic *io, unsigned int pin)
{
	bool level = test_bit(pin, &io->lines);

	return io->redir[pin] & REDIR_POLARITY_LOW ? !level : level;
}

/* Send the pin's message; the caller holds io->lock. */
static void send(struct hvx_vm *vm, unsigned int pin)
{
	struct hvx_ioapic *io = vm->ioapic;
	u64 e = io->redir[pin];
	struct hvx_apic_irq irq = {
		.dest = e >> 56,
		.vector = e & REDIR_VECTOR,
		.delivery_mode = (e & REDIR_DELIVERY_MODE) >> 8,
		.logical = e & REDIR_DEST_LOGICAL,
		.level = e & REDIR_LEVEL,
	};

	if (e & REDIR_MASKED)
		return;
	if (irq.level) {
		if (e & REDIR_REMOTE_IRR)
			return;
		io->redir[pin] |= REDIR_REMOTE_IRR;
	}
	hvx_apic_deliver(vm, NULL, &irq);
}

int hvx_ioapic_set_line(struct hvx_vm *vm, u32 gsi, bool level)
{
	/* Pairs with the release in hvx_ioapic_create(). */
	struct hvx_ioapic *io = smp_load_acquire(&vm->ioapic);
	bool was;

	if (!io)
		return -ENXIO;
	if (gsi >= HVX_IOAPIC_PINS)
		return -EINVAL;
	gsi = array_index_nospec(gsi, HVX_IOAPIC_PINS);
	spin_lock(&io->lock);
	was = asserted(io, gsi);
	if (level)
		set_bit(gsi, &io->lines);
	else
		clear_bit(gsi, &io->lines);
	if (asserted(io, gsi) &&
	    (!was || (io->redir[gsi] & REDIR_LEVEL)))
		send(vm, gsi);
	spin_unlock(&io->lock);
	return 0;
}

/* The pin's entry is level-triggered, for @vector, and in service. */
static bool eoi_ends(struct hvx_ioapic *io, unsigned int pin, u8 vector)
{
	u64 e = io->redir[pin];

	return (e & REDIR_LEVEL) && (e & REDIR_VECTOR) == vector &&
	       (e & REDIR_REMOTE_IRR);
}

void hvx_ioapic_eoi(struct hvx_vm *vm, u8 vector)
{
	struct hvx_ioapic *io = vm->ioapic;
	unsigned long pins = 0;
	unsigned int pin;

	static_assert(HVX_IOAPIC_PINS <= BITS_PER_LONG);
	if (!io)
		return;
	spin_lock(&io->lock);
	for (pin = 0; pin < HVX_IOAPIC_PINS; pin++)
		if (eoi_ends(io, pin, vector))
			__set_bit(pin, &pins);
	spin_unlock(&io->lock);
	if (!pins)
		return;
	/*
	 * A resample irqfd's device was serviced: its pin goes down and user
	 * space is told, before Remote IRR is cleared below, so that a line
	 * the handler has quietened is not sent once more (the order of
	 * KVM's ack notifiers). Outside io->lock: that lowers the line
	 * through hvx_ioapic_set_line() and signals eventfds.
	 */
	for_each_set_bit(pin, &pins, HVX_IOAPIC_PINS)
		hvx_irqfd_resample(vm, pin);
	spin_lock(&io->lock);
	for_each_set_bit(pin, &pins, HVX_IOAPIC_PINS) {
		/* The guest may have reprogrammed the entry meanwhile. */
		if (!eoi_ends(io, pin, vector))
			continue;
		io->redir[pin] &= ~REDIR_REMOTE_IRR;
		if (asserted(io, pin))
			send(vm, pin);
	}
	spin_unlock(&io->lock);
}

static u32 window_read(struct hvx_ioapic *io)
{
	u32 sel = io->ioregsel, pin = (sel - IOAPIC_REDIR_BASE) / 2;

	switch (sel) {
	case IOAPIC_ID:
	case IOAPIC_ARB:
		return io->id << 24;
	case IOAPIC_VERSION:
		return IOAPIC_VERSION_VALUE;
	}
	if (sel < IOAPIC_REDIR_BASE || pin >= HVX_IOAPIC_PINS)
		return 0;
	pin = array_index_nospec(pin, HVX_IOAPIC_PINS);
	return sel & 1 ? io->redir[pin] >> 32 : (u32)io->redir[pin];
}

static void window_write(struct hvx_vm *vm, u32 val)
{
	struct hvx_ioapic *io = vm->ioapic;
	u32 sel = io->ioregsel, pin = (sel - IOAPIC_REDIR_BASE) / 2;
	u64 e;

	if (sel == IOAPIC_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (sel < IOAPIC_REDIR_BASE || pin >= HVX_IOAPIC_PINS)
		return;
	pin = array_index_nospec(pin, HVX_IOAPIC_PINS);
	e = io->redir[pin];
	if (sel & 1)
		e = (e & 0xffffffffull) | (u64)val << 32;
	else
		e = (e & ~0xffffffffull) | val;
	io->redir[pin] = (e & REDIR_WRITABLE) |
			 (io->redir[pin] & REDIR_REMOTE_IRR);
	if (!(io->redir[pin] & REDIR_LEVEL))
		io->redir[pin] &= ~REDIR_REMOTE_IRR;
	/* An unmasked level-triggered pin with its line up sends now. */
	if ((io->redir[pin] & REDIR_LEVEL) && asserted(io, pin))
		send(vm, pin);
}

/* The bus hands the window's page [HVX_IOAPIC_ADDR, + PAGE_SIZE) here. */
static int ioapic_mmio_read(struct hvx_io_device *dev, struct hvx_vcpu *v,
			    u64 gpa, unsigned int len, void *data)
{
	struct hvx_ioapic *io = container_of(dev, struct hvx_ioapic, dev);
	u32 off = gpa - HVX_IOAPIC_ADDR, val = 0;

	spin_lock(&io->lock);
	if (off == IOAPIC_REG_SELECT)
		val = io->ioregsel;
	else if (off == IOAPIC_REG_WINDOW)
		val = window_read(io);
	spin_unlock(&io->lock);
	memset(data, 0, len);
	memcpy(data, &val, min(len, 4u));
	return 0;
}

static int ioapic_mmio_write(struct hvx_io_device *dev, struct hvx_vcpu *v,
			     u64 gpa, unsigned int len, const void *data)
{
	struct hvx_ioapic *io = container_of(dev, struct hvx_ioapic, dev);
	u32 off = gpa - HVX_IOAPIC_ADDR, val = 0;

	memcpy(&val, data, min(len, 4u));
	spin_lock(&io->lock);
	if (off == IOAPIC_REG_SELECT)
		io->ioregsel = val & 0xff;
	else if (off == IOAPIC_REG_WINDOW && len == 4)
		window_write(io->vm, val);
	spin_unlock(&io->lock);
	return 0;
}

static const struct hvx_io_device_ops ioapic_mmio_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

int hvx_ioapic_create(struct hvx_vm *vm)
{
	struct hvx_ioapic *io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	int pin, err;

	lockdep_assert_held(&vm->lock);
	if (!io)
		return -ENOMEM;
	io->vm = vm;
	io->dev.ops = &ioapic_mmio_ops;
	spin_lock_init(&io->lock);
	for (pin = 0; pin < HVX_IOAPIC_PINS; pin++)
		io->redir[pin] = REDIR_MASKED;
	mutex_lock(&vm->io_lock);
	err = hvx_io_bus_register(vm, HVX_MMIO_BUS, HVX_IOAPIC_ADDR, PAGE_SIZE,
				  &io->dev);
	mutex_unlock(&vm->io_lock);
	if (err) {
		kfree(io);
		return err;
	}
	/* HVX_IRQ_LINE may look at it at once, from another thread. */
	smp_store_release(&vm->ioapic, io);
	return 0;
}

void hvx_ioapic_free(struct hvx_vm *vm)
{
	kfree(vm->ioapic);
	vm->ioapic = NULL;
}
