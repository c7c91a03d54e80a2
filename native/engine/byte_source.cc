#include "byte_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

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

ssize_t ByteSource::Read(void* buf, size_t n, SourceError* error, bool wait) {
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
