// BodyCredit: the master's byte budget for streamed bodies (--max-inflight-bytes). A worker sends
// a body piece only within credit the master granted it; credit is spent when the piece arrives
// and returns to the budget when the job has written the piece. So the bytes of body pieces
// anywhere between the workers' sockets and the master's disk never exceed the budget, however
// many workers stream and however slow the disk is (HTTP/2's flow-control window, for zfan).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace zfan::master {

class BodyCredit {
 public:
  // Grants go out in pieces of at most this many bytes, round-robin over the workers that want
  // credit, so one worker's large file does not take the whole budget from the others. A body
  // piece is never larger, and the budget never smaller, so every piece can be granted.
  static constexpr uint64_t kGrantUnit = 1u << 20;
  // Credit a worker holds unused at most: what it may have queued towards us, so its memory stays
  // bounded however large our budget (32 MiB is ~270 MB/s per worker at a 100 ms round trip).
  static constexpr uint64_t kWorkerWindow = 32u << 20;

  explicit BodyCredit(uint64_t budget) : budget_(budget), free_(budget) {}

  // The worker asks for `bytes` more in `epoch` (proto::CreditWanted). A want in another epoch
  // than the worker's last one means it connected anew and forgot all it was granted: that
  // credit, used or not, and its older wants are void, and the unused part returns to the budget.
  // Pieces sent under the old credit arrived before this want (one ordered results connection).
  void Want(const std::string& worker, uint64_t bytes, uint64_t epoch);
  // A piece arrived. False if it exceeds the sender's credit: the caller drops it unaccounted.
  bool Receive(const std::string& worker, uint64_t bytes);
  // The job wrote (or dropped) this many bytes of received pieces.
  void Released(uint64_t bytes);
  // The worker died or left: the credit it did not use returns to the budget.
  void Gone(const std::string& worker);
  struct CreditGrant {
    std::string worker;
    uint64_t bytes;
    uint64_t epoch;  // the one the grant answers: the worker ignores it in any other
  };
  // Credit to send now, one entry per worker.
  std::vector<CreditGrant> Grant();
  // A grant that could not be delivered goes back.
  void Ungrant(const std::string& worker, uint64_t bytes);

  uint64_t budget() const { return budget_; }
  uint64_t peak_in_use() const { return peak_in_use_; }

 private:
  void Forget(const std::string& worker);  // its wants and unused credit: void
  void NoteInUse() { peak_in_use_ = std::max(peak_in_use_, budget_ - free_); }

  const uint64_t budget_;
  uint64_t free_;
  uint64_t peak_in_use_ = 0;
  std::map<std::string, uint64_t> wants_;   // asked for, not granted yet
  std::map<std::string, uint64_t> unused_;  // granted, no piece arrived for it yet
  std::map<std::string, uint64_t> epochs_;  // each worker's current connection (its last want)
};

}  // namespace zfan::master
