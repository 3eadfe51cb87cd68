// Writes one seed per message type for proto_decode_fuzz, encoded by the real encoder and joined
// with the fuzz target's frame framing. Usage: proto_corpus_gen DIR
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "proto/messages.h"
#include "tests/fuzz/fuzz_frames.h"

namespace {

using namespace zfan::proto;

WorkerInfo Worker() {
  return {.id = "w-host-123",
          .host = "host",
          .pid = 123,
          .slots = 4,
          .cores = 8,
          .version = "0.1.0",
          .heartbeat_ms = 1000};
}

std::vector<std::pair<std::string, Message>> Seeds() {
  return {
      {"hello", Hello{Worker()}},
      {"heartbeat", Heartbeat{Worker(), 7, {1, 2, 300000}}},
      {"taken", Taken{"w1", 7, {0, 1, 2}}},
      {"started", Started{"w1", 7, {5}}},
      {"result_plain", Results{"w1", 7, {{.id = 3, .result = "{\"sum\":\"42\"}", .busy_us = 900}}}},
      {"result_failure",
       Results{"w1", 7, {{.id = 4, .error = "HTTP_404", .detail = "not found", .attempts = 2}}}},
      {"result_bulk", Results{"w1",
                              7,
                              {{.id = 1, .result = "{}", .bulk = "\x89PNG\r\n", .bulk2 = "thumb"},
                               {.id = 2, .result = "{}", .bulk2 = "only-second"},
                               {.id = 5, .result = "{}", .bulk = "GIF89a"}}}},
      {"bye", Bye{"w1", 7, {8, 9}}},
      {"tasks", Tasks{7, "sum", "{\"bytes\":4}", {{0, 1, std::string("\0\1\2\3", 4)}, {1, 2, ""}}}},
      {"tasks_download",
       Tasks{9, "download", "{\"thumbnails\":true}", {{0, 1, "https://i.imgur.com/a.jpg"}}}},
      {"result_streamed", Results{"w1", 7, {{.id = 6, .result = "{}", .streamed_bytes = 1 << 21}}}},
      {"body", Body{"w1", 7, 6, 1 << 20, std::string("\xff\xd8\xff\xe0 piece", 10)}},
      {"credit_wanted", CreditWanted{"w1", 1 << 22, 0x9e3779b97f4a7c15}},
      {"credit", Credit{1 << 20, 0x9e3779b97f4a7c15}},
      {"standby", Standby{7, {"w1", "w2"}}},
      {"standing_by", StandingBy{"w2", 7, true}},
      {"stop", Stop{7}},
      {"shutdown", Shutdown{}},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, message] : Seeds()) {
    std::string path = std::string(argv[1]) + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << zfan::fuzz::JoinFrames(Encode(message));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
