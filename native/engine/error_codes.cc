#include "error_codes.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstring>

namespace pcapkit {
namespace engine {

namespace {

struct ErrnoCode {
  int err;
  const char* code;
};

// The errno values with a code of their own; every other one is "EIO".
constexpr ErrnoCode kErrnoCodes[] = {
    {ENOENT, "ENOENT"},     {ENOTDIR, "ENOENT"},  {EACCES, "EPERM"},    {EPERM, "EPERM"},
    {EROFS, "EPERM"},       {EISDIR, "EINVAL"},   {EINVAL, "EINVAL"},   {ENOSPC, "ENOSPC"},
    {EDQUOT, "ENOSPC"},     {EFBIG, "ENOSPC"},    {ENODEV, "ENODEV"},   {ENXIO, "ENODEV"},
    {ENETDOWN, "ENETDOWN"}, {EMSGSIZE, "EMSGSIZE"}, {EOPNOTSUPP, "ENOTSUP"}, {ENOMEM, "ENOMEM"},
    // the byte source's words for damaged and cut compressed input (a gzip capture)
    {EBADMSG, "EFORMAT"},   {ENODATA, "ETRUNCATED"},
};

struct PhraseCode {
  const char* phrase;
  const char* code;
};

// libpcap's own words (pcap-linux.c) for failures it reports without a status.
constexpr PhraseCode kPhrases[] = {
    {"The interface went down", "ENETDOWN"},
    {"The interface disappeared", "ENETDOWN"},
    {"Sending packets isn't supported on the \"any\" device", "ENOTSUP"},
    {"Sending packets isn't supported in cooked mode", "ENOTSUP"},
};

}  // namespace

const char* CodeForPcapStatus(int status) {
  switch (status) {
    case PCAP_ERROR_BREAK: return "ECLOSED";
    case PCAP_ERROR_NOT_ACTIVATED: return "EINVAL";
    case PCAP_ERROR_ACTIVATED: return "EINVAL";
    case PCAP_ERROR_NO_SUCH_DEVICE: return "ENODEV";
    case PCAP_ERROR_RFMON_NOTSUP: return "ENOTSUP";
    case PCAP_ERROR_NOT_RFMON: return "ENOTSUP";
    case PCAP_ERROR_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_IFACE_NOT_UP: return "ENETDOWN";
    case PCAP_ERROR_CANTSET_TSTAMP_TYPE: return "ENOTSUP";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: return "ENOTSUP";
#ifdef PCAP_ERROR_CAPTURE_NOTSUP
    case PCAP_ERROR_CAPTURE_NOTSUP: return "ENOTSUP";
#endif
    default: return "EPCAP";
  }
}

const char* CodeForErrno(int err) {
  for (const ErrnoCode& e : kErrnoCodes) {
    if (e.err == err) return e.code;
  }
  return "EIO";
}

const char* CodeForPcapMessage(const std::string& message) {
  for (const PhraseCode& p : kPhrases) {
    if (message == p.phrase) return p.code;
  }
  size_t colon = message.rfind(": ");
  if (colon == std::string::npos || colon == 0) return nullptr;
  const char* tail = message.c_str() + colon + 2;
  for (const ErrnoCode& e : kErrnoCodes) {
    char buf[128];
    // The GNU strerror_r (thread-safe): the very text libpcap put after "<what>: ".
    const char* text = strerror_r(e.err, buf, sizeof buf);
    if (std::strcmp(tail, text) == 0) return e.code;
  }
  return nullptr;
}

}  // namespace engine
}  // namespace pcapkit
