// SPDX-License-Identifier: GPL-2.0
/*
 * The fixture of the vmctl loader tests; see vmctl_fixture.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vm.h"
#include "vmctl_fixture.h"

char tmpdir[64];
char errbuf[4096];

static FILE *errfile;
static int saved_stderr = -1;

void tmpdir_create(const char *name)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hvx-%s.XXXXXX", name);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(2);
	}
}

void tmpdir_remove(void)
{
	char cmd[sizeof(tmpdir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

char *tmp_path(const char *name)
{
	static char paths[64][128];
	static unsigned int next;
	char *p = paths[next++ % 64];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return p;
}

void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st)) {
		perror(path);
		exit(2);
	}
	buf = malloc(st.st_size + 1);
	if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = st.st_size;
	return buf;
}

const char *make_data_file(const char *name, size_t len, unsigned int seed)
{
	uint8_t *buf = malloc(len + 1);
	const char *path = tmp_path(name);
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((i >> 8) ^ i ^ seed);
	write_file(path, buf, len);
	free(buf);
	return path;
}

uint8_t payload_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

void capture_stderr(void)
{
	fflush(stderr);
	errfile = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (!errfile || saved_stderr < 0 ||
	    dup2(fileno(errfile), STDERR_FILENO) < 0) {
		perror("capture stderr");
		exit(2);
	}
}

const char *captured(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(errfile);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, errfile);
	errbuf[n] = '\0';
	fclose(errfile);
	return errbuf;
}

const char *first_line(void)
{
	size_t len = strlen(tmpdir);
	char *nl = strchr(errbuf, '\n'), *p;

	if (nl)
		*nl = '\0';
	while (len && (p = strstr(errbuf, tmpdir))) {
		memcpy(p, "TMP", 3);
		memmove(p + 3, p + len, strlen(p + len) + 1);
	}
	return errbuf[0] ? errbuf : "(no message)";
}

struct vmctl_vm *fake_vm(uint64_t size)
{
	static struct vmctl_vm vm;

	memset(&vm, 0, sizeof(vm));
	vm.sys_fd = vm.fd = vm.vcpu_fd = -1;
	vm.mem = calloc(1, size);
	if (!vm.mem) {
		perror("calloc guest memory");
		exit(2);
	}
	vm.mem_size = size;
	return &vm;
}

void free_vm(struct vmctl_vm *vm)
{
	free(vm->mem);
	vm->mem = NULL;
}

uint32_t get32(const struct vmctl_vm *vm, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, vm->mem + gpa, sizeof(v));
	return v;
}

uint64_t get64(const struct vmctl_vm *vm, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, vm->mem + gpa, sizeof(v));
	return v;
}
