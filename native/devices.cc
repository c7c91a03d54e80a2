#include "devices.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include "errors.h"

namespace pcapkit {

namespace {

// Only IPv4 and IPv6 are reported: link-layer addresses differ per platform and libpcap
// leaves them out on some.
Napi::Value AddressString(Napi::Env env, const sockaddr* sa) {
  if (sa == nullptr) return env.Null();
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  } else {
    return env.Null();
  }
  return Napi::String::New(env, buf);
}

}  // namespace

Napi::Value ListDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pcap_if_t* all = nullptr;
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  if (pcap_findalldevs(&all, errbuf) != 0) {
    ThrowPcapError(env, "EPCAP", errbuf);
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (pcap_if_t* d = all; d != nullptr; d = d->next) {
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("name", d->name ? d->name : "");
    dev.Set("description", d->description ? Napi::Value(Napi::String::New(env, d->description))
                                          : env.Null());
    dev.Set("flags", Napi::Number::New(env, d->flags));
    Napi::Array addrs = Napi::Array::New(env);
    uint32_t j = 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      if (a->addr == nullptr || (a->addr->sa_family != AF_INET && a->addr->sa_family != AF_INET6))
        continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("family", a->addr->sa_family == AF_INET ? "IPv4" : "IPv6");
      o.Set("addr", AddressString(env, a->addr));
      o.Set("netmask", AddressString(env, a->netmask));
      o.Set("broadaddr", AddressString(env, a->broadaddr));
      o.Set("dstaddr", AddressString(env, a->dstaddr));
      addrs.Set(j++, o);
    }
    dev.Set("addresses", addrs);
    out.Set(i++, dev);
  }
  pcap_freealldevs(all);
  return out;
}

}  // namespace pcapkit
