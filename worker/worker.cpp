// The worker event loop: poll the tasks socket (tasks and byte credit), the control socket,
// the completion eventfd and the connection monitor; heartbeat on a timer.
#include "worker/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/signals.h"
#include "common/wire.h"
#include "jobs/registry.h"
#include "proto/messages.h"
#include "worker/body_outbox.h"
#include "worker/completion_queue.h"
#include "worker/held_tasks.h"
#include "worker/master_connection.h"

namespace zfan::worker {
namespace {

constexpr size_t kMaxItemsPerResult = 4096;
constexpr size_t kMaxBulkPerResult = 64u << 20;
constexpr Millis kStandbyStale{3000};  // the master repeats the standby list every second

std::string HostName() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string DefaultId() {
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", rd() & 0xffff);
  return HostName() + "-" + std::to_string(getpid()) + "-" + suffix;
}

// A process's first credit epoch (see proto::CreditWanted): a restart with the same --id must not
// reuse one its predecessor had.
uint64_t RandomEpoch() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

class WorkerLoop {
 public:
  explicit WorkerLoop(const WorkerOptions& o) : opt_(o) {}
  ExitCode Run();

 private:
  void PollOnce(Millis timeout);
  void OnTasksSocket();
  void OnTasks(proto::Tasks& msg);
  void MakeOutbox();
  void ReleaseResults(uint64_t job_id, std::vector<proto::ResultItem>& items);
  void OnCompletions();
  void SendResults(uint64_t job_id, std::vector<proto::ResultItem>& items);
  void OnControl();
  void OnConnectionEvents();
  void OnStandby(const proto::Standby& msg);
  void EnterStandby(uint64_t job_id);
  void LeaveStandby();
  void Heartbeat(TimePoint now);
  Millis UntilNextTimer(TimePoint now) const;
  bool WaitingForMaster() const { return !master_.connected() && tasks_.job_id() == 0; }
  void Send(proto::Message m) { master_.Send(std::move(m)); }
  std::vector<uint64_t> HandBack();
  void Leave();

  WorkerOptions opt_;
  proto::WorkerInfo info_;
  MasterConnection master_{opt_};
  CompletionQueue completions_;
  std::unique_ptr<BodyOutbox> outbox_;  // made once our id is known
  // After completions_ and outbox_: destroyed first, joining the runner threads that use them.
  HeldTasks tasks_{{.started_alone =
                        [this](uint64_t job_id, uint64_t task_id) {
                          Send(proto::Started{info_.id, job_id, {task_id}});
                        },
                    .slots_for =
                        [this](const jobs::JobEntry& entry) {
                          return opt_.slots ? opt_.slots : entry.auto_slots(info_.cores);
                        },
                    .drop_bodies = [this](uint64_t job_id) { outbox_->DropJob(job_id); },
                    .completions = &completions_}};
  // --use-workers on the master: sitting job standby_job_ out, off the tasks socket.
  bool standby_ = false;
  uint64_t standby_job_ = 0;
  TimePoint standby_refreshed_{};
  bool shutdown_ = false;
  uint64_t bad_frames_ = 0;
  TimePoint last_heartbeat_{};
};

void WorkerLoop::OnTasks(proto::Tasks& msg) {
  proto::Taken taken{info_.id, msg.job_id, {}};
  for (const auto& t : msg.items) taken.ids.push_back(t.id);
  Send(taken);
  // A job that runs the user's own commands runs only where the worker's owner allowed it.
  const jobs::JobEntry* entry = jobs::FindJob(msg.job_name);
  const bool refused = entry && entry->runs_commands && !opt_.allow_exec;
  if (!refused && tasks_.Take(msg)) return;
  // Not run here: each task is reported failed, so nothing waits on us.
  std::vector<proto::ResultItem> items;
  for (const auto& t : msg.items) {
    items.push_back({.id = t.id,
                     .error = refused ? "NOT_ALLOWED" : "UNKNOWN_JOB",
                     .detail = refused ? "worker " + info_.id + " was not started with --allow-exec"
                                       : "worker cannot run job '" + msg.job_name + "'"});
  }
  SendResults(msg.job_id, items);
}

void WorkerLoop::SendResults(uint64_t job_id, std::vector<proto::ResultItem>& items) {
  std::vector<proto::ResultItem> batch;
  size_t bulk = 0;
  auto send_batch = [&] {
    Send(proto::Results{info_.id, job_id, std::move(batch)});
    batch.clear();
    bulk = 0;
  };
  for (auto& item : items) {
    bulk += item.bulk.size() + item.bulk2.size();
    batch.push_back(std::move(item));
    if (batch.size() >= kMaxItemsPerResult || bulk >= kMaxBulkPerResult) send_batch();
  }
  if (!batch.empty()) send_batch();
  items.clear();
}

void WorkerLoop::OnCompletions() {
  std::map<uint64_t, std::vector<proto::ResultItem>> by_job;
  for (auto& c : completions_.TakeAll()) {
    if (c.piece) {
      outbox_->AddPiece(c.job_id, std::move(*c.piece));
      continue;
    }
    tasks_.Ended(c.job_id);
    auto& o = c.outcome;
    proto::ResultItem item{.id = o.id,
                           .error = std::move(o.error),
                           .detail = std::move(o.detail),
                           .result = std::move(o.result),
                           .attempts = o.attempts,
                           .busy_us = o.busy_us,
                           .bulk = std::move(o.bulk),
                           .bulk2 = std::move(o.bulk2),
                           .streamed_bytes = o.streamed_bytes};
    // Still held (the heartbeat says so) until the result leaves, after the body's pieces.
    if (outbox_->Waiting(c.job_id, o.id)) {
      outbox_->Park(c.job_id, std::move(item));
      continue;
    }
    tasks_.Reported(c.job_id, o.id);
    by_job[c.job_id].push_back(std::move(item));
  }
  for (auto& [job_id, items] : by_job) SendResults(job_id, items);
  outbox_->Flush();
  tasks_.RetireIdle();
  tasks_.Pump();
}

void WorkerLoop::ReleaseResults(uint64_t job_id, std::vector<proto::ResultItem>& items) {
  for (const auto& item : items) tasks_.Reported(job_id, item.id);
  SendResults(job_id, items);
}

void WorkerLoop::MakeOutbox() {
  outbox_ = std::make_unique<BodyOutbox>(
      info_.id,
      BodyOutbox::Callbacks{
          .send = [this](proto::Message m) { Send(std::move(m)); },
          .sent = [this](uint64_t job_id, uint64_t bytes) { tasks_.PiecesSent(job_id, bytes); },
          .release = [this](
                         uint64_t job_id,
                         std::vector<proto::ResultItem>& items) { ReleaseResults(job_id, items); }},
      RandomEpoch());
}

void WorkerLoop::OnControl() {
  while (auto frames = TryRecvFrames(master_.control())) {
    auto msg = proto::Decode(std::move(*frames));
    if (!msg.ok()) {
      if (bad_frames_++ == 0)
        spdlog::warn("dropped a bad control message: {}", msg.status().message());
      continue;
    }
    if (std::holds_alternative<proto::Shutdown>(*msg)) {
      spdlog::info("the master asked workers to shut down");
      shutdown_ = true;
    } else if (const auto* standby = std::get_if<proto::Standby>(&*msg)) {
      OnStandby(*standby);
    } else if (const auto* stop = std::get_if<proto::Stop>(&*msg)) {
      if (standby_ && stop->job_id == standby_job_) LeaveStandby();
      if (stop->job_id == tasks_.job_id()) {  // job done: drop what has not started
        tasks_.DropQueued();
        spdlog::info("job {:016x} finished", stop->job_id);
      }
    }
  }
}

void WorkerLoop::OnStandby(const proto::Standby& msg) {
  bool listed =
      std::find(msg.worker_ids.begin(), msg.worker_ids.end(), info_.id) != msg.worker_ids.end();
  if (listed && (!standby_ || standby_job_ != msg.job_id)) EnterStandby(msg.job_id);
  if (listed) standby_refreshed_ = Clock::now();
  if (!listed && standby_) LeaveStandby();  // left out of its job's list, or another job's
}

void WorkerLoop::EnterStandby(uint64_t job_id) {
  master_.LeaveTasks();
  standby_ = true;
  standby_job_ = job_id;
  spdlog::info("standing by: the master runs job {:016x} without this worker", job_id);
  Send(proto::StandingBy{info_.id, job_id, true});
}

void WorkerLoop::LeaveStandby() {
  standby_ = false;
  master_.RejoinTasks();  // its handshake's event says HELLO again
  spdlog::info("back from standby: taking tasks again");
  Send(proto::StandingBy{info_.id, standby_job_, false});
}

void WorkerLoop::OnConnectionEvents() {
  while (auto event = master_.NextEvent()) {
    if (*event == MasterConnection::Event::kConnected) {
      Send(proto::Hello{info_});
      outbox_->Reset();  // byte credit belonged to the old connection
    } else {
      // Between jobs a master may come and go (zfan scale starts one per run): only losing it
      // while we hold its tasks is worth a warning.
      spdlog::log(tasks_.held().empty() ? spdlog::level::info : spdlog::level::warn,
                  "lost the master at {}; reconnecting", opt_.endpoint);
    }
  }
}

void WorkerLoop::Heartbeat(TimePoint now) {
  if (now - last_heartbeat_ < Millis(opt_.heartbeat_ms)) return;
  last_heartbeat_ = now;
  if (!master_.connected()) return;  // would only queue up stale heartbeats
  const auto& held = tasks_.held();
  Send(proto::Heartbeat{info_, tasks_.job_id(), std::vector<uint64_t>(held.begin(), held.end())});
}

// How long the loop may sleep: until the next heartbeat, or until the standby list goes stale.
// Tasks, completions, control messages and signals wake the poll themselves; a fixed short tick
// woke every idle worker ten times a second for nothing (20 idle workers: 0.17 CPU-s per 10 s,
// 0.05 without it). While no master is there, the wait checks keep a 100 ms cadence.
Millis WorkerLoop::UntilNextTimer(TimePoint now) const {
  TimePoint next = last_heartbeat_ + Millis(opt_.heartbeat_ms);
  if (standby_) next = std::min(next, standby_refreshed_ + kStandbyStale);
  if (WaitingForMaster()) next = std::min(next, now + Millis(100));
  return std::clamp(std::chrono::ceil<Millis>(next - now), Millis(0), Millis(opt_.heartbeat_ms));
}

void WorkerLoop::PollOnce(Millis timeout) {
  // The master's credit bounds the tasks it sends us, so we read them as they come; reading also
  // lets byte credit (proto::Credit) through when all slots are busy with paused transfers.
  bool want_tasks = !shutdown_ && StopSignalsReceived() == 0;
  zmq::pollitem_t items[] = {
      {master_.control().handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, completions_.fd(), ZMQ_POLLIN, 0},
      {master_.monitor().handle(), 0, ZMQ_POLLIN, 0},
      {master_.tasks().handle(), 0, static_cast<short>(want_tasks ? ZMQ_POLLIN : 0), 0},
      {nullptr, StopSignalFd(), ZMQ_POLLIN, 0},  // SIGTERM wakes us (the loop reads the count)
  };
  try {
    zmq::poll(items, 5, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
  if (items[4].revents & ZMQ_POLLIN) DrainStopSignalFd();
  if (items[0].revents & ZMQ_POLLIN) OnControl();
  if (items[1].revents & ZMQ_POLLIN) OnCompletions();
  if (items[2].revents & ZMQ_POLLIN) OnConnectionEvents();
  if (items[3].revents & ZMQ_POLLIN) OnTasksSocket();
}

void WorkerLoop::OnTasksSocket() {
  for (int n = 0; n < 64; ++n) {
    auto frames = TryRecvFrames(master_.tasks());
    if (!frames) return;
    auto msg = proto::Decode(std::move(*frames), proto::TaskLimits());
    if (auto* tasks = msg.ok() ? std::get_if<proto::Tasks>(&*msg) : nullptr) {
      OnTasks(*tasks);
    } else if (auto* credit = msg.ok() ? std::get_if<proto::Credit>(&*msg) : nullptr) {
      outbox_->OnCredit(credit->bytes, credit->epoch);
    } else if (bad_frames_++ == 0) {
      spdlog::warn("dropped a bad task message: {}",
                   msg.ok() ? "not a TASKS message" : msg.status().message());
    }
  }
}

// Tasks not started go back to the master: the runner's queue, our queues, and batches still
// sitting unread in the socket.
std::vector<uint64_t> WorkerLoop::HandBack() {
  std::vector<uint64_t> ids = tasks_.HandBackQueued();
  while (auto frames = TryRecvFrames(master_.tasks())) {
    auto msg = proto::Decode(std::move(*frames), proto::TaskLimits());
    if (!msg.ok()) continue;
    if (auto* t = std::get_if<proto::Tasks>(&*msg); t && t->job_id == tasks_.job_id()) {
      for (const auto& item : t->items) ids.push_back(item.id);
    } else if (auto* credit = std::get_if<proto::Credit>(&*msg)) {
      outbox_->OnCredit(credit->bytes, credit->epoch);  // the last pieces may still go out
    }
  }
  return ids;
}

// Graceful exit: hand back what has not started, let running tasks finish (bounded), say BYE.
void WorkerLoop::Leave() {
  std::vector<uint64_t> handed_back = HandBack();
  auto deadline = Clock::now() + Millis(static_cast<int64_t>(opt_.drain_timeout_s * 1000));
  while (tasks_.load() > 0 && Clock::now() < deadline && StopSignalsReceived() < 2) {
    PollOnce(Millis(50));
    std::vector<uint64_t> more = HandBack();
    handed_back.insert(handed_back.end(), more.begin(), more.end());
  }
  // Still running: the master requeues them.
  for (uint64_t id : tasks_.held()) handed_back.push_back(id);
  Send(proto::Bye{info_.id, tasks_.job_id(), handed_back});
  spdlog::info("left the master ({} tasks handed back)", handed_back.size());
}

ExitCode WorkerLoop::Run() {
  InstallStopSignalHandlers();
  uint32_t cores = std::max(1u, std::thread::hardware_concurrency());
  info_ = {.id = opt_.id.empty() ? DefaultId() : opt_.id,
           .host = HostName(),
           .pid = static_cast<uint32_t>(getpid()),
           .slots = opt_.slots,  // 0: each job decides (JobEntry::auto_slots)
           .cores = cores,
           .version = ZFAN_VERSION,
           .heartbeat_ms = opt_.heartbeat_ms};
  MakeOutbox();
  if (Status s = master_.Connect(info_.id); !s.ok()) {
    std::fprintf(stderr, "zfan: %s\n", s.message().c_str());
    return ExitCodeFor(s);
  }
  spdlog::info("worker {} ({} slots) connecting to {}", info_.id,
               opt_.slots ? std::to_string(opt_.slots) : "auto", opt_.endpoint);
  TimePoint started = Clock::now();
  bool announced_wait = false;
  while (!shutdown_ && StopSignalsReceived() == 0) {
    PollOnce(UntilNextTimer(Clock::now()));
    TimePoint now = Clock::now();
    Heartbeat(now);
    // The master repeats the standby list every second: silence means it is gone.
    if (standby_ && now - standby_refreshed_ > kStandbyStale) LeaveStandby();
    if (WaitingForMaster()) {
      double waited = SecondsBetween(started, now);
      if (opt_.master_timeout_s > 0 && waited > opt_.master_timeout_s) {
        std::fprintf(stderr, "zfan: no master answered at %s within %g s\n", opt_.endpoint.c_str(),
                     opt_.master_timeout_s);
        return ExitCode::kRuntime;
      }
      if (!announced_wait && waited > 2) {
        announced_wait = true;
        std::fprintf(stderr, "zfan worker: waiting for a master at %s\n", opt_.endpoint.c_str());
      }
    }
  }
  if (master_.connected()) Leave();
  return ExitCode::kOk;
}

}  // namespace

ExitCode RunWorker(const WorkerOptions& options) {
  try {
    WorkerLoop loop(options);
    return loop.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zfan: internal error in worker: %s\n", e.what());
    return ExitCode::kRuntime;
  }
}

}  // namespace zfan::worker
