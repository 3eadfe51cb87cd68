// The tasks a worker holds for its current job, and the runners that run them. Tasks wait here
// until their job's runner takes them; a retried (suspect) task runs alone, announced with
// STARTED, so that a crash it causes is blamed on it alone. A job's runner is made from its first
// batch and stays until its running tasks end, also after the next job has begun.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "jobs/registry.h"
#include "proto/messages.h"
#include "worker/completion_queue.h"

namespace zfan::worker {

class HeldTasks {
 public:
  struct Context {
    // Tells the master (STARTED) that this retried task now runs alone.
    std::function<void(uint64_t job_id, uint64_t task_id)> started_alone;
    std::function<uint32_t(const jobs::JobEntry&)> slots_for;  // tasks a runner runs at once
    std::function<void(uint64_t job_id)> drop_bodies;          // a dropped job's body pieces
    CompletionQueue* completions;                              // where runners report
  };
  explicit HeldTasks(Context context) : ctx_(std::move(context)) {}

  // Takes a batch and starts what the runner has room for. False if this worker cannot run the
  // batch's job (unknown here, or parameters its runner refuses): the caller reports the tasks
  // failed. A batch of a new job first drops what is queued of the old one.
  bool Take(proto::Tasks& batch);
  // Gives queued tasks to the runner; a suspect waits until nothing else runs.
  void Pump();
  // One task of `job_id` ended (its outcome came through the completion queue).
  void Ended(uint64_t job_id);
  // Its result went to the master: no longer held.
  void Reported(uint64_t job_id, uint64_t task_id);
  // The job is over: what has not started is dropped and nothing is held.
  void DropQueued();
  // Tasks not started, handed back to the master (BYE); they are no longer held.
  std::vector<uint64_t> HandBackQueued();
  // Runners of old jobs with nothing running go.
  void RetireIdle();
  void PiecesSent(uint64_t job_id, uint64_t bytes);

  uint64_t job_id() const { return job_id_; }  // 0 before the first batch
  const std::unordered_set<uint64_t>& held() const { return held_; }
  size_t load() const;  // running and queued tasks, of every job

 private:
  // One job's runner. Old jobs stay until their running tasks finish.
  struct JobRun {
    std::unique_ptr<jobs::TaskRunner> runner;
    size_t running = 0;  // submitted to the runner, not completed
  };
  JobRun* RunnerFor(const proto::Tasks& batch);

  Context ctx_;
  std::map<uint64_t, JobRun> runs_;
  uint64_t job_id_ = 0;                  // the job whose tasks we hold
  std::deque<jobs::TaskSpec> waiting_;   // normal tasks not yet given to the runner
  std::deque<jobs::TaskSpec> suspects_;  // retried tasks: each runs alone (see proto::Started)
  bool isolating_ = false;               // a suspect runs
  std::unordered_set<uint64_t> held_;    // ids of job_id_ received and not yet reported
};

}  // namespace zfan::worker
