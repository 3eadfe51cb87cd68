// BodyOutbox: pieces of large result bodies on their way to the master. A piece leaves only within
// the byte credit the master granted (proto::Credit), so a master never receives more than its
// byte budget; a task's RESULT waits here until the last of its pieces has left, because the
// master checks the pieces against the byte count the RESULT carries.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "jobs/job.h"
#include "proto/messages.h"

namespace zfan::worker {

class BodyOutbox {
 public:
  struct Callbacks {
    std::function<void(proto::Message)> send;                   // to the master's results socket
    std::function<void(uint64_t job_id, uint64_t bytes)> sent;  // pieces left (or were dropped)
    // Results of `job_id` free to go now that their pieces have left.
    std::function<void(uint64_t job_id, std::vector<proto::ResultItem>&)> release;
  };
  // `first_epoch`: random in a real worker, so that a restarted process with the same id never
  // reuses an epoch the master still holds for its predecessor.
  BodyOutbox(std::string worker_id, Callbacks callbacks, uint64_t first_epoch)
      : worker_id_(std::move(worker_id)), cb_(std::move(callbacks)), epoch_(first_epoch) {}

  void AddPiece(uint64_t job_id, jobs::BodyPiece piece);
  // True if pieces of this task still wait here; its result must then be parked.
  bool Waiting(uint64_t job_id, uint64_t task_id) const {
    return pieces_of_.count({job_id, task_id}) > 0;
  }
  void Park(uint64_t job_id, proto::ResultItem item);
  // A grant (proto::Credit); one for an older connection's epoch is ignored.
  void OnCredit(uint64_t bytes, uint64_t epoch);
  // Sends what the credit allows and asks for credit for the rest.
  void Flush();
  // A new connection to the master: credit belonged to the old one. Takes a new epoch and says so
  // (a want, of 0 bytes if nothing waits), so the master voids what it granted the old one.
  void Reset();
  uint64_t epoch() const { return epoch_; }
  // The master no longer runs this job: its pieces are dropped, its parked results released.
  void DropJob(uint64_t job_id);
  uint64_t pending_bytes() const { return pending_bytes_; }

 private:
  using TaskKey = std::pair<uint64_t, uint64_t>;  // job id, task id
  struct Pending {
    uint64_t job_id;
    jobs::BodyPiece piece;
  };
  void PieceGone(const TaskKey& key);
  void Ask(uint64_t bytes);

  std::string worker_id_;
  Callbacks cb_;
  std::deque<Pending> pending_;
  uint64_t pending_bytes_ = 0;
  uint64_t credit_ = 0;                  // bytes we may still send
  uint64_t requested_ = 0;               // bytes asked for and not granted yet
  uint64_t epoch_;                       // our current connection's, in every want
  std::map<TaskKey, size_t> pieces_of_;  // pieces still pending, per task
  std::map<TaskKey, std::vector<proto::ResultItem>> parked_;
};

}  // namespace zfan::worker
