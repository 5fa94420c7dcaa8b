// SPDX-License-Identifier: GPL-2.0
/* Guest RAM's backends (guest_ram.h says what each is for). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/guest_ram.h"

static const char *const backend_names[] = {
	[VMCTL_MEM_ANON] = "anon",
	[VMCTL_MEM_MEMFD] = "memfd",
	[VMCTL_MEM_HUGETLB] = "hugetlb",
};

int vmctl_mem_backend_parse(const char *s, enum vmctl_mem_backend *b)
{
	for (size_t i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]); i++) {
		if (!strcmp(s, backend_names[i])) {
			*b = i;
			return 0;
		}
	}
	return -1;
}

const char *vmctl_mem_backend_name(enum vmctl_mem_backend b)
{
	return backend_names[b];
}

const char *vmctl_mem_opts_check(const struct vmctl_mem_opts *o,
				 uint64_t bytes)
{
	/* KSM scans private anonymous memory only. */
	if (o->mergeable && o->backend != VMCTL_MEM_ANON)
		return "--mergeable needs --memory-backend anon: KSM merges only anonymous memory";
	if (o->backend == VMCTL_MEM_HUGETLB && bytes % VMCTL_HUGE_PAGE_SIZE)
		return "--memory-backend hugetlb takes whole 2 MiB pages: an even --memory";
	return NULL;
}

/* HugePages_Free from /proc/meminfo, for the message; -1 if unknown. */
static long huge_pages_free(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A memfd of @bytes, mapped shared; the mapping keeps the file. */
static void *map_memfd(uint64_t bytes, unsigned int flags)
{
	void *mem = MAP_FAILED;
	int fd = memfd_create("vmctl-guest-ram", MFD_CLOEXEC | flags);

	if (fd < 0)
		return MAP_FAILED;
	if (!ftruncate(fd, bytes))
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return mem;
}

void *vmctl_guest_ram_map(uint64_t bytes, const struct vmctl_mem_opts *o)
{
	unsigned long long mib = bytes >> 20;
	void *mem;

	switch (o->backend) {
	case VMCTL_MEM_MEMFD:
		mem = map_memfd(bytes, 0);
		break;
	case VMCTL_MEM_HUGETLB:
		/* The pages are reserved by the mmap(), or it fails. */
		mem = map_memfd(bytes, MFD_HUGETLB);
		if (mem == MAP_FAILED && errno == ENOMEM) {
			fprintf(stderr, "vmctl: not enough huge pages for %llu MiB of guest memory: %llu wanted, %ld free (/proc/sys/vm/nr_hugepages)\n",
				mib, (unsigned long long)(bytes / VMCTL_HUGE_PAGE_SIZE),
				huge_pages_free());
			return NULL;
		}
		break;
	default:
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		break;
	}
	if (mem == MAP_FAILED) {
		fprintf(stderr, "vmctl: cannot map %llu MiB of guest memory (%s): %s\n",
			mib, vmctl_mem_backend_name(o->backend), strerror(errno));
		return NULL;
	}
	if (o->mergeable && madvise(mem, bytes, MADV_MERGEABLE)) {
		fprintf(stderr, "vmctl: --mergeable: %s%s\n", strerror(errno),
			errno == EINVAL ? " (no KSM in this kernel)" : "");
		munmap(mem, bytes);
		return NULL;
	}
	return mem;
}

void vmctl_guest_ram_unmap(void *mem, uint64_t bytes)
{
	if (mem)
		munmap(mem, bytes);
}
