// SPDX-License-Identifier: GPL-2.0
/*
 * The default frame source of scripts/vmtest.sh NIC=1: sends one Ethernet
 * frame per UDP datagram to QEMU's "-netdev dgram" backend on
 * 127.0.0.1:$NIC_PORT, $NIC_FPS frames a second (default 500), until
 * SIGTERM.  Runs on the host.
 *
 * The frame format is the contract the VM tests read (README, "The VM
 * harness"): destination ff:ff:ff:ff:ff:ff, any source MAC, ethertype
 * 0x88b5, then a little-endian u64 sequence number, consecutive from any
 * starting value, then zeros up to 60 bytes in all.  This sender starts at
 * 1 and sends 60-byte frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN	60
#define ETHERTYPE	0x88b5

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long env_ulong(const char *name, unsigned long def,
			       unsigned long min, unsigned long max)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	v = strtoul(s, &end, 0);
	if (*end || v < min || v > max) {
		fprintf(stderr, "nic_sender: %s=%s: want %lu to %lu\n", name, s,
			min, max);
		exit(2);
	}
	return v;
}

static void timespec_add_ns(struct timespec *t, uint64_t ns)
{
	t->tv_nsec += ns % 1000000000;
	t->tv_sec += ns / 1000000000 + t->tv_nsec / 1000000000;
	t->tv_nsec %= 1000000000;
}

int main(void)
{
	unsigned long port = env_ulong("NIC_PORT", 0, 1, 65535);
	unsigned long fps = env_ulong("NIC_FPS", 500, 1, 100000);
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t frame[FRAME_LEN] = { 0 };
	struct sigaction sa = { .sa_handler = on_term };
	uint64_t seq = 1, period = 1000000000ULL / fps;
	struct timespec next, now;
	int fd, i;

	if (!port) {
		fprintf(stderr, "nic_sender: NIC_PORT is not set\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("nic_sender: socket");
		return 1;
	}

	memset(frame, 0xff, 6);				/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x88\xb5\x01", 6);	/* local MAC */
	frame[12] = ETHERTYPE >> 8;
	frame[13] = ETHERTYPE & 0xff;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		for (i = 0; i < 8; i++)
			frame[14 + i] = seq >> (8 * i);
		/* Nobody listening yet (ECONNREFUSED) is not an error. */
		if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0 && errno != ECONNREFUSED &&
		    errno != EINTR) {
			perror("nic_sender: sendto");
			return 1;
		}
		seq++;
		/*
		 * Paced, never in bursts: a sender that fell behind (a busy
		 * host) starts the next period now rather than catching up,
		 * so the backend's socket buffer is not flooded.
		 */
		timespec_add_ns(&next, period);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1 ||
		    (now.tv_sec - next.tv_sec) * 1000000000LL +
		    now.tv_nsec - next.tv_nsec > 10000000)
			next = now;
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&next, NULL) == EINTR)
			;
	}
	printf("nic_sender: sent %llu frames to 127.0.0.1:%lu at %lu/s\n",
	       (unsigned long long)(seq - 1), port, fps);
	return 0;
}
