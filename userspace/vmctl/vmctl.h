/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMCTL_H
#define VMCTL_H

/* Exit codes that scripts can rely on. */
enum {
	VMCTL_OK = 0,
	VMCTL_ERR = 1,		/* the operation failed */
	VMCTL_USAGE = 2,	/* bad command line */
	VMCTL_NO_HVX = 3,	/* /dev/hvx missing or not usable */
	VMCTL_TIMEOUT = 4,	/* run --timeout expired; stop: the VM outlived a hard stop */
};

struct vmctl_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(void);
};

extern const struct vmctl_cmd vmctl_cmd_host;
extern const struct vmctl_cmd vmctl_cmd_run;
extern const struct vmctl_cmd vmctl_cmd_list;
extern const struct vmctl_cmd vmctl_cmd_info;
extern const struct vmctl_cmd vmctl_cmd_stop;
extern const struct vmctl_cmd vmctl_cmd_set;
extern const struct vmctl_cmd vmctl_cmd_top;
extern const struct vmctl_cmd vmctl_cmd_stats;
extern const struct vmctl_cmd vmctl_cmd_balloon;
extern const struct vmctl_cmd vmctl_cmd_net;
extern const struct vmctl_cmd vmctl_cmd_ha;

/* Open /dev/hvx, explaining what to fix on failure; fd or -VMCTL_NO_HVX. */
int vmctl_open_hvx(void);

#endif /* VMCTL_H */
