// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the VM harness, built with the kernel's nolibc.
 *
 * Follows the convention of tools/testing/selftests/liveupdate/init.c:
 * stage 1 loads /kernel + /initrd.img with kexec_file_load() (the command
 * line gains "luo_stage=2"), runs "/test_binary -s 1" and, if that process
 * exits 0, reboots with RB_KEXEC; daemons it left behind keep their LUO
 * sessions open across the kexec.  Stage 2 runs "/test_binary -s 2" and
 * powers off.  With "vmtest_stages=1" on the command line (a single-stage
 * program, such as a kselftest suite) it runs "/test_binary" once, without
 * arguments and without kexec, and powers off.  Each result is printed as
 * one "VMTEST:" line that scripts/vmtest.sh reads from the serial log.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMDLINE_MAX 2048

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

static void finish(const char *what, int how)
{
	printf("VMTEST: %s\n", what);
	fflush(stdout);
	reboot(how);
	for (;;)
		sleep(1);
}

static int load_next_kernel(void)
{
	static char next[CMDLINE_MAX + 16];
	unsigned long len;
	int kfd, ifd;
	long ret;

	snprintf(next, sizeof(next), "%s luo_stage=2", cmdline);
	/*
	 * nolibc's syscall() binds its arguments to registers: evaluate
	 * anything that calls a function (strlen) before it.
	 */
	len = strlen(next) + 1;
	kfd = open("/kernel", O_RDONLY);
	ifd = open("/initrd.img", O_RDONLY);
	if (kfd < 0 || ifd < 0) {
		printf("VMTEST: cannot open /kernel or /initrd.img\n");
		return -1;
	}
	ret = syscall(__NR_kexec_file_load, kfd, ifd, len, next, 0);
	close(kfd);
	close(ifd);
	if (ret) {
		printf("VMTEST: kexec_file_load failed: %d\n", errno);
		return -1;
	}
	return 0;
}

static int run_stage(int stage, int single)
{
	char arg[4] = { '0' + stage, 0 };
	char *const staged[] = { "/test_binary", "-s", arg, NULL };
	char *const once[] = { "/test_binary", NULL };
	char *const *argv = single ? once : staged;
	char *const envp[] = { "PATH=/", NULL };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execve(argv[0], argv, envp);
		printf("VMTEST: execve /test_binary failed: %d\n", errno);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	/* Not WIFSIGNALED(): nolibc's is true for status 0. */
	if (!WIFEXITED(status)) {
		printf("VMTEST: stage %d signal %d\n", stage, WTERMSIG(status));
		return -1;
	}
	printf("VMTEST: stage %d exit %d\n", stage, WEXITSTATUS(status));
	return WEXITSTATUS(status) ? -1 : 0;
}

int main(void)
{
	int stage, single;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	read_cmdline();

	if (strstr(cmdline, "vmtest_probe"))
		finish("probe ok", RB_POWER_OFF);

	single = !!strstr(cmdline, "vmtest_stages=1");
	stage = strstr(cmdline, "luo_stage=2") ? 2 : 1;
	printf("VMTEST: stage %d start%s\n", stage, single ? " (single stage)" : "");

	if (stage == 1 && !single && load_next_kernel())
		finish("abort", RB_POWER_OFF);
	if (run_stage(stage, single))
		finish("abort", RB_POWER_OFF);
	if (stage == 1 && !single)
		finish("kexec", RB_KEXEC);
	finish("done", RB_POWER_OFF);
	return 0;
}
