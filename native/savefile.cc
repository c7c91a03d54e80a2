#include "savefile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
  // syscalls, which is most of the cost of reading a file from the page cache.
  setvbuf(f, nullptr, _IOFBF, 1 << 20);
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, precision, errbuf);
  if (p == nullptr) {
    fclose(f);  // pcap_fopen_offline leaves the stream open when it fails
    r.message = errbuf[0] ? errbuf : "cannot read the file header";
    r.code = CodeForSavefileMessage(r.message);
    if (r.fileSize == 0) {
      r.code = "ETRUNCATED";
      r.message = path + ": empty file (no savefile header)";
    }
    return r;
  }
  r.pcap = p;
  return r;
}

int64_t SavefileOffset(pcap_t* p) {
  FILE* f = pcap_file(p);
  if (f == nullptr) return -1;
  return static_cast<int64_t>(ftello(f));
}

}  // namespace pcapkit
