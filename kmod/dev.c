// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hvx: the character device and the one place where ioctls are
 * dispatched. Each fd type has a table of the commands it accepts; a
 * command not in the table gets -ENOTTY, as the ioctl(2) contract says.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/hvx.h>

#include "eventfds.h"
#include "hvx.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx.h"

static int hvx_group = -1;
module_param_named(group, hvx_group, int, 0444);
MODULE_PARM_DESC(group,
		 "Group id allowed to use /dev/hvx (mode 0660); default: root only (0600)");

/* The uapi promises these sizes; a change is a new ioctl, not an edit. */
static_assert(sizeof(struct hvx_capability) == 16);
static_assert(sizeof(struct hvx_irq_line) == 16);
static_assert(sizeof(struct hvx_memory_region) == 32);
static_assert(sizeof(struct hvx_regs) == 144);
static_assert(sizeof(struct hvx_segment) == 24);
static_assert(sizeof(struct hvx_sregs) == 312);
static_assert(sizeof(struct hvx_cpuid_entry) == 32);
static_assert(sizeof(struct hvx_cpuid) == 16);
static_assert(sizeof(struct hvx_run) == 272);
static_assert(sizeof(struct hvx_run) <= 1024);	/* I/O data follows */
static_assert(sizeof(struct hvx_dirty_log) == 16);
static_assert(sizeof(struct hvx_vm_stats) == 64);
static_assert(sizeof(struct hvx_msr_entry) == 16);
static_assert(sizeof(struct hvx_msrs) == 16);
static_assert(sizeof(struct hvx_fpu) == 64 + 4096);
static_assert(sizeof(struct hvx_event) == 16);
static_assert(sizeof(struct hvx_msi) == 24);
static_assert(sizeof(struct hvx_ioeventfd) == 32);
static_assert(sizeof(struct hvx_irqfd) == 32);

struct hvx_ioctl {
	unsigned int cmd;
	long (*fn)(struct file *file, unsigned long arg);
};

static long hvx_dispatch(const struct hvx_ioctl *table, size_t n,
			 struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].cmd == cmd)
			return table[i].fn(file, arg);
	return -ENOTTY;
}

static long sys_get_api_version(struct file *file, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return HVX_API_VERSION;
}

static long sys_check_capability(struct file *file, unsigned long arg)
{
	struct hvx_capability __user *ucap = (void __user *)arg;
	struct hvx_capability cap;

	if (copy_from_user(&cap, ucap, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	cap.value = hvx_cap_value(cap.cap);
	if (copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	return 0;
}

static long sys_create_vm(struct file *file, unsigned long arg)
{
	return hvx_vm_create(arg);
}

static long sys_get_vcpu_mmap_size(struct file *file, unsigned long arg)
{
	return arg ? -EINVAL : PAGE_SIZE;
}

static const struct hvx_ioctl hvx_sys_ioctls[] = {
	{ HVX_GET_API_VERSION, sys_get_api_version },
	{ HVX_CHECK_CAPABILITY, sys_check_capability },
	{ HVX_CREATE_VM, sys_create_vm },
	{ HVX_GET_VCPU_MMAP_SIZE, sys_get_vcpu_mmap_size },
};

static long hvx_sys_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	return hvx_dispatch(hvx_sys_ioctls, ARRAY_SIZE(hvx_sys_ioctls),
			    file, cmd, arg);
}

static const struct file_operations hvx_sys_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = hvx_sys_ioctl,
	/* Every uapi struct has one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* VM fd: the VM's memory and vCPUs. Only its creator may use it. */
static long vm_set_memory_region(struct file *file, unsigned long arg)
{
	struct hvx_memory_region region;

	if (copy_from_user(&region, (void __user *)arg, sizeof(region)))
		return -EFAULT;
	return hvx_vm_set_memory_region(file->private_data, &region);
}

static long vm_create_vcpu(struct file *file, unsigned long arg)
{
	return hvx_vm_create_vcpu(file->private_data, arg);
}

static long vm_get_dirty_log(struct file *file, unsigned long arg)
{
	struct hvx_dirty_log log;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	return hvx_vm_get_dirty_log(file->private_data, &log);
}

static long vm_get_stats(struct file *file, unsigned long arg)
{
	struct hvx_vm_stats stats;

	hvx_vm_get_stats(file->private_data, &stats);
	return copy_to_user((void __user *)arg, &stats, sizeof(stats)) ?
	       -EFAULT : 0;
}

static long vm_create_irqchip(struct file *file, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return hvx_vm_create_irqchip(file->private_data);
}

static long vm_create_pic(struct file *file, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return hvx_vm_create_pic(file->private_data);
}

static long vm_irq_line(struct file *file, unsigned long arg)
{
	struct hvx_irq_line line;

	if (copy_from_user(&line, (void __user *)arg, sizeof(line)))
		return -EFAULT;
	return hvx_vm_irq_line(file->private_data, &line);
}

static long vm_signal_msi(struct file *file, unsigned long arg)
{
	struct hvx_msi msi;

	if (copy_from_user(&msi, (void __user *)arg, sizeof(msi)))
		return -EFAULT;
	return hvx_vm_signal_msi(file->private_data, &msi);
}

static long vm_ioeventfd(struct file *file, unsigned long arg)
{
	struct hvx_ioeventfd args;

	if (copy_from_user(&args, (void __user *)arg, sizeof(args)))
		return -EFAULT;
	return hvx_vm_ioeventfd(file->private_data, &args);
}

static long vm_irqfd(struct file *file, unsigned long arg)
{
	struct hvx_irqfd args;

	if (copy_from_user(&args, (void __user *)arg, sizeof(args)))
		return -EFAULT;
	return hvx_vm_irqfd(file->private_data, &args);
}

static const struct hvx_ioctl hvx_vm_ioctls[] = {
	{ HVX_SET_MEMORY_REGION, vm_set_memory_region },
	{ HVX_CREATE_VCPU, vm_create_vcpu },
	{ HVX_GET_DIRTY_LOG, vm_get_dirty_log },
	{ HVX_GET_VM_STATS, vm_get_stats },
	{ HVX_CREATE_IRQCHIP, vm_create_irqchip },
	{ HVX_IRQ_LINE, vm_irq_line },
	{ HVX_SIGNAL_MSI, vm_signal_msi },
	{ HVX_IOEVENTFD, vm_ioeventfd },
	{ HVX_IRQFD, vm_irqfd },
	{ HVX_CREATE_PIC, vm_create_pic },
};

static long hvx_vm_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct hvx_vm *vm = file->private_data;

	if (current->mm != vm->mm)
		return -EIO;
	return hvx_dispatch(hvx_vm_ioctls, ARRAY_SIZE(hvx_vm_ioctls),
			    file, cmd, arg);
}

static int hvx_vm_release(struct inode *inode, struct file *file)
{
	hvx_vm_put(file->private_data);
	return 0;
}

const struct file_operations hvx_vm_fops = {
	.owner = THIS_MODULE,
	.release = hvx_vm_release,
	.unlocked_ioctl = hvx_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* vCPU fd: each command runs with the vCPU locked and its VMCS loaded. */
static const struct {
	unsigned int cmd;
	long (*fn)(struct hvx_vcpu *vcpu, unsigned long arg);
} hvx_vcpu_ioctls[] = {
	{ HVX_RUN, hvx_vcpu_ioctl_run },
	{ HVX_GET_REGS, hvx_vcpu_ioctl_get_regs },
	{ HVX_SET_REGS, hvx_vcpu_ioctl_set_regs },
	{ HVX_GET_SREGS, hvx_vcpu_ioctl_get_sregs },
	{ HVX_SET_SREGS, hvx_vcpu_ioctl_set_sregs },
	{ HVX_SET_CPUID, hvx_vcpu_ioctl_set_cpuid },
	{ HVX_GET_MSRS, hvx_vcpu_ioctl_get_msrs },
	{ HVX_SET_MSRS, hvx_vcpu_ioctl_set_msrs },
	{ HVX_GET_FPU, hvx_vcpu_ioctl_get_fpu },
	{ HVX_SET_FPU, hvx_vcpu_ioctl_set_fpu },
	{ HVX_INJECT_EVENT, hvx_vcpu_ioctl_inject_event },
};

static long hvx_vcpu_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct hvx_vcpu *vcpu = file->private_data;
	size_t i;
	long ret;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	/* Counters only: no lock, no VMCS, so it answers while the vCPU runs. */
	if (cmd == HVX_GET_VCPU_STATS)
		return hvx_vcpu_ioctl_get_stats(vcpu, arg);
	for (i = 0; i < ARRAY_SIZE(hvx_vcpu_ioctls); i++) {
		if (hvx_vcpu_ioctls[i].cmd != cmd)
			continue;
		ret = hvx_vcpu_begin_ioctl(vcpu);
		if (ret)
			return ret;
		ret = hvx_vcpu_ioctls[i].fn(vcpu, arg);
		hvx_vcpu_end_ioctl(vcpu);
		return ret;
	}
	return -ENOTTY;
}

const struct file_operations hvx_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = hvx_vcpu_release,
	.unlocked_ioctl = hvx_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = hvx_vcpu_mmap,
	.llseek = noop_llseek,
};

static ssize_t vmx_cpus_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(hvx_root_cpus()));
}
static DEVICE_ATTR_RO(vmx_cpus);

static ssize_t vmcs_revision_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#x\n", hvx_caps.vmcs_revision);
}
static DEVICE_ATTR_RO(vmcs_revision);

static ssize_t mitigations_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return hvx_vmx_show_mitigations(buf);
}
static DEVICE_ATTR_RO(mitigations);

static struct attribute *hvx_dev_attrs[] = {
	&dev_attr_vmx_cpus.attr,
	&dev_attr_vmcs_revision.attr,
	&dev_attr_mitigations.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hvx_dev);

/*
 * A misc device cannot choose its node's group, so hvx has its own class
 * and a device type whose devnode() gives devtmpfs the mode and the group.
 */
static char *hvx_devnode(struct device *dev, umode_t *mode, kuid_t *uid,
			 kgid_t *gid)
{
	if (mode)
		*mode = hvx_group >= 0 ? 0660 : 0600;
	if (gid && hvx_group >= 0)
		*gid = KGIDT_INIT(hvx_group);
	return NULL;
}

static void hvx_dev_release(struct device *dev)
{
	kfree(dev);
}

static const struct device_type hvx_dev_type = {
	.name = "hvx",
	.devnode = hvx_devnode,
	.release = hvx_dev_release,
};

static struct class *hvx_class;
static struct cdev hvx_cdev;
static struct device *hvx_device;
static dev_t hvx_devt;

int hvx_dev_init(void)
{
	struct device *dev;
	int err;

	if (hvx_group >= 0 && !gid_valid(KGIDT_INIT(hvx_group))) {
		pr_err("group=%d is not a valid group id\n", hvx_group);
		return -EINVAL;
	}

	err = alloc_chrdev_region(&hvx_devt, 0, 1, "hvx");
	if (err)
		return err;

	hvx_class = class_create(THIS_MODULE, "hvx");
	if (IS_ERR(hvx_class)) {
		err = PTR_ERR(hvx_class);
		goto out_region;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		err = -ENOMEM;
		goto out_class;
	}
	device_initialize(dev);
	dev->class = hvx_class;
	dev->type = &hvx_dev_type;
	dev->devt = hvx_devt;
	dev->groups = hvx_dev_groups;
	err = dev_set_name(dev, "hvx");
	if (err)
		goto out_put;

	cdev_init(&hvx_cdev, &hvx_sys_fops);
	hvx_cdev.owner = THIS_MODULE;
	err = cdev_device_add(&hvx_cdev, dev);
	if (err)
		goto out_put;
	hvx_device = dev;
	return 0;

out_put:
	put_device(dev);
out_class:
	class_destroy(hvx_class);
out_region:
	unregister_chrdev_region(hvx_devt, 1);
	return err;
}

void hvx_dev_exit(void)
{
	cdev_device_del(&hvx_cdev, hvx_device);
	put_device(hvx_device);
	class_destroy(hvx_class);
	unregister_chrdev_region(hvx_devt, 1);
}
