{
  "targets": [
    {
      "target_name": "pcapkit",
      "sources": [
        "native/addon.cc",
        "native/arena.cc",
        "native/errors.cc",
        "native/offline.cc",
        "native/engine/arena_pool.cc",
        "native/engine/byte_source.cc",
        "native/engine/capture_reader.cc",
        "native/engine/capture_writer.cc",
        "native/engine/compiled_filter.cc",
        "native/engine/error_codes.cc",
        "native/engine/file_copy.cc",
        "native/engine/filter_set.cc",
        "native/engine/link_context.cc",
        "native/engine/live_capture.cc",
        "native/bpf.cc",
        "native/devices.cc",
        "native/dumper.cc",
        "native/filter_file.cc",
        "native/merge_job.cc",
        "native/engine/merge.cc",
        "native/live.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        # A completion callback that runs while its worker thread is being terminated cannot
        # create JS values; without this, node-addon-api aborts the whole process there.
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["<!@(pcap-config --libs 2>/dev/null || echo -lpcap)"],
      "cflags": ["<!@(pcap-config --cflags 2>/dev/null || true)"]
    }
  ]
}
