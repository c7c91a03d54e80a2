// Live capture without N-API: a pcap_create/pcap_activate handle read by a capture thread of its
// own (never the libuv pool, never the JS thread). The thread fills batch blocks from an
// ArenaPool and hands each one to a LiveSink; at most `maxQueued` batches may be handed over
// and not yet acknowledged (Ack), after which the thread stops reading and the kernel ring
// absorbs (and counts, in Stats().ps_drop) what the consumer cannot keep up with.
//
// Threads: Open, SetFilter, Stats, Inject, Start, Ack and Stop are called from one owner thread
// (the JS thread, ../live.cc); the sink is called on the capture thread.
#pragma once
#include <pcap/pcap.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../batch.h"
#include "arena_pool.h"
#include "pcap_handle.h"

namespace pcapkit {
namespace engine {

struct LiveOptions {
  int snaplen = 262144;
  bool promisc = true;
  int timeoutMs = 1000;  // packet buffer timeout
  int bufferSize = 0;    // kernel buffer; 0: libpcap's default
  bool immediate = false;
  bool nano = true;  // ask for nanosecond timestamps
  bool rfmon = false;
  std::string direction;  // "in", "out", "inout" or "" (both)
  int linktype = -1;      // pcap_set_datalink; -1: the device's
  size_t batchBytes = 1 << 20;
  size_t batchPackets = 4096;
  size_t maxQueued = 8;
};

struct LiveError {
  std::string code;  // a PcapError code
  std::string message;
  int status = 0;  // libpcap's status, when the error came with one
};

// A batch handed over: `block` (blockSize bytes, from the pool) holds the header table in its
// first hdrBytes and the packet bytes after it; `count` packets.
struct LiveBatch {
  void* block;
  size_t blockSize;
  size_t hdrBytes;
  size_t count;
};

class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // The batch now belongs to the sink; false when it could not be handed on (the block then
  // goes back to the pool).
  virtual bool OnBatch(const LiveBatch& batch) = 0;
  virtual void OnError(const LiveError& error) = 0;
};

class LiveCapture {
 public:
  // The capture handle and the send handle, closed when they are destroyed (see Stop).
  struct Handles {
    PcapHandle capture;
    PcapHandle sender;
  };

  explicit LiveCapture(std::shared_ptr<ArenaPool> pool) : pool_(std::move(pool)) {}
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // Creates, configures and activates the handle. Non-fatal notes land in warnings().
  bool Open(const std::string& device, const LiveOptions& options, LiveError* error);

  const std::string& device() const { return device_; }
  int linktype() const { return linktype_; }
  int snaplen() const { return snaplen_; }
  bool nano() const { return nano_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::shared_ptr<ArenaPool>& pool() const { return pool_; }
  // The device's IPv4 network and netmask in host byte order (pcap_lookupnet); false if none.
  bool Network(uint32_t* net, uint32_t* mask) const;

  bool closed() const { return pcap_ == nullptr; }
  bool running() const { return thread_.joinable(); }

  // A bad expression fails here at once (EFILTER); while capturing, the capture thread
  // applies a good one between two reads.
  bool SetFilter(const std::string& expr, LiveError* error);
  bool Stats(pcap_stat* stats, LiveError* error);
  // Sends one frame through a second handle (pcap_t is not thread-safe); bytes sent, or -1.
  int Inject(const uint8_t* frame, size_t length, LiveError* error);

  // Starts the capture thread, which calls `sink` until Stop.
  void Start(LiveSink* sink);
  // The consumer took n batches: the capture thread may hand over n more.
  void Ack(size_t n);

  // Stops the capture thread (joined on return) and hands back the handles, for the caller
  // to close where closing may block (releasing a packet socket waits for a kernel grace
  // period). Idempotent: later calls return empty handles.
  Handles Stop();

 private:
  void Run();  // capture thread body
  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* data);
  void BeginBatch();
  void Deliver(bool force);
  void WaitForRoom();  // capture thread: blocks while maxQueued batches wait for the consumer

  PcapHandle pcap_;
  PcapHandle sendPcap_;
  std::string device_;
  int linktype_ = 0;
  int snaplen_ = 0;
  bool nano_ = true;
  std::vector<std::string> warnings_;

  std::shared_ptr<ArenaPool> pool_;
  size_t batchBytes_ = 1 << 20;
  size_t batchPackets_ = 4096;
  size_t maxQueued_ = 8;

  LiveSink* sink_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool stopped_ = false;

  // Capture-thread state for the batch being filled.
  uint8_t* block_ = nullptr;
  BatchWriter writer_{nullptr, 0, nullptr, 0};
  size_t blockSize_ = 0;

  std::mutex mutex_;  // guards everything below
  std::condition_variable cv_;
  size_t queued_ = 0;          // batches handed over but not yet acknowledged
  std::string pendingFilter_;  // applied by the capture thread between dispatches
  bool filterPending_ = false;
  std::mutex statsMutex_;  // pcap_stats vs. Stop
};

}  // namespace engine
}  // namespace pcapkit
