// Writing savefiles with libpcap's own dumper, so output is byte for byte what tcpdump -w
// writes. Files are created 0600: captures hold secrets.
#pragma once
#include <napi.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <string>

namespace pcapkit {

struct DumpTarget {
  pcap_t* dead = nullptr;
  pcap_dumper_t* dumper = nullptr;
  std::string code;
  std::string message;
};

// Opens `path` ("-" = standard output) for writing a pcap savefile with the link type,
// snaplen and precision of `source` (a dead or a real handle). append=true keeps existing
// records (libpcap checks that link type, snaplen and precision match).
DumpTarget OpenDumpTarget(pcap_t* source, const std::string& path, bool append);

// Checks the stdio stream behind a dumper; fills code/message with the errno when it failed.
bool DumperHealthy(pcap_dumper_t* d, std::string* code, std::string* message);

class Dumper : public Napi::ObjectWrap<Dumper> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Dumper(const Napi::CallbackInfo& info);
  ~Dumper() override;

 private:
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Position(const Napi::CallbackInfo& info);
  void Release();

  std::string path_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  bool nano_ = false;
};

}  // namespace pcapkit
