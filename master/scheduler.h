// Scheduler: which task goes out next, what is outstanding, and what happens when a worker takes,
// finishes, fails, leaves or dies. Pure logic (no sockets, times passed in) so tests drive it with
// a fake clock.
//
// Invariants: a task id is in exactly one of {fresh (>= next_fresh_), requeued_, in_flight_,
// done, failed}; done and failed are final. A result for a done task is a duplicate.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "master/recent_samples.h"

namespace zfan::master {

using TaskId = uint64_t;

struct SchedulerConfig {
  uint32_t max_attempts = 3;            // worker-reported failures or blamed deaths per task
  Millis lease{5000};                   // sent but not TAKEN for this long -> requeue
  double speculate_after_median = 3.0;  // straggler: older than this many median task times
  // A copy nobody took within the lease (stuck in a frozen worker's pipe: PUSH cannot choose the
  // idle worker) is sent again, up to this many copies per task.
  uint32_t max_copies = 3;
  Millis speculate_min_age{1000};
};

enum class ResultKind { kFirst, kDuplicate, kUnknown };
enum class FailureKind { kRetry, kFailedForGood, kIgnored };

struct SchedulerStats {
  uint64_t requeued = 0;    // tasks sent again because a worker died, left or a lease expired
  uint64_t duplicates = 0;  // results for tasks already done
  uint64_t speculated = 0;  // speculative copies sent for stragglers
  uint64_t speculation_won = 0;
  uint64_t retried = 0;  // failures sent out again
};

struct Dispatch {
  TaskId id;
  uint32_t attempt;
  std::string holder = {};  // for a speculative copy: the worker that holds the original
};

class Scheduler {
 public:
  Scheduler(uint64_t total, SchedulerConfig config);

  // Marks a task done before the job starts (replayed from the journal).
  void MarkDone(TaskId id);

  // Up to `max` tasks to send now to `target` (a worker id; empty if unknown); they become in
  // flight (not yet taken by anyone) and count in sent_to(target) until they close or requeue.
  std::vector<Dispatch> NextBatch(size_t max, TimePoint now, const std::string& target = "");
  // A batch that could not be sent goes back to the front, as if never sent.
  void Unsend(const std::vector<Dispatch>& batch);

  void OnTaken(const std::string& worker, const std::vector<TaskId>& ids, TimePoint now);
  void OnStarted(const std::string& worker, const std::vector<TaskId>& ids);
  ResultKind OnResult(TaskId id, const std::string& worker, uint64_t busy_us);
  FailureKind OnFailure(TaskId id, bool retryable);
  // A task counted done whose result could not be kept after all (its file failed to write).
  void FailDone(TaskId id);
  // A worker left cleanly: these ids (and whatever else it held, or was sent and never took) go
  // back to the front.
  void OnWorkerLeft(const std::string& worker, const std::vector<TaskId>& handed_back);
  // A worker was declared dead: what it held or was sent and never took goes back. Returns ids
  // that failed for good (blamed too often).
  std::vector<TaskId> OnWorkerDead(const std::string& worker);
  void RequeueExpiredLeases(TimePoint now);
  // The lease in force: at least config.lease, and longer while a worker's queue of `depth`
  // tasks takes longer than that to drain (a busy worker reads its next batch only then).
  void AdaptLease(double depth);
  // Speculative copies of stragglers, at most `max`, when nothing else is waiting.
  std::vector<Dispatch> Stragglers(size_t max, TimePoint now);

  bool Finished() const { return done_count_ + failed_count_ == total_; }
  bool IsClosed(TaskId id) const { return done_[id] || failed_[id]; }  // REQUIRES: id < total
  bool HasWaiting() const { return !requeued_.empty() || next_fresh_ < total_; }
  size_t outstanding() const { return in_flight_.size() + spec_copies_; }
  uint64_t total() const { return total_; }
  uint64_t done_count() const { return done_count_; }
  uint64_t failed_count() const { return failed_count_; }
  const SchedulerStats& stats() const { return stats_; }
  // Median busy time of recent tasks, seconds (0 before any result).
  double median_task_seconds() const { return recent_busy_.MedianSeconds(); }
  // Median time from sending a batch to hearing its TAKEN, seconds (0 before any): the round trip
  // a worker's next task takes to reach it, the master's own turn included.
  double median_handoff_seconds() const { return recent_handoff_.MedianSeconds(); }
  uint32_t attempts_of(TaskId id) const;  // 1 + strikes
  size_t held_by(const std::string& worker) const;
  // Tasks sent to `worker` (NextBatch's target) that are still in flight: its used credit.
  size_t sent_to(const std::string& worker) const;

 private:
  struct Flight {
    std::string worker;  // empty until TAKEN
    std::string target;  // the worker it was sent to (credit-based dispatch), or empty
    TimePoint sent_at;
    uint32_t attempt = 1;
    bool started_alone = false;  // reported STARTED (retried task running alone)
    bool speculated = false;
    uint32_t copies = 0;      // speculative copies sent
    bool copy_taken = false;  // another worker TAKEN a copy
    TimePoint copy_sent_at{};
  };

  void Requeue(TaskId id);
  void RequeueUntakenSentTo(const std::string& worker);
  void Forget(TaskId id);
  bool Blame(TaskId id);  // true if the task now failed for good

  uint64_t total_;
  SchedulerConfig config_;
  Millis lease_;
  uint64_t next_fresh_ = 0;
  std::deque<TaskId> requeued_;
  std::unordered_map<TaskId, Flight> in_flight_;
  std::unordered_map<std::string, std::unordered_set<TaskId>> held_;  // worker -> taken ids
  std::unordered_map<std::string, size_t> sent_to_;  // worker -> in-flight tasks sent to it
  // Failures and blamed deaths per task; a task goes out as attempt 1 + strikes, and a worker runs
  // a task with attempt > 1 alone (see proto::Started).
  std::unordered_map<TaskId, uint32_t> strikes_;
  std::vector<bool> done_;
  std::vector<bool> failed_;
  uint64_t done_count_ = 0;
  uint64_t failed_count_ = 0;
  size_t spec_copies_ = 0;
  RecentSamples recent_busy_;
  RecentSamples recent_handoff_;
  SchedulerStats stats_;
};

}  // namespace zfan::master
