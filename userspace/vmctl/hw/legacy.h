/* SPDX-License-Identifier: GPL-2.0 */
/* Ports of PC hardware that vmctl's machine leaves out (legacy.c). */
#ifndef VMCTL_LEGACY_H
#define VMCTL_LEGACY_H

struct vmctl_vm;

/* The absent 8259s' mask registers read 0. 0, or -1 with a message. */
int vmctl_legacy_attach(struct vmctl_vm *vm);

#endif /* VMCTL_LEGACY_H */
