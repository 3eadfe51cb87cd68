// What the master's parts (sink, dispatcher, the loop) share while one job runs: the job, its
// scheduler, the workers, the journal and joblog, the report, and the job's clock.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "jobs/job.h"
#include "jobs/registry.h"
#include "master/body_credit.h"
#include "master/joblog.h"
#include "master/journal.h"
#include "master/master.h"
#include "master/scheduler.h"
#include "master/summary.h"
#include "master/trace.h"
#include "master/worker_registry.h"

namespace zfan::master {

// The job's clock runs from its first dispatch to its last result, so neither the time spent
// waiting for workers nor the shutdown afterwards counts (what `zfan scale` measures).
class JobClock {
 public:
  void Dispatched(TimePoint now) {
    if (!first_dispatch_) first_dispatch_ = now;
  }
  void Closed(TimePoint now) { last_close_ = now; }
  bool started() const { return first_dispatch_.has_value(); }
  // Seconds from the first dispatch to the last task closed, or to `now` while tasks remain.
  double Elapsed(TimePoint now, bool finished) const {
    if (!first_dispatch_) return 0;
    TimePoint end = finished && last_close_ ? *last_close_ : now;
    return std::max(0.0, SecondsBetween(*first_dispatch_, end));
  }

 private:
  std::optional<TimePoint> first_dispatch_;
  std::optional<TimePoint> last_close_;
};

struct JobState {
  JobState(std::unique_ptr<jobs::MasterJob> j, const MasterOptions& o, uint64_t id)
      : job(std::move(j)),
        entry(jobs::FindJob(job->name())),
        opt(o),
        job_id(id),
        trace(!o.trace.empty(), Clock::now()),
        body_credit(o.max_inflight_bytes) {}

  // A task that will not be tried again: the job hears of it, the report and the joblog show it.
  void FailedForGood(jobs::TaskId id, const std::string& worker, uint32_t attempts, double seconds,
                     const jobs::TaskOutcome& o) {
    job->failed(id, o);
    report.failures.push_back({job->describe(id), o.error, o.detail, attempts});
    joblog.Write(id, worker, attempts, 0, seconds, o.error, o.detail);
  }

  // A worker died or left: the body it was streaming goes, its unused byte credit returns.
  void StreamsGone(const std::string& worker) {
    job->drop_streams_of(worker);
    body_credit.Gone(worker);
  }

  std::unique_ptr<jobs::MasterJob> job;
  const jobs::JobEntry* entry;
  const MasterOptions& opt;
  const uint64_t job_id;
  std::unique_ptr<Scheduler> sched;
  WorkerRegistry workers;
  JournalWriter journal;
  JoblogWriter joblog;
  JobReport report;
  JobClock clock;
  TraceRecorder trace;
  BodyCredit body_credit;
};

}  // namespace zfan::master
