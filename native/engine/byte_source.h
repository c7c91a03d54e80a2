// One input descriptor, opened once and never seeked: a regular file, a FIFO, a character
// device, /dev/stdin or "-" all read the same way. Reads of a pipe wait in poll() on the
// descriptor and on an eventfd, so Close() from another thread ends a wait at once.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pcapkit {
namespace engine {

struct SourceError {
  int err = 0;          // errno
  std::string message;  // "path: strerror"
};

class ByteSource {
 public:
  ByteSource() = default;
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Opens `path` ("-" = a duplicate of standard input). A FIFO is opened without waiting for
  // a writer (O_NONBLOCK, then cleared), so opening never blocks. Refuses directories (EISDIR).
  bool Open(const std::string& path, SourceError* error);
  // Takes an already open descriptor (tests, fuzzers). size < 0: not a regular file.
  void Adopt(int fd, int64_t size);

  // A gzip-compressed input (magic 1f 8b) is inflated on the fly: Read() hands out the
  // decompressed bytes, concatenated members included. Damaged compressed data is EBADMSG.
  bool gzip() const { return gz_ != nullptr; }

  // Reads up to n bytes. Returns the count (> 0), 0 at the end of the input, -1 on an error
  // (errno in *error), -2 when Close()/Wake() interrupted it, -3 when wait is false and a pipe
  // has nothing to read right now.
  ssize_t Read(void* buf, size_t n, SourceError* error, bool wait = true);

  // Makes a Read() waiting on a pipe return -2 now (and every later one). Thread-safe.
  void Interrupt();
  bool interrupted() const { return interrupted_.load(std::memory_order_acquire); }
  void Close();

  bool regular() const { return size_ >= 0; }
  // Device and inode of what was opened (to refuse writing over the input).
  dev_t dev() const { return dev_; }
  ino_t ino() const { return ino_; }
  int64_t size() const { return size_; }
  // Bytes taken from the descriptor so far (compressed bytes for a gzip input), for progress.
  int64_t consumed() const { return consumed_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  int wake_ = -1;  // eventfd, for pipes
  int64_t size_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::string path_;
  std::atomic<bool> interrupted_{false};
  ssize_t RawRead(void* buf, size_t n, SourceError* error, bool wait);
  ssize_t Inflate(void* buf, size_t n, SourceError* error, bool wait);
  struct Gzip;
  struct GzipDeleter {
    void operator()(Gzip* g) const;
  };
  bool sniffed_ = false;              // the first bytes were looked at for the gzip magic
  std::vector<uint8_t> head_;         // bytes read while sniffing, not yet handed out
  size_t headAt_ = 0;
  std::unique_ptr<Gzip, GzipDeleter> gz_;
  std::atomic<int64_t> consumed_{0};
};

}  // namespace engine
}  // namespace pcapkit
