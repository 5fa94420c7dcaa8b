// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's guest RAM (core/guest_ram.c): the options'
 * checks, and for each backend the mapping it makes, as the kernel
 * reports it in /proc/self/smaps: private anonymous or a shared memfd,
 * KSM's "mg" flag with --mergeable, huge pages or a message that says how
 * many are missing.
 *
 *   guest_ram_test
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guest_ram.h"
#include "unit.h"

#define MIB	(1ull << 20)

/*
 * The smaps entry of the mapping at @addr: its header line (range, perms,
 * name) in @head and its "VmFlags:" line in @flags. false if not found.
 */
static bool smaps_of(const void *addr, char *head, size_t hlen, char *flags,
		     size_t flen)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512];
	bool in = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			if (in)
				snprintf(head, hlen, "%s", line);
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, flen, "%s", line);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_options(void)
{
	struct vmctl_mem_opts o = { 0 };
	enum vmctl_mem_backend b;
	struct tcase tc;

	case_begin(&tc);
	check(&tc, !vmctl_mem_backend_parse("anon", &b) && b == VMCTL_MEM_ANON, "anon");
	check(&tc, !vmctl_mem_backend_parse("memfd", &b) && b == VMCTL_MEM_MEMFD, "memfd");
	check(&tc, !vmctl_mem_backend_parse("hugetlb", &b) && b == VMCTL_MEM_HUGETLB,
	      "hugetlb");
	check(&tc, vmctl_mem_backend_parse("", &b) && vmctl_mem_backend_parse("ANON", &b) &&
	      vmctl_mem_backend_parse("memfd2", &b) && vmctl_mem_backend_parse("huge", &b),
	      "a name that is none of the three was taken");
	check(&tc, !strcmp(vmctl_mem_backend_name(VMCTL_MEM_HUGETLB), "hugetlb"),
	      "name of hugetlb");
	case_end(&tc, "guest RAM: --memory-backend takes anon, memfd, hugetlb and nothing else");

	case_begin(&tc);
	check(&tc, !vmctl_mem_opts_check(&o, 16 * MIB), "anon refused");
	o.mergeable = true;
	check(&tc, !vmctl_mem_opts_check(&o, 16 * MIB), "anon --mergeable refused");
	o.backend = VMCTL_MEM_MEMFD;
	check(&tc, vmctl_mem_opts_check(&o, 16 * MIB) &&
	      strstr(vmctl_mem_opts_check(&o, 16 * MIB), "KSM"),
	      "memfd --mergeable taken");
	o.backend = VMCTL_MEM_HUGETLB;
	check(&tc, vmctl_mem_opts_check(&o, 16 * MIB) != NULL,
	      "hugetlb --mergeable taken");
	o.mergeable = false;
	check(&tc, !vmctl_mem_opts_check(&o, 16 * MIB), "hugetlb 16 MiB refused");
	check(&tc, vmctl_mem_opts_check(&o, 15 * MIB) &&
	      strstr(vmctl_mem_opts_check(&o, 15 * MIB), "2 MiB"),
	      "hugetlb 15 MiB taken");
	case_end(&tc, "guest RAM: --mergeable only with anon; hugetlb in whole 2 MiB pages");
}

static void test_backend(enum vmctl_mem_backend b, bool mergeable,
			 const char *want_name, bool want_shared)
{
	struct vmctl_mem_opts o = { .backend = b, .mergeable = mergeable };
	char head[512] = "", flags[512] = "";
	struct tcase tc;
	uint8_t *mem;

	case_begin(&tc);
	mem = vmctl_guest_ram_map(4 * MIB, &o);
	check(&tc, mem != NULL, "not mapped");
	if (mem) {
		mem[0] = 1;
		mem[4 * MIB - 1] = 2;
		check(&tc, smaps_of(mem, head, sizeof(head), flags, sizeof(flags)),
		      "no smaps entry");
		check(&tc, strstr(head, want_shared ? "rw-s" : "rw-p") != NULL,
		      "mapping %s", head);
		check(&tc, !want_name || strstr(head, want_name), "mapping %s", head);
		check(&tc, !mergeable == !strstr(flags, " mg"), "%s", flags);
		check(&tc, mem[0] == 1 && mem[4 * MIB - 1] == 2, "contents");
		vmctl_guest_ram_unmap(mem, 4 * MIB);
	}
	case_end(&tc, "guest RAM: %s%s maps 4 MiB %s%s", vmctl_mem_backend_name(b),
		 mergeable ? " --mergeable" : "", want_shared ? "shared" : "private",
		 mergeable ? ", KSM-mergeable (VmFlags mg)" : "");
}

/* Huge pages where the host has them; else the message says so. */
static void test_hugetlb(void)
{
	struct vmctl_mem_opts o = { .backend = VMCTL_MEM_HUGETLB };
	char head[512] = "", flags[512] = "", msg[512] = "";
	struct tcase tc;
	uint8_t *mem;
	FILE *err;
	int saved;

	case_begin(&tc);
	/* The message goes to stderr: catch it in a file. */
	err = tmpfile();
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(err), 2);
	mem = vmctl_guest_ram_map(4 * MIB, &o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(err);
	if (!fgets(msg, sizeof(msg), err))
		msg[0] = 0;
	fclose(err);
	if (mem) {
		mem[0] = 1;
		check(&tc, smaps_of(mem, head, sizeof(head), flags, sizeof(flags)),
		      "no smaps entry");
		check(&tc, strstr(flags, " ht"), "not hugetlb: %s", flags);
		vmctl_guest_ram_unmap(mem, 4 * MIB);
		case_end(&tc, "guest RAM: hugetlb maps 4 MiB of the host's huge pages");
	} else {
		check(&tc, strstr(msg, "not enough huge pages") && strstr(msg, "2 wanted") &&
		      strstr(msg, "nr_hugepages"), "message: %s", msg);
		case_end(&tc, "guest RAM: hugetlb without the host's huge pages says how many it wanted");
	}
}

int main(void)
{
	test_options();
	test_backend(VMCTL_MEM_ANON, false, NULL, false);
	test_backend(VMCTL_MEM_ANON, true, NULL, false);
	test_backend(VMCTL_MEM_MEMFD, false, "memfd:vmctl-guest-ram", true);
	test_hugetlb();
	return tap_finish();
}
