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

uint64_t GrantedTo(const std::vector<BodyCredit::CreditGrant>& grants, const std::string& worker) {
  for (const auto& grant : grants) {
    if (grant.worker == worker) return grant.bytes;
  }
  return 0;
}

}  // namespace

TEST_CASE("credit is granted round-robin within the budget and comes back when written", "[body]") {
  BodyCredit credit(4 * kMiB);
  credit.Want("a", 10 * kMiB, 1);
  credit.Want("b", 10 * kMiB, 1);
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
  credit.Want("a", kMiB, 1);
  credit.Grant();
  CHECK(credit.Receive("a", kMiB / 2));
  CHECK_FALSE(credit.Receive("a", kMiB));  // only half a MiB left
  CHECK(credit.Receive("a", kMiB / 2));
}

TEST_CASE("a worker that goes returns its unused credit; no worker holds more than its window",
          "[body]") {
  BodyCredit credit(1024 * kMiB);
  credit.Want("a", 1024 * kMiB, 1);
  CHECK(GrantedTo(credit.Grant(), "a") == BodyCredit::kWorkerWindow);
  credit.Gone("a");
  credit.Want("b", 1024 * kMiB, 1);
  CHECK(GrantedTo(credit.Grant(), "b") == BodyCredit::kWorkerWindow);
}

TEST_CASE("an undeliverable grant goes back to the budget and to the worker's wants", "[body]") {
  BodyCredit credit(kMiB);
  credit.Want("a", kMiB, 1);
  auto grants = credit.Grant();
  REQUIRE(GrantedTo(grants, "a") == kMiB);
  credit.Ungrant("a", kMiB);
  CHECK(GrantedTo(credit.Grant(), "a") == kMiB);
}

namespace {

zfan::jobs::BodyPiece Piece(uint64_t id, uint64_t offset, size_t size) {
  return {.id = id, .offset = offset, .bytes = std::string(size, 'x')};
}

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
                      }},
                 /*first_epoch=*/41};

  // A task of job 1 with one body piece of `size` bytes: parked result, credit asked for.
  void StreamOnePiece(uint64_t task, size_t size) {
    box.AddPiece(1, Piece(task, 0, size));
    box.Park(1, {.id = task, .streamed_bytes = size});
    box.Flush();
  }

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
  CHECK(out.sent.size() == 1);             // not asked twice
  out.box.OnCredit(120, out.box.epoch());  // enough for the first piece only
  CHECK(out.Count(proto::MsgType::kBody) == 1);
  CHECK(out.released.empty());
  out.box.OnCredit(30, out.box.epoch());
  CHECK(out.Count(proto::MsgType::kBody) == 2);
  CHECK(out.sent_bytes == 150);
  CHECK(out.released == std::vector<uint64_t>{7});
  CHECK_FALSE(out.box.Waiting(1, 7));
}

TEST_CASE("a new connection asks again; a finished job's pieces are dropped, its results freed",
          "[body]") {
  Outbox out;
  out.StreamOnePiece(3, 64);
  out.box.Reset();  // the master restarted: the old request is void
  CHECK(out.Count(proto::MsgType::kCreditWanted) == 2);
  out.box.DropJob(1);
  CHECK(out.box.pending_bytes() == 0);
  CHECK(out.sent_bytes == 64);  // counted as gone, so the runner's buffer frees up
  CHECK(out.released == std::vector<uint64_t>{3});
  CHECK(out.Count(proto::MsgType::kBody) == 0);
}

TEST_CASE("a want in a new epoch voids the old epoch's credit and wants; the same epoch adds up",
          "[body]") {
  BodyCredit credit(2 * kMiB);
  credit.Want("a", 4 * kMiB, 7);
  auto grants = credit.Grant();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].bytes == 2 * kMiB);
  CHECK(grants[0].epoch == 7);
  credit.Want("b", kMiB, 1);
  CHECK(credit.Grant().empty());  // all of the budget sits with a
  credit.Want("a", kMiB, 7);      // the same connection asks for more: added to its wants
  CHECK(credit.Grant().empty());
  // a reconnected: what it was granted and what it wanted before are void, so the budget frees.
  credit.Want("a", kMiB, 8);
  grants = credit.Grant();
  CHECK(GrantedTo(grants, "a") == kMiB);  // only the new want, not the 2 + 1 MiB voided
  CHECK(GrantedTo(grants, "b") == kMiB);
  for (const auto& g : grants) CHECK(g.epoch == (g.worker == "a" ? 8u : 1u));
  CHECK(credit.Receive("a", kMiB));
  CHECK_FALSE(credit.Receive("a", 1));  // the voided credit cannot be spent
}

TEST_CASE("a reconnect with nothing waiting still voids the old credit", "[body]") {
  BodyCredit credit(kMiB);
  credit.Want("a", kMiB, 1);
  REQUIRE(GrantedTo(credit.Grant(), "a") == kMiB);
  credit.Want("a", 0, 2);  // BodyOutbox::Reset with no pending piece
  credit.Want("b", kMiB, 1);
  CHECK(GrantedTo(credit.Grant(), "b") == kMiB);
}

TEST_CASE("after a reconnect the worker ignores grants for its old epoch and asks in the new one",
          "[body]") {
  Outbox out;
  out.StreamOnePiece(5, 100);
  const uint64_t old_epoch = out.box.epoch();
  out.box.Reset();
  REQUIRE(out.Count(proto::MsgType::kCreditWanted) == 2);
  const auto& again = std::get<proto::CreditWanted>(out.sent.back());
  CHECK(again.epoch == old_epoch + 1);
  CHECK(again.bytes == 100);
  out.box.OnCredit(100, old_epoch);  // granted to the old connection, arriving on the new one
  CHECK(out.Count(proto::MsgType::kBody) == 0);
  out.box.OnCredit(100, out.box.epoch());
  CHECK(out.Count(proto::MsgType::kBody) == 1);
  CHECK(out.released == std::vector<uint64_t>{5});
}

TEST_CASE("credit in flight when a worker reconnects returns to the budget: streaming goes on",
          "[body]") {
  // The master's budget is one grant. It is granted, then the worker's connection drops before
  // the grant arrives: without epochs that grant stayed reserved for good and nothing moved again.
  BodyCredit master(kMiB);
  Outbox worker;
  auto deliver_wants = [&] {
    for (const auto& m : worker.sent) {
      if (const auto* want = std::get_if<proto::CreditWanted>(&m))
        master.Want("w", want->bytes, want->epoch);
    }
    worker.sent.clear();
  };
  worker.box.AddPiece(1, Piece(9, 0, kMiB));
  worker.box.AddPiece(1, Piece(9, kMiB, kMiB));
  worker.box.Park(1, {.id = 9, .streamed_bytes = 2 * kMiB});
  worker.box.Flush();
  deliver_wants();
  auto lost = master.Grant();  // sent on the connection that is about to drop
  REQUIRE(lost.size() == 1);
  worker.box.Reset();
  worker.box.OnCredit(lost[0].bytes, lost[0].epoch);  // or it arrives late on the new one
  CHECK(worker.Count(proto::MsgType::kBody) == 0);
  deliver_wants();
  for (int round = 0; round < 2; ++round) {
    auto grants = master.Grant();
    REQUIRE(grants.size() == 1);
    worker.box.OnCredit(grants[0].bytes, grants[0].epoch);
    REQUIRE(worker.Count(proto::MsgType::kBody) == 1);
    CHECK(master.Receive("w", kMiB));
    master.Released(kMiB);  // written to disk
    worker.sent.clear();
  }
  CHECK(worker.released == std::vector<uint64_t>{9});
  CHECK(worker.sent_bytes == 2 * kMiB);
}
