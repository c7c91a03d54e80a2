/* Baseline for `npm run bench`: the plainest libpcap read loop.
 * Usage: cloop FILE  -> prints {"packets":N,"bytes":N,"touch":N,"ms":T} (ms: in-process). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct acc {
  uint64_t packets, bytes, touch;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data) {
  struct acc *a = (struct acc *)user;
  a->packets++;
  a->bytes += h->caplen;
  if (h->caplen > 0) a->touch += data[0]; /* touch the packet's first byte */
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  char err[PCAP_ERRBUF_SIZE];
  struct acc a = {0, 0, 0};
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  double t0 = now_ms();
  pcap_t *p = pcap_open_offline(argv[1], err);
  if (p == NULL) {
    fprintf(stderr, "cloop: %s\n", err);
    return 1;
  }
  if (pcap_loop(p, -1, on_packet, (u_char *)&a) == -1) {
    fprintf(stderr, "cloop: %s\n", pcap_geterr(p));
    pcap_close(p);
    return 1;
  }
  pcap_close(p);
  double t1 = now_ms();
  printf("{\"packets\":%llu,\"bytes\":%llu,\"touch\":%llu,\"ms\":%.3f}\n", (unsigned long long)a.packets,
         (unsigned long long)a.bytes, (unsigned long long)a.touch, t1 - t0);
  return 0;
}
