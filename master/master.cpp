// The master event loop. One thread: poll the results socket with a short timeout, let the sink
// handle every message waiting, run the timers (dead workers, leases, stragglers, progress,
// journal, SIGHUP), then let the dispatcher fill the window. The parts live in their own files:
// MasterSockets (binding, CURVE), Sink (what workers send), Dispatcher (what goes out),
// LocalWorkers (--local-workers); this file wires them for one job.
#include "master/master.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <random>

#include "common/signals.h"
#include "common/wire.h"
#include "master/dispatcher.h"
#include "master/job_state.h"
#include "master/local_workers.h"
#include "master/master_sockets.h"
#include "master/preforked_workers.h"
#include "master/progress.h"
#include "master/sink.h"
#include "master/standby.h"

namespace zfan::master {
namespace {

constexpr Millis kTick{50};

void PrintError(const Status& s) { std::fprintf(stderr, "zfan: %s\n", s.message().c_str()); }

uint64_t NewJobId() {
  std::random_device rd;
  uint64_t id = (static_cast<uint64_t>(rd()) << 32) | rd();
  return id ? id : 1;
}

class MasterLoop {
 public:
  MasterLoop(std::unique_ptr<jobs::MasterJob> job, const MasterOptions& o,
             PreforkedWorkers preforked)
      : s_(std::move(job), o, NewJobId()),
        opt_(o),
        progress_(!o.quiet, o.progress_interval_s),
        standby_(s_, o.use_workers),
        local_(o.self_exe, std::move(preforked)) {}

  ExitCode Run();

 private:
  Status Bind();
  std::string JournalPath() const;
  Result<std::optional<JournalContents>> ReadResumedJournal() const;
  uint32_t PlannedSlots(const std::optional<JournalContents>& resumed) const;
  uint32_t LocalWorkerSlots() const;
  Status OpenJournal(const std::optional<JournalContents>& resumed, uint32_t plan_slots);
  void TakeJobsOwnKnowledge();
  Status StartLocalWorkers();
  Status Prepare();
  Status WaitForWorkers();
  Status SettleStandby();
  void Publish(proto::Message msg);
  void PublishStandby(TimePoint now, Millis every);
  void Turn(Millis timeout);
  void GrantBodyCredit();
  void Timers(TimePoint now);
  void ExpireDeadWorkers(TimePoint now);
  void ReloadAuthorizedWorkers();
  void StopWorkers();
  ExitCode Finish();
  ProgressSnapshot Snapshot(TimePoint now) const;

  JobState s_;
  const MasterOptions& opt_;
  MasterSockets sockets_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<Dispatcher> dispatcher_;
  ProgressReporter progress_;
  StandbyPlan standby_;
  LocalWorkers local_;
  TimePoint last_timers_{};
  TimePoint drain_deadline_{};
  bool draining_ = false;
  int reloads_seen_ = 0;
};

Status MasterLoop::Bind() {
  if (Status s = sockets_.Bind(opt_); !s.ok()) return s;
  ZapHandler* zap = sockets_.zap();
  // With CURVE, a message counts only while its sender's key is still on the allowlist.
  Sink::Admission admit;
  if (zap) admit = [zap](const std::string& key) { return zap->Admits(key); };
  sink_ = std::make_unique<Sink>(s_, sockets_.results(), std::move(admit));
  dispatcher_ = std::make_unique<Dispatcher>(s_, sockets_.tasks());
  return Status::Ok();
}

std::string MasterLoop::JournalPath() const {
  return opt_.journal.empty() ? s_.job->default_journal() : opt_.journal;
}

// With --resume, the journal to continue (none: no journal, or nothing written to it yet). It is
// read before the job is planned: the plan may depend on the slots of the run that wrote it.
Result<std::optional<JournalContents>> MasterLoop::ReadResumedJournal() const {
  std::optional<JournalContents> none;
  if (!opt_.resume) return none;
  std::string path = JournalPath();
  if (path.empty()) return none;  // OpenJournal says whether the job resumes without one
  if (Status s = s_.job->check_resume(); !s.ok()) return s;
  auto contents = ReadJournal(path);
  if (!contents.ok()) return contents.status();
  if (contents->job.empty()) return none;
  return std::optional<JournalContents>(std::move(contents).value());
}

// The slots the job is planned for: those the resumed journal's run planned for (so that its
// task ids name the same tasks), else --plan-workers', else our own local workers' when they are
// all the job waits for (0: not known).
uint32_t MasterLoop::PlannedSlots(const std::optional<JournalContents>& resumed) const {
  if (resumed) return resumed->plan_slots;
  uint32_t workers = opt_.plan_workers;
  if (workers == 0) {
    if (opt_.local_workers == 0 || opt_.expect_workers > opt_.local_workers) return 0;
    workers = opt_.use_workers ? opt_.use_workers : opt_.local_workers;
  }
  return workers * LocalWorkerSlots();  // 0 when each worker picks its own
}

Status MasterLoop::OpenJournal(const std::optional<JournalContents>& resumed,
                               uint32_t plan_slots) {
  jobs::MasterJob& job = *s_.job;
  std::string path = JournalPath();
  if (path.empty()) {
    if (opt_.resume && !job.resumes_from_joblog()) {
      return UsageError("--resume needs --journal FILE");
    }
    return Status::Ok();
  }
  if (resumed) {
    if (resumed->fingerprint != job.fingerprint()) {
      return UsageError("journal '" + path + "' belongs to another job (" + resumed->fingerprint +
                        "); remove it or run without --resume");
    }
    Scheduler& sched = *s_.sched;
    for (const auto& e : resumed->entries) {
      if (e.id >= sched.total() || sched.IsClosed(e.id)) continue;
      jobs::TaskOutcome o{.id = e.id, .result = e.result};
      if (!job.fold(o, true).ok()) continue;
      uint64_t before = sched.done_count();
      sched.MarkDone(e.id);
      s_.report.resumed += sched.done_count() - before;
    }
    spdlog::info("resume: {} of {} tasks done in the journal", s_.report.resumed, sched.total());
    if (resumed->skipped_lines) {
      spdlog::warn("resume: ignored {} torn or malformed journal lines", resumed->skipped_lines);
    }
  }
  return s_.journal.Open(path, /*fresh=*/!resumed, job.name(), job.fingerprint(), plan_slots);
}

// What prepare() found: tasks already done on disk (journaled again, so the new journal is
// complete) and inputs rejected before they became tasks (reported as failures).
void MasterLoop::TakeJobsOwnKnowledge() {
  Scheduler& sched = *s_.sched;
  for (auto& [id, result] : s_.job->done_before_start()) {
    if (id >= sched.total() || sched.IsClosed(id)) continue;
    sched.MarkDone(id);
    ++s_.report.skipped;
    s_.journal.Append(id, result);
  }
  for (const auto& r : s_.job->rejected_inputs()) {
    s_.report.failures.push_back({r.input, r.reason, r.detail, 0});
    ++s_.report.rejected;
  }
  if (s_.report.skipped) spdlog::info("{} tasks were already done (skipped)", s_.report.skipped);
}

uint32_t MasterLoop::LocalWorkerSlots() const {
  return opt_.worker_slots ? opt_.worker_slots : s_.job->local_worker_slots();
}

Status MasterLoop::StartLocalWorkers() {
  // Our own workers on the user's machine run the user's commands (exec jobs) too.
  std::vector<std::string> args{"--heartbeat-ms", std::to_string(opt_.heartbeat_ms), "--quiet",
                                "--allow-exec"};
  if (uint32_t slots = LocalWorkerSlots()) {
    args.push_back("--slots");
    args.push_back(std::to_string(slots));
  }
  if (!opt_.curve_secret.empty()) {
    // Our own workers authenticate with the master's key pair, which the allowlist always holds.
    args.insert(args.end(),
                {"--curve-secret", opt_.curve_secret, "--master-key", opt_.curve_secret});
  }
  return local_.Start(opt_.local_workers, sockets_.LocalEndpoint(), std::move(args));
}

// Waits for --expect-workers, and for our own local workers, so a run with N workers really
// measures N workers: the dispatcher stays closed until then.
Status MasterLoop::WaitForWorkers() {
  uint32_t expected = std::max(opt_.expect_workers, opt_.local_workers);
  if (expected == 0) return Status::Ok();
  auto deadline = Clock::now() + Millis(static_cast<int64_t>(opt_.wait_timeout_s * 1000));
  size_t shown = SIZE_MAX;
  while (s_.workers.greeted_count() < expected) {
    if (s_.workers.greeted_count() != shown && opt_.expect_workers > 0) {
      shown = s_.workers.greeted_count();
      std::fprintf(stderr, "waiting for workers: %zu of %u joined (timeout %.0f s)\n", shown,
                   expected, opt_.wait_timeout_s);
    }
    if (Clock::now() > deadline) {
      return {ErrorCode::kTimeout,
              "only " + std::to_string(s_.workers.greeted_count()) + " of " +
                  std::to_string(expected) + " workers joined within --wait-timeout " +
                  std::to_string(static_cast<int>(opt_.wait_timeout_s)) + " s"};
    }
    if (StopSignalsReceived() > 0) return {ErrorCode::kInterrupted, "interrupted while waiting"};
    Turn(Millis(100));
  }
  return Status::Ok();
}

void MasterLoop::Publish(proto::Message msg) {
  SendFrames(sockets_.control(), proto::Encode(std::move(msg)));
}

void MasterLoop::PublishStandby(TimePoint now, Millis every) {
  if (auto msg = standby_.Due(now, every)) Publish(std::move(*msg));
}

// --use-workers: the workers beyond N leave the tasks socket before the first dispatch, so that
// PUSH cannot hand them a batch. PUB drops what a slow joiner misses: the list is repeated.
Status MasterLoop::SettleStandby() {
  if (!standby_.enabled()) return Status::Ok();
  standby_.Assign();
  auto deadline = Clock::now() + Millis(static_cast<int64_t>(opt_.wait_timeout_s * 1000));
  while (!standby_.Settled()) {
    if (Clock::now() > deadline) {
      return {ErrorCode::kTimeout,
              "workers told to stand by did not confirm within --wait-timeout"};
    }
    if (StopSignalsReceived() > 0) return {ErrorCode::kInterrupted, "interrupted while waiting"};
    PublishStandby(Clock::now(), Millis(200));
    Turn(Millis(50));
  }
  return Status::Ok();
}

void MasterLoop::ExpireDeadWorkers(TimePoint now) {
  for (const auto& id : s_.workers.ExpireSilent(now)) {
    size_t held = s_.sched->held_by(id);
    auto failed = s_.sched->OnWorkerDead(id);
    s_.StreamsGone(id);
    const WorkerRecord* w = s_.workers.Find(id);
    spdlog::warn("worker {} ({} pid {}) silent for 3 heartbeats: declared dead, {} tasks requeued",
                 id, w ? w->info.host : "?", w ? w->info.pid : 0, held - failed.size());
    s_.report.dead_workers.push_back(id);
    for (jobs::TaskId t : failed) {
      jobs::TaskOutcome o{.id = t,
                          .error = "WORKER_DIED",
                          .detail = "its worker died while running it, every attempt"};
      s_.clock.Closed(now);
      s_.FailedForGood(t, id, s_.sched->attempts_of(t), 0, o);
    }
  }
}

// SIGHUP: read --authorized-workers again. A bad file keeps the old list (fail closed would lock
// out every worker mid-job). A removed key's worker leaves: its messages are dropped from now on,
// its tasks go back to the queue, and the tasks socket is bound anew so that its connection
// drops and cannot pass the ZAP handler again.
void MasterLoop::ReloadAuthorizedWorkers() {
  int reloads = ReloadSignalsReceived();
  if (reloads == reloads_seen_) return;
  reloads_seen_ = reloads;
  auto reloaded = sockets_.ReloadAllowlist();
  if (!reloaded.ok()) {
    return spdlog::error("SIGHUP: kept the previous allowlist: {}", reloaded.status().message());
  }
  const std::set<std::string>& removed = *reloaded;
  spdlog::info("SIGHUP: reloaded {} ({} keys removed)", opt_.authorized_workers, removed.size());
  if (removed.empty()) return;
  for (const auto& [id, w] : s_.workers.all()) {
    if (!w.alive || !removed.count(sink_->KeyOf(id))) continue;
    size_t held = s_.sched->held_by(id);
    s_.workers.MarkLeft(id);
    s_.StreamsGone(id);
    s_.sched->OnWorkerLeft(id, {});
    spdlog::warn("worker {}: its key was removed from the allowlist; {} tasks go back to the queue",
                 id, held);
  }
  if (Status s = sockets_.RebindTasks(); !s.ok()) spdlog::error("{}", s.message());
}

void MasterLoop::Timers(TimePoint now) {
  if (now - last_timers_ < Millis(100)) return;
  last_timers_ = now;
  ReloadAuthorizedWorkers();
  ExpireDeadWorkers(now);
  if (dispatcher_->is_open()) {
    standby_.Assign();  // a worker joining mid-job sits out too once N take part
    PublishStandby(now, Millis(1000));
  }
  s_.sched->AdaptLease(
      dispatcher_->Depth(s_.sched->median_task_seconds(), s_.sched->median_handoff_seconds()));
  s_.sched->RequeueExpiredLeases(now);
  local_.Supervise(/*replace=*/!draining_ && !s_.sched->Finished());
  if (Status s = s_.journal.Flush(now); !s.ok()) spdlog::error("{}", s.message());
  s_.joblog.Flush();  // readable while the job runs (tail -f)
  if (dispatcher_->is_open()) progress_.Maybe(Snapshot(now), now);
}

void MasterLoop::Turn(Millis timeout) {
  // A worker's pipe that was full frees up when it reads, i.e. when it has sent results: the
  // results socket is the one to wait on.
  zmq::pollitem_t items[] = {{sockets_.results().handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, StopSignalFd(), ZMQ_POLLIN, 0}};  // Ctrl-C wakes us
  try {
    zmq::poll(items, 2, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
  if (items[1].revents & ZMQ_POLLIN) DrainStopSignalFd();
  TimePoint woke = Clock::now();
  sink_->ReceiveAll();
  sink_->CollectFolds();
  GrantBodyCredit();
  TimePoint now = Clock::now();
  s_.trace.MasterWork("receive results", woke, now);
  Timers(now);
  TimePoint filling = Clock::now();
  if (!s_.sched->Finished()) dispatcher_->Fill(filling, sink_->folding());
  s_.trace.MasterWork("dispatch", filling, Clock::now());
  if (Status s = s_.journal.Flush(now); !s.ok()) spdlog::error("{}", s.message());
}

// Bytes the job has written free budget for the pieces workers are waiting to send.
void MasterLoop::GrantBodyCredit() {
  s_.body_credit.Released(s_.job->poll_piece_bytes_released());
  for (const auto& grant : s_.body_credit.Grant()) {
    if (!dispatcher_->SendCredit(grant)) s_.body_credit.Ungrant(grant.worker, grant.bytes);
  }
}

// STOP tells every worker the job is over. Only --shutdown-workers makes them exit; local workers
// are ours to stop, by signal, so that external workers stay for the next job.
void MasterLoop::StopWorkers() {
  Publish(proto::Stop{s_.job_id});
  if (opt_.shutdown_workers) Publish(proto::Shutdown{});
  local_.Stop();
  if (sink_ && s_.sched) sink_->ReceiveAll();  // their BYEs (none if the job never got prepared)
}

ProgressSnapshot MasterLoop::Snapshot(TimePoint now) const {
  return {.done = s_.sched->done_count(),
          .failed = s_.sched->failed_count(),
          .total = s_.sched->total(),
          .workers = s_.workers.alive_count(),
          .elapsed_s = s_.clock.Elapsed(now, s_.sched->Finished()),
          .bytes = s_.report.bytes};
}

ExitCode MasterLoop::Finish() {
  jobs::MasterJob& job = *s_.job;
  job.wait_folds();
  sink_->CollectFolds();
  TimePoint now = Clock::now();
  progress_.Maybe(Snapshot(now), now, /*final=*/true);
  (void)s_.journal.Flush(now, /*force=*/true);
  StopWorkers();
  job.finish();
  JobReport& r = s_.report;
  r.job = job.name();
  r.task_noun = job.task_noun();
  r.elapsed_s = s_.clock.Elapsed(now, s_.sched->Finished());
  r.total = s_.sched->total();
  r.done = s_.sched->done_count();
  r.failed = s_.sched->failed_count() + r.rejected;
  r.stats = s_.sched->stats();
  if (ZapHandler* zap = sockets_.zap()) r.auth_refused = zap->refused();
  if (s_.trace.enabled()) {
    if (Status s = s_.trace.Write(opt_.trace, now); !s.ok()) PrintError(s);
  }
  r.curve = sockets_.zap() != nullptr;
  if (opt_.json) {
    std::cout << ReportJson(r, s_.workers, job.result_json()).dump() << std::endl;
  } else {
    std::ostream& out = job.owns_stdout() ? std::cerr : std::cout;  // exec: commands' output
    PrintReport(out, r, s_.workers);
    job.print_result(out);
    out.flush();
  }
  if (r.interrupted) return ExitCode::kInterrupted;
  if (r.failed > 0 || !job.verified_ok()) return ExitCode::kJobFailed;
  return ExitCode::kOk;
}

// The job's input, the scheduler, the journal (and what it already holds) and the joblog.
Status MasterLoop::Prepare() {
  auto resumed = ReadResumedJournal();
  if (!resumed.ok()) return resumed.status();
  uint32_t plan_slots = PlannedSlots(*resumed);
  s_.job->configure({.joblog = opt_.joblog,
                     .resume = opt_.resume,
                     .json = opt_.json,
                     .planned_slots = plan_slots});
  if (Status s = s_.job->prepare(); !s.ok()) return s;
  s_.sched = std::make_unique<Scheduler>(
      s_.job->task_count(),
      SchedulerConfig{.max_attempts = opt_.max_attempts, .lease = Millis(opt_.lease_ms)});
  if (Status s = OpenJournal(*resumed, plan_slots); !s.ok()) return s;
  TakeJobsOwnKnowledge();
  return s_.joblog.Open(opt_.joblog, s_.job.get());
}

ExitCode MasterLoop::Run() {
  if (opt_.use_workers > std::max(opt_.expect_workers, opt_.local_workers)) {
    PrintError(
        UsageError("--use-workers N needs --expect-workers (or --local-workers) of at "
                   "least N: the master waits for them all, then puts the rest on standby"));
    return ExitCode::kUsage;
  }
  InstallStopSignalHandlers();
  InstallReloadSignalHandler();
  if (Status s = Bind(); !s.ok()) return PrintError(s), ExitCodeFor(s);
  // Local workers start (exec, connect) while the job reads its input; they wait for tasks.
  if (Status s = StartLocalWorkers(); !s.ok()) return PrintError(s), ExitCodeFor(s);
  if (Status s = Prepare(); !s.ok()) {
    PrintError(s);
    StopWorkers();
    return ExitCodeFor(s);
  }
  std::fprintf(stderr, "zfan master: job %s, %llu tasks on %s; %s\n", s_.job->name().c_str(),
               static_cast<unsigned long long>(s_.sched->total()),
               sockets_.endpoints().tasks().c_str(), sockets_.JoinInstructions().c_str());
  Status ready = WaitForWorkers();
  if (ready.ok()) ready = SettleStandby();
  if (!ready.ok()) {
    PrintError(ready);
    StopWorkers();
    return ExitCodeFor(ready);
  }
  dispatcher_->Open();
  // The first tasks go now, not after a tick spent waiting for results that nothing can send.
  dispatcher_->Fill(Clock::now(), sink_->folding());
  int signals_seen = 0;
  while (!s_.sched->Finished()) {
    int signals = StopSignalsReceived();
    if (signals > signals_seen) {
      signals_seen = signals;
      if (draining_) break;  // second Ctrl-C: stop now
      draining_ = true;
      s_.report.interrupted = true;
      drain_deadline_ = Clock::now() + Millis(static_cast<int64_t>(opt_.drain_timeout_s * 1000));
      std::fprintf(stderr,
                   "\nzfan: stopping: waiting up to %.0f s for %zu tasks in flight (Ctrl-C again "
                   "to quit now)\n",
                   opt_.drain_timeout_s, s_.sched->outstanding());
      dispatcher_->Close();
    }
    if (draining_ && (s_.sched->outstanding() == 0 || Clock::now() > drain_deadline_)) break;
    Turn(kTick);
  }
  return Finish();
}

}  // namespace

ExitCode RunMaster(std::unique_ptr<jobs::MasterJob> job, const MasterOptions& options) {
  try {
    // Before the loop: its ZeroMQ context starts threads, and the forks must come first.
    PreforkedWorkers preforked(options.local_workers, options.run_in_child);
    MasterLoop loop(std::move(job), options, std::move(preforked));
    return loop.Run();
  } catch (const std::exception& e) {
    PrintError(Status(ErrorCode::kInternal, std::string("internal error: ") + e.what()));
    return ExitCode::kRuntime;
  }
}

}  // namespace zfan::master
