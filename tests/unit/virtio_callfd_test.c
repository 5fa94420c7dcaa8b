// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-PCI transport's call eventfd routes (set_queue_callfd), as
 * a vhost device uses them, against the fake VM (virtio_fake_vm.c), which
 * records irqfd assignments and the MSIs and INTx levels vmctl sends
 * itself. The PCI host and MSI-X are the real pci/ files; the device is a
 * stand-in with two queues whose start() routes an eventfd to each, as
 * vhost.c does, so that a reset can be seen to remove the routes.
 *
 * What is checked: an irqfd with the table entry's address and data while
 * the vector is enabled and unmasked; a rewrite of the entry re-registers
 * it; a mask (the entry's bit or the function mask) removes it, and a
 * signal then becomes the vector's pending bit through the relay, which
 * the unmask delivers; a vector change follows; without MSI-X the relay
 * raises the ISR and INTx; -1, a reset and a VM without HVX_IRQFD.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci/pci.h"
#include "unit.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio_driver.h"
#include "virtio_fake_vm.h"

#define MEM_SIZE	(16ull << 20)

#define MSG_ADDR	0xfee00000u

static struct vmctl_vm vm;
static struct pci_host host;
static struct virtio_pci *p;
static struct vdrv dr;
static uint64_t table;
static unsigned int cap;

/* ---- the stand-in device ---- */

static int dev_fd[2] = { -1, -1 };
static int dev_started;

static uint64_t dev_features(void *dev)
{
	return 0;
}

static int dev_start(void *dev, struct virtio_dev *vdev)
{
	for (unsigned int i = 0; i < 2; i++)
		if (vdev->tops->set_queue_callfd(vdev->transport, i, dev_fd[i]))
			return -1;
	dev_started++;
	return 0;
}

/* Leaves the routes in place: the transport's reset must drop them. */
static void dev_stop(void *dev)
{
	dev_started--;
}

static const struct virtio_dev_ops dev_ops = {
	.name = "callfd-test",
	.device_id = 1,
	.nqueues = 2,
	.queue_max_size = 256,
	.features = dev_features,
	.start = dev_start,
	.stop = dev_stop,
};

/* ---- the driver's side ---- */

static void msix_ctrl(bool enable, bool maskall)
{
	vdrv_cfg_w(dr.d, cap + 2, (enable ? 0x8000 : 0) | (maskall ? 0x4000 : 0), 2);
}

static void entry(unsigned int v, uint32_t data, bool masked)
{
	uint32_t e[4] = { MSG_ADDR, 0, data, masked };

	for (unsigned int k = 0; k < 4; k++)
		vdrv_mmio(table + 16 * v + 4 * k, true, &e[k], 4);
}

static void entry_mask(unsigned int v, bool masked)
{
	uint32_t c = masked;

	vdrv_mmio(table + 16 * v + 12, true, &c, 4);
}

static uint32_t pba(void)
{
	uint32_t v = 0;

	vdrv_mmio(table + PCI_MSIX_PBA_OFFSET, false, &v, 4);
	return v;
}

static void queue_vector(unsigned int q, uint16_t vec)
{
	vdrv_w(&dr, Q_SELECT, q, 2);
	vdrv_w(&dr, Q_MSIX, vec, 2);
}

static int route(unsigned int q, int fd)
{
	return p->vdev.tops->set_queue_callfd(p->vdev.transport, q, fd);
}

static bool irqfd_is(int fd, uint32_t data)
{
	uint64_t a;
	uint32_t d;

	return fake_vm_irqfd_of(fd, &a, &d) && a == MSG_ADDR && d == data;
}

static bool has_irqfd(int fd)
{
	uint64_t a;
	uint32_t d;

	return fake_vm_irqfd_of(fd, &a, &d);
}

static unsigned int nirqfd(void)
{
	unsigned int n;

	pthread_mutex_lock(&fake_vm.lock);
	n = fake_vm.nirqfd;
	pthread_mutex_unlock(&fake_vm.lock);
	return n;
}

/* Up to a second for the relay thread to do what it should. */
#define WAIT_FOR(cond) ({					\
	bool ok_ = false;					\
	for (int i_ = 0; i_ < 1000 && !(ok_ = (cond)); i_++)	\
		usleep(1000);					\
	ok_; })

/* The relay took the count: the eventfd is not readable (not read here). */
static bool drained(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

static void set_up_msix(void)
{
	msix_ctrl(true, false);
	entry(0, 0x41, false);
	entry(1, 0x42, false);
	entry(2, 0x43, false);
	queue_vector(0, 0);
	queue_vector(1, 1);
}

/* ---- the cases ---- */

static void test_irqfd(int fd)
{
	struct tcase tc;

	case_begin(&tc);
	fake_vm_log_reset();
	set_up_msix();
	check(&tc, route(0, fd) == 0, "set_queue_callfd failed");
	check(&tc, irqfd_is(fd, 0x41), "no irqfd with entry 0's message");
	check(&tc, nirqfd() == 1, "%u irqfds", nirqfd());
	/* A signal is the kernel's to deliver: vmctl sends nothing. */
	eventfd_write(fd, 1);
	usleep(20000);
	check(&tc, atomic_load(&fake_vm.msis) == 0, "vmctl sent %u MSIs",
	      atomic_load(&fake_vm.msis));
	eventfd_read(fd, &(eventfd_t){ 0 });
	case_end(&tc, "virtio-pci callfd: an irqfd of the vector's address/data");
}

static void test_rewrite(int fd)
{
	struct tcase tc;
	unsigned int a, d;

	case_begin(&tc);
	a = fake_vm.irqfd_assigns;
	d = fake_vm.irqfd_deassigns;
	entry(0, 0x51, false);
	check(&tc, irqfd_is(fd, 0x51), "the irqfd kept the old message");
	check(&tc, fake_vm.irqfd_assigns > a && fake_vm.irqfd_deassigns > d,
	      "not re-registered (%u assigns, %u deassigns)",
	      fake_vm.irqfd_assigns - a, fake_vm.irqfd_deassigns - d);
	check(&tc, nirqfd() == 1, "%u irqfds", nirqfd());
	/* Rewriting another entry leaves this one alone. */
	a = fake_vm.irqfd_assigns;
	entry(2, 0x63, false);
	check(&tc, fake_vm.irqfd_assigns == a, "entry 2 re-registered queue 0's");
	case_end(&tc, "virtio-pci callfd: a table rewrite re-registers the irqfd");
}

static void test_mask(int fd)
{
	struct tcase tc;

	case_begin(&tc);
	atomic_store(&fake_vm.msis, 0);
	entry_mask(0, true);
	check(&tc, !has_irqfd(fd), "irqfd still there with the entry masked");
	eventfd_write(fd, 1);
	check(&tc, WAIT_FOR(pba() & 1), "no pending bit (PBA %#x)", pba());
	check(&tc, drained(fd), "the relay left the count");
	check(&tc, atomic_load(&fake_vm.msis) == 0, "an MSI while masked");
	entry_mask(0, false);
	check(&tc, atomic_load(&fake_vm.msis) == 1 &&
	      atomic_load(&fake_vm.msi_data) == 0x51,
	      "unmask: %u MSIs, data %#x", atomic_load(&fake_vm.msis),
	      atomic_load(&fake_vm.msi_data));
	check(&tc, !(pba() & 1), "still pending");
	check(&tc, irqfd_is(fd, 0x51), "no irqfd after the unmask");

	/* The function mask does the same for every vector. */
	atomic_store(&fake_vm.msis, 0);
	msix_ctrl(true, true);
	check(&tc, !has_irqfd(fd), "irqfd still there under the function mask");
	eventfd_write(fd, 1);
	check(&tc, WAIT_FOR(pba() & 1), "no pending bit under the function mask");
	msix_ctrl(true, false);
	check(&tc, atomic_load(&fake_vm.msis) == 1, "function unmask: %u MSIs",
	      atomic_load(&fake_vm.msis));
	check(&tc, irqfd_is(fd, 0x51), "no irqfd after the function unmask");
	case_end(&tc, "virtio-pci callfd: masked, a signal is a pending bit; unmask delivers it");
}

static void test_vector(int fd)
{
	struct tcase tc;

	case_begin(&tc);
	queue_vector(0, 1);
	check(&tc, irqfd_is(fd, 0x42), "the irqfd did not follow to vector 1");
	check(&tc, nirqfd() == 1, "%u irqfds", nirqfd());
	queue_vector(0, 7);	/* past the table: NO_VECTOR */
	check(&tc, !has_irqfd(fd), "irqfd kept without a vector");
	atomic_store(&fake_vm.msis, 0);
	eventfd_write(fd, 1);
	check(&tc, WAIT_FOR(drained(fd)), "the relay did not take the count");
	check(&tc, atomic_load(&fake_vm.msis) == 0 && vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1) == 0,
	      "no vector, yet %u MSIs or ISR", atomic_load(&fake_vm.msis));
	queue_vector(0, 0);
	check(&tc, irqfd_is(fd, 0x51), "no irqfd back on vector 0");
	case_end(&tc, "virtio-pci callfd: the irqfd follows queue_msix_vector");
}

static void test_intx(int fd)
{
	struct tcase tc;
	int gsi = p->pci.gsi;

	case_begin(&tc);
	msix_ctrl(false, false);
	check(&tc, !has_irqfd(fd), "irqfd kept with MSI-X disabled");
	vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1);
	atomic_store(&fake_vm.msis, 0);
	eventfd_write(fd, 1);
	/* Active low: asserted is 0. */
	check(&tc, WAIT_FOR(atomic_load(&fake_vm.irq_level[gsi]) == 0),
	      "INTx not asserted (%d)", atomic_load(&fake_vm.irq_level[gsi]));
	check(&tc, vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_PCI_ISR_QUEUE, "ISR not the queue bit");
	check(&tc, atomic_load(&fake_vm.irq_level[gsi]) == 1, "INTx not deasserted by the ISR read");
	check(&tc, atomic_load(&fake_vm.msis) == 0, "an MSI with MSI-X off");
	msix_ctrl(true, false);
	check(&tc, irqfd_is(fd, 0x51), "no irqfd once MSI-X is enabled again");
	case_end(&tc, "virtio-pci callfd: without MSI-X the relay raises ISR and INTx");
}

static void test_remove(int fd)
{
	struct tcase tc;

	case_begin(&tc);
	check(&tc, route(0, -1) == 0, "removal failed");
	check(&tc, nirqfd() == 0, "%u irqfds left", nirqfd());
	msix_ctrl(false, false);
	vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1);
	eventfd_write(fd, 1);
	usleep(20000);
	check(&tc, !drained(fd), "a removed fd was read");
	eventfd_read(fd, &(eventfd_t){ 0 });
	check(&tc, vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1) == 0, "a removed fd raised the ISR");
	check(&tc, route(5, fd) == -1, "queue 5 of 2 accepted");
	case_end(&tc, "virtio-pci callfd: -1 removes the irqfd and the relay");
}

static void test_reset(void)
{
	struct tcase tc;
	uint64_t f;

	case_begin(&tc);
	fake_vm_log_reset();
	set_up_msix();
	vdrv_w(&dr, STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	vdrv_w(&dr, DFSELECT, 1, 4);
	f = vdrv_r(&dr, DF, 4);
	vdrv_w(&dr, GFSELECT, 1, 4);
	vdrv_w(&dr, GF, f, 4);
	vdrv_w(&dr, STATUS, 0xb, 1);
	check(&tc, vdrv_r(&dr, STATUS, 1) == 0xb, "FEATURES_OK refused");
	set_up_msix();			/* vectors after the status writes */
	vdrv_w(&dr, STATUS, 0xf, 1);
	check(&tc, dev_started == 1 && vdrv_r(&dr, STATUS, 1) == 0xf, "not started");
	check(&tc, irqfd_is(dev_fd[0], 0x41) && irqfd_is(dev_fd[1], 0x42),
	      "no irqfds for both queues");
	vdrv_w(&dr, STATUS, 0, 1);
	check(&tc, dev_started == 0, "not stopped");
	check(&tc, nirqfd() == 0, "%u irqfds after the reset", nirqfd());
	msix_ctrl(false, false);
	vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1);
	eventfd_write(dev_fd[1], 1);
	usleep(20000);
	check(&tc, vdrv_r(&dr, VIRTIO_PCI_ISR_OFF, 1) == 0, "a route outlived the reset");
	eventfd_read(dev_fd[1], &(eventfd_t){ 0 });
	case_end(&tc, "virtio-pci callfd: a reset removes the routes");
}

static void test_no_irqfd(int fd)
{
	struct tcase tc;

	case_begin(&tc);
	fake_vm_log_reset();
	vm.irqfd = false;
	set_up_msix();
	check(&tc, route(0, fd) == 0, "set_queue_callfd failed");
	check(&tc, nirqfd() == 0 && fake_vm.irqfd_assigns == 0, "an irqfd without HVX_IRQFD");
	eventfd_write(fd, 1);
	check(&tc, WAIT_FOR(atomic_load(&fake_vm.msis) == 1),
	      "relay: %u MSIs", atomic_load(&fake_vm.msis));
	check(&tc, atomic_load(&fake_vm.msi_data) == 0x41, "data %#x",
	      atomic_load(&fake_vm.msi_data));
	route(0, -1);
	vm.irqfd = true;
	case_end(&tc, "virtio-pci callfd: without HVX_IRQFD the relay sends the MSI");
}

int main(void)
{
	int fd;

	if (fake_vm_init(&vm, MEM_SIZE) || pci_host_init(&host, &vm))
		return 1;
	vdrv_use_vm(&vm);
	p = virtio_pci_create(&vm, &host, &dev_ops, NULL, 0x020000);
	fd = eventfd(0, EFD_CLOEXEC);
	dev_fd[0] = eventfd(0, EFD_CLOEXEC);
	dev_fd[1] = eventfd(0, EFD_CLOEXEC);
	if (!p || fd < 0 || dev_fd[0] < 0 || dev_fd[1] < 0) {
		printf("not ok 1 - virtio-pci callfd: create\n");
		return 1;
	}
	dr = (struct vdrv){ .d = &p->pci, .bar = p->pci.bar[VIRTIO_PCI_BAR].addr };
	table = p->pci.bar[VIRTIO_PCI_MSIX_BAR].addr;
	for (cap = vdrv_cfg_r(dr.d, PCI_CAPABILITY_LIST, 1);
	     cap && vdrv_cfg_r(dr.d, cap, 1) != PCI_CAP_ID_MSIX;
	     cap = vdrv_cfg_r(dr.d, cap + 1, 1))
		;
	vdrv_cfg_w(dr.d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);

	test_irqfd(fd);
	test_rewrite(fd);
	test_mask(fd);
	test_vector(fd);
	test_intx(fd);
	test_remove(fd);
	test_reset();
	test_no_irqfd(fd);

	virtio_pci_destroy(p);
	pci_host_destroy(&host);
	fake_vm_destroy(&vm);
	close(fd);
	close(dev_fd[0]);
	close(dev_fd[1]);
	return tap_finish();
}
