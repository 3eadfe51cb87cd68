// SendFrames/TryRecvFrames over a real (inproc) ZeroMQ pair: frames passed as a copy and frames
// moved in (the zero-copy path for large ones) arrive the same, small and large.
#include "common/wire.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <zmq.hpp>

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
  std::optional<WireFrames> Receive() {
    zmq::pollitem_t item{in.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(5000));
    return TryRecvFrames(in);
  }
};

}  // namespace

TEST_CASE("frames sent by copy arrive intact", "[wire]") {
  Pair pair;
  const WireFrames frames = Sample();
  REQUIRE(SendFrames(pair.out, frames));
  auto got = pair.Receive();
  REQUIRE(got);
  CHECK(*got == frames);
}

TEST_CASE("frames sent without a copy arrive intact, twice in a row", "[wire]") {
  Pair pair;
  for (int round = 0; round < 2; ++round) {
    WireFrames frames = Sample();
    REQUIRE(SendFrames(pair.out, std::move(frames)));
    auto got = pair.Receive();
    REQUIRE(got);
    CHECK(*got == Sample());
  }
}

TEST_CASE("nothing waiting gives nullopt", "[wire]") {
  Pair pair;
  CHECK_FALSE(TryRecvFrames(pair.in));
}
