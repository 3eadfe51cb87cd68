// SendFrames/TryRecvFrames over a real (inproc) ZeroMQ pair: frames passed as a copy and frames
// moved in (the zero-copy path for large ones) arrive the same, small and large, and large ones
// received stay intact after the message they came in is gone.
#include "common/wire.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <zmq.hpp>

using zfan::Bytes;
using zfan::ReceivedWireFrames;
using zfan::SendFrames;
using zfan::TryRecvFrames;
using zfan::WireFrames;

namespace {

WireFrames Sample() {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  return {"envelope", std::string(), big, std::string(64 * 1024, 'x'), "tail"};
}

struct Pair {
  zmq::context_t ctx{1};
  zmq::socket_t out{ctx, zmq::socket_type::pair};
  zmq::socket_t in{ctx, zmq::socket_type::pair};
  Pair() {
    in.bind("inproc://wire-test");
    out.connect("inproc://wire-test");
  }
  std::optional<ReceivedWireFrames> Receive() {
    zmq::pollitem_t item{in.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5000));
    return TryRecvFrames(in);
  }
};

bool Same(const ReceivedWireFrames& got, const WireFrames& sent) {
  if (got.size() != sent.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != sent[i]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("frames sent by copy arrive intact", "[wire]") {
  Pair pair;
  const WireFrames frames = Sample();
  REQUIRE(SendFrames(pair.out, frames));
  auto got = pair.Receive();
  REQUIRE(got);
  CHECK(Same(*got, frames));
}

TEST_CASE("frames sent without a copy arrive intact, twice in a row", "[wire]") {
  Pair pair;
  for (int round = 0; round < 2; ++round) {
    WireFrames frames = Sample();
    REQUIRE(SendFrames(pair.out, std::move(frames)));
    auto got = pair.Receive();
    REQUIRE(got);
    CHECK(Same(*got, Sample()));
  }
}

TEST_CASE("a received large frame outlives its socket and copies and moves as bytes", "[wire]") {
  std::optional<ReceivedWireFrames> got;
  {
    Pair pair;
    REQUIRE(SendFrames(pair.out, Sample()));
    got = pair.Receive();
  }  // context and sockets gone: the large frames are still ours
  REQUIRE(got);
  REQUIRE(Same(*got, Sample()));
  Bytes copy = (*got)[2];
  Bytes moved = std::move((*got)[2]);
  CHECK(copy == Sample()[2]);
  CHECK(moved == Sample()[2]);
  CHECK(std::move(moved).TakeString() == Sample()[2]);
  CHECK(moved.empty());
}

TEST_CASE("Bytes held as a string survive moves and copies, short and long", "[wire]") {
  for (std::string text : {std::string("hi"), std::string(100000, 'z')}) {
    Bytes original(text);
    Bytes copy = original;
    Bytes moved = std::move(original);
    CHECK(moved == text);
    CHECK(copy == text);
    CHECK(moved.size() == text.size());
    CHECK(std::string(moved.data(), moved.size()) == text);
    CHECK(std::move(copy).TakeString() == text);
  }
}

TEST_CASE("nothing waiting gives nullopt", "[wire]") {
  Pair pair;
  CHECK_FALSE(TryRecvFrames(pair.in));
}
