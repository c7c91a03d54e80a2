// libFuzzer target for the capture-file engine: the very code the addon ships (engine/*.cc),
// not a copy. Each input is read as a capture file from a memfd (so the byte source is the real
// descriptor path), through a BPF filter set, and copied to pcap and pcapng writers.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../engine/byte_source.h"
#include "../engine/capture_reader.h"
#include "../engine/capture_writer.h"
#include "../engine/file_copy.h"
#include "../engine/filter_set.h"

using namespace pcapkit::engine;

namespace {

void ReadOnce(const uint8_t* data, size_t size, size_t arenaSize, bool nano, bool pcapng) {
  int fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (fd < 0) return;
  if (size && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return;
  }
  lseek(fd, 0, SEEK_SET);
  ByteSource src;
  src.Adopt(fd, static_cast<int64_t>(size));
  CaptureReader reader(&src);
  ReadError error;
  if (reader.Open(nano, &error) != CaptureReader::kMore) return;
  // One filter set for the whole run: each link type is compiled once (as a long-lived reader
  // would), so the fuzzer spends its time in the reader, not in pcap_compile.
  static FilterSet filter;
  static bool set = [] {
    std::string why;
    return filter.Set("tcp or udp port 53", {}, &why);
  }();
  (void)set;
  CaptureWriter writer;
  WriteError we;
  if (!writer.Open("/dev/null", false, &we)) return;
  PacketCopier copier(&reader, &writer,
                      pcapng ? CaptureWriter::Kind::kPcapng : CaptureWriter::Kind::kPcap, nano);
  if (!copier.Prepare(&we) || !copier.Begin(&we)) return;
  std::vector<uint8_t> arena(arenaSize);
  uint64_t sum = 0;
  for (int rounds = 0; rounds < 100000; rounds++) {
    FillResult r;
    CaptureReader::Status s = reader.Fill(
        arena.data(), arena.size(), 64,
        [&](const PacketView& v) {
          // Touch every byte handed out: ASan checks they lie inside the arena.
          for (uint32_t i = 0; i < v.caplen; i++) sum += v.data[i];
          if (v.comment != nullptr) sum += v.comment[v.commentLen ? v.commentLen - 1 : 0];
          if (filter.Matches(v)) copier.Write(v, &we);
          return true;
        },
        &r, &error);
    if (r.needBytes) {
      if (r.needBytes > (64u << 20)) break;
      arena.resize(r.needBytes);
      continue;
    }
    if (s != CaptureReader::kMore) break;
  }
  writer.Close(&we);
  if (sum == 0xdeadbeef) write(2, "", 0);  // keep the reads
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One pass per input, its parameters from the input's last byte (so the fuzzer explores
  // them too): a small arena (records cut by the arena's end) or a large one, micro or nano,
  // pcap or pcapng output.
  uint8_t k = size ? data[size - 1] : 0;
  ReadOnce(data, size, (k & 1) ? 4096 : (1 << 16), (k & 2) != 0, (k & 4) != 0);
  return 0;
}
