// SPDX-License-Identifier: GPL-2.0
/*
 * hvx: a VT-x hypervisor as a loadable module.
 *
 * Loading checks that the CPU has what hvx needs, takes VMX root on every
 * online CPU and then exposes /dev/hvx; unloading undoes this in reverse.
 */
#include <linux/module.h>

#include "eventfds.h"
#include "hvx.h"
#include "vmx.h"

static int __init hvx_init(void)
{
	int err;

	err = hvx_caps_probe();
	if (err)
		return err;

	err = hvx_vmx_init();
	if (err)
		return err;

	err = hvx_vcpu_init();
	if (err)
		goto out_vmx;

	err = hvx_eventfds_init();
	if (err)
		goto out_vcpu;

	err = hvx_root_init();
	if (err)
		goto out_eventfds;

	err = hvx_dev_init();
	if (err)
		goto out_root;

	pr_info("VMX root held on CPUs %*pbl (VMCS revision %#x)\n",
		cpumask_pr_args(hvx_root_cpus()), hvx_caps.vmcs_revision);
	return 0;

out_root:
	hvx_root_exit();
out_eventfds:
	hvx_eventfds_exit();
out_vcpu:
	hvx_vcpu_exit();
out_vmx:
	hvx_vmx_exit();
	return err;
}

static void __exit hvx_exit(void)
{
	hvx_dev_exit();
	hvx_root_exit();
	hvx_eventfds_exit();
	hvx_vcpu_exit();
	hvx_vmx_exit();
	pr_info("VMX root released\n");
}

module_init(hvx_init);
module_exit(hvx_exit);

MODULE_DESCRIPTION("hvx: VT-x hypervisor");
MODULE_AUTHOR("The hvx authors");
MODULE_LICENSE("GPL");
