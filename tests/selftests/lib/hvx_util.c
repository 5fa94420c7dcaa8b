// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "hvx_util.h"

const char *hvx_ko_path(void)
{
	const char *p = getenv("HVX_KO");

	return p ? p : "/lib/modules/hvx.ko";
}

int hvx_load(const char *params)
{
	int fd = open(hvx_ko_path(), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	if (!params)
		params = getenv("HVX_MODULE_PARAMS");
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

int hvx_unload(void)
{
	return syscall(SYS_delete_module, "hvx", O_NONBLOCK) ? -errno : 0;
}

bool hvx_loaded(void)
{
	return access("/sys/module/hvx", F_OK) == 0;
}

const char *hvx_need_module(bool *loaded_here)
{
	static char why[128];
	int ret;

	*loaded_here = false;
	if (!hvx_loaded() && access(hvx_ko_path(), F_OK) == 0) {
		ret = hvx_load(NULL);
		if (ret) {
			snprintf(why, sizeof(why), "hvx.ko does not load here: %s",
				 strerror(-ret));
			return why;
		}
		*loaded_here = true;
	}
	if (access("/dev/hvx", F_OK))
		return "no /dev/hvx: hvx is not loaded";
	return NULL;
}

int hvx_open(void)
{
	int fd = open("/dev/hvx", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kvm_vm_create(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm;

	if (kvm < 0)
		return -errno;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	vm = vm < 0 ? -errno : vm;
	close(kvm);
	return vm;
}

long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t n = strlen(field);
	char line[256];
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			val = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

struct hvx_mem_probe mem_probe(void)
{
	struct hvx_mem_probe p = { -1, -1, -1 };
	long v;
	int i;

	for (i = 0; i < 3; i++) {
		write_text("/proc/sys/vm/drop_caches", "3");
		write_text("/proc/sys/vm/stat_refresh", "1");
		usleep(200000);
		v = meminfo_kb("MemAvailable");
		if (v > p.available)
			p.available = v;
		v = meminfo_kb("SUnreclaim");
		if (p.unreclaimable < 0 || v < p.unreclaimable)
			p.unreclaimable = v;
		v = meminfo_kb("VmallocUsed");
		if (p.vmalloc_used < 0 || v < p.vmalloc_used)
			p.vmalloc_used = v;
	}
	return p;
}

double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool cpuinfo_line_has(const char *key, const char *word)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	size_t klen = strlen(key), wlen = strlen(word);
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, key, klen) || (line[klen] != ' ' &&
						  line[klen] != '\t'))
			continue;
		p = strchr(line, ':');
		while (p && (p = strstr(p, word))) {
			if (p[-1] == ' ' && (p[wlen] == ' ' || p[wlen] == '\n')) {
				found = true;
				break;
			}
			p += wlen;
		}
		break;
	}
	fclose(f);
	return found;
}

bool cpu_has_vmx_flag(const char *flag)
{
	return cpuinfo_line_has("vmx flags", flag);
}

bool cpu_has_vmx(void)
{
	return cpuinfo_line_has("flags", "vmx");
}

int online_cpus(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* /dev/kmsg records are "prio,seq,usec,flags;text\n"; keep the text. */
int kmsg_since(int mark_fd, char *buf, size_t len)
{
	size_t pos = 0;
	char rec[8192];
	ssize_t n;

	buf[0] = '\0';
	while ((n = read(mark_fd, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		char *text, *end;

		if (n < 0)
			continue;	/* overwritten records: skip them */
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		pos += snprintf(buf + pos, pos < len ? len - pos : 0, "%s\n",
				text);
		if (pos >= len)
			break;
	}
	close(mark_fd);
	return 0;
}
