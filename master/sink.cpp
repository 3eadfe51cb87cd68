#include "master/sink.h"

#include <spdlog/spdlog.h>

#include "common/wire.h"

namespace zfan::master {
namespace {

// A fold's error may start with its typed reason ("TOO_LARGE: ..."); else it is SINK_ERROR.
std::string TypedReason(const std::string& message) {
  const size_t colon = message.find(':');
  if (colon == std::string::npos || colon == 0) return "SINK_ERROR";
  for (char c : message.substr(0, colon)) {
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return "SINK_ERROR";
  }
  return message.substr(0, colon);
}

}  // namespace

Sink::Sink(JobState& state, zmq::socket_t& results, Admission admit)
    : s_(state), results_(results), admit_(std::move(admit)) {}

const std::string& Sink::KeyOf(const std::string& worker) const {
  static const std::string kNone;
  auto it = worker_keys_.find(worker);
  return it == worker_keys_.end() ? kNone : it->second;
}

void Sink::CountBadFrame(const std::string& peer, const std::string& why) {
  ++s_.report.bad_frames;
  if (bad_peers_logged_.insert(peer).second) {
    spdlog::warn("dropped a bad message from {}: {} (further ones from it are only counted)", peer,
                 why);
  }
}

void Sink::ReceiveAll() {
  ReceivedFrom from;
  for (int n = 0; n < 20000; ++n) {
    auto frames = TryRecvFrames(results_, &from);
    if (!frames) return;
    if (admit_ && !admit_(from.user_id)) continue;  // a key removed from the allowlist
    auto msg = proto::Decode(std::move(*frames));
    if (!msg.ok()) {
      CountBadFrame(from.peer, msg.status().message());
      continue;
    }
    Handle(*msg, from.user_id);
  }
}

void Sink::HandleHello(const proto::WorkerInfo& info, const std::string& user_id) {
  auto seen = s_.workers.Touch(info, Clock::now());
  const uint32_t slots = info.slots ? info.slots : s_.entry->auto_slots(info.cores);
  s_.workers.Find(info.id)->slots = slots;
  if (!user_id.empty()) worker_keys_[info.id] = user_id;
  if (seen == WorkerRegistry::Seen::kNew) {
    spdlog::info("worker {} joined ({} pid {}, {} slot{})", info.id, info.host, info.pid, slots,
                 slots == 1 ? "" : "s");
  } else if (seen == WorkerRegistry::Seen::kBack) {
    spdlog::warn("worker {} is back after being declared dead; welcomed as new", info.id);
  }
}

void Sink::Handle(proto::Message& msg, const std::string& user_id) {
  TimePoint now = Clock::now();
  if (const auto* m = std::get_if<proto::Hello>(&msg)) {
    HandleHello(m->worker, user_id);
    s_.workers.Find(m->worker.id)->greeted = true;
    return;
  }
  if (const auto* m = std::get_if<proto::Heartbeat>(&msg)) return HandleHello(m->worker, user_id);
  if (const auto* m = std::get_if<proto::Taken>(&msg)) {
    s_.workers.TouchId(m->worker_id, now);
    if (m->job_id != s_.job_id) return;
    s_.sched->OnTaken(m->worker_id, m->ids, now);
    for (uint64_t id : m->ids) s_.trace.Taken(m->worker_id, id, now);
    if (WorkerRecord* w = s_.workers.Find(m->worker_id))
      w->peak_held = std::max<uint64_t>(w->peak_held, s_.sched->held_by(m->worker_id));
    return;
  }
  if (const auto* m = std::get_if<proto::Started>(&msg)) {
    s_.workers.TouchId(m->worker_id, now);
    if (m->job_id == s_.job_id) s_.sched->OnStarted(m->worker_id, m->ids);
    return;
  }
  if (auto* m = std::get_if<proto::Results>(&msg)) return HandleResults(*m);
  if (auto* m = std::get_if<proto::Body>(&msg)) return HandleBody(*m);
  if (const auto* m = std::get_if<proto::CreditWanted>(&msg)) {
    s_.workers.TouchId(m->worker_id, now);
    if (s_.workers.Find(m->worker_id)) s_.body_credit.Want(m->worker_id, m->bytes, m->epoch);
    return;
  }
  if (const auto* m = std::get_if<proto::StandingBy>(&msg)) {
    s_.workers.TouchId(m->worker_id, now);
    WorkerRecord* w = s_.workers.Find(m->worker_id);
    if (w && m->job_id == s_.job_id) w->standing_by = m->standing_by;
    return;
  }
  if (const auto* m = std::get_if<proto::Bye>(&msg)) {
    s_.workers.MarkLeft(m->worker_id);
    s_.StreamsGone(m->worker_id);
    size_t held = s_.sched->held_by(m->worker_id);
    s_.sched->OnWorkerLeft(m->worker_id,
                           m->job_id == s_.job_id ? m->handed_back : std::vector<uint64_t>{});
    spdlog::info("worker {} left; {} tasks go back to the queue", m->worker_id, held);
    return;
  }
  CountBadFrame("a worker", "a master-to-worker message arrived on the results socket");
}

void Sink::HandleResults(proto::Results& r) {
  s_.workers.TouchId(r.worker_id, Clock::now());
  if (r.job_id != s_.job_id) {
    s_.report.stale += r.items.size();
    return;
  }
  for (auto& item : r.items) HandleItem(r.worker_id, item);
}

// A task of this job that no result has closed yet (a later one is a duplicate).
bool Sink::StillOpen(jobs::TaskId id) const {
  return id < s_.sched->total() && !s_.sched->IsClosed(id);
}

// A piece of a body being streamed: it must come within the sender's credit; pieces of a task
// already done (another copy won) or of another job are dropped at once.
void Sink::HandleBody(proto::Body& body) {
  s_.workers.TouchId(body.worker_id, Clock::now());
  const uint64_t size = body.piece.size();
  if (!s_.body_credit.Receive(body.worker_id, size)) {
    return CountBadFrame(body.worker_id, "a body piece beyond the credit it was granted");
  }
  if (body.job_id != s_.job_id || !StillOpen(body.task_id)) {
    s_.body_credit.Released(size);
    if (body.job_id == s_.job_id) s_.job->drop_stream(body.worker_id, body.task_id);
    return;
  }
  jobs::BodyPiece piece{.id = body.task_id, .offset = body.offset, .bytes = std::move(body.piece)};
  if (Status st = s_.job->accept_piece(body.worker_id, std::move(piece)); !st.ok()) {
    s_.body_credit.Released(size);
    spdlog::debug("body piece of {} from {}: {}", s_.job->describe(body.task_id), body.worker_id,
                  st.message());
  }
}

void Sink::HandleItem(const std::string& worker, proto::ResultItem& item) {
  WorkerRecord* w = s_.workers.Find(worker);
  jobs::TaskOutcome o{.id = item.id,
                      .error = std::move(item.error),
                      .detail = std::move(item.detail),
                      .result = std::move(item.result),
                      .bulk = std::move(item.bulk),
                      .bulk2 = std::move(item.bulk2),
                      .attempts = item.attempts,
                      .busy_us = item.busy_us,
                      .streamed_bytes = item.streamed_bytes,
                      .worker = worker};
  if (w) w->busy_us += o.busy_us;
  s_.trace.Received(worker, o.id, o.busy_us, o.ok() ? "OK" : o.error, Clock::now());
  if (!o.ok()) {
    if (w) ++w->failures;
    s_.job->drop_stream(worker, o.id);
    return RecordFailure(o.id, worker, o);
  }
  Scheduler& sched = *s_.sched;
  if (!StillOpen(o.id)) {
    s_.job->drop_stream(worker, o.id);
    sched.OnResult(o.id, worker, o.busy_us);  // counts the duplicate
    return;
  }
  Completion c{worker, sched.attempts_of(o.id) + o.attempts - 1,
               o.bulk.size() + o.bulk2.size() + o.streamed_bytes,
               o.busy_us / 1e6};  // before fold(), which may take the bytes
  if (Status st = s_.job->fold(o, false); !st.ok()) {
    o.error = TypedReason(st.message());
    o.detail = st.message();
    return RecordFailure(o.id, worker, o);
  }
  sched.OnResult(o.id, worker, o.busy_us);
  s_.clock.Closed(Clock::now());
  if (w) ++w->tasks;
  s_.report.bytes += c.bytes;
  if (s_.job->folds_later()) {
    folding_[o.id] = std::move(c);
  } else {
    Completed(o.id, c, o.result);
  }
}

void Sink::Completed(jobs::TaskId id, const Completion& c, const std::string& result) {
  s_.journal.Append(id, result);
  s_.joblog.Write(id, c.worker, c.attempts, c.bytes, c.seconds, "OK", "");
}

void Sink::CollectFolds() {
  for (auto& done : s_.job->poll_folds()) {
    auto it = folding_.find(done.id);
    if (it == folding_.end()) continue;
    Completion c = std::move(it->second);
    folding_.erase(it);
    if (done.status.ok()) {
      Completed(done.id, c, done.result);
      continue;
    }
    s_.sched->FailDone(done.id);
    jobs::TaskOutcome o{.id = done.id, .error = "SINK_ERROR", .detail = done.status.message()};
    s_.FailedForGood(done.id, c.worker, c.attempts, c.seconds, o);
  }
}

void Sink::RecordFailure(jobs::TaskId id, const std::string& worker, const jobs::TaskOutcome& o) {
  uint32_t attempts = s_.sched->attempts_of(id) + o.attempts - 1;
  auto kind = s_.sched->OnFailure(id, s_.job->retryable(o.error));
  if (kind == FailureKind::kRetry) {
    spdlog::debug("task {} failed on {} ({}); retrying", s_.job->describe(id), worker, o.error);
    return;
  }
  if (kind != FailureKind::kFailedForGood) return;
  s_.clock.Closed(Clock::now());
  s_.FailedForGood(id, worker, attempts, o.busy_us / 1e6, o);
}

}  // namespace zfan::master
