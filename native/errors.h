// One place that turns libpcap statuses, errno values and libpcap messages into the stable
// PcapError codes the JS API documents (ENOENT, EPERM, EFORMAT, ETRUNCATED, EFILTER, ...).
#pragma once
#include <napi.h>
#include <string>

namespace pcapkit {

// Stable code for a negative pcap_activate()/pcap_* status.
const char* CodeForPcapStatus(int status);
// Stable code for an errno value from open()/fopen()/write().
const char* CodeForErrno(int err);

// Builds a PcapError (or a plain Error with .code when the class was not registered yet).
Napi::Error MakePcapError(Napi::Env env, const std::string& code, const std::string& message,
                          int status = 0);
void ThrowPcapError(Napi::Env env, const std::string& code, const std::string& message,
                    int status = 0);

}  // namespace pcapkit
