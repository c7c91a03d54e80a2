// The device list (pcap_findalldevs) as plain JS objects.
#pragma once
#include <napi.h>

namespace pcapkit {

// listDevices() -> [{ name, description, flags, addresses: [{ family, addr, netmask, broadaddr, dstaddr }] }]
Napi::Value ListDevices(const Napi::CallbackInfo& info);

}  // namespace pcapkit
