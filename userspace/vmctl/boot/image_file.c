// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the files the loaders put in guest memory; see image_file.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/image_file.h"

int vmctl_image_open(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vmctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "vmctl: %s: not a regular file\n", path);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* pread() until all of @len bytes are in, as a read may return fewer. */
int vmctl_image_read_at(int fd, const char *path, void *buf, uint64_t len,
			uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len > (1 << 30) ? (1 << 30) : len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* n == 0: the file shrank under us. */
			int err = n ? errno : EIO;

			fprintf(stderr, "vmctl: %s: %s\n", path, strerror(err));
			errno = err;
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

const void *vmctl_image_map(const char *path, uint64_t *size)
{
	static const char empty[1];
	int fd = vmctl_image_open(path, size);
	void *p;

	if (fd < 0)
		return NULL;
	if (!*size) {
		close(fd);
		return empty;		/* mmap() refuses a length of 0 */
	}
	p = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);			/* the mapping keeps the file */
	if (p == MAP_FAILED) {
		fprintf(stderr, "vmctl: %s: mmap: %s\n", path, strerror(errno));
		return NULL;
	}
	return p;
}

void vmctl_image_unmap(const void *p, uint64_t size)
{
	if (p && size)
		munmap((void *)p, size);
}
