// An owned pcap_t: every handle pcapkit opens (live, sender, dead, savefile) is held in a
// PcapHandle and closed by its deleter, the one place that calls pcap_close.
#pragma once
#include <pcap/pcap.h>

#include <memory>

namespace pcapkit {
namespace engine {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }  // (unique_ptr never passes nullptr)
};

using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

}  // namespace engine
}  // namespace pcapkit
