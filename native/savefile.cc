#include "savefile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio_ext.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.h"

namespace pcapkit {

SavefileOpen OpenSavefile(const std::string& path, int precision) {
  SavefileOpen r;
  int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    r.code = CodeForErrno(err);
    r.message = path + ": " + std::strerror(err);
    return r;
  }
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      close(fd);
      r.code = "EINVAL";
      r.message = path + ": is a directory";
      return r;
    }
    if (S_ISREG(st.st_mode)) {
      r.fileSize = st.st_size;
      unsigned char m[4];
      if (pread(fd, m, 4, 0) == 4) std::memcpy(&r.magic, m, 4);
    }
  }
  FILE* f = fdopen(fd, "rb");
  if (f == nullptr) {
    int err = errno;
    close(fd);
    r.code = CodeForErrno(err);
    r.message = path + ": " + std::strerror(err);
    return r;
  }
  // libpcap freads each record header and body; a large stdio buffer turns that into few
  // syscalls, which is most of the cost of reading a file from the page cache. Files the
  // direct record reader takes (pcap_records.h) fread big chunks, which glibc reads straight
  // into the arena when they exceed the stdio buffer: keep that one small.
  bool hostOrderPcap = r.magic == 0xa1b2c3d4 || r.magic == 0xa1b23c4d;
  setvbuf(f, nullptr, _IOFBF, hostOrderPcap ? (64 << 10) : (1 << 20));
  // A savefile handle is used by one thread at a time; skip glibc's per-call stream lock
  // (libpcap freads twice per packet, and Node's threads make glibc take the lock).
  __fsetlocking(f, FSETLOCKING_BYCALLER);
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, precision, errbuf);
  if (p == nullptr) {
    fclose(f);  // pcap_fopen_offline leaves the stream open when it fails
    std::string detail = errbuf[0] ? errbuf : "cannot read the file header";
    r.code = CodeForSavefileMessage(detail);
    r.message = path + ": " + detail;
    if (r.fileSize == 0) {
      r.code = "ETRUNCATED";
      r.message = path + ": empty file (no savefile header)";
    }
    return r;
  }
  r.pcap = p;
  return r;
}

uint32_t PeekMagic(const std::string& path) {
  if (path == "-") return 0;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint32_t magic = 0;
  unsigned char m[4];
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pread(fd, m, 4, 0) == 4) {
    std::memcpy(&magic, m, 4);
  }
  close(fd);
  return magic;
}

int64_t SavefileOffset(pcap_t* p) {
  FILE* f = pcap_file(p);
  if (f == nullptr) return -1;
  return static_cast<int64_t>(ftello(f));
}

}  // namespace pcapkit
