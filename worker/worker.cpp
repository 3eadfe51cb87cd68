// The worker event loop: poll the tasks socket (tasks and byte credit), the control socket,
// the completion eventfd and the connection monitor; heartbeat on a timer.
#include "worker/worker.h"

#include <netdb.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <thread>
#include <unordered_set>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/endpoint.h"
#include "common/signals.h"
#include "common/wire.h"
#include "jobs/registry.h"
#include "proto/messages.h"
#include "worker/body_outbox.h"
#include "worker/completion_queue.h"

namespace zfan::worker {
namespace {

constexpr size_t kMaxItemsPerResult = 4096;
constexpr size_t kMaxBulkPerResult = 64u << 20;
constexpr size_t kMaxWorkerIdBytes = 255;  // a ZeroMQ routing id
constexpr int kHandshakeFailuresToReport = 3;
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

Status CheckResolvable(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (res) freeaddrinfo(res);
  if (rc != 0) return IoError("cannot resolve master host '" + host + "': " + gai_strerror(rc));
  return Status::Ok();
}

// A process's first credit epoch (see proto::CreditWanted): a restart with the same --id must not
// reuse one its predecessor had.
uint64_t RandomEpoch() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

// One job's runner on this worker. Old jobs stay until their running tasks finish.
struct JobRun {
  std::unique_ptr<jobs::TaskRunner> runner;
  size_t running = 0;  // submitted to the runner, not completed
};

class WorkerLoop {
 public:
  explicit WorkerLoop(const WorkerOptions& o) : opt_(o) {}
  ExitCode Run();

 private:
  Status Connect();
  Status SecureSockets();
  void PollOnce(Millis timeout);
  void OnTasksSocket();
  void OnTasks(proto::Tasks& msg);
  void MakeOutbox();
  void ReleaseResults(uint64_t job_id, std::vector<proto::ResultItem>& items);
  JobRun* RunnerFor(const proto::Tasks& msg);
  void Pump();
  void OnCompletions();
  void SendResults(uint64_t job_id, std::vector<proto::ResultItem>& items);
  void OnControl();
  void OnMonitorEvent();
  void OnStandby(const proto::Standby& msg);
  void EnterStandby(uint64_t job_id);
  void LeaveStandby();
  void Heartbeat(TimePoint now);
  Millis UntilNextTimer(TimePoint now) const;
  bool WaitingForMaster() const { return !connected_ && job_id_ == 0; }
  // By value: a result's bodies then move on to ZeroMQ without a copy.
  void Send(proto::Message m) { SendFrames(results_, proto::Encode(std::move(m))); }
  std::vector<uint64_t> HandBack();
  void Leave();
  size_t LocalLoad() const;
  uint32_t SlotsFor(const jobs::JobEntry& entry) const {
    return opt_.slots ? opt_.slots : entry.auto_slots(info_.cores);
  }

  WorkerOptions opt_;
  proto::WorkerInfo info_;
  Endpoints endpoints_;
  zmq::context_t ctx_{1};
  zmq::socket_t tasks_{ctx_, zmq::socket_type::dealer};  // the master addresses us by our id
  zmq::socket_t results_{ctx_, zmq::socket_type::push};
  zmq::socket_t control_{ctx_, zmq::socket_type::sub};
  zmq::socket_t monitor_{ctx_, zmq::socket_type::pair};
  CompletionQueue completions_;
  std::unique_ptr<BodyOutbox> outbox_;  // made once our id is known
  std::map<uint64_t, JobRun> runs_;
  uint64_t job_id_ = 0;                  // the job whose tasks we hold
  std::deque<jobs::TaskSpec> waiting_;   // normal tasks not yet given to the runner
  std::deque<jobs::TaskSpec> suspects_;  // retried tasks: each runs alone (see proto::Started)
  bool isolating_ = false;
  std::unordered_set<uint64_t> held_;  // ids of job_id_ received and not yet reported
  bool connected_ = false;
  int handshake_failures_ = 0;  // unexplained ones (NO_DETAIL) in a row
  bool handshake_failure_logged_ = false;
  // --use-workers on the master: sitting job standby_job_ out, off the tasks socket.
  bool standby_ = false;
  uint64_t standby_job_ = 0;
  TimePoint standby_refreshed_{};
  bool shutdown_ = false;
  uint64_t bad_frames_ = 0;
  TimePoint last_heartbeat_{};
};

// CURVE client on all three sockets: the handshake succeeds only with the master whose public key
// we were given, and only if that master admits our key. There is no plaintext fallback.
Status WorkerLoop::SecureSockets() {
  if (opt_.curve_secret.empty() && opt_.master_key.empty()) return Status::Ok();
  if (opt_.curve_secret.empty() || opt_.master_key.empty()) {
    return UsageError(
        "CURVE needs both --curve-secret FILE (this worker's PREFIX.key_secret from zfan keygen) "
        "and --master-key FILE (the master's public PREFIX.key)");
  }
  auto keys = ReadSecretCertificate(opt_.curve_secret);
  if (!keys.ok()) return keys.status();
  auto master_key = ReadPublicKey(opt_.master_key);
  if (!master_key.ok()) return master_key.status();
  for (zmq::socket_t* s : {&tasks_, &results_, &control_}) {
    s->set(zmq::sockopt::curve_serverkey, *master_key);
    s->set(zmq::sockopt::curve_publickey, keys->public_z85);
    s->set(zmq::sockopt::curve_secretkey, keys->secret_z85);
  }
  return Status::Ok();
}

Status WorkerLoop::Connect() {
  auto ep = ParseEndpoint(opt_.endpoint);
  if (!ep.ok()) return ep.status();
  endpoints_ = *ep;
  if (Status s = CheckResolvable(endpoints_.host); !s.ok()) return s;
  const auto& limits = proto::DefaultLimits();
  // Few batches buffered here: the master's credit for us, not our pipe, decides our work.
  Tune(tasks_, {.recv_hwm = 2, .max_msg_bytes = static_cast<int64_t>(limits.max_frame_bytes)});
  if (info_.id.empty() || info_.id.size() > kMaxWorkerIdBytes || info_.id[0] == '\0') {
    return UsageError("--id must be 1 to 255 bytes (it is this worker's address at the master)");
  }
  tasks_.set(zmq::sockopt::routing_id, info_.id);
  Tune(results_, {.send_hwm = 100000, .linger_ms = 2000});       // BYE and last results, bounded
  Tune(control_, {.recv_hwm = 1000, .max_msg_bytes = 1 << 20});  // standby lists of many ids
  control_.set(zmq::sockopt::subscribe, "");
  for (zmq::socket_t* s : {&tasks_, &results_, &control_}) s->set(zmq::sockopt::ipv6, 1);
  if (Status s = SecureSockets(); !s.ok()) return s;
  // HELLO goes out when the tasks socket has completed its handshake: a master that counts this
  // worker can then really hand it tasks (results queue in the PUSH pipe until theirs is up).
  zmq_socket_monitor(tasks_.handle(), "inproc://tasks-monitor",
                     ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  monitor_.connect("inproc://tasks-monitor");
  try {
    tasks_.connect(endpoints_.tasks());
    results_.connect(endpoints_.results());
    control_.connect(endpoints_.control());
  } catch (const zmq::error_t& e) {
    return IoError("cannot connect to " + opt_.endpoint + ": " + e.what());
  }
  return Status::Ok();
}

size_t WorkerLoop::LocalLoad() const {
  size_t running = 0;
  for (const auto& [id, run] : runs_) running += run.running;
  return running + waiting_.size() + suspects_.size();
}

JobRun* WorkerLoop::RunnerFor(const proto::Tasks& msg) {
  if (auto it = runs_.find(msg.job_id); it != runs_.end()) return &it->second;
  const jobs::JobEntry* entry = jobs::FindJob(msg.job_name);
  if (!entry) return nullptr;
  auto params = nlohmann::json::parse(msg.params_json, nullptr, false);
  if (!params.is_object()) return nullptr;
  uint64_t job_id = msg.job_id;
  jobs::CompletionSink sink = [this, job_id](jobs::TaskOutcome o) {
    completions_.Push({job_id, std::move(o)});
  };
  Result<std::unique_ptr<jobs::TaskRunner>> runner = Status(ErrorCode::kInternal, "");
  try {
    runner = entry->make_runner(params, SlotsFor(*entry), sink);
  } catch (const std::exception& e) {
    spdlog::error("job {}: bad parameters from the master: {}", msg.job_name, e.what());
    return nullptr;
  }
  if (!runner.ok()) {
    spdlog::error("job {}: {}", msg.job_name, runner.status().message());
    return nullptr;
  }
  spdlog::info("job {} ({:016x}) started", msg.job_name, msg.job_id);
  (*runner)->stream_pieces_to([this, job_id](jobs::BodyPiece piece) {
    completions_.Push({job_id, {}, std::move(piece)});
  });
  return &(runs_[job_id] = JobRun{std::move(runner).value(), 0});
}

void WorkerLoop::OnTasks(proto::Tasks& msg) {
  proto::Taken taken{info_.id, msg.job_id, {}};
  for (const auto& t : msg.items) taken.ids.push_back(t.id);
  Send(taken);
  // A job that runs the user's own commands runs only where the worker's owner allowed it.
  const jobs::JobEntry* entry = jobs::FindJob(msg.job_name);
  const bool refused = entry && entry->runs_commands && !opt_.allow_exec;
  JobRun* run = refused ? nullptr : RunnerFor(msg);
  if (!run) {  // cannot run this job here: report each task as failed, so nothing waits on us
    std::vector<proto::ResultItem> items;
    for (const auto& t : msg.items) {
      items.push_back({.id = t.id,
                       .error = refused ? "NOT_ALLOWED" : "UNKNOWN_JOB",
                       .detail = refused
                                     ? "worker " + info_.id + " was not started with --allow-exec"
                                     : "worker cannot run job '" + msg.job_name + "'"});
    }
    SendResults(msg.job_id, items);
    return;
  }
  if (msg.job_id != job_id_) {  // a new job: what we still hold of the old one is moot
    if (job_id_ != 0 && runs_.count(job_id_)) runs_[job_id_].runner->drain_queued();
    outbox_->DropJob(job_id_);
    waiting_.clear();
    suspects_.clear();
    held_.clear();
    job_id_ = msg.job_id;
  }
  for (auto& t : msg.items) {
    held_.insert(t.id);
    jobs::TaskSpec spec{.id = t.id, .attempt = t.attempt, .payload = std::move(t.payload)};
    (t.attempt > 1 ? suspects_ : waiting_).push_back(std::move(spec));
  }
  Pump();
}

// Gives tasks to the runner. A suspect (retried) task runs only when nothing else runs, and
// nothing else starts until it ends, so a crash it causes is blamed on it alone.
void WorkerLoop::Pump() {
  auto it = runs_.find(job_id_);
  if (it == runs_.end() || isolating_) return;
  JobRun& run = it->second;
  if (!suspects_.empty()) {
    if (LocalLoad() - waiting_.size() - suspects_.size() > 0) return;  // wait for all to finish
    jobs::TaskSpec t = std::move(suspects_.front());
    suspects_.pop_front();
    Send(proto::Started{info_.id, job_id_, {t.id}});
    // Give the I/O thread a moment to put STARTED on the wire: if this task kills the process,
    // the master must hear of it first to blame it. Suspect tasks are rare (only after a death).
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    isolating_ = true;
    ++run.running;
    run.runner->submit(std::move(t));
    return;
  }
  while (!waiting_.empty()) {
    ++run.running;
    run.runner->submit(std::move(waiting_.front()));
    waiting_.pop_front();
  }
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
    auto run = runs_.find(c.job_id);
    if (run != runs_.end() && run->second.running > 0) --run->second.running;
    if (c.job_id == job_id_) isolating_ = false;  // the only running task of an isolated run ended
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
    if (c.job_id == job_id_) held_.erase(o.id);
    by_job[c.job_id].push_back(std::move(item));
  }
  for (auto& [job_id, items] : by_job) SendResults(job_id, items);
  outbox_->Flush();
  // Retire runners of old jobs once idle.
  std::erase_if(runs_, [this](auto& kv) { return kv.first != job_id_ && kv.second.running == 0; });
  Pump();
}

void WorkerLoop::ReleaseResults(uint64_t job_id, std::vector<proto::ResultItem>& items) {
  if (job_id == job_id_) {
    for (const auto& item : items) held_.erase(item.id);
  }
  SendResults(job_id, items);
}

void WorkerLoop::MakeOutbox() {
  outbox_ = std::make_unique<BodyOutbox>(
      info_.id,
      BodyOutbox::Callbacks{.send = [this](proto::Message m) { Send(std::move(m)); },
                            .sent =
                                [this](uint64_t job_id, uint64_t bytes) {
                                  if (auto run = runs_.find(job_id); run != runs_.end())
                                    run->second.runner->pieces_sent(bytes);
                                },
                            .release =
                                [this](uint64_t job_id, std::vector<proto::ResultItem>& items) {
                                  ReleaseResults(job_id, items);
                                }},
      RandomEpoch());
}

void WorkerLoop::OnControl() {
  while (auto frames = TryRecvFrames(control_)) {
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
      if (stop->job_id == job_id_) {  // job done: drop what has not started
        if (runs_.count(job_id_)) runs_[job_id_].runner->drain_queued();
        outbox_->DropJob(job_id_);
        waiting_.clear();
        suspects_.clear();
        held_.clear();
        spdlog::info("job {:016x} finished", job_id_);
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

// Leaving the tasks socket is what makes standby real: PUSH hands batches only to connected
// peers. The results and control sockets stay, so heartbeats keep the worker alive.
void WorkerLoop::EnterStandby(uint64_t job_id) {
  if (!standby_) tasks_.disconnect(endpoints_.tasks());
  standby_ = true;
  standby_job_ = job_id;
  spdlog::info("standing by: the master runs job {:016x} without this worker", job_id);
  Send(proto::StandingBy{info_.id, job_id, true});
}

void WorkerLoop::LeaveStandby() {
  standby_ = false;
  tasks_.connect(endpoints_.tasks());  // the handshake's monitor event says HELLO again
  spdlog::info("back from standby: taking tasks again");
  Send(proto::StandingBy{info_.id, standby_job_, false});
}

void WorkerLoop::OnMonitorEvent() {
  while (auto frames = TryRecvFrames(monitor_)) {
    if (frames->empty() || (*frames)[0].size() < 2) continue;
    uint16_t event;
    std::memcpy(&event, (*frames)[0].data(), 2);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      connected_ = true;
      handshake_failures_ = 0;
      spdlog::info("connected to the master at {}", opt_.endpoint);
      Send(proto::Hello{info_});
      outbox_->Reset();  // byte credit belonged to the old connection
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
      if (standby_) continue;  // we left the tasks socket ourselves; results still flow
      // Between jobs a master may come and go (zfan scale starts one per run): only losing it
      // while we hold its tasks is worth a warning.
      if (connected_) {
        spdlog::log(held_.empty() ? spdlog::level::info : spdlog::level::warn,
                    "lost the master at {}; reconnecting", opt_.endpoint);
      }
      connected_ = false;
    } else if (!handshake_failure_logged_ &&
               (event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
                ++handshake_failures_ >= kHandshakeFailuresToReport)) {
      // Refused (AUTH), the wrong mechanism (PROTOCOL), or failing again and again (a master
      // that went away mid-handshake explains one): say why once, and keep trying.
      handshake_failure_logged_ = true;
      spdlog::error(
          "the master at {} refused the connection: {} (still trying)", opt_.endpoint,
          opt_.curve_secret.empty()
              ? "it requires CURVE keys (give --curve-secret and --master-key)"
              : "it does not hold the key in --master-key, or does not list this worker's key");
    }
  }
}

void WorkerLoop::Heartbeat(TimePoint now) {
  if (now - last_heartbeat_ < Millis(opt_.heartbeat_ms)) return;
  last_heartbeat_ = now;
  if (!connected_) return;  // would only queue up stale heartbeats
  Send(proto::Heartbeat{info_, job_id_, std::vector<uint64_t>(held_.begin(), held_.end())});
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
      {control_.handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, completions_.fd(), ZMQ_POLLIN, 0},
      {monitor_.handle(), 0, ZMQ_POLLIN, 0},
      {tasks_.handle(), 0, static_cast<short>(want_tasks ? ZMQ_POLLIN : 0), 0},
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
  if (items[2].revents & ZMQ_POLLIN) OnMonitorEvent();
  if (items[3].revents & ZMQ_POLLIN) OnTasksSocket();
}

void WorkerLoop::OnTasksSocket() {
  for (int n = 0; n < 64; ++n) {
    auto frames = TryRecvFrames(tasks_);
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
  std::vector<uint64_t> ids;
  if (runs_.count(job_id_)) ids = runs_[job_id_].runner->drain_queued();
  for (const auto& t : waiting_) ids.push_back(t.id);
  for (const auto& t : suspects_) ids.push_back(t.id);
  waiting_.clear();
  suspects_.clear();
  while (auto frames = TryRecvFrames(tasks_)) {
    auto msg = proto::Decode(std::move(*frames), proto::TaskLimits());
    if (!msg.ok()) continue;
    if (auto* t = std::get_if<proto::Tasks>(&*msg); t && t->job_id == job_id_) {
      for (const auto& item : t->items) ids.push_back(item.id);
    } else if (auto* credit = std::get_if<proto::Credit>(&*msg)) {
      outbox_->OnCredit(credit->bytes, credit->epoch);  // the last pieces may still go out
    }
  }
  for (uint64_t id : ids) held_.erase(id);
  return ids;
}

// Graceful exit: hand back what has not started, let running tasks finish (bounded), say BYE.
void WorkerLoop::Leave() {
  std::vector<uint64_t> handed_back = HandBack();
  auto deadline = Clock::now() + Millis(static_cast<int64_t>(opt_.drain_timeout_s * 1000));
  while (LocalLoad() > 0 && Clock::now() < deadline && StopSignalsReceived() < 2) {
    PollOnce(Millis(50));
    std::vector<uint64_t> more = HandBack();
    handed_back.insert(handed_back.end(), more.begin(), more.end());
  }
  for (uint64_t id : held_) handed_back.push_back(id);  // still running: the master requeues
  Send(proto::Bye{info_.id, job_id_, handed_back});
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
  if (Status s = Connect(); !s.ok()) {
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
  if (connected_) Leave();
  runs_.clear();  // joins runner threads
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
