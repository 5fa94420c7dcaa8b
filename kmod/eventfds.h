/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Eventfds bound to a VM: ioeventfds (a guest write signals an eventfd
 * without an exit to user space) and irqfds (a signalled eventfd raises
 * an interrupt in the guest). See eventfds.c.
 */
#ifndef HVX_EVENTFDS_H
#define HVX_EVENTFDS_H

#include <linux/types.h>
#include <linux/hvx.h>

struct hvx_vm;

/* Per VM; HVX_CAP_IOEVENTFD and HVX_CAP_IRQFD announce them. */
#define HVX_MAX_IOEVENTFDS	128
#define HVX_MAX_IRQFDS		128

/* Module load and unload: the workqueue that takes irqfds apart. */
int hvx_eventfds_init(void);
void hvx_eventfds_exit(void);

/* VM creation and teardown (no vCPU left, last reference gone). */
void hvx_eventfds_vm_init(struct hvx_vm *vm);
void hvx_eventfds_vm_destroy(struct hvx_vm *vm);

long hvx_vm_ioeventfd(struct hvx_vm *vm, const struct hvx_ioeventfd *args);
long hvx_vm_irqfd(struct hvx_vm *vm, const struct hvx_irqfd *args);

/* The guest EOIed level-triggered pin @gsi (ioapic.c, outside its lock). */
void hvx_irqfd_resample(struct hvx_vm *vm, unsigned int gsi);

#endif /* HVX_EVENTFDS_H */
