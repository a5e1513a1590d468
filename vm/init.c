// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the VM harness, built with the kernel's nolibc.
 *
 * Follows the convention of tools/testing/selftests/liveupdate/init.c,
 * over "vmtest_stages=N" stages (default 2; "luo_stage=k" on the command
 * line says which one this boot is, 1 when absent).  Stage k < N loads
 * /kernel + /initrd.img with kexec_file_load(), with the command line
 * scripts/vmtest.sh wrote to /next_cmdline for stage k + 1, runs
 * "/test_binary -s k" and, if that process exits 0, reboots with
 * RB_KEXEC; daemons it left
 * behind keep their LUO sessions open across the kexec.  Stage N runs
 * "/test_binary -s N" and powers off.  With "vmtest_stages=1" (a
 * single-stage program, such as a kselftest suite) it runs "/test_binary"
 * once, without arguments and without kexec, and powers off.  Each result
 * is printed as one "VMTEST:" line that scripts/vmtest.sh reads from the
 * serial log; the start and exit lines of a stage end with the TSC, which
 * keeps counting across a kexec.
 */
#include <asm/ioctls.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMDLINE_MAX 2048
#define STAGES_MAX 12

static char cmdline[CMDLINE_MAX];

static void read_cmdline(void)
{
	ssize_t len;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		return;
	len = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (len < 0)
		len = 0;
	cmdline[len] = 0;
	if (len && cmdline[len - 1] == '\n')
		cmdline[len - 1] = 0;
}

/* The value of "key=N" on the command line, or @def when it is absent. */
static int cmdline_int(const char *key, int def)
{
	size_t len = strlen(key);
	const char *p = cmdline;

	while ((p = strstr(p, key))) {
		if ((p == cmdline || p[-1] == ' ') && p[len] == '=')
			return atoi(p + len + 1);
		p += len;
	}
	return def;
}

/*
 * One write per line, and waits until the console sent it all (tcdrain): the
 * kernel prints straight to the UART while a tty write is still going out,
 * so without the wait a kernel message that comes right after the line, such
 * as the power-off's, can land inside it, where vmtest.sh would not find it.
 */
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	if (len > 0) {
		write(1, buf, len);
		ioctl(1, TCSBRK, 1);
	}
}

static unsigned long long rdtsc(void)
{
	unsigned int lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (unsigned long long)hi << 32 | lo;
}

static void finish(const char *what, int how)
{
	say("VMTEST: %s\n", what);
	fflush(stdout);
	reboot(how);
	for (;;)
		sleep(1);
}

/* The next stage's kernel, initrd and command line (/next_cmdline) */
static int load_next_kernel(void)
{
	static char next[CMDLINE_MAX];
	unsigned long len;
	int kfd, ifd, fd;
	ssize_t n;
	long ret;

	fd = open("/next_cmdline", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, next, sizeof(next) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		say("VMTEST: cannot read /next_cmdline\n");
		return -1;
	}
	next[n] = 0;
	while (n && (next[n - 1] == '\n' || next[n - 1] == ' '))
		next[--n] = 0;
	/*
	 * nolibc's syscall() binds its arguments to registers: evaluate
	 * anything that calls a function (strlen) before it.
	 */
	len = strlen(next) + 1;
	kfd = open("/kernel", O_RDONLY);
	ifd = open("/initrd.img", O_RDONLY);
	if (kfd < 0 || ifd < 0) {
		say("VMTEST: cannot open /kernel or /initrd.img\n");
		return -1;
	}
	ret = syscall(__NR_kexec_file_load, kfd, ifd, len, next, 0);
	close(kfd);
	close(ifd);
	if (ret) {
		say("VMTEST: kexec_file_load failed: %d\n", errno);
		return -1;
	}
	return 0;
}

static int run_stage(int stage, int single)
{
	char arg[12];
	char *const staged[] = { "/test_binary", "-s", arg, NULL };
	char *const once[] = { "/test_binary", NULL };
	char *const *argv = single ? once : staged;
	char *const envp[] = { "PATH=/", NULL };
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%d", stage);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execve(argv[0], argv, envp);
		say("VMTEST: execve /test_binary failed: %d\n", errno);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	/* Not WIFSIGNALED(): nolibc's is true for status 0. */
	if (!WIFEXITED(status)) {
		say("VMTEST: stage %d signal %d\n", stage, WTERMSIG(status));
		return -1;
	}
	say("VMTEST: stage %d exit %d tsc=%llu\n", stage, WEXITSTATUS(status),
	       rdtsc());
	return WEXITSTATUS(status) ? -1 : 0;
}

int main(void)
{
	int stage, stages, last;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	read_cmdline();

	if (strstr(cmdline, "vmtest_probe"))
		finish("probe ok", RB_POWER_OFF);

	stages = cmdline_int("vmtest_stages", 2);
	stage = cmdline_int("luo_stage", 1);
	say("VMTEST: stage %d start tsc=%llu%s\n", stage, rdtsc(),
	       stages == 1 ? " (single stage)" : "");
	if (stages < 1 || stages > STAGES_MAX || stage < 1 || stage > stages) {
		say("VMTEST: cannot run stage %d of %d (1 to %d stages)\n",
		       stage, stages, STAGES_MAX);
		finish("abort", RB_POWER_OFF);
	}
	last = stage == stages;

	if (!last && load_next_kernel())
		finish("abort", RB_POWER_OFF);
	if (run_stage(stage, stages == 1))
		finish("abort", RB_POWER_OFF);
	if (!last)
		finish("kexec", RB_KEXEC);
	finish("done", RB_POWER_OFF);
	return 0;
}
