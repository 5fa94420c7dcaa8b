// SPDX-License-Identifier: GPL-2.0
/*
 * seqpacket: one raw message to a SOCK_SEQPACKET UNIX socket, and its
 * answer, for the tests that talk to hvxd's control socket the way a
 * hostile or broken client would (vmctl ha only ever sends well-formed
 * requests):
 *
 *   seqpacket SOCKET          send standard input (up to 1 MiB, NULs and
 *                             all) as one message, print the reply
 *   seqpacket -c SOCKET       connect, then hang up without a word
 *
 * Exit status: 0 a reply was printed, 3 the peer hung up without one,
 * 2 anything else (the reason on standard error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MSG_MAX		(1 << 20)
#define REPLY_MAX	(64 << 10)

static int die(const char *what)
{
	fprintf(stderr, "seqpacket: %s: %s\n", what, strerror(errno));
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int hangup = argc == 3 && !strcmp(argv[1], "-c");
	const char *path = argv[argc - 1];
	static char msg[MSG_MAX], reply[REPLY_MAX];
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((argc != 2 && !hangup) || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: seqpacket [-c] SOCKET <MESSAGE\n");
		return 2;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return die(path);
	if (hangup)
		return close(fd) ? die("close") : 0;

	while (len < sizeof(msg) && (n = read(0, msg + len, sizeof(msg) - len)) > 0)
		len += (size_t)n;
	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return die("send");
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0)
		return die("recv");
	if (!n)
		return 3;
	fwrite(reply, 1, (size_t)n, stdout);
	return 0;
}
