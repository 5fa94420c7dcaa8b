// SPDX-License-Identifier: GPL-2.0
/*
 * Raw flat binaries: copied to a guest-physical address and entered there
 * in real mode with CS = addr >> 4, as firmware enters a boot sector.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vm.h"

int vmctl_load_raw(struct vmctl_vm *vm, const char *path, uint64_t addr)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs = { 0 };
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vmctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (addr >= 0x100000 || (uint64_t)st.st_size > vm->mem_size - addr ||
	    addr + st.st_size > 0x100000) {
		fprintf(stderr, "vmctl: %s: %lld bytes do not fit below 1 MiB at %#llx\n",
			path, (long long)st.st_size, (unsigned long long)addr);
		close(fd);
		return -1;
	}
	n = read(fd, vm->mem + addr, st.st_size);
	close(fd);
	if (n != st.st_size) {
		fprintf(stderr, "vmctl: %s: short read\n", path);
		return -1;
	}

	if (ioctl(vm->vcpu_fd, HVX_GET_SREGS, &sregs))
		return -1;
	/* CS:IP = (addr >> 4):(addr & 15), the other segments at 0. */
	sregs.cs.selector = addr >> 4;
	sregs.cs.base = addr & ~0xfull;
	sregs.ds.selector = sregs.es.selector = sregs.ss.selector = 0;
	sregs.ds.base = sregs.es.base = sregs.ss.base = 0;
	sregs.fs.selector = sregs.gs.selector = 0;
	sregs.fs.base = sregs.gs.base = 0;
	if (ioctl(vm->vcpu_fd, HVX_SET_SREGS, &sregs))
		return -1;
	regs.rip = addr & 0xf;
	regs.rsp = addr;	/* a stack below the image, as for a boot sector */
	regs.rflags = 2;
	return ioctl(vm->vcpu_fd, HVX_SET_REGS, &regs) ? -1 : 0;
}
