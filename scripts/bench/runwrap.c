/* Runs a command and reports its wall time and peak RSS, measured from outside.
 * Usage: runwrap RESULT_FILE CMD [ARGS...]
 * Writes {"ms":T,"maxrssKB":K,"userMs":U,"sysMs":Y,"status":S} to RESULT_FILE (S: exit status,
 * or 128+signal) and
 * exits with the command's status. ms runs from just before fork() to wait4()'s return;
 * maxrssKB is the child's ru_maxrss from wait4(). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s RESULT_FILE CMD [ARGS...]\n", argv[0]);
    return 2;
  }
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) {
    perror("runwrap: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror("runwrap: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("runwrap: wait4");
    return 2;
  }
  double t1 = now_ms();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE *f = fopen(argv[1], "w");
  if (f == NULL) {
    perror("runwrap: result file");
    return 2;
  }
  fprintf(f, "{\"ms\":%.3f,\"maxrssKB\":%ld,\"userMs\":%.3f,\"sysMs\":%.3f,\"status\":%d}\n", t1 - t0,
          ru.ru_maxrss, ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
          ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3, code);
  fclose(f);
  return code;
}
