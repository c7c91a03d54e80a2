// A BPF expression compiled once per link type present in the input (a pcapng file may hold
// several), each program as tcpdump compiles it for a savefile of that link type. A packet only
// ever meets the program of its own link type.
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "capture_reader.h"

namespace pcapkit {
namespace engine {

class FilterSet {
 public:
  FilterSet() = default;
  ~FilterSet() { Clear(); }
  FilterSet(const FilterSet&) = delete;
  FilterSet& operator=(const FilterSet&) = delete;

  // Compiles `expr` for each interface's link type known now. An expression that compiles for
  // none of them (or, with none known yet, not for Ethernet) is an error: *error gets
  // libpcap's message. A blank expression clears the set (everything passes).
  bool Set(const std::string& expr, const std::vector<Interface>& known, std::string* error);
  void Swap(FilterSet& other) {
    std::swap(expr_, other.expr_);
    std::swap(progs_, other.progs_);
    std::swap(last_, other.last_);
  }
  void Clear();
  bool empty() const { return expr_.empty(); }
  const std::string& expression() const { return expr_; }

  // True when the packet passes. A link type met for the first time is compiled here; an
  // expression that means nothing for it (e.g. 'ether host' on raw IP) matches none of its
  // packets, as with tcpdump.
  bool Matches(const PacketView& v) {
    if (expr_.empty()) return true;
    const Prog* p = Find(v.itf->linktype, v.itf->snaplen);
    if (p == nullptr || !p->ok) return false;
    return bpf_filter(p->prog.bf_insns, v.data, v.len, v.caplen) != 0;
  }

 private:
  struct Prog {
    uint32_t linktype;
    bool ok;
    bpf_program prog;
  };
  const Prog* Find(uint32_t linktype, uint32_t snaplen) {
    if (last_ < progs_.size() && progs_[last_].linktype == linktype) return &progs_[last_];
    for (size_t i = 0; i < progs_.size(); i++) {
      if (progs_[i].linktype == linktype) {
        last_ = i;
        return &progs_[i];
      }
    }
    return Add(linktype, snaplen, nullptr);
  }
  const Prog* Add(uint32_t linktype, uint32_t snaplen, std::string* error);

  std::string expr_;
  std::vector<Prog> progs_;
  size_t last_ = 0;
};

}  // namespace engine
}  // namespace pcapkit
