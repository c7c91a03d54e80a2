#include "capture_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error_codes.h"

namespace pcapkit {
namespace engine {

namespace {

constexpr size_t kBufferBytes = 1u << 20;

inline void Put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void Put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline uint32_t Pad4(uint32_t n) { return (n + 3u) & ~3u; }

}  // namespace

CaptureWriter::~CaptureWriter() {
  WriteError ignored;
  Close(&ignored);
}

bool CaptureWriter::Open(const std::string& path, bool append, WriteError* error) {
  path_ = path;
  int fd;
  if (path == "-") {
    fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  } else if (append) {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  } else {
    // A new file every time: an existing one keeps neither its mode nor its other links.
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) unlink(path.c_str());
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
      // Not a regular file (a FIFO, a device, a link to one): write to it as it is.
      fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    }
  }
  if (fd < 0) {
    error->err = errno;
    error->code = CodeForErrno(errno);
    error->message = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      close(fd);
      error->err = EISDIR;
      error->code = "EINVAL";
      error->message = path + ": is a directory";
      return false;
    }
    regular_ = S_ISREG(st.st_mode);
    if (append && regular_) fileBytes_ = st.st_size;
  }
  fd_ = fd;
  return true;
}

uint8_t* CaptureWriter::Reserve(size_t n) { return buf_.Reserve(n); }

void CaptureWriter::EndUnit(bool packet) {
  units_.emplace_back(buf_.size(), packet);
  if (packet) packets_++;
}

void CaptureWriter::Fail(int err, const char* what) {
  if (failed_) return;
  failed_ = true;
  failure_.err = err;
  failure_.code = CodeForErrno(err);
  failure_.message = path_ + ": " + what + ": " + std::strerror(err);
}

// Hands the buffer to the kernel. When it takes only part, the file is cut back to the last
// whole unit and the writer stops for good (glibc-style retrying would only interleave).
bool CaptureWriter::Drain(WriteError* error) {
  if (failed_) {
    *error = failure_;
    return false;
  }
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      // Whole units in what the kernel took; the rest (and the partial one) is dropped.
      size_t keep = 0;
      uint64_t lost = 0;
      for (const auto& u : units_) {
        if (u.first <= done) {
          keep = u.first;
        } else if (u.second) {
          lost++;
        }
      }
      if (regular_ && keep < done) {
        if (ftruncate(fd_, fileBytes_ + static_cast<int64_t>(keep)) != 0) {
          // cannot cut: report what the kernel holds
          keep = done;
        }
      }
      fileBytes_ += static_cast<int64_t>(regular_ ? keep : done);
      packets_ -= lost;
      buf_.clear();
      units_.clear();
      Fail(err, "write failed");
      *error = failure_;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  fileBytes_ += static_cast<int64_t>(done);
  buf_.clear();
  units_.clear();
  return true;
}

bool CaptureWriter::BeginPcap(const std::vector<uint8_t>& header, bool nano) {
  kind_ = Kind::kPcap;
  nano_ = nano;
  std::memcpy(Reserve(header.size()), header.data(), header.size());
  EndUnit(false);
  return true;
}

bool CaptureWriter::WritePcap(uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                              const uint8_t* data) {
  if (failed_) return false;
  uint8_t* p = Reserve(16 + caplen);
  Put32(p, sec);
  Put32(p + 4, frac);
  Put32(p + 8, caplen);
  Put32(p + 12, len);
  if (caplen) std::memcpy(p + 16, data, caplen);
  EndUnit(true);
  if (buf_.size() >= kBufferBytes) {
    WriteError e;
    return Drain(&e);
  }
  return true;
}

bool CaptureWriter::WritePcapTime(int64_t sec, uint32_t nsec, uint32_t caplen, uint32_t len,
                                  const uint8_t* data, WriteError* error) {
  if (sec < 0 || sec > 0xffffffffLL || nsec >= 1000000000u) {
    error->code = "EINVAL";
    error->message = path_ + ": timestamp " + std::to_string(sec) + "." + std::to_string(nsec) +
                     " does not fit a pcap record (0 .. 4294967295 s): write pcapng instead";
    return false;
  }
  if (!WritePcap(static_cast<uint32_t>(sec), nano_ ? nsec : nsec / 1000, caplen, len, data)) {
    *error = failure_;
    return false;
  }
  return true;
}

bool CaptureWriter::BeginPcapng(const std::string& comment) {
  kind_ = Kind::kPcapng;
  nano_ = true;
  static const char kApp[] = "pcapkit";
  uint32_t appLen = sizeof kApp - 1;
  uint32_t commentLen = comment.size() > 65535 ? 65535 : static_cast<uint32_t>(comment.size());
  uint32_t opts = 4 + Pad4(appLen) + (commentLen ? 4 + Pad4(commentLen) : 0) + 4;
  uint32_t total = 28 + opts;
  uint8_t* p = Reserve(total);
  std::memset(p, 0, total);
  Put32(p, 0x0a0d0d0a);
  Put32(p + 4, total);
  Put32(p + 8, 0x1a2b3c4d);
  Put16(p + 12, 1);
  Put16(p + 14, 0);
  uint64_t unknown = ~0ull;  // section length: not given
  std::memcpy(p + 16, &unknown, 8);
  uint8_t* o = p + 24;
  if (commentLen) {
    Put16(o, 1);  // opt_comment
    Put16(o + 2, static_cast<uint16_t>(commentLen));
    std::memcpy(o + 4, comment.data(), commentLen);
    o += 4 + Pad4(commentLen);
  }
  Put16(o, 4);  // shb_userappl
  Put16(o + 2, static_cast<uint16_t>(appLen));
  std::memcpy(o + 4, kApp, appLen);
  o += 4 + Pad4(appLen);
  o += 4;  // opt_endofopt (zeros)
  Put32(o, total);
  EndUnit(false);
  return true;
}

int64_t CaptureWriter::AddInterface(const InterfaceDesc& d, WriteError* error) {
  Itf itf{d, (d.tsresol & 0x80) != 0, static_cast<uint32_t>(d.tsresol & 0x7f), 1};
  if (itf.binary ? itf.exponent > 63 : itf.exponent > 19) {
    error->code = "EINVAL";
    error->message = "invalid tsresol " + std::to_string(d.tsresol);
    return -1;
  }
  if (itf.binary) {
    itf.units = 1ull << itf.exponent;
  } else {
    for (uint32_t i = 0; i < itf.exponent; i++) itf.units *= 10;
  }
  auto strLen = [](const std::string& s) {
    return s.size() > 65535 ? 65535u : static_cast<uint32_t>(s.size());
  };
  uint32_t nameLen = strLen(d.name), descLen = strLen(d.description);
  uint32_t opts = (nameLen ? 4 + Pad4(nameLen) : 0) + (descLen ? 4 + Pad4(descLen) : 0) + 8 +
                  (d.tsoffset ? 12 : 0) + 4;
  uint32_t total = 20 + opts;
  uint8_t* p = Reserve(total);
  std::memset(p, 0, total);
  Put32(p, 1);
  Put32(p + 4, total);
  Put16(p + 8, static_cast<uint16_t>(d.linktype));
  Put32(p + 12, d.snaplen);
  uint8_t* o = p + 16;
  if (nameLen) {
    Put16(o, 2);
    Put16(o + 2, static_cast<uint16_t>(nameLen));
    std::memcpy(o + 4, d.name.data(), nameLen);
    o += 4 + Pad4(nameLen);
  }
  if (descLen) {
    Put16(o, 3);
    Put16(o + 2, static_cast<uint16_t>(descLen));
    std::memcpy(o + 4, d.description.data(), descLen);
    o += 4 + Pad4(descLen);
  }
  Put16(o, 9);  // if_tsresol
  Put16(o + 2, 1);
  o[4] = d.tsresol;
  o += 8;
  if (d.tsoffset) {
    Put16(o, 14);  // if_tsoffset
    Put16(o + 2, 8);
    std::memcpy(o + 4, &d.tsoffset, 8);
    o += 12;
  }
  o += 4;  // opt_endofopt
  Put32(o, total);
  EndUnit(false);
  itfs_.push_back(itf);
  return static_cast<int64_t>(itfs_.size() - 1);
}

bool CaptureWriter::WriteEpb(uint32_t iface, int64_t sec, uint32_t nsec, uint32_t caplen,
                             uint32_t len, const uint8_t* data, uint32_t flags,
                             const uint8_t* comment, uint32_t commentLen, WriteError* error) {
  if (failed_) {
    *error = failure_;
    return false;
  }
  if (iface >= itfs_.size() || nsec >= 1000000000u) {
    error->code = "EINVAL";
    error->message = path_ + ": no interface " + std::to_string(iface);
    return false;
  }
  const Itf& itf = itfs_[iface];
  // ticks = (sec - tsoffset) * units + the fraction in units, exactly, or an error.
  int64_t rel;
  unsigned __int128 ticks = 0;
  bool fits = !__builtin_sub_overflow(sec, itf.desc.tsoffset, &rel) && rel >= 0;
  if (fits) {
    unsigned __int128 frac;
    if (itf.binary) {
      // the smallest tick count whose time is not before nsec: exact when units <= 1e9
      frac = ((static_cast<unsigned __int128>(nsec) << itf.exponent) + 999999999u) / 1000000000u;
    } else if (itf.exponent <= 9) {
      uint64_t div = 1;
      for (uint32_t i = itf.exponent; i < 9; i++) div *= 10;
      frac = nsec / div;
    } else {
      uint64_t mul = 1;
      for (uint32_t i = 9; i < itf.exponent; i++) mul *= 10;
      frac = static_cast<unsigned __int128>(nsec) * mul;
    }
    ticks = static_cast<unsigned __int128>(static_cast<uint64_t>(rel)) * itf.units + frac;
    fits = ticks <= ~0ull;
  }
  if (!fits) {
    error->code = "EINVAL";
    error->message = path_ + ": timestamp " + std::to_string(sec) + "." + std::to_string(nsec) +
                     " does not fit interface " + std::to_string(iface) + "'s resolution";
    return false;
  }
  if (commentLen > 65535) commentLen = 65535;
  uint32_t opts = (commentLen ? 4 + Pad4(commentLen) : 0) + (flags ? 8 : 0);
  if (opts) opts += 4;
  uint32_t total = 32 + Pad4(caplen) + opts;
  uint8_t* p = Reserve(total);
  uint64_t t = static_cast<uint64_t>(ticks);
  Put32(p, 6);
  Put32(p + 4, total);
  Put32(p + 8, iface);
  Put32(p + 12, static_cast<uint32_t>(t >> 32));
  Put32(p + 16, static_cast<uint32_t>(t));
  Put32(p + 20, caplen);
  Put32(p + 24, len);
  if (caplen) std::memcpy(p + 28, data, caplen);
  uint8_t* o = p + 28 + caplen;
  std::memset(o, 0, total - 28 - caplen);
  o = p + 28 + Pad4(caplen);
  if (commentLen) {
    Put16(o, 1);
    Put16(o + 2, static_cast<uint16_t>(commentLen));
    std::memcpy(o + 4, comment, commentLen);
    o += 4 + Pad4(commentLen);
  }
  if (flags) {
    Put16(o, 2);
    Put16(o + 2, 4);
    Put32(o + 4, flags);
    o += 8;
  }
  if (opts) o += 4;
  Put32(o, total);
  EndUnit(true);
  if (buf_.size() >= kBufferBytes) return Drain(error);
  return true;
}

bool CaptureWriter::Flush(WriteError* error) {
  if (fd_ < 0) return true;
  return Drain(error);
}

bool CaptureWriter::Close(WriteError* error) {
  if (fd_ < 0) {
    if (failed_) *error = failure_;
    return !failed_;
  }
  bool ok = Drain(error);
  if (close(fd_) != 0 && ok) {
    Fail(errno, "close failed");
    *error = failure_;
    ok = false;
  }
  fd_ = -1;
  return ok;
}

}  // namespace engine
}  // namespace pcapkit
