// Wire messages (proto/): every message type round-trips, and hostile frames give a non-ok
// Result — never an exception, a crash or an unbounded allocation.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "proto/limits.h"
#include "proto/messages.h"

using namespace zfan::proto;
using zfan::ErrorCode;

namespace {

WorkerInfo SampleWorker() {
  WorkerInfo w;
  w.id = "worker-7f3a";
  w.host = "node17.cluster";
  w.pid = 4242;
  w.slots = 8;
  w.cores = 64;
  w.version = "0.3.1";
  w.heartbeat_ms = 250;
  return w;
}

void CheckWorker(const WorkerInfo& got, const WorkerInfo& want) {
  CHECK(got.id == want.id);
  CHECK(got.host == want.host);
  CHECK(got.pid == want.pid);
  CHECK(got.slots == want.slots);
  CHECK(got.cores == want.cores);
  CHECK(got.version == want.version);
  CHECK(got.heartbeat_ms == want.heartbeat_ms);
}

// Encodes, decodes, and returns the decoded alternative (failing the test if anything is off).
template <class T>
T RoundTrip(const T& msg) {
  Frames frames = Encode(Message{msg});
  auto decoded = Decode(frames);
  INFO("decode status: " << decoded.status().message());
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

// A hostile input must come back as a protocol error; CHECK_NOTHROW catches a throw.
void ExpectRejected(const Frames& frames, const DecodeLimits& limits = DefaultLimits()) {
  zfan::Status status;
  CHECK_NOTHROW(status = Decode(frames, limits).status());
  CHECK_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kProtocol);
  CHECK_FALSE(status.message().empty());
}

// Raw msgpack building blocks for hand-made hostile envelopes.
std::string U8(uint8_t b) { return std::string(1, static_cast<char>(b)); }
std::string Fixarray(uint8_t n) { return U8(0x90 | n); }
std::string Fixint(uint8_t v) { return U8(v); }  // v < 128
std::string Fixstr(const std::string& s) { return U8(0xa0 | s.size()) + s; }
std::string Version() { return Fixint(zfan::proto::kProtocolVersion); }

Results SampleResults() {
  Results r;
  r.worker_id = "w1";
  r.job_id = 1ull << 40;
  ResultItem plain;
  plain.id = 0;
  plain.result = R"({"count":25})";
  plain.attempts = 1;
  plain.busy_us = 12345;
  ResultItem failed;
  failed.id = 1;
  failed.error = "HTTP_404";
  failed.detail = "GET https://i.imgur.com/x.png: 404 Not Found";
  failed.attempts = 3;
  failed.busy_us = 99;
  ResultItem image;
  image.id = UINT64_MAX;
  image.result = R"({"name":"x.png"})";
  image.bulk = std::string("\x89PNG\r\n\x1a\n\0\0\0", 11);
  image.bulk2 = std::string("thumb\0bytes", 11);
  image.attempts = 2;
  image.busy_us = UINT64_MAX;
  ResultItem thumb_only;
  thumb_only.id = 3;
  thumb_only.bulk2 = "only the second frame";
  r.items = {plain, failed, image, thumb_only};
  return r;
}

// Every field of every item, bulk frames included.
void CheckSameResults(const Results& got, const Results& want) {
  CHECK(got.worker_id == want.worker_id);
  CHECK(got.job_id == want.job_id);
  REQUIRE(got.items.size() == want.items.size());
  for (size_t i = 0; i < want.items.size(); ++i) {
    INFO("item " << i);
    CHECK(got.items[i].id == want.items[i].id);
    CHECK(got.items[i].error == want.items[i].error);
    CHECK(got.items[i].detail == want.items[i].detail);
    CHECK(got.items[i].result == want.items[i].result);
    CHECK(got.items[i].attempts == want.items[i].attempts);
    CHECK(got.items[i].busy_us == want.items[i].busy_us);
    CHECK(got.items[i].bulk == want.items[i].bulk);
    CHECK(got.items[i].bulk2 == want.items[i].bulk2);
  }
}

}  // namespace

TEST_CASE("a HELLO round-trips with every worker field", "[proto]") {
  Hello m{SampleWorker()};
  CheckWorker(RoundTrip(m).worker, m.worker);
}

TEST_CASE("a HELLO from a worker with auto slots keeps slots at zero", "[proto]") {
  Hello m{SampleWorker()};
  m.worker.slots = 0;
  m.worker.host = "";
  CHECK(RoundTrip(m).worker.slots == 0);
  CHECK(RoundTrip(m).worker.host.empty());
}

TEST_CASE("a HEARTBEAT round-trips with its job and held ids", "[proto]") {
  Heartbeat m{SampleWorker()};
  m.job_id = 17;
  m.held = {0, 5, 1ull << 33, UINT64_MAX};
  auto got = RoundTrip(m);
  CheckWorker(got.worker, m.worker);
  CHECK(got.job_id == 17);
  CHECK(got.held == m.held);
}

TEST_CASE("a HEARTBEAT holding nothing round-trips with an empty id list", "[proto]") {
  Heartbeat m{SampleWorker()};
  auto got = RoundTrip(m);
  CHECK(got.job_id == 0);
  CHECK(got.held.empty());
}

TEST_CASE("a TAKEN round-trips with worker, job and ids", "[proto]") {
  Taken m{"w-taken", 3, {9, 8, 7, 1000000}};
  auto got = RoundTrip(m);
  CHECK(got.worker_id == "w-taken");
  CHECK(got.job_id == 3);
  CHECK(got.ids == m.ids);
  CHECK(Encode(m).size() == 1);
}

TEST_CASE("a STARTED round-trips with worker, job and ids", "[proto]") {
  Started m{"w-started", UINT64_MAX, {42}};
  auto got = RoundTrip(m);
  CHECK(got.worker_id == "w-started");
  CHECK(got.job_id == UINT64_MAX);
  CHECK(got.ids == std::vector<uint64_t>{42});
}

TEST_CASE("a RESULT without bulk frames is a single frame and round-trips", "[proto]") {
  Results m;
  m.worker_id = "w2";
  m.job_id = 5;
  ResultItem a;
  a.id = 10;
  a.result = "{}";
  ResultItem b;
  b.id = 11;
  b.error = "TIMEOUT";
  b.detail = "took longer than 30 s";
  b.attempts = 4;
  b.busy_us = 30000000;
  m.items = {a, b};
  REQUIRE(Encode(m).size() == 1);
  auto got = RoundTrip(m);
  CHECK(got.worker_id == "w2");
  CHECK(got.job_id == 5);
  REQUIRE(got.items.size() == 2);
  CHECK(got.items[0].id == 10);
  CHECK(got.items[0].error.empty());
  CHECK(got.items[0].result == "{}");
  CHECK(got.items[0].attempts == 1);
  CHECK(got.items[1].id == 11);
  CHECK(got.items[1].error == "TIMEOUT");
  CHECK(got.items[1].detail == "took longer than 30 s");
  CHECK(got.items[1].attempts == 4);
  CHECK(got.items[1].busy_us == 30000000);
  CHECK(got.items[1].bulk.empty());
  CHECK(got.items[1].bulk2.empty());
}

TEST_CASE("a RESULT with bulk and bulk2 frames carries them as raw frames in item order",
          "[proto]") {
  Results m = SampleResults();
  Frames frames = Encode(m);
  REQUIRE(frames.size() == 4);
  CHECK(frames[1] == m.items[2].bulk);
  CHECK(frames[2] == m.items[2].bulk2);
  CHECK(frames[3] == m.items[3].bulk2);

  CheckSameResults(RoundTrip(m), m);
}

TEST_CASE("a RESULT with no items round-trips", "[proto]") {
  Results m;
  m.worker_id = "idle";
  CHECK(RoundTrip(m).items.empty());
}

TEST_CASE("a BYE round-trips with the handed-back ids", "[proto]") {
  Bye m{"leaving", 8, {3, 1, 2}};
  auto got = RoundTrip(m);
  CHECK(got.worker_id == "leaving");
  CHECK(got.job_id == 8);
  CHECK(got.handed_back == m.handed_back);
}

TEST_CASE("a TASKS batch round-trips binary payloads with NUL and high bytes", "[proto]") {
  Tasks m;
  m.job_id = 99;
  m.job_name = "sum";
  m.params_json = R"({"n":1000000,"chunk":1000})";
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  m.items = {
      TaskItem{0, 1, std::string("\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\0", 16)},
      TaskItem{1, 3, all_bytes},
      TaskItem{UINT64_MAX, UINT32_MAX, ""},
      TaskItem{7, 2, std::string(100000, '\0')},
  };
  auto got = RoundTrip(m);
  CHECK(got.job_id == 99);
  CHECK(got.job_name == "sum");
  CHECK(got.params_json == m.params_json);
  REQUIRE(got.items.size() == m.items.size());
  for (size_t i = 0; i < m.items.size(); ++i) {
    INFO("item " << i);
    CHECK(got.items[i].id == m.items[i].id);
    CHECK(got.items[i].attempt == m.items[i].attempt);
    CHECK(got.items[i].payload == m.items[i].payload);
  }
}

TEST_CASE("a STOP round-trips its job id", "[proto]") {
  CHECK(RoundTrip(Stop{123456789}).job_id == 123456789);
}

TEST_CASE("a SHUTDOWN round-trips", "[proto]") {
  Shutdown m;
  (void)RoundTrip(m);
  CHECK(Encode(m).size() == 1);
}

TEST_CASE("a RESULT item of a streamed body carries its byte count and no bulk frame", "[proto]") {
  Results m{"w", 9, {}};
  m.items.push_back({.id = 4, .result = "{}", .streamed_bytes = 3'000'000'000ull});
  const Frames frames = Encode(m);
  CHECK(frames.size() == 1);
  auto got = RoundTrip(m);
  REQUIRE(got.items.size() == 1);
  CHECK(got.items[0].streamed_bytes == 3'000'000'000ull);
  CHECK(got.items[0].bulk.empty());
}

TEST_CASE("a BODY piece round-trips as one raw frame after its envelope", "[proto]") {
  const std::string piece("\x00\xff piece \x01", 10);
  Body m{"worker-1", 77, 5, 1u << 20, piece};
  const Frames frames = Encode(m);
  REQUIRE(frames.size() == 2);
  CHECK(frames[1] == piece);
  auto got = RoundTrip(m);
  CHECK(got.worker_id == "worker-1");
  CHECK(got.job_id == 77);
  CHECK(got.task_id == 5);
  CHECK(got.offset == 1u << 20);
  CHECK(got.piece == piece);
}

TEST_CASE("a BODY without its piece, or with an empty one, is rejected", "[proto][hostile]") {
  Frames frames = Encode(Body{"w", 1, 2, 0, "x"});
  CHECK_FALSE(Decode(Frames{frames[0]}).ok());
  CHECK_FALSE(Decode(Frames{frames[0], ""}).ok());
  CHECK_FALSE(Decode(Frames{frames[0], "x", "y"}).ok());
}

TEST_CASE("CREDIT_WANTED and CREDIT round-trip their byte counts and epochs", "[proto]") {
  auto wanted = RoundTrip(CreditWanted{"w9", 12345, UINT64_MAX});
  CHECK(wanted.worker_id == "w9");
  CHECK(wanted.bytes == 12345);
  CHECK(wanted.epoch == UINT64_MAX);
  auto credit = RoundTrip(Credit{1u << 20, 7});
  CHECK(credit.bytes == 1u << 20);
  CHECK(credit.epoch == 7);
}

TEST_CASE("a CREDIT or CREDIT_WANTED without its epoch is rejected", "[proto][hostile]") {
  const std::string version = Version();
  ExpectRejected(
      {Fixarray(3) + version + Fixint(static_cast<uint8_t>(MsgType::kCredit)) + Fixint(5)});
  ExpectRejected({Fixarray(4) + version + Fixint(static_cast<uint8_t>(MsgType::kCreditWanted)) +
                  Fixstr("w1") + Fixint(5)});
  CHECK(Decode(Frames{Fixarray(4) + version + Fixint(static_cast<uint8_t>(MsgType::kCredit)) +
                      Fixint(5) + Fixint(1)})
            .ok());
}

TEST_CASE("every message type has a name", "[proto]") {
  CHECK(std::string(MsgTypeName(MsgType::kHello)) == "HELLO");
  CHECK(std::string(MsgTypeName(MsgType::kResult)) == "RESULT");
  CHECK(std::string(MsgTypeName(MsgType::kStarted)) == "STARTED");
  CHECK(std::string(MsgTypeName(MsgType::kShutdown)) == "SHUTDOWN");
  CHECK(std::string(MsgTypeName(MsgType::kBody)) == "BODY");
  CHECK(std::string(MsgTypeName(MsgType::kCredit)) == "CREDIT");
}

TEST_CASE("an empty frame list is rejected", "[proto][hostile]") { ExpectRejected({}); }

TEST_CASE("an empty first frame is rejected", "[proto][hostile]") {
  ExpectRejected({""});
  ExpectRejected({"", "bulk"});
}

TEST_CASE("a different protocol version is rejected with a message naming the version",
          "[proto][hostile]") {
  for (uint8_t version : {0, 1, 127}) {  // 1: before credit epochs
    Frames frames{Fixarray(2) + Fixint(version) + Fixint(static_cast<uint8_t>(MsgType::kShutdown))};
    auto r = Decode(frames);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kProtocol);
    CHECK_THAT(r.status().message(), Catch::Contains("version"));
    CHECK_THAT(r.status().message(), Catch::Contains(std::to_string(version)));
  }
  // Sanity: the same envelope with version 1 is a valid SHUTDOWN.
  CHECK(Decode(Frames{Fixarray(2) + Version() + Fixint(8)}).ok());
}

TEST_CASE("an unknown message type is rejected", "[proto][hostile]") {
  for (uint8_t type : {0, 10, 100, 127}) {
    INFO("type " << int(type));
    ExpectRejected({Fixarray(2) + Version() + Fixint(type)});
  }
}

TEST_CASE("a message type above 255 is not truncated into a valid type", "[proto][hostile]") {
  // 0xcd = uint16: 257 would wrap to 1 (HELLO) and 264 to 8 (SHUTDOWN) if cast to a byte.
  ExpectRejected({Fixarray(2) + Version() + U8(0xcd) + U8(0x01) + U8(0x08)});
  Hello hello{SampleWorker()};
  std::string body = Encode(hello)[0].substr(3);  // the worker array after [1, 1]
  ExpectRejected({Fixarray(3) + Version() + U8(0xcd) + U8(0x01) + U8(0x01) + body});
}

TEST_CASE("an envelope that is not an array, or is too short, is rejected", "[proto][hostile]") {
  ExpectRejected({Fixint(1)});
  ExpectRejected({Fixstr("hello")});
  ExpectRejected({U8(0x80)});  // empty map
  ExpectRejected({Fixarray(0)});
  ExpectRejected({Fixarray(1) + Fixint(1)});
  ExpectRejected({U8(0xc0)});  // nil
}

TEST_CASE("fields of the wrong type are rejected", "[proto][hostile]") {
  // STOP with a string job id, a negative job id, and missing job id.
  ExpectRejected({Fixarray(3) + Version() + Fixint(7) + Fixstr("12")});
  ExpectRejected({Fixarray(3) + Version() + Fixint(7) + U8(0xff)});  // -1
  ExpectRejected({Fixarray(2) + Version() + Fixint(7)});
  // HELLO whose worker info is an integer, and whose worker id is empty.
  ExpectRejected({Fixarray(3) + Version() + Fixint(1) + Fixint(5)});
  Hello empty_id{SampleWorker()};
  empty_id.worker.id = "";
  ExpectRejected(Encode(empty_id));
  // A 32-bit field (pid) holding 2^32.
  std::string w = Fixarray(7) + Fixstr("w") + Fixstr("h") + U8(0xcf) +
                  std::string("\0\0\0\x01\0\0\0\0", 8) + Version() + Fixint(1) + Fixstr("v") +
                  Fixint(1);
  ExpectRejected({Fixarray(3) + Version() + Fixint(1) + w});
}

TEST_CASE("an array header claiming 2^32-1 elements in a few bytes is rejected",
          "[proto][hostile]") {
  std::string huge_array = U8(0xdd) + std::string(4, '\xff');
  ExpectRejected({huge_array});
  ExpectRejected({huge_array + Version() + Fixint(6)});
  // The same claim nested where the TASKS item list goes.
  ExpectRejected({Fixarray(6) + Version() + Fixint(6) + Fixint(1) + Fixstr("sum") + Fixstr("{}") +
                  huge_array});
  // And a map claiming 2^32-1 pairs.
  ExpectRejected({U8(0xdf) + std::string(4, '\xff')});
}

TEST_CASE("a str or bin header claiming 4 GB in a few bytes is rejected", "[proto][hostile]") {
  std::string huge_str = U8(0xdb) + std::string(4, '\xff') + "abc";
  std::string huge_bin = U8(0xc6) + std::string(4, '\xff') + "abc";
  ExpectRejected({huge_str});
  ExpectRejected({Fixarray(3) + Version() + Fixint(3) + huge_str});
  ExpectRejected({Fixarray(3) + Version() + Fixint(3) + huge_bin});
  ExpectRejected({U8(0xc9) + std::string(4, '\xff') + "x"});  // ext 32
}

TEST_CASE("nesting deeper than the limit is rejected", "[proto][hostile]") {
  std::string nested;
  for (int i = 0; i < 64; ++i) nested += Fixarray(1);
  nested += Fixint(1);
  ExpectRejected({nested});
  // Exactly max_depth + 1 levels inside a message-shaped envelope.
  DecodeLimits limits;
  std::string deep = Fixint(0);
  for (size_t i = 0; i < limits.max_depth; ++i) deep = Fixarray(1) + deep;
  ExpectRejected({Fixarray(3) + Version() + Fixint(7) + deep}, limits);
  // A million levels must not overflow the stack either.
  std::string very_deep(1000000, static_cast<char>(0x91));
  ExpectRejected({very_deep + Fixint(1)});
}

TEST_CASE("trailing bytes after the envelope are rejected", "[proto][hostile]") {
  Frames frames = Encode(Stop{3});
  frames[0] += Fixint(0);
  ExpectRejected(frames);
  frames = Encode(Shutdown{});
  frames[0] += Encode(Shutdown{})[0];
  ExpectRejected(frames);
}

TEST_CASE("a RESULT whose bulk flag promises a missing frame is rejected", "[proto][hostile]") {
  Frames frames = Encode(SampleResults());
  REQUIRE(frames.size() == 4);
  for (size_t keep = 1; keep < frames.size(); ++keep) {
    INFO("frames kept: " << keep);
    ExpectRejected(Frames(frames.begin(), frames.begin() + keep));
  }
}

TEST_CASE("a RESULT with more frames than its bulk flags promise is rejected", "[proto][hostile]") {
  Frames frames = Encode(SampleResults());
  frames.push_back("surplus");
  ExpectRejected(frames);
  Results plain;
  plain.worker_id = "w";
  plain.items.resize(1);
  frames = Encode(plain);
  frames.push_back("surplus");
  ExpectRejected(frames);
}

TEST_CASE("extra frames on a message other than RESULT are rejected", "[proto][hostile]") {
  std::vector<Message> messages = {Hello{SampleWorker()},
                                   Heartbeat{SampleWorker(), 1, {1}},
                                   Taken{"w", 1, {1}},
                                   Started{"w", 1, {1}},
                                   Bye{"w", 1, {1}},
                                   Tasks{1, "sum", "{}", {TaskItem{1, 1, "x"}}},
                                   Stop{1},
                                   Shutdown{}};
  for (const auto& m : messages) {
    Frames frames = Encode(m);
    REQUIRE(Decode(frames).ok());
    frames.push_back("extra");
    INFO("message index " << m.index());
    ExpectRejected(frames);
    frames.back().clear();  // an empty extra frame counts too
    ExpectRejected(frames);
  }
}

TEST_CASE("a TASKS batch with more items than max_array is rejected", "[proto][hostile]") {
  DecodeLimits limits;
  limits.max_array = 16;
  Tasks m{4, "primes", "{}", {}};
  for (uint64_t i = 0; i < 16; ++i) m.items.push_back({i, 1, "p"});
  CHECK(Decode(Encode(m), limits).ok());
  m.items.push_back({16, 1, "p"});
  ExpectRejected(Encode(m), limits);
}

TEST_CASE("a frame larger than max_frame_bytes is rejected", "[proto][hostile]") {
  DecodeLimits limits;
  limits.max_frame_bytes = 64;
  Tasks m{1, "sum", "{}", {TaskItem{0, 1, std::string(40, 'x')}}};
  REQUIRE(Encode(m)[0].size() <= 64);
  CHECK(Decode(Encode(m), limits).ok());
  m.items[0].payload = std::string(80, 'x');
  ExpectRejected(Encode(m), limits);
  // A bulk frame over the limit counts as well.
  Results r;
  r.worker_id = "w";
  r.items.resize(1);
  r.items[0].bulk = std::string(65, 'b');
  ExpectRejected(Encode(r), limits);
}

TEST_CASE("more frames than max_frames are rejected", "[proto][hostile]") {
  DecodeLimits limits;
  limits.max_frames = 3;
  Results r = SampleResults();  // 4 frames
  ExpectRejected(Encode(r), limits);
}

TEST_CASE("a string longer than max_str is rejected", "[proto][hostile]") {
  DecodeLimits limits;
  limits.max_str = 8;
  Taken ok{"12345678", 1, {}};
  CHECK(Decode(Encode(ok), limits).ok());
  Taken too_long{"123456789", 1, {}};
  ExpectRejected(Encode(too_long), limits);
}

TEST_CASE("20000 random buffers never decode into a crash or an exception", "[proto][fuzz]") {
  std::mt19937_64 rng(0x5eed2fa9);
  std::uniform_int_distribution<int> length(0, 256);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> frame_count(1, 3);
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    Frames frames(frame_count(rng));
    for (auto& frame : frames) {
      frame.resize(length(rng));
      for (auto& c : frame) c = static_cast<char>(byte(rng));
    }
    // Half the time, start with a plausible envelope so the decoder gets past the first checks.
    if (round % 2 == 0) {
      frames[0] = Fixarray(static_cast<uint8_t>(2 + round % 5)) + Version() +
                  Fixint(static_cast<uint8_t>(1 + round % 9)) + frames[0];
    }
    bool ok = false;
    REQUIRE_NOTHROW(ok = Decode(frames).ok());
    accepted += ok;
  }
  // Random bytes essentially never form a whole valid message.
  CHECK(accepted < 200);
}

TEST_CASE("mutated valid encodings never decode into a crash or an exception", "[proto][fuzz]") {
  std::vector<Message> seeds = {Hello{SampleWorker()},
                                Heartbeat{SampleWorker(), 2, {1, 2, 3}},
                                Taken{"w", 1, {4, 5}},
                                Started{"w", 1, {6}},
                                SampleResults(),
                                Bye{"w", 1, {7}},
                                Tasks{1, "sum", "{\"n\":10}", {TaskItem{0, 1, "ab"}, {1, 2, "c"}}},
                                Stop{9},
                                Shutdown{}};
  std::mt19937 rng(20240611);
  int mutations = 0;
  for (const auto& seed : seeds) {
    const Frames frames = Encode(seed);
    const std::string& envelope = frames[0];
    // Truncation at every length: all shorter prefixes must be rejected.
    for (size_t len = 0; len < envelope.size(); ++len) {
      Frames cut = frames;
      cut[0] = envelope.substr(0, len);
      INFO("truncated to " << len << " of " << envelope.size());
      zfan::Status status;
      REQUIRE_NOTHROW(status = Decode(cut).status());
      CHECK_FALSE(status.ok());
      ++mutations;
    }
    // Flipped bytes: any outcome but a throw or a crash is fine.
    for (int k = 0; k < 200; ++k) {
      Frames flipped = frames;
      std::string& f = flipped[0];
      int flips = 1 + static_cast<int>(rng() % 3);
      for (int j = 0; j < flips; ++j) {
        f[rng() % f.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      if (k % 4 == 0) f[rng() % f.size()] = static_cast<char>(rng() % 256);
      REQUIRE_NOTHROW((void)Decode(flipped));
      ++mutations;
    }
  }
  CHECK(mutations >= 2000);
}

// The worker sends image bodies with Encode(Message&&) and the master decodes them with
// Decode(Frames&&): both must give the same frames and items as the copying forms.
TEST_CASE("moving Encode and Decode give the same bytes as the copying ones", "[proto]") {
  Results original = SampleResults();
  original.items[2].bulk = std::string(300 * 1024, 'j');  // a body worth moving
  const Frames copied = Encode(Message{original});
  Message to_move{original};
  Frames moved = Encode(std::move(to_move));
  CHECK(moved == copied);

  auto decoded = Decode(std::move(moved));
  REQUIRE(decoded.ok());
  CheckSameResults(std::get<Results>(*decoded), original);
  // A hostile RESULT is refused the same way by the moving form.
  Frames short_frames(copied.begin(), copied.begin() + 2);
  CHECK_FALSE(Decode(std::move(short_frames)).ok());
}
