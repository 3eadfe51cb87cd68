// The master event loop. One thread: poll the results socket with a short timeout, handle every
// message waiting, run the timers (dead workers, leases, stragglers, progress, journal), then
// dispatch while the window has room.
#include "master/master.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <zmq.hpp>

#include "common/child_process.h"
#include "common/endpoint.h"
#include "common/signals.h"
#include "common/wire.h"
#include "jobs/registry.h"
#include "master/journal.h"
#include "master/preforked_workers.h"
#include "master/progress.h"
#include "master/scheduler.h"
#include "master/summary.h"
#include "master/worker_registry.h"
#include "proto/messages.h"

namespace zfan::master {
namespace {

constexpr Millis kTick{50};
constexpr double kPipelineSeconds = 0.01;  // work each slot should have queued, to hide latency
constexpr uint32_t kMaxDepth = 2048;
constexpr uint64_t kMaxBatchBytes = 4u << 20;  // payload bytes per slot's share of the window

void PrintError(const Status& s) { std::fprintf(stderr, "zfan: %s\n", s.message().c_str()); }

bool IsLoopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "localhost";
}

uint64_t NewJobId() {
  std::random_device rd;
  uint64_t id = (static_cast<uint64_t>(rd()) << 32) | rd();
  return id ? id : 1;
}

class MasterLoop {
 public:
  MasterLoop(std::unique_ptr<jobs::MasterJob> job, const MasterOptions& o,
             PreforkedWorkers preforked)
      : job_(std::move(job)),
        entry_(jobs::FindJob(job_->name())),
        opt_(o),
        job_id_(NewJobId()),
        progress_(!o.quiet, o.progress_interval_s),
        preforked_(std::move(preforked)) {}

  ExitCode Run();

 private:
  Status Bind();
  std::string WorkerEndpoint() const;
  Status OpenJournal();
  Status OpenJoblog();
  void TakeJobsOwnKnowledge();
  Status StartLocalWorkers();
  Status Prepare();
  Status SpawnLocalWorker();
  void SuperviseLocalWorkers();
  Status WaitForWorkers();
  void Turn(Millis timeout);
  void ReceiveAll();
  void Handle(proto::Message& msg);  // results are moved out of it
  void HandleHello(const proto::WorkerInfo& info);
  void HandleResults(proto::Results& r);
  void HandleItem(const std::string& worker, proto::ResultItem& item);
  struct Completion {  // a successful task, kept until its result is journaled
    std::string worker;
    uint32_t attempts;
    uint64_t bytes;
    double seconds;
  };
  void Completed(jobs::TaskId id, const Completion& c, const std::string& result);
  void CollectFolds();
  void RecordFailure(jobs::TaskId id, const std::string& worker, const jobs::TaskOutcome& o);
  void Joblog(jobs::TaskId id, const std::string& worker, uint32_t attempts, uint64_t bytes,
              double seconds, const std::string& status, const std::string& detail);
  void Timers(TimePoint now);
  void ExpireDeadWorkers(TimePoint now);
  void FillWindow(TimePoint now);
  bool SendTasks(const std::vector<Dispatch>& batch);
  uint64_t WindowSlots() const;
  uint64_t IdleSlots() const;
  double Depth(double median_task_s) const;
  void Publish(const proto::Message& msg);
  void StopWorkers();
  ExitCode Finish();
  void CountBadFrame(const std::string& peer, const std::string& why);
  ProgressSnapshot Snapshot(TimePoint now) const;

  std::unique_ptr<jobs::MasterJob> job_;
  const jobs::JobEntry* entry_;
  MasterOptions opt_;
  uint64_t job_id_;
  std::string params_json_;
  zmq::context_t ctx_{1};
  zmq::socket_t tasks_{ctx_, zmq::socket_type::push};
  zmq::socket_t results_{ctx_, zmq::socket_type::pull};
  zmq::socket_t control_{ctx_, zmq::socket_type::pub};
  Endpoints endpoints_;
  std::unique_ptr<Scheduler> sched_;
  WorkerRegistry workers_;
  JournalWriter journal_;
  std::ofstream joblog_;
  ProgressReporter progress_;
  JobReport report_;
  uint64_t avg_payload_bytes_ = 0;                        // running average of task payload sizes
  std::unordered_map<jobs::TaskId, Completion> folding_;  // done, fold not yet durable
  PreforkedWorkers preforked_;
  std::vector<ChildProcess> local_;
  uint32_t local_spawned_ = 0;
  std::set<std::string> bad_peers_logged_;
  TimePoint start_{};
  TimePoint last_timers_{};
  TimePoint drain_deadline_{};
  bool draining_ = false;
  bool tasks_blocked_ = false;  // the last batch found every worker pipe full
};

Status MasterLoop::Bind() {
  if (!IsLoopback(opt_.bind) && !opt_.insecure) {
    return UsageError(
        "binding " + opt_.bind +
        " lets any host on the network send work results; this zfan has no CURVE "
        "keys yet, so pass --insecure to accept that (or keep the default 127.0.0.1)");
  }
  auto ep = MakeBindEndpoints(opt_.bind, opt_.port);
  if (!ep.ok()) return ep.status();
  endpoints_ = *ep;
  const auto& limits = proto::DefaultLimits();
  // Small HWMs and IMMEDIATE: a batch is queued only to a connected worker, and only a couple per
  // pipe, so tasks do not pile up behind a slow or dead worker (the window bounds the rest).
  Tune(tasks_, {.send_hwm = 2, .recv_hwm = 2, .immediate = true});
  Tune(results_,
       {.recv_hwm = 10000, .max_msg_bytes = static_cast<int64_t>(limits.max_frame_bytes)});
  Tune(control_, {.send_hwm = 1000});
  std::string bind_host = opt_.bind == "0.0.0.0" ? "*" : endpoints_.host;
  Endpoints bind_ep = endpoints_;
  bind_ep.host = bind_host;
  for (auto [sock, url] : {std::pair{&tasks_, bind_ep.tasks()},
                           {&results_, bind_ep.results()},
                           {&control_, bind_ep.control()}}) {
    try {
      sock->bind(url);
    } catch (const zmq::error_t& e) {
      if (e.num() == EADDRINUSE) {
        return IoError(
            "port " + url.substr(url.rfind(':') + 1) +
            " is in use (zfan needs PORT, PORT+1 and PORT+2): choose another with --port");
      }
      return IoError("cannot bind " + url + ": " + e.what());
    }
  }
  return Status::Ok();
}

// What a worker on another machine should connect to: a wildcard bind is reached by host name.
std::string MasterLoop::WorkerEndpoint() const {
  if (opt_.bind != "0.0.0.0" && opt_.bind != "*" && opt_.bind != "::") return endpoints_.tasks();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  Endpoints ep = endpoints_;
  ep.host = host;
  return ep.tasks();
}

Status MasterLoop::OpenJournal() {
  std::string path = opt_.journal.empty() ? job_->default_journal() : opt_.journal;
  if (path.empty()) {
    if (opt_.resume) return UsageError("--resume needs --journal FILE");
    return Status::Ok();
  }
  bool fresh = true;
  if (opt_.resume) {
    if (Status s = job_->check_resume(); !s.ok()) return s;
    auto contents = ReadJournal(path);
    if (!contents.ok()) return contents.status();
    if (!contents->job.empty()) {
      if (contents->fingerprint != job_->fingerprint()) {
        return UsageError("journal '" + path + "' belongs to another job (" +
                          contents->fingerprint + "); remove it or run without --resume");
      }
      fresh = false;
    }
    for (const auto& e : contents->entries) {
      if (e.id >= sched_->total() || sched_->IsClosed(e.id)) continue;
      jobs::TaskOutcome o{.id = e.id, .result = e.result};
      if (!job_->fold(o, true).ok()) continue;
      uint64_t before = sched_->done_count();
      sched_->MarkDone(e.id);
      report_.resumed += sched_->done_count() - before;
    }
    spdlog::info("resume: {} of {} tasks done in the journal", report_.resumed, sched_->total());
    if (contents->skipped_lines) {
      spdlog::warn("resume: ignored {} torn or malformed journal lines", contents->skipped_lines);
    }
  }
  return journal_.Open(path, fresh, job_->name(), job_->fingerprint());
}

// What prepare() found: tasks already done on disk (journaled again, so the new journal is
// complete) and inputs rejected before they became tasks (reported as failures).
void MasterLoop::TakeJobsOwnKnowledge() {
  for (auto& [id, result] : job_->done_before_start()) {
    if (id >= sched_->total() || sched_->IsClosed(id)) continue;
    sched_->MarkDone(id);
    ++report_.skipped;
    journal_.Append(id, result);
  }
  for (const auto& r : job_->rejected_inputs()) {
    report_.failures.push_back({r.input, r.reason, r.detail, 0});
    ++report_.rejected;
  }
  if (report_.skipped) spdlog::info("{} tasks were already done (skipped)", report_.skipped);
}

Status MasterLoop::OpenJoblog() {
  if (opt_.joblog.empty()) return Status::Ok();
  joblog_.open(opt_.joblog, std::ios::out | std::ios::trunc);
  if (!joblog_) return IoError("cannot write --joblog file '" + opt_.joblog + "'");
  joblog_ << job_->task_noun() << "\tworker\tattempts\tbytes\tseconds\tstatus\tdetail\t"
          << job_->joblog_note_heading() << '\n';
  return Status::Ok();
}

// The workers of the start are the preforked ones (no exec, no dynamic loader); a replacement
// later is exec'd: forking the master now would copy a process with threads and a grown heap.
Status MasterLoop::SpawnLocalWorker() {
  std::string host = opt_.bind == "0.0.0.0" || opt_.bind == "*" ? "127.0.0.1" : endpoints_.host;
  Endpoints ep = endpoints_;
  ep.host = host;
  std::vector<std::string> argv{opt_.self_exe,
                                "worker",
                                ep.tasks(),
                                "--id",
                                "local-" + std::to_string(++local_spawned_),
                                "--heartbeat-ms",
                                std::to_string(opt_.heartbeat_ms),
                                "--quiet"};
  uint32_t slots = opt_.worker_slots ? opt_.worker_slots : job_->local_worker_slots();
  if (slots) {
    argv.push_back("--slots");
    argv.push_back(std::to_string(slots));
  }
  std::optional<ChildProcess> child = preforked_.Launch({argv.begin() + 1, argv.end()});
  if (!child) {
    auto spawned = ChildProcess::Spawn(argv);
    if (!spawned.ok()) return spawned.status();
    child = std::move(spawned).value();
  }
  local_.push_back(std::move(*child));
  return Status::Ok();
}

Status MasterLoop::StartLocalWorkers() {
  for (uint32_t i = 0; i < opt_.local_workers; ++i) {
    if (Status s = SpawnLocalWorker(); !s.ok()) return s;
  }
  return Status::Ok();
}

// A local worker that dies mid-job (crash, OOM, poison task) is replaced, within a budget.
void MasterLoop::SuperviseLocalWorkers() {
  size_t exited = 0;
  for (auto& child : local_) {
    if (auto status = child.Poll()) {
      spdlog::warn("local worker pid {} exited with status {}", child.pid(), *status);
      ++exited;
    }
  }
  if (exited == 0) return;
  std::erase_if(local_, [](ChildProcess& c) { return c.Poll().has_value(); });
  if (draining_ || sched_->Finished()) return;
  for (size_t i = 0; i < exited && local_spawned_ < opt_.local_workers * 4 + 4; ++i) {
    if (!SpawnLocalWorker().ok()) spdlog::error("could not start a replacement local worker");
  }
}

// Waits for --expect-workers, and for our own local workers, so a run with N workers really
// measures N workers.
Status MasterLoop::WaitForWorkers() {
  uint32_t expected = std::max(opt_.expect_workers, opt_.local_workers);
  if (expected == 0) return Status::Ok();
  auto deadline = Clock::now() + Millis(static_cast<int64_t>(opt_.wait_timeout_s * 1000));
  size_t shown = SIZE_MAX;
  while (workers_.alive_count() < expected) {
    if (workers_.alive_count() != shown && opt_.expect_workers > 0) {
      shown = workers_.alive_count();
      std::fprintf(stderr, "waiting for workers: %zu of %u joined (timeout %.0f s)\n", shown,
                   expected, opt_.wait_timeout_s);
    }
    if (Clock::now() > deadline) {
      return {ErrorCode::kTimeout,
              "only " + std::to_string(workers_.alive_count()) + " of " + std::to_string(expected) +
                  " workers joined within --wait-timeout " +
                  std::to_string(static_cast<int>(opt_.wait_timeout_s)) + " s"};
    }
    if (StopSignalsReceived() > 0) return {ErrorCode::kInterrupted, "interrupted while waiting"};
    Turn(Millis(100));
    SuperviseLocalWorkers();
  }
  return Status::Ok();
}

void MasterLoop::CountBadFrame(const std::string& peer, const std::string& why) {
  ++report_.bad_frames;
  if (bad_peers_logged_.insert(peer).second) {
    spdlog::warn("dropped a bad message from {}: {} (further ones from it are only counted)", peer,
                 why);
  }
}

void MasterLoop::ReceiveAll() {
  std::string peer;
  for (int n = 0; n < 20000; ++n) {
    auto frames = TryRecvFrames(results_, &peer);
    if (!frames) return;
    auto msg = proto::Decode(std::move(*frames));
    if (!msg.ok()) {
      CountBadFrame(peer, msg.status().message());
      continue;
    }
    Handle(*msg);
  }
}

void MasterLoop::HandleHello(const proto::WorkerInfo& info) {
  auto seen = workers_.Touch(info, Clock::now());
  const uint32_t slots = info.slots ? info.slots : entry_->auto_slots(info.cores);
  workers_.Find(info.id)->slots = slots;
  if (seen == WorkerRegistry::Seen::kNew) {
    spdlog::info("worker {} joined ({} pid {}, {} slot{})", info.id, info.host, info.pid, slots,
                 slots == 1 ? "" : "s");
  } else if (seen == WorkerRegistry::Seen::kBack) {
    spdlog::warn("worker {} is back after being declared dead; welcomed as new", info.id);
  }
}

void MasterLoop::Handle(proto::Message& msg) {
  TimePoint now = Clock::now();
  if (const auto* m = std::get_if<proto::Hello>(&msg)) return HandleHello(m->worker);
  if (const auto* m = std::get_if<proto::Heartbeat>(&msg)) return HandleHello(m->worker);
  if (const auto* m = std::get_if<proto::Taken>(&msg)) {
    workers_.TouchId(m->worker_id, now);
    if (m->job_id != job_id_) return;
    sched_->OnTaken(m->worker_id, m->ids, now);
    if (WorkerRecord* w = workers_.Find(m->worker_id))
      w->peak_held = std::max<uint64_t>(w->peak_held, sched_->held_by(m->worker_id));
    return;
  }
  if (const auto* m = std::get_if<proto::Started>(&msg)) {
    workers_.TouchId(m->worker_id, now);
    if (m->job_id == job_id_) sched_->OnStarted(m->worker_id, m->ids);
    return;
  }
  if (auto* m = std::get_if<proto::Results>(&msg)) {
    return HandleResults(*m);
  }
  if (const auto* m = std::get_if<proto::Bye>(&msg)) {
    workers_.MarkLeft(m->worker_id);
    size_t held = sched_->held_by(m->worker_id);
    sched_->OnWorkerLeft(m->worker_id,
                         m->job_id == job_id_ ? m->handed_back : std::vector<uint64_t>{});
    spdlog::info("worker {} left; {} tasks go back to the queue", m->worker_id, held);
    return;
  }
  CountBadFrame("a worker", "a master-to-worker message arrived on the results socket");
}

void MasterLoop::HandleResults(proto::Results& r) {
  workers_.TouchId(r.worker_id, Clock::now());
  if (r.job_id != job_id_) {
    report_.stale += r.items.size();
    return;
  }
  for (auto& item : r.items) HandleItem(r.worker_id, item);
}

void MasterLoop::HandleItem(const std::string& worker, proto::ResultItem& item) {
  WorkerRecord* w = workers_.Find(worker);
  jobs::TaskOutcome o{.id = item.id,
                      .error = std::move(item.error),
                      .detail = std::move(item.detail),
                      .result = std::move(item.result),
                      .bulk = std::move(item.bulk),
                      .bulk2 = std::move(item.bulk2),
                      .attempts = item.attempts,
                      .busy_us = item.busy_us};
  if (w) w->busy_us += o.busy_us;
  if (!o.ok()) {
    if (w) ++w->failures;
    return RecordFailure(o.id, worker, o);
  }
  if (o.id >= sched_->total() || sched_->IsClosed(o.id)) {
    sched_->OnResult(o.id, worker, o.busy_us);  // counts the duplicate
    return;
  }
  Completion c{worker, sched_->attempts_of(o.id) + o.attempts - 1, o.bulk.size() + o.bulk2.size(),
               o.busy_us / 1e6};  // before fold(), which may take the bytes
  if (Status s = job_->fold(o, false); !s.ok()) {
    o.error = "SINK_ERROR";
    o.detail = s.message();
    return RecordFailure(o.id, worker, o);
  }
  sched_->OnResult(o.id, worker, o.busy_us);
  if (w) ++w->tasks;
  report_.bytes += c.bytes;
  if (job_->folds_later()) {
    folding_[o.id] = std::move(c);
  } else {
    Completed(o.id, c, o.result);
  }
}

void MasterLoop::Completed(jobs::TaskId id, const Completion& c, const std::string& result) {
  journal_.Append(id, result);
  Joblog(id, c.worker, c.attempts, c.bytes, c.seconds, "OK", "");
}

// Folds the job finished on its own threads: journal them, or turn them into failures.
void MasterLoop::CollectFolds() {
  for (auto& done : job_->poll_folds()) {
    auto it = folding_.find(done.id);
    if (it == folding_.end()) continue;
    Completion c = std::move(it->second);
    folding_.erase(it);
    if (done.status.ok()) {
      Completed(done.id, c, done.result);
      continue;
    }
    sched_->FailDone(done.id);
    jobs::TaskOutcome o{.id = done.id, .error = "SINK_ERROR", .detail = done.status.message()};
    job_->failed(done.id, o);
    report_.failures.push_back({job_->describe(done.id), o.error, o.detail, c.attempts});
    Joblog(done.id, c.worker, c.attempts, 0, c.seconds, o.error, o.detail);
  }
}

void MasterLoop::RecordFailure(jobs::TaskId id, const std::string& worker,
                               const jobs::TaskOutcome& o) {
  uint32_t attempts = sched_->attempts_of(id) + o.attempts - 1;
  auto kind = sched_->OnFailure(id, job_->retryable(o.error));
  if (kind == FailureKind::kRetry) {
    spdlog::debug("task {} failed on {} ({}); retrying", job_->describe(id), worker, o.error);
    return;
  }
  if (kind != FailureKind::kFailedForGood) return;
  job_->failed(id, o);
  report_.failures.push_back({job_->describe(id), o.error, o.detail, attempts});
  Joblog(id, worker, attempts, 0, o.busy_us / 1e6, o.error, o.detail);
}

void MasterLoop::Joblog(jobs::TaskId id, const std::string& worker, uint32_t attempts,
                        uint64_t bytes, double seconds, const std::string& status,
                        const std::string& detail) {
  if (!joblog_.is_open()) return;
  joblog_ << job_->describe(id) << '\t' << worker << '\t' << attempts << '\t' << bytes << '\t'
          << seconds << '\t' << status << '\t' << detail << '\t' << job_->joblog_note(id) << '\n';
}

void MasterLoop::ExpireDeadWorkers(TimePoint now) {
  for (const auto& id : workers_.ExpireSilent(now)) {
    size_t held = sched_->held_by(id);
    auto failed = sched_->OnWorkerDead(id);
    const WorkerRecord* w = workers_.Find(id);
    spdlog::warn("worker {} ({} pid {}) silent for 3 heartbeats: declared dead, {} tasks requeued",
                 id, w ? w->info.host : "?", w ? w->info.pid : 0, held - failed.size());
    report_.dead_workers.push_back(id);
    for (jobs::TaskId t : failed) {
      jobs::TaskOutcome o{.id = t,
                          .error = "WORKER_DIED",
                          .detail = "its worker died while running it, every attempt"};
      job_->failed(t, o);
      report_.failures.push_back({job_->describe(t), o.error, o.detail, sched_->attempts_of(t)});
      Joblog(t, id, sched_->attempts_of(t), 0, 0, o.error, o.detail);
    }
  }
}

void MasterLoop::Timers(TimePoint now) {
  if (now - last_timers_ < Millis(100)) return;
  last_timers_ = now;
  ExpireDeadWorkers(now);
  sched_->AdaptLease(Depth(sched_->median_task_seconds()));
  sched_->RequeueExpiredLeases(now);
  SuperviseLocalWorkers();
  if (Status s = journal_.Flush(now); !s.ok()) spdlog::error("{}", s.message());
  if (joblog_.is_open()) joblog_.flush();  // readable while the job runs (tail -f)
  progress_.Maybe(Snapshot(now), now);
}

uint64_t MasterLoop::WindowSlots() const { return workers_.alive_slots(); }

// Slots of live workers that hold fewer tasks than they can run: room for speculative copies.
uint64_t MasterLoop::IdleSlots() const {
  uint64_t idle = 0;
  for (const auto& [id, w] : workers_.all()) {
    size_t held = sched_->held_by(id);
    if (w.alive && held < w.slots) idle += w.slots - held;
  }
  return idle;
}

// Tasks each slot should hold: enough to cover kPipelineSeconds of work, so tiny tasks are
// pipelined deeply (and batched), and at least 2, so a slot never waits a round trip to the
// master for its next task. Big payloads (sum chunks shipped as data) are capped by bytes, so a
// batch stays a few MB. FillWindow drops to 1 per slot for the last window of the job.
double MasterLoop::Depth(double median_task_s) const {
  if (sched_->done_count() == report_.resumed + report_.skipped) return 2;
  double task_s = std::max(median_task_s, 1e-6);
  double by_time = 1 + kPipelineSeconds / task_s;
  double by_bytes = static_cast<double>(kMaxBatchBytes) /
                    static_cast<double>(std::max<uint64_t>(avg_payload_bytes_, 1));
  return std::clamp(std::min(by_time, by_bytes), 2.0, static_cast<double>(kMaxDepth));
}

bool MasterLoop::SendTasks(const std::vector<Dispatch>& batch) {
  proto::Tasks msg{.job_id = job_id_, .job_name = job_->name(), .params_json = params_json_};
  msg.items.reserve(batch.size());
  for (const auto& d : batch) {
    jobs::TaskSpec t = job_->make_task(d.id);
    avg_payload_bytes_ = (7 * avg_payload_bytes_ + t.payload.size()) / 8;
    msg.items.push_back({d.id, d.attempt, std::move(t.payload)});
  }
  bool sent = SendFrames(tasks_, proto::Encode(proto::Message(std::move(msg))), /*dontwait=*/true);
  if (sent) ++report_.batches;
  return sent;
}

void MasterLoop::FillWindow(TimePoint now) {
  if (draining_) return;
  uint64_t slots = WindowSlots();
  if (slots == 0) return;
  double task_s = sched_->median_task_seconds();  // once per turn: it sorts recent times
  double depth = Depth(task_s);
  uint64_t unfinished = sched_->total() - sched_->done_count() - sched_->failed_count();
  // The last window's worth: no more than a task per slot, so none of the last tasks waits queued
  // on one worker while another worker's slot is free (PUSH, not the master, picks the worker).
  // Only for tasks longer than kPipelineSeconds, of which a slot holds the minimum of 2: shorter
  // ones queue ~kPipelineSeconds of work per slot anyway, and a round trip per task for the last
  // 2 x 2,048 per slot cost a 10,000-task sum 3x its time.
  bool long_tasks = task_s > kPipelineSeconds;
  if (long_tasks && unfinished < slots * depth + slots) depth = 1;
  auto window = static_cast<uint64_t>(std::ceil(static_cast<double>(slots) * depth));
  if (folding_.size() > 4 * window) return;  // the sink's disk is behind: let it catch up
  uint64_t fair_share = (unfinished + slots - 1) / slots;  // keep the tail spread over workers
  // Half a worker's share of the window per batch: a worker works on one batch while the next
  // waits in its pipe. PUSH picks the worker, so the share is that of an average worker.
  uint64_t per_worker = slots / std::max<uint64_t>(workers_.alive_count(), 1);
  auto per_batch = std::max<uint64_t>(static_cast<uint64_t>(per_worker * depth / 2), 1);
  while (sched_->outstanding() < window && sched_->HasWaiting()) {
    size_t n =
        std::min({per_batch, window - sched_->outstanding(), std::max<uint64_t>(fair_share, 1)});
    auto batch = sched_->NextBatch(n, now);
    if (batch.empty()) break;
    if (!SendTasks(batch)) {  // no connected worker can take it now
      sched_->Unsend(batch);
      tasks_blocked_ = true;  // Turn wakes up when a pipe has room again
      break;
    }
  }
  if (opt_.speculate && !sched_->HasWaiting()) {
    auto copies = sched_->Stragglers(IdleSlots(), now);
    if (!copies.empty())
      spdlog::info("sending speculative copies of {} straggling tasks", copies.size());
    for (const auto& c : copies) SendTasks({c});
  }
}

void MasterLoop::Turn(Millis timeout) {
  // Also wake up when a worker's pipe has room for the batch that did not fit: waiting for the
  // next result instead would leave workers with free slots idle.
  zmq::pollitem_t items[] = {{results_.handle(), 0, ZMQ_POLLIN, 0},
                             {tasks_.handle(), 0, ZMQ_POLLOUT, 0}};
  try {
    zmq::poll(items, tasks_blocked_ ? 2 : 1, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
  ReceiveAll();
  CollectFolds();
  TimePoint now = Clock::now();
  Timers(now);
  tasks_blocked_ = false;
  if (!sched_->Finished()) FillWindow(now);
  if (Status s = journal_.Flush(now); !s.ok()) spdlog::error("{}", s.message());
}

void MasterLoop::Publish(const proto::Message& msg) { SendFrames(control_, proto::Encode(msg)); }

// STOP tells every worker the job is over. Only --shutdown-workers makes them exit; local workers
// are ours to stop, by signal, so that external workers stay for the next job.
void MasterLoop::StopWorkers() {
  Publish(proto::Stop{job_id_});
  if (opt_.shutdown_workers) Publish(proto::Shutdown{});
  for (auto& child : local_) child.Signal(SIGTERM);
  for (auto& child : local_) child.WaitFor(Millis(3000));
  if (sched_) ReceiveAll();  // their BYEs (none to count if the job never got prepared)
  local_.clear();            // stops any still running
}

ProgressSnapshot MasterLoop::Snapshot(TimePoint now) const {
  return {.done = sched_->done_count(),
          .failed = sched_->failed_count(),
          .total = sched_->total(),
          .workers = workers_.alive_count(),
          .elapsed_s = SecondsBetween(start_, now),
          .bytes = report_.bytes};
}

ExitCode MasterLoop::Finish() {
  job_->wait_folds();
  CollectFolds();
  TimePoint now = Clock::now();
  progress_.Maybe(Snapshot(now), now, /*final=*/true);
  (void)journal_.Flush(now, /*force=*/true);
  StopWorkers();
  job_->finish();
  report_.job = job_->name();
  report_.task_noun = job_->task_noun();
  report_.elapsed_s = SecondsBetween(start_, now);
  report_.total = sched_->total();
  report_.done = sched_->done_count();
  report_.failed = sched_->failed_count() + report_.rejected;
  report_.stats = sched_->stats();
  if (opt_.json) {
    std::cout << ReportJson(report_, workers_, job_->result_json()).dump() << std::endl;
  } else {
    PrintReport(std::cout, report_, workers_);
    job_->print_result(std::cout);
    std::cout.flush();
  }
  if (report_.interrupted) return ExitCode::kInterrupted;
  if (report_.failed > 0 || !job_->verified_ok()) return ExitCode::kJobFailed;
  return ExitCode::kOk;
}

// The job's input, the scheduler, the journal (and what it already holds) and the joblog.
Status MasterLoop::Prepare() {
  if (Status s = job_->prepare(); !s.ok()) return s;
  sched_ = std::make_unique<Scheduler>(
      job_->task_count(),
      SchedulerConfig{.max_attempts = opt_.max_attempts, .lease = Millis(opt_.lease_ms)});
  if (Status s = OpenJournal(); !s.ok()) return s;
  TakeJobsOwnKnowledge();
  return OpenJoblog();
}

ExitCode MasterLoop::Run() {
  InstallStopSignalHandlers();
  params_json_ = job_->worker_params().dump();
  if (Status s = Bind(); !s.ok()) return PrintError(s), ExitCodeFor(s);
  // Local workers start (exec, connect) while the job reads its input; they wait for tasks.
  if (Status s = StartLocalWorkers(); !s.ok()) return PrintError(s), ExitCodeFor(s);
  if (Status s = Prepare(); !s.ok()) {
    PrintError(s);
    StopWorkers();
    return ExitCodeFor(s);
  }
  std::fprintf(
      stderr,
      "zfan master: job %s, %llu tasks on %s; start workers elsewhere with:  zfan worker %s\n",
      job_->name().c_str(), static_cast<unsigned long long>(sched_->total()),
      endpoints_.tasks().c_str(), WorkerEndpoint().c_str());
  if (Status s = WaitForWorkers(); !s.ok()) {
    PrintError(s);
    StopWorkers();
    return ExitCodeFor(s);
  }
  start_ = Clock::now();
  int signals_seen = 0;
  while (!sched_->Finished()) {
    int signals = StopSignalsReceived();
    if (signals > signals_seen) {
      signals_seen = signals;
      if (draining_) break;  // second Ctrl-C: stop now
      draining_ = true;
      report_.interrupted = true;
      drain_deadline_ = Clock::now() + Millis(static_cast<int64_t>(opt_.drain_timeout_s * 1000));
      std::fprintf(stderr,
                   "\nzfan: stopping: waiting up to %.0f s for %zu tasks in flight (Ctrl-C again "
                   "to quit now)\n",
                   opt_.drain_timeout_s, sched_->outstanding());
    }
    if (draining_ && (sched_->outstanding() == 0 || Clock::now() > drain_deadline_)) break;
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
