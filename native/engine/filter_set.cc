#include "filter_set.h"

#include "link_context.h"

namespace pcapkit {
namespace engine {

void FilterSet::Clear() {
  for (Prog& p : progs_) {
    if (p.ok) pcap_freecode(&p.prog);
  }
  progs_.clear();
  expr_.clear();
  last_ = 0;
}

const FilterSet::Prog* FilterSet::Add(uint32_t linktype, uint32_t snaplen, std::string* error) {
  // Programs are few (one per link type); a hostile file with thousands of link types gets
  // no match for the ones past the bound rather than unbounded memory.
  if (progs_.size() >= 256) return nullptr;
  Prog p{linktype, false, bpf_program{}};
  LinkContext ctx(linktype, snaplen, false);
  std::string why;
  if (ctx.ok()) {
    p.ok = ctx.Compile(expr_, &p.prog, &why);
  } else {
    why = ctx.error();
  }
  if (!p.ok && error != nullptr) *error = why;
  progs_.push_back(p);
  last_ = progs_.size() - 1;
  return &progs_.back();
}

bool FilterSet::Set(const std::string& expr, const std::vector<Interface>& known,
                    std::string* error) {
  Clear();
  if (expr.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  expr_ = expr;
  bool any = false;
  std::string first;
  if (known.empty()) {
    // Nothing to compile for yet: check the expression against Ethernet, keep nothing.
    LinkContext ctx(1, 262144, false);
    bpf_program prog{};
    if (!ctx.ok() || !ctx.Compile(expr_, &prog, &first)) {
      if (!ctx.ok()) first = ctx.error();
      expr_.clear();
      *error = first;
      return false;
    }
    pcap_freecode(&prog);
    return true;
  }
  for (const Interface& itf : known) {
    bool have = false;
    for (const Prog& p : progs_) have = have || p.linktype == itf.linktype;
    if (have) continue;
    std::string why;
    const Prog* p = Add(itf.linktype, itf.snaplen, &why);
    if (p != nullptr && p->ok) any = true;
    if (first.empty() && !why.empty()) first = why;
  }
  if (!any) {
    *error = first;
    Clear();
    return false;
  }
  return true;
}

}  // namespace engine
}  // namespace pcapkit
