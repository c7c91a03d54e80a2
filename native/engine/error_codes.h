// The one classifier from what libpcap and the kernel report to the stable PcapError codes that
// lib/errors.ts documents (ENOENT, EPERM, ENODEV, ENETDOWN, ENOMEM, ...). Plain C++ (no N-API):
// the engine's reader and writer use it as well as the N-API classes (through ../errors.h).
// Every native place that turns a status, an errno value or a libpcap message into a code calls
// one of these three; nothing else looks at message text.
#pragma once
#include <string>

namespace pcapkit {
namespace engine {

// A negative pcap_activate()/pcap_* status (PCAP_ERROR_* constants). PCAP_ERROR itself, which
// says nothing more than "an error", is "EPCAP".
const char* CodeForPcapStatus(int status);

// An errno value from open(), read(), write(), send(), malloc()...; "EIO" for the others.
const char* CodeForErrno(int err);

// For the libpcap failures that carry no status (pcap_inject, pcap_dispatch, pcap_create return
// only -1 or NULL): the code of `message` as libpcap wrote it (no device prefix added), or
// nullptr when it is none of these, exactly:
//   - "The interface went down", "The interface disappeared"                     -> ENETDOWN
//   - "Sending packets isn't supported on the \"any\" device",
//     "Sending packets isn't supported in cooked mode"                           -> ENOTSUP
//   - "<what>: <strerror(e)>", the whole text after the last ": " being the C library's message
//     for an errno value e that CodeForErrno classifies (ENODEV, EMSGSIZE, ENETDOWN, EPERM,
//     ENOMEM, EINVAL, ...): libpcap's pcap_fmt_errmsg_for_errno form    -> CodeForErrno(e)
// Whole phrases only: "unknown", "Unknown error 512" or "The interface went down." match none.
const char* CodeForPcapMessage(const std::string& message);

}  // namespace engine
}  // namespace pcapkit
