/* Loopback UDP flood for the capture benchmark: sends to 127.0.0.1:PORT for SECONDS at up
 * to PPS packets per second (0 = as fast as possible) with sendmmsg, and prints how many it
 * sent. A second socket bound to the port receives nothing, so no ICMP errors are generated
 * (the kernel drops datagrams once its receive buffer is full). Only 127.0.0.1 is used. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: flood PORT SECONDS PPS PAYLOAD_BYTES\n");
    return 64;
  }
  int port = atoi(argv[1]);
  double seconds = atof(argv[2]);
  double pps = atof(argv[3]);
  int size = atoi(argv[4]);
  if (seconds <= 0 || seconds > 30 || size < 1 || size > 1400) {
    fprintf(stderr, "flood: SECONDS must be in (0, 30] and PAYLOAD_BYTES in [1, 1400]\n");
    return 64;
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int sink = socket(AF_INET, SOCK_DGRAM, 0);
  if (sink < 0 || bind(sink, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("flood: bind sink");
    return 1;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0 || connect(s, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("flood: connect");
    return 1;
  }
  enum { BATCH = 64 };
  static char payload[1400];
  memset(payload, 'p', sizeof payload);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = size;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0;
  double start = now(), end = start + seconds;
  for (double t = start; t < end; t = now()) {
    if (pps > 0 && sent >= (t - start) * pps) {
      usleep(100);
      continue;
    }
    int n = sendmmsg(s, msgs, BATCH, 0);
    if (n > 0) sent += n;
  }
  printf("%llu\n", sent);
  close(s);
  close(sink);
  return 0;
}
