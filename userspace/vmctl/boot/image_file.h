/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the files the loaders put in guest memory (kernels, initrds,
 * Multiboot modules): shared by loader_linux.c and loader_multiboot.c.
 * Both functions print what went wrong as "vmctl: PATH: ..." on stderr.
 */
#ifndef VMCTL_IMAGE_FILE_H
#define VMCTL_IMAGE_FILE_H

#include <stdint.h>

/*
 * Open @path read-only and store its size in @size: a file descriptor, or
 * -1 if it cannot be opened or is not a regular file.
 */
int vmctl_image_open(const char *path, uint64_t *size);

/*
 * Read all of @len bytes at offset @off of @fd, opened from @path, into
 * @buf: 0, or -1 (errno set, EIO if the file ended first).
 */
int vmctl_image_read_at(int fd, const char *path, void *buf, uint64_t len,
			uint64_t off);

/*
 * The whole of @path mapped read-only and private, its size in @size, for
 * devices that hand a file's bytes to the guest on demand (fw_cfg): pages
 * are read only if the guest asks for them. NULL with a message on error;
 * an empty file maps as a valid pointer to nothing. Undo with
 * vmctl_image_unmap().
 */
const void *vmctl_image_map(const char *path, uint64_t *size);
void vmctl_image_unmap(const void *p, uint64_t size);

#endif /* VMCTL_IMAGE_FILE_H */
