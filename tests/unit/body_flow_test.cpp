// Byte credit for streamed bodies: the master's BodyCredit (a budget shared by every worker) and
// the worker's BodyOutbox (pieces leave only within credit; a result waits for its pieces).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "master/body_credit.h"
#include "worker/body_outbox.h"

using zfan::master::BodyCredit;
using zfan::worker::BodyOutbox;
namespace proto = zfan::proto;

namespace {

constexpr uint64_t kMiB = 1 << 20;

uint64_t GrantedTo(const std::vector<std::pair<std::string, uint64_t>>& grants,
                   const std::string& worker) {
  for (const auto& [who, bytes] : grants) {
    if (who == worker) return bytes;
  }
  return 0;
}

}  // namespace

TEST_CASE("credit is granted round-robin within the budget and comes back when written", "[body]") {
  BodyCredit credit(4 * kMiB);
  credit.Want("a", 10 * kMiB);
  credit.Want("b", 10 * kMiB);
  auto grants = credit.Grant();
  CHECK(GrantedTo(grants, "a") == 2 * kMiB);  // shared evenly, one unit at a time
  CHECK(GrantedTo(grants, "b") == 2 * kMiB);
  CHECK(credit.Grant().empty());  // the budget is spent
  CHECK(credit.Receive("a", kMiB));
  credit.Released(kMiB);  // written: a unit is free again
  grants = credit.Grant();
  CHECK(grants.size() == 1);
  CHECK(credit.peak_in_use() == 4 * kMiB);
}

TEST_CASE("a piece beyond a worker's credit is refused", "[body][hostile]") {
  BodyCredit credit(8 * kMiB);
  CHECK_FALSE(credit.Receive("never-granted", 1));
  credit.Want("a", kMiB);
  credit.Grant();
  CHECK(credit.Receive("a", kMiB / 2));
  CHECK_FALSE(credit.Receive("a", kMiB));  // only half a MiB left
  CHECK(credit.Receive("a", kMiB / 2));
}

TEST_CASE("a worker that goes returns its unused credit; no worker holds more than its window",
          "[body]") {
  BodyCredit credit(1024 * kMiB);
  credit.Want("a", 1024 * kMiB);
  CHECK(GrantedTo(credit.Grant(), "a") == BodyCredit::kWorkerWindow);
  credit.Gone("a");
  credit.Want("b", 1024 * kMiB);
  CHECK(GrantedTo(credit.Grant(), "b") == BodyCredit::kWorkerWindow);
}

TEST_CASE("an undeliverable grant goes back to the budget and to the worker's wants", "[body]") {
  BodyCredit credit(kMiB);
  credit.Want("a", kMiB);
  auto grants = credit.Grant();
  REQUIRE(GrantedTo(grants, "a") == kMiB);
  credit.Ungrant("a", kMiB);
  CHECK(GrantedTo(credit.Grant(), "a") == kMiB);
}

namespace {

// A BodyOutbox wired to vectors instead of a socket.
struct Outbox {
  std::vector<proto::Message> sent;
  uint64_t sent_bytes = 0;
  std::vector<uint64_t> released;  // result ids, in the order they were let go
  BodyOutbox box{"w",
                 {.send = [this](proto::Message m) { sent.push_back(std::move(m)); },
                  .sent = [this](uint64_t, uint64_t bytes) { sent_bytes += bytes; },
                  .release =
                      [this](uint64_t, std::vector<proto::ResultItem>& items) {
                        for (const auto& item : items) released.push_back(item.id);
                      }}};

  size_t Count(proto::MsgType type) const {
    size_t n = 0;
    for (const auto& m : sent) n += MsgType(m) == type;
    return n;
  }
  static proto::MsgType MsgType(const proto::Message& m) {
    if (std::holds_alternative<proto::Body>(m)) return proto::MsgType::kBody;
    if (std::holds_alternative<proto::CreditWanted>(m)) return proto::MsgType::kCreditWanted;
    return proto::MsgType::kResult;
  }
};

zfan::jobs::BodyPiece Piece(uint64_t id, uint64_t offset, size_t size) {
  return {.id = id, .offset = offset, .bytes = std::string(size, 'x')};
}

}  // namespace

TEST_CASE("pieces wait for credit, ask for it once, and the result follows the last piece",
          "[body]") {
  Outbox out;
  out.box.AddPiece(1, Piece(7, 0, 100));
  out.box.AddPiece(1, Piece(7, 100, 50));
  out.box.Park(1, {.id = 7, .streamed_bytes = 150});
  CHECK(out.box.Waiting(1, 7));
  out.box.Flush();
  REQUIRE(out.sent.size() == 1);  // only the request: no credit yet
  CHECK(std::get<proto::CreditWanted>(out.sent[0]).bytes == 150);
  out.box.Flush();
  CHECK(out.sent.size() == 1);  // not asked twice
  out.box.OnCredit(120);        // enough for the first piece only
  CHECK(out.Count(proto::MsgType::kBody) == 1);
  CHECK(out.released.empty());
  out.box.OnCredit(30);
  CHECK(out.Count(proto::MsgType::kBody) == 2);
  CHECK(out.sent_bytes == 150);
  CHECK(out.released == std::vector<uint64_t>{7});
  CHECK_FALSE(out.box.Waiting(1, 7));
}

TEST_CASE("a new connection asks again; a finished job's pieces are dropped, its results freed",
          "[body]") {
  Outbox out;
  out.box.AddPiece(1, Piece(3, 0, 64));
  out.box.Park(1, {.id = 3, .streamed_bytes = 64});
  out.box.Flush();
  out.box.Reset();  // the master restarted: the old request is void
  CHECK(out.Count(proto::MsgType::kCreditWanted) == 2);
  out.box.DropJob(1);
  CHECK(out.box.pending_bytes() == 0);
  CHECK(out.sent_bytes == 64);  // counted as gone, so the runner's buffer frees up
  CHECK(out.released == std::vector<uint64_t>{3});
  CHECK(out.Count(proto::MsgType::kBody) == 0);
}
