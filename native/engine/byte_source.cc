#include "byte_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace pcapkit {
namespace engine {

ByteSource::~ByteSource() { Close(); }

bool ByteSource::Open(const std::string& path, SourceError* error) {
  path_ = path;
  int fd;
  if (path == "-") {
    fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  } else {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer (on the
    // caller's thread, which may be the event loop's). Cleared again below.
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  }
  if (fd < 0) {
    error->err = errno;
    error->message = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    error->err = errno;
    error->message = path + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error->err = EISDIR;
    error->message = path + ": is a directory";
    close(fd);
    return false;
  }
  if (path != "-") {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  size_ = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : -1;
  if (S_ISFIFO(st.st_mode)) {
    // A bigger pipe buffer: the writer blocks (and we wake) once per MiB instead of once per
    // 64 KiB. Best effort: the limit is /proc/sys/fs/pipe-max-size.
    fcntl(fd, F_SETPIPE_SZ, 1 << 20);
  }
  if (size_ < 0) {
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_ < 0) {
      error->err = errno;
      error->message = path + ": " + std::strerror(errno);
      Close();
      return false;
    }
  }
  return true;
}

void ByteSource::Adopt(int fd, int64_t size) {
  fd_ = fd;
  size_ = size;
  if (size_ < 0) wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

struct ByteSource::Gzip {
  z_stream z{};
  std::vector<uint8_t> in = std::vector<uint8_t>(256 * 1024);
  bool eof = false;  // the descriptor is at its end
  bool ended = false;  // the last member ended with nothing after it
  bool between = false;  // a member ended; the end of the input now is a clean end
  // An error met after some bytes were inflated in the same call: those go out first.
  int pendingErr = 0;
  std::string pendingMessage;
};

void ByteSource::GzipDeleter::operator()(Gzip* g) const {
  inflateEnd(&g->z);
  delete g;
}

// Reads: the first call looks at the first two bytes; a gzip input is inflated from then on.
ssize_t ByteSource::Read(void* buf, size_t n, SourceError* error, bool wait) {
  if (!sniffed_) {
    uint8_t first[2];
    size_t have = 0;
    while (have < 2) {
      ssize_t got = RawRead(first + have, 2 - have, error, true);
      if (got <= 0) {
        if (got < 0) return got;
        break;
      }
      have += static_cast<size_t>(got);
    }
    sniffed_ = true;
    if (have == 2 && first[0] == 0x1f && first[1] == 0x8b) {
      gz_.reset(new Gzip);
      if (inflateInit2(&gz_->z, 16 + MAX_WBITS) != Z_OK) {
        error->err = ENOMEM;
        error->message = path_ + ": cannot start gzip decompression";
        return -1;
      }
      gz_->in[0] = first[0];
      gz_->in[1] = first[1];
      gz_->z.next_in = gz_->in.data();
      gz_->z.avail_in = 2;
    } else {
      head_.assign(first, first + have);
    }
  }
  if (gz_) return Inflate(buf, n, error, wait);
  if (headAt_ < head_.size()) {
    size_t k = head_.size() - headAt_ < n ? head_.size() - headAt_ : n;
    std::memcpy(buf, head_.data() + headAt_, k);
    headAt_ += k;
    return static_cast<ssize_t>(k);
  }
  return RawRead(buf, n, error, wait);
}

ssize_t ByteSource::Inflate(void* buf, size_t n, SourceError* error, bool wait) {
  Gzip& g = *gz_;
  z_stream& z = g.z;
  if (g.pendingErr != 0) {
    error->err = g.pendingErr;
    error->message = g.pendingMessage;
    return -1;
  }
  if (g.ended) return 0;
  z.next_out = static_cast<Bytef*>(buf);
  z.avail_out = static_cast<uInt>(n > (1u << 30) ? (1u << 30) : n);
  for (;;) {
    if (z.avail_in == 0 && !g.eof) {
      ssize_t got = RawRead(g.in.data(), g.in.size(), error, wait || z.next_out == buf);
      if (got == -3) break;  // nothing now: hand out what was inflated
      if (got < 0) return got;
      if (got == 0) g.eof = true;
      z.next_in = g.in.data();
      z.avail_in = static_cast<uInt>(got);
    }
    if (g.between && z.avail_in == 0 && g.eof) {
      g.ended = true;  // the input ends where a member ended: a clean end
      break;
    }
    if (z.avail_in > 0) g.between = false;
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      // Another member may follow (concatenated gzip files are one stream to gzip -d).
      if (z.avail_in == 0 && g.eof) {
        g.ended = true;
        break;
      }
      inflateReset(&z);
      g.between = true;
    } else if (rc == Z_BUF_ERROR) {
      if (g.eof && z.avail_in == 0) {
        if (z.next_out != buf) break;  // hand out what there is; the cut comes next time
        error->err = ENODATA;  // (ETRUNCATED: the compressed stream ends inside a member)
        error->message = "the gzip data is cut short";
        return -1;
      }
    } else if (rc != Z_OK) {
      g.pendingErr = EBADMSG;
      g.pendingMessage = std::string("damaged gzip data (") + (z.msg ? z.msg : "inflate failed") + ")";
      if (z.next_out != buf) break;  // what was inflated before the damage goes out first
      error->err = g.pendingErr;
      error->message = g.pendingMessage;
      return -1;
    }
    if (z.avail_out == 0) break;
    if (z.avail_in == 0 && g.eof && rc != Z_STREAM_END) continue;
  }
  return static_cast<ssize_t>(static_cast<Bytef*>(z.next_out) - static_cast<Bytef*>(buf));
}

ssize_t ByteSource::RawRead(void* buf, size_t n, SourceError* error, bool wait) {
  if (interrupted()) return -2;
  if (fd_ < 0) return -2;
  for (;;) {
    if (wake_ >= 0) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
      int rc = poll(fds, 2, wait ? -1 : 0);
      if (rc == 0) return -3;
      if (rc < 0) {
        if (errno == EINTR) continue;
        error->err = errno;
        error->message = path_ + ": " + std::strerror(errno);
        return -1;
      }
      if (interrupted() || (fds[1].revents & POLLIN)) return -2;
      // (A FIFO opened before any writer connected: Linux reports neither POLLIN nor POLLHUP
      // until a writer has come, so this waits for the writer as tcpdump's blocking open does.)
    }
    ssize_t got = read(fd_, buf, n);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) continue;  // another reader of a shared pipe took the bytes
      error->err = errno;
      error->message = path_ + ": " + std::strerror(errno);
      return -1;
    }
    if (got > 0) consumed_.fetch_add(got, std::memory_order_relaxed);
    return got;
  }
}

void ByteSource::Interrupt() {
  interrupted_.store(true, std::memory_order_release);
  if (wake_ >= 0) {
    uint64_t one = 1;
    ssize_t rc = write(wake_, &one, sizeof one);
    (void)rc;
  }
}

void ByteSource::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (wake_ >= 0) {
    close(wake_);
    wake_ = -1;
  }
}

}  // namespace engine
}  // namespace pcapkit
