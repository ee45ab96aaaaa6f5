// SPDX-License-Identifier: GPL-2.0
/*
 * Loader for struct_ops.bpf.c through its libbpf skeleton, in the shape of
 * the struct_ops tutorial's loader: open, load, attach the struct_ops map
 * (a link), write a line to the module's trigger, then print what reading
 * the trigger gives back (one "<callback> <return value>" line for each
 * callback called so far) and detach.
 *
 * Usage: tutorialc-loader [LINE]   (default: "Hello from userspace!")
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "struct_ops.skel.h"

#define TRIGGER "/proc/bpf_testmod_trigger"

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int write_trigger(const char *line)
{
	ssize_t n;
	int fd;

	fd = open(TRIGGER, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "tutorialc: open %s: %s\n", TRIGGER, strerror(errno));
		return -1;
	}
	n = write(fd, line, strlen(line));
	if (n < 0)
		fprintf(stderr, "tutorialc: write %s: %s\n", TRIGGER, strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Copies the trigger's read-back to stdout. */
static int read_trigger(void)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(TRIGGER, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "tutorialc: open %s: %s\n", TRIGGER, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	if (n < 0)
		fprintf(stderr, "tutorialc: read %s: %s\n", TRIGGER, strerror(errno));
	close(fd);
	fflush(stdout);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *line = argc > 1 ? argv[1] : "Hello from userspace!";
	struct struct_ops_bpf *skel;
	struct bpf_link *link;
	int err;

	libbpf_set_print(print_libbpf);

	skel = struct_ops_bpf__open();
	if (!skel) {
		fprintf(stderr, "tutorialc: open skeleton: %s\n", strerror(errno));
		return 1;
	}
	err = struct_ops_bpf__load(skel);
	if (err) {
		fprintf(stderr, "tutorialc: load skeleton: %s\n", strerror(-err));
		struct_ops_bpf__destroy(skel);
		return 1;
	}
	link = bpf_map__attach_struct_ops(skel->maps.testmod_ops);
	if (!link) {
		fprintf(stderr, "tutorialc: attach testmod_ops: %s\n", strerror(errno));
		struct_ops_bpf__destroy(skel);
		return 1;
	}
	fprintf(stderr, "tutorialc: attached\n");

	err = write_trigger(line);
	if (!err)
		err = read_trigger();

	bpf_link__destroy(link);
	struct_ops_bpf__destroy(skel);
	fprintf(stderr, "tutorialc: detached\n");
	return err ? 1 : 0;
}
