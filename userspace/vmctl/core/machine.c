// SPDX-License-Identifier: GPL-2.0
/*
 * The machine (machine.h). Creation order, and why:
 *   1. the VM: memory, vCPUs, the irqchip and its 8259s, the empty bus
 *      maps;
 *   2. the ports of absent legacy hardware, which claim nothing else
 *      (the 8259s' mask ports, on a module that has no PIC);
 *   3. the serial ports, so that anything after can already be seen;
 *   4. the ACPI PM registers (the guest's way out: poweroff, reset);
 *   5. the CMOS RTC and the PIT (with their timer threads) and fw_cfg,
 *      which need nothing after them;
 *   6. the PCI host bridge, then the devices on it in slot order: the
 *      disks, in command-line order (so the first --disk is vda), then
 *      the NICs, likewise (the first --nic is the guest's first NIC).
 * Destruction runs the list backwards, after the vCPUs stopped, so that
 * no device is gone while an access might still reach it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/hvx.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"
#include "core/machine.h"
#include "hw/legacy.h"
#include "hw/serial.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"

/*
 * The PC's 8259s, in the module (HVX_CREATE_PIC): a kernel booted with
 * noapic or acpi=off needs them. On a module without them the machine is
 * the one it was: no 8259, no PIT, nothing in the MADT says otherwise.
 */
static int enable_pic(struct vmctl_machine *m)
{
	if (!vmctl_capability(m->vm.sys_fd, HVX_CAP_PIC))
		return 0;
	if (ioctl(m->vm.fd, HVX_CREATE_PIC, 0)) {
		perror("vmctl: HVX_CREATE_PIC");
		return -1;
	}
	m->pic_on = true;
	return 0;
}

int vmctl_machine_create(struct vmctl_machine *m,
			 const struct vmctl_machine_config *cfg)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	if (vmctl_vm_create(&m->vm, cfg->mem_bytes, &cfg->mem, cfg->cpus, cfg->pc))
		return -1;
	m->vm_on = true;
	if (cfg->pc && enable_pic(m))
		goto fail;
	if (cfg->pc && !m->pic_on && vmctl_legacy_attach(&m->vm))
		goto fail;
	for (i = 0; i < cfg->nserial; i++) {
		if (vmctl_serial_attach(cfg->serial[i], &m->vm))
			goto fail;
		m->nserial++;
	}
	if (cfg->exit_port) {
		m->exit_port.on_exit = cfg->on_exit;
		m->exit_port.opaque = cfg->opaque;
		if (vmctl_exit_port_attach(&m->vm, &m->exit_port, cfg->exit_port))
			goto fail;
	}
	if (!cfg->pc)
		return 0;
	if (vmctl_pm_attach(&m->vm, &m->pm, cfg->on_poweroff, cfg->on_reset,
			    cfg->opaque))
		goto fail;
	m->pm_on = true;
	{
		struct vmctl_rtc_config rtc = {
			.ram_below_4g = cfg->mem_bytes < (4ULL << 30) ?
					cfg->mem_bytes : 4ULL << 30,
			.cpus = cfg->cpus,
			.delta_ns = cfg->rtc_delta_ns ? *cfg->rtc_delta_ns : 0,
		};

		/* RAM is one slot at 0 (vm.c): what passes 4 GiB is above it. */
		rtc.ram_above_4g = cfg->mem_bytes - rtc.ram_below_4g;
		if (vmctl_rtc_attach(&m->vm, &m->rtc, &rtc)) {
			vmctl_rtc_destroy(&m->rtc);
			goto fail;
		}
		m->rtc_on = true;
	}
	if (m->pic_on) {
		if (vmctl_pit_attach(&m->vm, &m->pit)) {
			vmctl_pit_destroy(&m->pit);
			goto fail;
		}
		m->pit_on = true;
	}
	m->fw_cfg_items.ram_bytes = cfg->mem_bytes;
	m->fw_cfg_items.cpus = cfg->cpus;
	if (vmctl_fw_cfg_attach(&m->vm, &m->fw_cfg, &m->fw_cfg_items)) {
		vmctl_fw_cfg_destroy(&m->fw_cfg);
		goto fail;
	}
	m->fw_cfg_on = true;
	if (pci_host_init(&m->pci, &m->vm))
		goto fail;
	m->pci_on = true;
	for (i = 0; i < cfg->ndisks; i++) {
		m->disk[i] = virtio_blk_create(&m->vm, &m->pci, cfg->disk[i],
					       cfg->image[i]);
		if (!m->disk[i])
			goto fail;
		m->ndisks++;
	}
	for (i = 0; i < cfg->nnics; i++) {
		m->nic[i] = virtio_net_create(&m->vm, &m->pci, cfg->nic[i]);
		if (!m->nic[i])
			goto fail;
		m->nnics++;
	}
	if (cfg->balloon) {
		m->balloon = virtio_balloon_create(&m->vm, &m->pci);
		if (!m->balloon)
			goto fail;
	}
	return 0;
fail:
	vmctl_machine_destroy(m);
	return -1;
}

int vmctl_machine_acpi(struct vmctl_machine *m, uint64_t *rsdp_gpa)
{
	struct vmctl_acpi_config acpi = { .ncpus = m->cfg->cpus };
	struct aml aml;
	unsigned int i;
	int ret = -1;

	aml_init(&aml);
	vmctl_pm_dsdt(&aml);
	if (m->rtc_on)
		vmctl_rtc_dsdt(&aml);
	if (m->fw_cfg_on)
		vmctl_fw_cfg_dsdt(&aml);
	acpi.cmos_rtc = m->rtc_on;
	if (m->pit_on)
		vmctl_pit_dsdt(&aml);
	acpi.pic = m->pic_on;
	for (i = 0; i < m->nserial; i++)
		vmctl_serial_dsdt(m->cfg->serial[i], &aml, i + 1);
	if (m->pci_on) {
		pci_host_dsdt(&m->pci, &aml);
		acpi.ecam_base = PCI_ECAM_BASE;
		acpi.ecam_last_bus = 0;
	}
	if (!aml_finish(&aml, &acpi.dsdt, &acpi.dsdt_len))
		ret = vmctl_acpi_build(m->vm.mem, m->vm.mem_size, &acpi,
				       rsdp_gpa);
	aml_free(&aml);
	return ret;
}

void vmctl_machine_destroy(struct vmctl_machine *m)
{
	virtio_balloon_destroy(m->balloon);
	m->balloon = NULL;
	while (m->nnics)
		virtio_net_destroy(m->nic[--m->nnics]);
	while (m->ndisks)
		virtio_blk_destroy(m->disk[--m->ndisks]);
	if (m->pci_on)
		pci_host_destroy(&m->pci);
	if (m->fw_cfg_on)
		vmctl_fw_cfg_destroy(&m->fw_cfg);
	if (m->pit_on)
		vmctl_pit_destroy(&m->pit);
	if (m->rtc_on) {
		if (m->cfg->rtc_delta_ns)
			*m->cfg->rtc_delta_ns = vmctl_rtc_delta_ns(&m->rtc);
		vmctl_rtc_destroy(&m->rtc);
	}
	if (m->pm_on)
		vmctl_pm_destroy(&m->pm);
	while (m->nserial)
		vmctl_serial_detach(m->cfg->serial[--m->nserial]);
	if (m->vm_on)
		vmctl_vm_destroy(&m->vm);
	m->pci_on = m->fw_cfg_on = m->pit_on = m->rtc_on = m->pm_on = false;
	m->pic_on = m->vm_on = false;
}
