/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI configuration mechanism #1 (ports 0xcf8/0xcfc, bus 0 is all a guest
 * of vmctl has) and the register layout of a modern virtio-pci block
 * device (virtio 1.x, 4.1 "Virtio Over PCI Bus", 5.2 "Block Device"), for
 * the guests that drive one: virtio_hostile and ha_disk.
 */
#ifndef HVX_GUEST_VIRTIO_PCI_H
#define HVX_GUEST_VIRTIO_PCI_H

#include "guest.h"

#define PCI_CFG_ADDR		0xcf8
#define PCI_CFG_DATA		0xcfc
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_MEMORY	BIT(1)
#define  PCI_COMMAND_MASTER	BIT(2)
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	BIT(4)
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BLK	0x1042	/* 0x1040 + device ID 2 */

/* 4.1.4 struct virtio_pci_cap, and cfg_type */
#define VCAP_CFG_TYPE		3
#define VCAP_BAR		4
#define VCAP_OFFSET		8
#define VCAP_LENGTH		12
#define VCAP_NOTIFY_MULT	16
#define VIRTIO_PCI_CAP_COMMON	1
#define VIRTIO_PCI_CAP_NOTIFY	2
#define VIRTIO_PCI_CAP_ISR	3
#define VIRTIO_PCI_CAP_DEVICE	4

/* 4.1.4.3 struct virtio_pci_common_cfg */
#define CC_DFSELECT		0x00	/* le32 device_feature_select */
#define CC_DF			0x04	/* le32 device_feature, RO */
#define CC_GFSELECT		0x08	/* le32 driver_feature_select */
#define CC_GF			0x0c	/* le32 driver_feature */
#define CC_MSIX			0x10	/* le16 config_msix_vector */
#define CC_NUMQ			0x12	/* le16 num_queues, RO */
#define CC_STATUS		0x14	/* u8 device_status */
#define CC_CFGGEN		0x15	/* u8 config_generation, RO */
#define CC_QSELECT		0x16	/* le16 queue_select */
#define CC_QSIZE		0x18	/* le16 queue_size */
#define CC_QMSIX		0x1a	/* le16 queue_msix_vector */
#define CC_QENABLE		0x1c	/* le16 queue_enable */
#define CC_QNOFF		0x1e	/* le16 queue_notify_off, RO */
#define CC_QDESC		0x20	/* le64 queue_desc */
#define CC_QAVAIL		0x28	/* le64 queue_driver */
#define CC_QUSED		0x30	/* le64 queue_device */
#define CC_LEN			0x38

/* 2.1 device status */
#define S_ACKNOWLEDGE		0x01
#define S_DRIVER		0x02
#define S_DRIVER_OK		0x04
#define S_FEATURES_OK		0x08
#define S_NEEDS_RESET		0x40
#define S_FAILED		0x80

/* Feature bits (6 "Reserved Feature Bits", 5.2.3) */
#define F_BLK_RO		5
#define F_INDIRECT_DESC		28
#define F_VERSION_1		32

#define VIRTIO_MSI_NO_VECTOR	0xffff

/* 2.7.5 struct virtq_desc flags */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

/* 5.2.6 virtio-blk requests */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2
#define BLK_CFG_CAPACITY	0	/* le64, 512-byte sectors */
#define SECTOR			512

/* Configuration address of @off in function @bdf (bus 0: slot << 3 | fn). */
static inline u32 pci_addr(u32 bdf, u32 off)
{
	return 0x80000000u | bdf << 8 | (off & 0xfc);
}

static inline u32 cfg_r32(u32 bdf, u32 off)
{
	outl(PCI_CFG_ADDR, pci_addr(bdf, off));
	return inl(PCI_CFG_DATA);
}

static inline u16 cfg_r16(u32 bdf, u32 off)
{
	outl(PCI_CFG_ADDR, pci_addr(bdf, off));
	return inw((u16)(PCI_CFG_DATA + (off & 2)));
}

static inline u8 cfg_r8(u32 bdf, u32 off)
{
	outl(PCI_CFG_ADDR, pci_addr(bdf, off));
	return inb((u16)(PCI_CFG_DATA + (off & 3)));
}

static inline void cfg_w32(u32 bdf, u32 off, u32 v)
{
	outl(PCI_CFG_ADDR, pci_addr(bdf, off));
	outl(PCI_CFG_DATA, v);
}

static inline void cfg_w16(u32 bdf, u32 off, u16 v)
{
	outl(PCI_CFG_ADDR, pci_addr(bdf, off));
	outw((u16)(PCI_CFG_DATA + (off & 2)), v);
}

/* The first function @vendor:@device on bus 0 (slot << 3 | fn), if any. */
static inline bool pci_find_function(u16 vendor, u16 device, u32 *bdf)
{
	u32 slot, fn;

	for (slot = 0; slot < 32; slot++) {
		for (fn = 0; fn < 8; fn++) {
			u32 f = slot << 3 | fn;
			u32 id = cfg_r32(f, PCI_VENDOR_ID);

			if ((id & 0xffff) == 0xffff) {
				if (!fn)
					break;
				continue;
			}
			if ((id & 0xffff) == vendor && id >> 16 == device) {
				*bdf = f;
				return true;
			}
			if (!fn && !(cfg_r8(f, PCI_HEADER_TYPE) & 0x80))
				break;	/* single-function */
		}
	}
	return false;
}

#endif /* HVX_GUEST_VIRTIO_PCI_H */
