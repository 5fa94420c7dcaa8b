// SPDX-License-Identifier: GPL-2.0
/*
 * On a module without HVX_CAP_PIC, the PC's 8259 interrupt controllers
 * are absent from vmctl's machine (the MADT says so: no PCAT_COMPAT; with
 * the capability they are the module's, machine.c), but Linux still
 * probes for them:
 * probe_8259A() writes 0xff to the mask register at 0x21 and reads it
 * back. An unclaimed port would read 0xff and make it believe a PIC is
 * there; the mask ports read 0 instead, and writes go nowhere.
 */
#include <string.h>

#include "core/vm.h"
#include "hw/legacy.h"

static void pic_mask_read(void *opaque, uint64_t off, void *data,
			  unsigned int len)
{
	memset(data, 0, len);
}

static const struct vmctl_io_ops pic_mask_ops = {
	.read = pic_mask_read,
};

int vmctl_legacy_attach(struct vmctl_vm *vm)
{
	return vmctl_bus_register(&vm->pio, 0x21, 1, &pic_mask_ops, NULL,
				  "pic1-mask (absent)") ||
	       vmctl_bus_register(&vm->pio, 0xa1, 1, &pic_mask_ops, NULL,
				  "pic2-mask (absent)") ? -1 : 0;
}
