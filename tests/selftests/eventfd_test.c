// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts and doorbells without user space in the loop: HVX_SIGNAL_MSI
 * (physical, logical, broadcast and NMI messages to one or two vCPUs),
 * HVX_IOEVENTFD (guest MMIO writes and OUTs that signal an eventfd and
 * never exit, data match, any-width registrations, deassignment) and
 * HVX_IRQFD (an eventfd that raises an IOAPIC pin, sends an MSI, or holds
 * a level-triggered pin up until the guest's EOI and then signals its
 * resamplefd), the arguments each refuses, eventfds closed under a
 * registration, and VMs destroyed with registrations in place, many
 * times over, without the kernel's memory growing.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define APIC_GPA		0xfee00000ull
#define APIC_EOI		0x0b0
#define APIC_LDR		0x0d0
#define APIC_SVR		0x0f0
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define IOAPIC_GPA		0xfec00000ull
#define REDIR_LEVEL		(1u << 15)
#define REDIR_REMOTE_IRR	(1u << 14)

#define VEC_MSI			0x51
#define VEC_PIN			0x52
#define VEC_LEVEL		0x53
#define VEC_NMI			2
#define PIN_EDGE		5
#define PIN_LEVEL		10

#define MMIO_GPA		0xd0000000ull	/* no memory there */
#define PIO_PORT		0x510
#define AP_CODE_GPA		0x10000ull	/* SIPI vector 0x10 */
#define AP_PORT			0x80

#define MSI_ADDR(dest)		(0xfee00000ull | (uint64_t)(dest) << 12)
#define MSI_DM_LOGICAL		(1ull << 2)
#define MSI_RH			(1ull << 3)
#define MSI_DATA_NMI		(4u << 8)

/* ---- Guest side --------------------------------------------------------- */

/* By APIC ID, which is the vCPU id. */
volatile uint64_t msi_count[HVX_SYS_MAX_VCPUS];
volatile uint64_t nmi_count[HVX_SYS_MAX_VCPUS];
volatile uint64_t pin_count, level_count;

/*
 * isr_msi and isr_nmi count for the APIC ID they read from the xAPIC
 * page; isr_pin counts and EOIs; isr_level counts and leaves the EOI to
 * the guest's C code, which looks at Remote IRR first.
 */
extern char isr_msi[], isr_nmi[], isr_pin[], isr_level[];
asm(".pushsection .text\n"
    ".globl isr_msi\n"
    "isr_msi:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	movl $0xfee00020, %eax\n"
    "	movl (%rax), %ecx\n"
    "	shrl $24, %ecx\n"
    "	andl $7, %ecx\n"
    "	leaq msi_count(%rip), %rax\n"
    "	lock incq (%rax,%rcx,8)\n"
    "	movl $0xfee000b0, %eax\n"
    "	movl $0, (%rax)\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    ".globl isr_nmi\n"
    "isr_nmi:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	movl $0xfee00020, %eax\n"
    "	movl (%rax), %ecx\n"
    "	shrl $24, %ecx\n"
    "	andl $7, %ecx\n"
    "	leaq nmi_count(%rip), %rax\n"
    "	lock incq (%rax,%rcx,8)\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    ".globl isr_pin\n"
    "isr_pin:\n"
    "	push %rax\n"
    "	lock incq pin_count(%rip)\n"
    "	movl $0xfee000b0, %eax\n"
    "	movl $0, (%rax)\n"
    "	pop %rax\n"
    "	iretq\n"
    ".globl isr_level\n"
    "isr_level:\n"
    "	lock incq level_count(%rip)\n"
    "	iretq\n"
    ".popsection\n");

static void __guest_code apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = val;
}

static uint32_t __guest_code ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	return *(volatile uint32_t *)(IOAPIC_GPA + 0x10);
}

static void __guest_code ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	*(volatile uint32_t *)(IOAPIC_GPA + 0x10) = val;
}

/* Let pending interrupts in, briefly. */
static void __guest_code irq_window(void)
{
	asm volatile("sti; nop; nop; cli" : : : "memory");
}

/* Halt with interrupts on until *@count reaches @n. */
static void __guest_code wait_count(volatile uint64_t *count, uint64_t n)
{
	while (*count < n)
		asm volatile("sti; hlt; cli" : : : "memory");
}

/*
 * Each vCPU: APIC on, logical ID bit @id (flat model), then report its
 * counts after each look at pending interrupts, for ever.
 */
static void __guest_code guest_msi(uint64_t id)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LDR, (1u << id) << 24);
	for (;;) {
		irq_window();
		GUEST_SYNC_ARGS(id, msi_count[id], nmi_count[id], 0);
	}
}

/* On vCPU 0: INIT and SIPI for APIC 1 (see start_ap()). */
static void __guest_code guest_start_ap(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4500);			/* INIT, assert */
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4600 | (AP_CODE_GPA >> 12)); /* SIPI */
	GUEST_DONE();
}

static void __guest_code guest_mmio_writes(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		*(volatile uint32_t *)MMIO_GPA = (uint32_t)i;
	GUEST_DONE();
}

static void __guest_code guest_pio_writes(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		asm volatile("outw %w0, %w1" : : "a"((uint16_t)i),
			     "Nd"((uint16_t)PIO_PORT));
	GUEST_DONE();
}

/* 0x42 matches, 0x43 does not and exits, 0x42 matches again. */
static void __guest_code guest_datamatch(uint64_t arg)
{
	*(volatile uint32_t *)MMIO_GPA = 0x42;
	*(volatile uint32_t *)MMIO_GPA = 0x43;
	*(volatile uint32_t *)MMIO_GPA = 0x42;
	/* A 2-byte OUT where a 1-byte registration sits: another width. */
	asm volatile("outb %b0, %w1" : : "a"((uint8_t)7), "Nd"((uint16_t)PIO_PORT));
	asm volatile("outw %w0, %w1" : : "a"((uint16_t)7), "Nd"((uint16_t)PIO_PORT));
	GUEST_DONE();
}

/* A registration of len 0: every width, at its address only. */
static void __guest_code guest_any_width(uint64_t arg)
{
	*(volatile uint8_t *)MMIO_GPA = 1;
	*(volatile uint16_t *)MMIO_GPA = 2;
	*(volatile uint32_t *)MMIO_GPA = 3;
	*(volatile uint64_t *)MMIO_GPA = 4;
	*(volatile uint32_t *)(MMIO_GPA + 4) = 5;	/* not its address */
	GUEST_DONE();
}

static void __guest_code guest_write_sync_write(uint64_t arg)
{
	*(volatile uint32_t *)MMIO_GPA = 1;
	GUEST_SYNC(1);
	*(volatile uint32_t *)MMIO_GPA = 2;
	GUEST_DONE();
}

static void __guest_code route_pin(uint32_t pin, uint32_t low)
{
	ioapic_write(0x11 + 2 * pin, 0);	/* physical, APIC 0 */
	ioapic_write(0x10 + 2 * pin, low);	/* unmasked */
}

/* Two signals of an edge irqfd: two interrupts. */
static void __guest_code guest_irqfd_edge(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	route_pin(PIN_EDGE, VEC_PIN);
	GUEST_SYNC(1);				/* host: signal */
	wait_count(&pin_count, 1);
	GUEST_SYNC(2);				/* host: signal */
	wait_count(&pin_count, 2);
	GUEST_DONE();
}

static void __guest_code guest_irqfd_msi(uint64_t arg)
{
	apic_write(APIC_SVR, 0x1ff);
	GUEST_SYNC(1);				/* host: signal */
	wait_count(&msi_count[0], 1);
	GUEST_DONE();
}

static void __guest_code guest_irqfd_resample(uint64_t arg)
{
	uint32_t redir = 0x10 + 2 * PIN_LEVEL;
	volatile int i;

	apic_write(APIC_SVR, 0x1ff);
	route_pin(PIN_LEVEL, VEC_LEVEL | REDIR_LEVEL);
	GUEST_SYNC(1);				/* host: signal */
	wait_count(&level_count, 1);
	/* Taken, not EOIed: Remote IRR holds it, the line is still up. */
	GUEST_ASSERT(ioapic_read(redir) & REDIR_REMOTE_IRR);
	GUEST_SYNC(2);				/* host: no resample yet */
	apic_write(APIC_EOI, 0);
	/* The EOI lowered the line: no second delivery. */
	GUEST_ASSERT(!(ioapic_read(redir) & REDIR_REMOTE_IRR));
	for (i = 0; i < 10000; i++)
		;
	irq_window();
	GUEST_ASSERT_EQ(level_count, 1);
	GUEST_SYNC(3);				/* host: resampled; signal */
	wait_count(&level_count, 2);
	apic_write(APIC_EOI, 0);
	GUEST_DONE();
}

/* Interrupts on for a while; report what came. */
static void __guest_code guest_irqfd_quiet(uint64_t arg)
{
	volatile int i;

	apic_write(APIC_SVR, 0x1ff);
	route_pin(PIN_EDGE, VEC_PIN);
	GUEST_SYNC(1);				/* host: deassign, signal */
	for (i = 0; i < 100000; i++)
		irq_window();
	GUEST_SYNC_ARGS(2, pin_count, 0, 0);
	GUEST_DONE();
}

/* ---- Host side ---------------------------------------------------------- */

FIXTURE(efd) {
	bool loaded_here;
	bool ready;
	struct hvx_vm *vm;
};

FIXTURE_SETUP(efd)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(efd)
{
	vm_free(self->vm);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/* A VM with the irqchip, this binary loaded, the handlers installed. */
static struct hvx_vm *irq_vm(void)
{
	struct hvx_vm *vm = vm_create(HVX_VM_DEFAULT_MEM);

	TEST_ASSERT(!ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0),
		    "HVX_CREATE_IRQCHIP: %s", strerror(errno));
	vm_load_self(vm);
	vm_set_idt_handler(vm, VEC_MSI, isr_msi);
	vm_set_idt_handler(vm, VEC_NMI, isr_nmi);
	vm_set_idt_handler(vm, VEC_PIN, isr_pin);
	vm_set_idt_handler(vm, VEC_LEVEL, isr_level);
	return vm;
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	TEST_ASSERT(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

/* The eventfd's count, read (and so reset); 0 when nothing came. */
static uint64_t eventfd_take(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) == sizeof(n))
		return n;
	TEST_ASSERT(errno == EAGAIN, "eventfd read: %s", strerror(errno));
	return 0;
}

static void eventfd_kick(int fd)
{
	uint64_t one = 1;

	TEST_ASSERT(write(fd, &one, sizeof(one)) == sizeof(one),
		    "eventfd write: %s", strerror(errno));
}

static int signal_msi(struct hvx_vm *vm, uint64_t address, uint32_t data)
{
	struct hvx_msi msi = { .address = address, .data = data };

	return ioctl(vm->fd, HVX_SIGNAL_MSI, &msi);
}

static int ioeventfd(struct hvx_vm *vm, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct hvx_ioeventfd a = {
		.addr = addr, .len = len, .fd = fd, .flags = flags,
		.datamatch = datamatch,
	};

	return ioctl(vm->fd, HVX_IOEVENTFD, &a);
}

static int irqfd_pin(struct hvx_vm *vm, int fd, uint32_t gsi, uint32_t flags,
		     int resamplefd)
{
	struct hvx_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return ioctl(vm->fd, HVX_IRQFD, &a);
}

static int irqfd_msi(struct hvx_vm *vm, int fd, uint64_t address,
		     uint32_t data)
{
	struct hvx_irqfd a = {
		.fd = fd, .flags = HVX_IRQFD_MSI, .msi_address = address,
		.msi_data = data,
	};

	return ioctl(vm->fd, HVX_IRQFD, &a);
}

static uint64_t cap(struct hvx_vm *vm, uint32_t which)
{
	struct hvx_capability c = { .cap = which };

	TEST_ASSERT(!ioctl(vm->sys_fd, HVX_CHECK_CAPABILITY, &c),
		    "HVX_CHECK_CAPABILITY: %s", strerror(errno));
	return c.value;
}

static uint64_t exits_to_user(struct hvx_vcpu *vcpu)
{
	struct hvx_vcpu_stats st;

	TEST_ASSERT(!ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &st),
		    "HVX_GET_VCPU_STATS: %s", strerror(errno));
	return st.exits_to_user;
}

static void run_to_done(struct hvx_vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE,
		    "guest: %s", ucall_cmd_str(uc.cmd));
}

/* Run the guest to its next write at @gpa that user space must do. */
static void expect_mmio_write_at(struct hvx_vcpu *vcpu, uint64_t gpa,
				 uint32_t len, uint64_t value)
{
	uint64_t got = 0;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	TEST_ASSERT(vcpu->run->mmio.phys_addr == gpa &&
		    vcpu->run->mmio.is_write && vcpu->run->mmio.len == len,
		    "MMIO exit at %#llx, write %u, len %u",
		    (unsigned long long)vcpu->run->mmio.phys_addr,
		    vcpu->run->mmio.is_write, vcpu->run->mmio.len);
	memcpy(&got, vcpu->run->mmio.data, len);
	TEST_ASSERT(got == value, "MMIO write of %#llx, want %#llx",
		    (unsigned long long)got, (unsigned long long)value);
}

static void expect_mmio_write(struct hvx_vcpu *vcpu, uint32_t len,
			      uint64_t value)
{
	expect_mmio_write_at(vcpu, MMIO_GPA, len, value);
}

static void expect_pio_out(struct hvx_vcpu *vcpu, uint8_t size)
{
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_IO);
	TEST_ASSERT(vcpu->run->io.port == PIO_PORT &&
		    vcpu->run->io.direction == HVX_EXIT_IO_OUT &&
		    vcpu->run->io.size == size,
		    "I/O exit at port %#x, size %u", vcpu->run->io.port,
		    vcpu->run->io.size);
}

/*
 * vCPU 1 waits for INIT-SIPI (an AP): vCPU 0 sends them, vCPU 1 runs the
 * real-mode code at the SIPI vector to its OUT, and then both are set up
 * in long mode at @fn.
 */
static void start_ap(struct hvx_vm *vm, struct hvx_vcpu *bsp,
		     struct hvx_vcpu *ap)
{
	/* out %al, $0x80; cli; hlt */
	static const uint8_t ap_code[] = { 0xe6, AP_PORT, 0xfa, 0xf4 };

	vm_write(vm, AP_CODE_GPA, ap_code, sizeof(ap_code));
	vcpu_setup_long_mode(bsp, guest_start_ap, 0);
	run_to_done(bsp);
	vcpu_run(ap);
	vcpu_assert_exit(ap, HVX_EXIT_IO);
	TEST_ASSERT(ap->run->io.port == AP_PORT, "AP exit at port %#x",
		    ap->run->io.port);
}

TEST_F(efd, capabilities)
{
	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	EXPECT_EQ(1, cap(self->vm, HVX_CAP_SIGNAL_MSI));
	EXPECT_LE(16, cap(self->vm, HVX_CAP_IOEVENTFD));
	EXPECT_LE(16, cap(self->vm, HVX_CAP_IRQFD));
	EXPECT_EQ(1, cap(self->vm, HVX_CAP_IRQFD_RESAMPLE));
}

/* ---- HVX_SIGNAL_MSI ----------------------------------------------------- */

/* vCPU @v (id @id) reaches its next GUEST_SYNC having counted @n MSIs. */
static void expect_count(struct hvx_vcpu *v, uint64_t id, uint64_t n)
{
	struct ucall uc;

	expect_sync(v, id, &uc);
	TEST_ASSERT(uc.args[1] == n, "vCPU %llu counted %llu MSIs, not %llu",
		    (unsigned long long)id, (unsigned long long)uc.args[1],
		    (unsigned long long)n);
}

TEST_F(efd, msi_to_one_and_two_vcpus)
{
	struct hvx_vcpu *v0, *v1;
	struct ucall uc;

	NEED_HVX();
	self->vm = irq_vm();
	v0 = vcpu_add(self->vm, 0);
	v1 = vcpu_add(self->vm, 1);
	start_ap(self->vm, v0, v1);
	vcpu_setup_long_mode(v0, guest_msi, 0);
	vcpu_setup_long_mode(v1, guest_msi, 1);
	expect_sync(v0, 0, &uc);
	expect_sync(v1, 1, &uc);

	/* Physical destination 1: vCPU 1 only. */
	EXPECT_EQ(1, signal_msi(self->vm, MSI_ADDR(1), VEC_MSI));
	expect_count(v1, 1, 1);
	expect_count(v0, 0, 0);

	/* Logical, flat: bit 0 is vCPU 0, bits 0 and 1 are both. */
	EXPECT_EQ(1, signal_msi(self->vm, MSI_ADDR(1) | MSI_DM_LOGICAL,
				VEC_MSI));
	expect_count(v0, 0, 1);
	expect_count(v1, 1, 1);
	EXPECT_EQ(2, signal_msi(self->vm, MSI_ADDR(3) | MSI_DM_LOGICAL,
				VEC_MSI));
	expect_count(v0, 0, 2);
	expect_count(v1, 1, 2);

	/* Lowest priority, or the redirection hint: one of the two. */
	EXPECT_EQ(1, signal_msi(self->vm, MSI_ADDR(3) | MSI_DM_LOGICAL,
				(1u << 8) | VEC_MSI));
	EXPECT_EQ(1, signal_msi(self->vm,
				MSI_ADDR(3) | MSI_DM_LOGICAL | MSI_RH,
				VEC_MSI));
	/* Physical broadcast: both. Nobody at 5: none, and no error. */
	EXPECT_EQ(2, signal_msi(self->vm, MSI_ADDR(0xff), VEC_MSI));
	EXPECT_EQ(0, signal_msi(self->vm, MSI_ADDR(5), VEC_MSI));
	expect_sync(v0, 0, &uc);
	expect_sync(v1, 1, &uc);

	/* NMI to vCPU 1. */
	EXPECT_EQ(1, signal_msi(self->vm, MSI_ADDR(1), MSI_DATA_NMI));
	expect_sync(v1, 1, &uc);
	EXPECT_EQ(1, uc.args[2]);
	expect_sync(v0, 0, &uc);
	EXPECT_EQ(0, uc.args[2]);
}

TEST_F(efd, msi_bad_arguments)
{
	struct hvx_msi msi = { .address = MSI_ADDR(0), .data = VEC_MSI };
	static const struct {
		uint64_t address;
		uint32_t data;
	} bad[] = {
		{ 0xfed00000ull, VEC_MSI },		/* not the APICs' */
		{ 0x1fee00000ull, VEC_MSI },		/* bits 63:32 */
		{ 0xfee00010ull, VEC_MSI },		/* reserved 11:4 */
		{ 0xfee00001ull, VEC_MSI },		/* bits 1:0 */
		{ MSI_ADDR(0), VEC_MSI | 1u << 16 },	/* bits 31:16 */
		{ MSI_ADDR(0), VEC_MSI | 1u << 11 },	/* reserved 13:11 */
		{ MSI_ADDR(0), VEC_MSI | 2u << 8 },	/* SMI */
		{ MSI_ADDR(0), VEC_MSI | 3u << 8 },	/* reserved mode */
		{ MSI_ADDR(0), VEC_MSI | 5u << 8 },	/* INIT */
		{ MSI_ADDR(0), VEC_MSI | 7u << 8 },	/* ExtINT */
		{ MSI_ADDR(0), 15 },			/* illegal vector */
	};
	struct hvx_vm *vm;
	unsigned int i;

	NEED_HVX();
	/* No irqchip: no APICs to deliver to, as HVX_IRQ_LINE says. */
	vm = vm_create(HVX_VM_DEFAULT_MEM);
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_SIGNAL_MSI, &msi));
	EXPECT_EQ(ENXIO, errno);
	vm_free(vm);

	self->vm = irq_vm();
	vcpu_add(self->vm, 0);
	EXPECT_EQ(0, ioctl(self->vm->fd, HVX_SIGNAL_MSI, &msi));
	msi.flags = 1;
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.flags = 0;
	msi.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, signal_msi(self->vm, bad[i].address, bad[i].data))
			TH_LOG("address %#llx data %#x",
			       (unsigned long long)bad[i].address, bad[i].data);
		EXPECT_EQ(EINVAL, errno);
	}
}

/* ---- HVX_IOEVENTFD ------------------------------------------------------ */

#define WRITES			100

/*
 * A guest that makes WRITES writes (@guest) matching one ioeventfd at
 * @addr: the eventfd counts each, and the final ucall is the only exit to
 * user space.
 */
static void writes_signal_without_exits(struct hvx_vm *vm, uint64_t addr,
					uint32_t len, uint32_t flags,
					void *guest)
{
	struct hvx_vcpu *vcpu;
	uint64_t n;
	int fd;

	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	fd = new_eventfd();
	TEST_ASSERT(!ioeventfd(vm, addr, len, fd, flags, 0),
		    "HVX_IOEVENTFD: %s", strerror(errno));
	vcpu_setup_long_mode(vcpu, guest, WRITES);
	run_to_done(vcpu);
	TEST_ASSERT(exits_to_user(vcpu) == 1, "%llu exits to user space",
		    (unsigned long long)exits_to_user(vcpu));
	n = eventfd_take(fd);
	TEST_ASSERT(n == WRITES, "the eventfd counted %llu of %d writes",
		    (unsigned long long)n, WRITES);
	close(fd);
}

TEST_F(efd, ioeventfd_mmio_no_exit)
{
	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	writes_signal_without_exits(self->vm, MMIO_GPA, 4, HVX_IOEVENTFD_MMIO,
				    guest_mmio_writes);
}

TEST_F(efd, ioeventfd_pio_no_exit)
{
	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	writes_signal_without_exits(self->vm, PIO_PORT, 2, HVX_IOEVENTFD_PIO,
				    guest_pio_writes);
}

TEST_F(efd, ioeventfd_datamatch_and_width)
{
	struct hvx_vcpu *vcpu;
	int fd, pfd;

	NEED_HVX();
	/* With the irqchip: the bus also holds the IOAPIC then. */
	self->vm = irq_vm();
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	pfd = new_eventfd();
	ASSERT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 4, fd,
			       HVX_IOEVENTFD_DATAMATCH, 0x42));
	ASSERT_EQ(0, ioeventfd(self->vm, PIO_PORT, 1, pfd,
			       HVX_IOEVENTFD_PIO, 0));
	vcpu_setup_long_mode(vcpu, guest_datamatch, 0);
	/* The value that does not match is user space's, as before. */
	expect_mmio_write(vcpu, 4, 0x43);
	EXPECT_EQ(1, eventfd_take(fd));
	/* So is the OUT of another width. */
	expect_pio_out(vcpu, 2);
	EXPECT_EQ(1, eventfd_take(pfd));
	run_to_done(vcpu);
	EXPECT_EQ(1, eventfd_take(fd));
	EXPECT_EQ(3, exits_to_user(vcpu));
	close(fd);
	close(pfd);
}

TEST_F(efd, ioeventfd_any_width)
{
	struct hvx_vcpu *vcpu;
	int fd;

	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	vm_load_self(self->vm);
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	ASSERT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 0, fd, HVX_IOEVENTFD_MMIO, 0));
	vcpu_setup_long_mode(vcpu, guest_any_width, 0);
	expect_mmio_write_at(vcpu, MMIO_GPA + 4, 4, 5);
	run_to_done(vcpu);
	EXPECT_EQ(4, eventfd_take(fd));
	close(fd);
}

TEST_F(efd, ioeventfd_deassign_then_exits)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	int fd;

	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	vm_load_self(self->vm);
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	ASSERT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 4, fd, HVX_IOEVENTFD_MMIO, 0));
	vcpu_setup_long_mode(vcpu, guest_write_sync_write, 0);
	expect_sync(vcpu, 1, &uc);
	EXPECT_EQ(1, eventfd_take(fd));
	/* Only the exact registration goes. */
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 2, fd,
				HVX_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 4, fd,
			       HVX_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, fd,
				HVX_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(ENOENT, errno);
	expect_mmio_write(vcpu, 4, 2);
	run_to_done(vcpu);
	EXPECT_EQ(0, eventfd_take(fd));
	close(fd);
}

TEST_F(efd, ioeventfd_bad_arguments)
{
	struct hvx_ioeventfd a;
	int fd, fd2, nullfd, i, max;

	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	fd = new_eventfd();
	fd2 = new_eventfd();
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nullfd);

	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 3, fd, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, fd, 1u << 3, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, PIO_PORT, 8, fd, HVX_IOEVENTFD_PIO, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, PIO_PORT, 0, fd, HVX_IOEVENTFD_PIO, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, 0x10000, 1, fd, HVX_IOEVENTFD_PIO, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, 0xffff, 2, fd, HVX_IOEVENTFD_PIO, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, ~0ull - 2, 4, fd, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	/* A value for no match, a match for any width, one too wide. */
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, fd, 0, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 0, fd,
				HVX_IOEVENTFD_DATAMATCH, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 1, fd,
				HVX_IOEVENTFD_DATAMATCH, 0x100));
	EXPECT_EQ(EINVAL, errno);
	a = (struct hvx_ioeventfd){ .addr = MMIO_GPA, .len = 4, .fd = fd,
				    .reserved = 1 };
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_IOEVENTFD, &a));
	EXPECT_EQ(EINVAL, errno);
	/* Not an eventfd; no file at all. */
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, nullfd, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, -1, 0, 0));
	EXPECT_EQ(EBADF, errno);

	/* One write may not signal two registrations. */
	ASSERT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 4, fd, 0, 0));
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, fd2, 0, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 0, fd2, 0, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, fd2,
				HVX_IOEVENTFD_DATAMATCH, 5));
	EXPECT_EQ(EEXIST, errno);
	/* Other widths, other values, the other space: all fine. */
	EXPECT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 2, fd2, 0, 0));
	EXPECT_EQ(0, ioeventfd(self->vm, MMIO_GPA + 8, 4, fd,
			       HVX_IOEVENTFD_DATAMATCH, 5));
	EXPECT_EQ(0, ioeventfd(self->vm, MMIO_GPA + 8, 4, fd2,
			       HVX_IOEVENTFD_DATAMATCH, 6));
	EXPECT_EQ(0, ioeventfd(self->vm, MMIO_GPA & 0xffff, 4, fd,
			       HVX_IOEVENTFD_PIO, 0));
	/* Deassigning what is not there. */
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA + 8, 4, fd,
				HVX_IOEVENTFD_DATAMATCH | HVX_IOEVENTFD_DEASSIGN,
				6));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA + 64, 4, fd,
				HVX_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(ENOENT, errno);

	/* The limit the capability announces. */
	max = cap(self->vm, HVX_CAP_IOEVENTFD);
	for (i = 5; i < max; i++)
		ASSERT_EQ(0, ioeventfd(self->vm, 0x1000 + i, 1, fd,
				       HVX_IOEVENTFD_PIO, 0)) TH_LOG("%d", i);
	EXPECT_EQ(-1, ioeventfd(self->vm, 0x1000 + i, 1, fd,
				HVX_IOEVENTFD_PIO, 0));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ(0, ioeventfd(self->vm, 0x1005, 1, fd,
			       HVX_IOEVENTFD_PIO | HVX_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(0, ioeventfd(self->vm, 0x1000 + i, 1, fd,
			       HVX_IOEVENTFD_PIO, 0));
	close(fd);
	close(fd2);
	close(nullfd);
}

/* The registration holds the eventfd: closing the fd changes nothing. */
TEST_F(efd, ioeventfd_fd_closed_while_registered)
{
	struct hvx_vcpu *vcpu;
	int fd;

	NEED_HVX();
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	vm_load_self(self->vm);
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	ASSERT_EQ(0, ioeventfd(self->vm, MMIO_GPA, 4, fd, 0, 0));
	close(fd);
	vcpu_setup_long_mode(vcpu, guest_mmio_writes, WRITES);
	run_to_done(vcpu);
	EXPECT_EQ(1, exits_to_user(vcpu));
	/* Now no fd names it: only the VM's end frees it. */
	EXPECT_EQ(-1, ioeventfd(self->vm, MMIO_GPA, 4, fd,
				HVX_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(EBADF, errno);
}

/* ---- HVX_IRQFD ---------------------------------------------------------- */

TEST_F_TIMEOUT(efd, irqfd_raises_ioapic_pin, 120)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	int fd;

	NEED_HVX();
	self->vm = irq_vm();
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	ASSERT_EQ(0, irqfd_pin(self->vm, fd, PIN_EDGE, 0, -1));
	vcpu_setup_long_mode(vcpu, guest_irqfd_edge, 0);
	expect_sync(vcpu, 1, &uc);
	eventfd_kick(fd);
	expect_sync(vcpu, 2, &uc);
	eventfd_kick(fd);
	run_to_done(vcpu);
	/* The irqfd consumed the counts. */
	EXPECT_EQ(0, eventfd_take(fd));
	close(fd);
}

TEST_F_TIMEOUT(efd, irqfd_sends_msi, 120)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	int fd;

	NEED_HVX();
	self->vm = irq_vm();
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	/* Signalled before it is assigned: raised at assignment. */
	vcpu_setup_long_mode(vcpu, guest_irqfd_msi, 0);
	expect_sync(vcpu, 1, &uc);
	eventfd_kick(fd);
	ASSERT_EQ(0, irqfd_msi(self->vm, fd, MSI_ADDR(0), VEC_MSI));
	run_to_done(vcpu);
	close(fd);
}

TEST_F_TIMEOUT(efd, irqfd_resample_level_pin, 120)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	int fd, rfd;

	NEED_HVX();
	self->vm = irq_vm();
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	rfd = new_eventfd();
	ASSERT_EQ(0, irqfd_pin(self->vm, fd, PIN_LEVEL, HVX_IRQFD_RESAMPLE,
			       rfd));
	vcpu_setup_long_mode(vcpu, guest_irqfd_resample, 0);
	expect_sync(vcpu, 1, &uc);
	eventfd_kick(fd);
	expect_sync(vcpu, 2, &uc);
	/* In service, not EOIed: nothing to resample yet. */
	EXPECT_EQ(0, eventfd_take(rfd));
	expect_sync(vcpu, 3, &uc);
	EXPECT_EQ(1, eventfd_take(rfd));
	eventfd_kick(fd);
	run_to_done(vcpu);
	EXPECT_EQ(1, eventfd_take(rfd));
	/* Deassigning lets the pin down; the resamplefd hears no more. */
	EXPECT_EQ(0, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_DEASSIGN, -1));
	EXPECT_EQ(0, eventfd_take(rfd));
	close(fd);
	close(rfd);
}

TEST_F_TIMEOUT(efd, irqfd_deassign_stops_it, 120)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	int fd;

	NEED_HVX();
	self->vm = irq_vm();
	vcpu = vcpu_add(self->vm, 0);
	fd = new_eventfd();
	ASSERT_EQ(0, irqfd_pin(self->vm, fd, PIN_EDGE, 0, -1));
	vcpu_setup_long_mode(vcpu, guest_irqfd_quiet, 0);
	expect_sync(vcpu, 1, &uc);
	EXPECT_EQ(0, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_DEASSIGN, -1));
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_DEASSIGN, -1));
	EXPECT_EQ(ENOENT, errno);
	eventfd_kick(fd);
	expect_sync(vcpu, 2, &uc);
	EXPECT_EQ(0, uc.args[1]);
	/* Nobody took the count this time. */
	EXPECT_EQ(1, eventfd_take(fd));
	run_to_done(vcpu);
	close(fd);
}

TEST_F(efd, irqfd_bad_arguments)
{
	struct hvx_irqfd a;
	struct hvx_vm *vm;
	int fd, fd2, nullfd, i, max, *fds;

	NEED_HVX();
	fd = new_eventfd();
	fd2 = new_eventfd();
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nullfd);

	/* No irqchip: nothing to raise, as HVX_IRQ_LINE says. */
	vm = vm_create(HVX_VM_DEFAULT_MEM);
	EXPECT_EQ(-1, irqfd_pin(vm, fd, 0, 0, -1));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, irqfd_msi(vm, fd, MSI_ADDR(0), VEC_MSI));
	EXPECT_EQ(ENXIO, errno);
	vm_free(vm);

	self->vm = irq_vm();
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, 0, 1u << 3, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, HVX_IOAPIC_PINS, 0, -1));
	EXPECT_EQ(EINVAL, errno);
	a = (struct hvx_irqfd){ .fd = fd, .reserved = 1 };
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_IRQFD, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct hvx_irqfd){ .fd = fd, .msi_data = VEC_MSI };
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_IRQFD, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct hvx_irqfd){ .fd = fd, .flags = HVX_IRQFD_MSI | HVX_IRQFD_RESAMPLE,
				.resamplefd = fd2, .msi_address = MSI_ADDR(0),
				.msi_data = VEC_MSI };
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_IRQFD, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd_msi(self->vm, fd, 0xfee00010ull, VEC_MSI));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd_msi(self->vm, fd, MSI_ADDR(0), VEC_MSI | 2u << 8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd_pin(self->vm, nullfd, 0, 0, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd_pin(self->vm, -1, 0, 0, -1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_RESAMPLE, -1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_RESAMPLE, nullfd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_DEASSIGN, -1));
	EXPECT_EQ(ENOENT, errno);

	/* One irqfd per eventfd. */
	ASSERT_EQ(0, irqfd_pin(self->vm, fd, 3, 0, -1));
	EXPECT_EQ(-1, irqfd_pin(self->vm, fd, 4, 0, -1));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, irqfd_msi(self->vm, fd, MSI_ADDR(0), VEC_MSI));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, irqfd_pin(self->vm, fd, 0, HVX_IRQFD_DEASSIGN, -1));

	/* The limit the capability announces. */
	max = cap(self->vm, HVX_CAP_IRQFD);
	fds = calloc(max + 1, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	for (i = 0; i <= max; i++)
		fds[i] = new_eventfd();
	for (i = 0; i < max; i++)
		ASSERT_EQ(0, irqfd_pin(self->vm, fds[i], i % HVX_IOAPIC_PINS,
				       0, -1)) TH_LOG("%d", i);
	EXPECT_EQ(-1, irqfd_pin(self->vm, fds[max], 0, 0, -1));
	EXPECT_EQ(ENOSPC, errno);
	/*
	 * Closing an eventfd takes its irqfd away (EPOLLHUP, then a work
	 * item): the slot comes free, soon.
	 */
	close(fds[0]);
	for (i = 0; i < 500; i++) {
		if (!irqfd_pin(self->vm, fds[max], 0, 0, -1))
			break;
		ASSERT_EQ(ENOSPC, errno);
		usleep(10000);
	}
	EXPECT_GT(500, i) TH_LOG("the closed eventfd's irqfd stayed");
	for (i = 1; i <= max; i++)
		close(fds[i]);
	free(fds);
	close(fd);
	close(fd2);
	close(nullfd);
}

/* ---- VMs that go with everything registered ----------------------------- */

#define LEAK_WARMUP		10
#define LEAK_ROUNDS		200
#define PER_ROUND		32
#define LEAK_LIMIT_KB		2048
#define SLAB_LEAK_LIMIT_KB	256

/*
 * One VM with PER_ROUND ioeventfds and PER_ROUND irqfds (a quarter with
 * resamplefds, a quarter MSIs), all signalled once, half of the eventfds
 * closed before the VM and half after it.
 */
static void leak_round(void)
{
	int io[PER_ROUND], irq[PER_ROUND], rs[PER_ROUND];
	struct hvx_vm *vm;
	int i;

	vm = vm_create(HVX_VM_DEFAULT_MEM);
	TEST_ASSERT(!ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0),
		    "HVX_CREATE_IRQCHIP: %s", strerror(errno));
	for (i = 0; i < PER_ROUND; i++) {
		io[i] = new_eventfd();
		irq[i] = new_eventfd();
		rs[i] = new_eventfd();
		TEST_ASSERT(!ioeventfd(vm, MMIO_GPA + 8 * i, 8, io[i], 0, 0),
			    "HVX_IOEVENTFD: %s", strerror(errno));
		if (i % 4 == 0)
			TEST_ASSERT(!irqfd_msi(vm, irq[i], MSI_ADDR(0),
					       VEC_MSI),
				    "HVX_IRQFD: %s", strerror(errno));
		else
			TEST_ASSERT(!irqfd_pin(vm, irq[i], i % HVX_IOAPIC_PINS,
					       i % 4 == 1 ?
					       HVX_IRQFD_RESAMPLE : 0, rs[i]),
				    "HVX_IRQFD: %s", strerror(errno));
		eventfd_kick(irq[i]);
	}
	for (i = 0; i < PER_ROUND / 2; i++) {
		close(io[i]);
		close(irq[i]);
		close(rs[i]);
	}
	vm_free(vm);
	for (i = PER_ROUND / 2; i < PER_ROUND; i++) {
		/* The VM is gone: a signal now reaches nobody, harmlessly. */
		eventfd_kick(irq[i]);
		close(io[i]);
		close(irq[i]);
		close(rs[i]);
	}
}

TEST_F_TIMEOUT(efd, vm_destroyed_with_registrations_no_leak, 900)
{
	struct hvx_mem_probe before, after;
	cpu_set_t set;
	int i, ret;

	NEED_HVX();
	ret = write_text("/proc/sys/vm/drop_caches", "3");
	if (ret)
		SKIP(return, "cannot drop caches: %s", strerror(-ret));
	/* One CPU, as stress_test: per-CPU free lists do not drift apart. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		TH_LOG("running unpinned: %s", strerror(errno));
	for (i = 0; i < LEAK_WARMUP; i++)
		leak_round();
	before = mem_probe();
	for (i = 0; i < LEAK_ROUNDS; i++)
		leak_round();
	after = mem_probe();
	TH_LOG("%d VMs with %d ioeventfds and %d irqfds each: MemAvailable %+ld KiB, SUnreclaim %+ld KiB",
	       LEAK_ROUNDS, PER_ROUND, PER_ROUND,
	       after.available - before.available,
	       after.unreclaimable - before.unreclaimable);
	EXPECT_GE(after.available + LEAK_LIMIT_KB, before.available);
	EXPECT_LE(after.unreclaimable, before.unreclaimable + SLAB_LEAK_LIMIT_KB);
}

TEST_HARNESS_MAIN
