// Hostile peers: garbage, wrong-version and wrong-direction frames are counted and dropped; the
// master and the worker carry on and the result stays exact.
#include <catch2/catch.hpp>
#include <csignal>
#include <msgpack.hpp>
#include <zmq.hpp>

#include "proto/messages.h"
#include "tests/integration/harness.h"

using namespace zfan::testing;
namespace proto = zfan::proto;

namespace {

std::string Packed(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& fill) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  fill(pk);
  return {buf.data(), buf.size()};
}

std::vector<std::vector<std::string>> HostileMessages() {
  std::vector<std::vector<std::string>> msgs;
  msgs.push_back({"not msgpack at all \xff\xfe"});
  msgs.push_back({""});
  msgs.push_back({std::string("\xdd\xff\xff\xff\xff", 5)});  // array claiming 2^32-1 items
  msgs.push_back({std::string("\xdb\xff\xff\xff\xff", 5)});  // str claiming 4 GB
  msgs.push_back({Packed([](auto& pk) {                      // a HELLO from protocol version 99
    pk.pack_array(3);
    pk.pack(99);
    pk.pack(1);
    pk.pack_array(0);
  })});
  proto::Tasks wrong_direction{.job_id = 1, .job_name = "echo", .params_json = "{}"};
  msgs.push_back(proto::Encode(wrong_direction));
  proto::Results missing_bulk{.worker_id = "x", .job_id = 1, .items = {{.id = 0, .bulk = "b"}}};
  auto frames = proto::Encode(missing_bulk);
  frames.pop_back();  // promise a bulk frame, then leave it out
  msgs.push_back(frames);
  return msgs;
}

void SendAll(zmq::socket_t& s, const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    s.send(zmq::buffer(frames[i]),
           i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

}  // namespace

TEST_CASE("the master drops hostile frames, counts them, and still gets the exact sum",
          "[hostile]") {
  int port = FreePortTriple();
  ZfanProcess master({"master", "sum", "--n", "200000", "--chunk", "100", "--port",
                      std::to_string(port), "--expect-workers", "1", "--wait-timeout", "30",
                      "--json", "-q"});
  REQUIRE(WaitUntil([&] { return master.err().find("zfan worker") != std::string::npos; },
                    std::chrono::milliseconds(10000)));  // bound and listening
  zmq::context_t ctx;
  zmq::socket_t attacker(ctx, zmq::socket_type::push);
  attacker.set(zmq::sockopt::linger, 2000);
  attacker.connect("tcp://127.0.0.1:" + std::to_string(port + 1));
  auto hostile = HostileMessages();
  for (const auto& m : hostile) SendAll(attacker, m);
  // The master logs the first bad message of a peer; all seven travel in order on one pipe.
  REQUIRE(WaitUntil([&] { return master.err().find("dropped a bad message") != std::string::npos; },
                    std::chrono::milliseconds(10000)));
  // Only then a real worker: the master must have survived all of the above.
  ZfanProcess worker({"worker", Endpoint(port), "--slots", "1", "--id", "honest"});
  REQUIRE(master.Wait() == 0);
  auto j = master.json();
  CHECK(j["result"]["sum"] == "19999900000");
  CHECK(j["tasks"]["bad_frames"].get<size_t>() == hostile.size());
  worker.Signal(SIGTERM);
  worker.Wait(std::chrono::milliseconds(15000));
}

TEST_CASE("a worker survives hostile task frames and then runs a real task", "[hostile]") {
  int port = FreePortTriple();
  zmq::context_t ctx;
  zmq::socket_t tasks(ctx, zmq::socket_type::router);  // as the master: batches go to an id
  zmq::socket_t results(ctx, zmq::socket_type::pull);
  zmq::socket_t control(ctx, zmq::socket_type::pub);
  for (auto* s : {&tasks, &results, &control}) s->set(zmq::sockopt::linger, 0);
  tasks.bind("tcp://127.0.0.1:" + std::to_string(port));
  results.bind("tcp://127.0.0.1:" + std::to_string(port + 1));
  control.bind("tcp://127.0.0.1:" + std::to_string(port + 2));
  ZfanProcess worker({"worker", Endpoint(port), "--slots", "1", "--id", "target"});
  // The worker says HELLO once its tasks connection is up: from then on it can be addressed.
  results.set(zmq::sockopt::rcvtimeo, 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool hello = false;
  while (!hello && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t part;
    if (!results.recv(part)) continue;
    auto msg = proto::Decode(proto::Frames{part.to_string()});
    hello = msg.ok() && std::holds_alternative<proto::Hello>(*msg);
  }
  REQUIRE(hello);
  auto to_worker = [&](std::vector<std::string> frames) {
    frames.insert(frames.begin(), "target");
    SendAll(tasks, frames);
  };

  for (const auto& m : HostileMessages()) to_worker(m);
  proto::Tasks bad_params{.job_id = 7, .job_name = "echo", .params_json = "[not json"};
  bad_params.items.push_back({.id = 1, .payload = ""});
  to_worker(proto::Encode(bad_params));
  proto::Tasks good{.job_id = 8, .job_name = "echo", .params_json = "{}"};
  good.items.push_back({.id = 42, .payload = "hello"});
  to_worker(proto::Encode(good));

  bool got_result = false, got_bad_params_failure = false;
  while (!got_result && std::chrono::steady_clock::now() < deadline) {
    std::vector<std::string> frames;
    zmq::message_t part;
    if (!results.recv(part)) continue;
    frames.emplace_back(static_cast<const char*>(part.data()), part.size());
    while (part.more()) {
      (void)results.recv(part);
      frames.emplace_back(static_cast<const char*>(part.data()), part.size());
    }
    auto msg = proto::Decode(frames);
    REQUIRE(msg.ok());  // everything a worker sends decodes
    if (auto* r = std::get_if<proto::Results>(&*msg)) {
      for (const auto& item : r->items) {
        if (r->job_id == 7 && item.id == 1) got_bad_params_failure = !item.error.empty();
        if (r->job_id == 8 && item.id == 42) {
          got_result = item.error.empty() && item.bulk == "hello";
        }
      }
    }
  }
  CHECK(got_bad_params_failure);
  CHECK(got_result);
  CHECK(!worker.Poll().has_value());
  worker.Signal(SIGTERM);
  CHECK(worker.Wait(std::chrono::milliseconds(15000)) == 0);
}
