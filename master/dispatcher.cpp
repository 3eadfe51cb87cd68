#include "master/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/wire.h"

namespace zfan::master {
namespace {

constexpr double kPipelineSeconds = 0.01;  // work each slot should have queued, to hide latency
constexpr uint32_t kMaxDepth = 2048;
constexpr uint64_t kMaxBatchBytes = 4u << 20;  // payload bytes per slot's share of the window
// The tail of a job with long tasks, once fewer tasks remain than one more per slot than the
// credit: a slow worker's slot gets one task at a time, so none of the last waits queued on it
// while a faster worker idles. Each such task costs a round trip, so workers about as fast as the
// fastest keep their credit (500 equal workers lost ~7 % of a 1 s job to those round trips).
constexpr double kSlowPace = 0.75;  // slower than this fraction of the fastest worker's pace

// A worker's pace: tasks per busy second of one slot (0 until it has finished a few).
double Pace(const WorkerRecord& w) {
  return w.tasks >= 2 && w.busy_us > 0 ? w.tasks * 1e6 / static_cast<double>(w.busy_us) : 0.0;
}

}  // namespace

Dispatcher::Dispatcher(JobState& state, zmq::socket_t& tasks)
    : s_(state), tasks_(tasks), params_json_(state.job->worker_params().dump()) {}

// Slots of live workers that hold fewer tasks than they can run: room for speculative copies.
uint64_t Dispatcher::IdleSlots() const {
  uint64_t idle = 0;
  for (const auto& [id, w] : s_.workers.all()) {
    if (w.alive && !w.standby) idle += std::max<int64_t>(FreeSlots(id, w), 0);
  }
  return idle;
}

// Slots of a worker that hold none of the tasks it took (negative when it holds more).
int64_t Dispatcher::FreeSlots(const std::string& id, const WorkerRecord& w) const {
  return static_cast<int64_t>(w.slots) - static_cast<int64_t>(s_.sched->held_by(id));
}

// Tasks each slot should hold: enough to cover kPipelineSeconds of work, so tiny tasks are
// pipelined deeply (and batched), and at least 2, so a slot never waits a round trip to the
// master for its next task. Where that round trip is long (hundreds of workers on a few cores:
// the master's turn and the workers' wake-ups queue for CPU), enough to cover twice the measured
// round trip, so a slot's next task is there before its current one ends. Big payloads (sum
// chunks shipped as data) are capped by bytes, so a batch stays a few MB. Fill drops to 1 per
// slot for the last window of the job.
double Dispatcher::Depth(double median_task_s, double handoff_s) const {
  if (s_.sched->done_count() == s_.report.resumed + s_.report.skipped) return 2;
  double task_s = std::max(median_task_s, 1e-6);
  double by_time = 1 + std::max(kPipelineSeconds, 2 * handoff_s) / task_s;
  double by_bytes = static_cast<double>(kMaxBatchBytes) /
                    static_cast<double>(std::max<uint64_t>(avg_payload_bytes_, 1));
  return std::clamp(std::min(by_time, by_bytes), 2.0, static_cast<double>(kMaxDepth));
}

Dispatcher::Sent Dispatcher::SendMessageTo(const std::string& worker, proto::Message msg) {
  WireFrames frames = proto::Encode(std::move(msg));
  frames.insert(frames.begin(), worker);  // the ROUTER's address frame: the worker's routing id
  try {
    if (!SendFrames(tasks_, std::move(frames), /*dontwait=*/true)) return Sent::kFull;
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) throw;
    return Sent::kUnreachable;  // not connected (yet, or any more)
  }
  return Sent::kOk;
}

bool Dispatcher::SendCredit(const BodyCredit::CreditGrant& grant) {
  return SendMessageTo(grant.worker, proto::Credit{grant.bytes, grant.epoch}) == Sent::kOk;
}

Dispatcher::Sent Dispatcher::SendTo(const std::string& worker, const std::vector<Dispatch>& batch,
                                    TimePoint now) {
  proto::Tasks msg{.job_id = s_.job_id, .job_name = s_.job->name(), .params_json = params_json_};
  msg.items.reserve(batch.size());
  for (const auto& d : batch) {
    jobs::TaskSpec t = s_.job->make_task(d.id);
    avg_payload_bytes_ = (7 * avg_payload_bytes_ + t.payload.size()) / 8;
    msg.items.push_back({d.id, d.attempt, std::move(t.payload)});
  }
  if (Sent sent = SendMessageTo(worker, std::move(msg)); sent != Sent::kOk) return sent;
  ++s_.report.batches;
  s_.clock.Dispatched(now);
  for (const auto& d : batch) s_.trace.Sent(d.id, d.attempt, now);
  return Sent::kOk;
}

bool Dispatcher::FillWorker(const std::string& id, uint32_t slots, double depth,
                            uint64_t fair_share, TimePoint now) {
  Scheduler& sched = *s_.sched;
  // Never more than its share of what is left: with fewer tasks than the workers' credit (100
  // large files, 2 workers of 64 slots), the first worker filled would otherwise take them all.
  auto credit = std::min(static_cast<uint64_t>(std::ceil(slots * depth)),
                         std::max<uint64_t>(fair_share * slots, 1));
  // Half the worker's credit per batch: it works on one batch while the next waits in its pipe.
  uint64_t per_batch = std::max<uint64_t>(credit / 2, 1);
  while (sched.sent_to(id) < credit && sched.HasWaiting()) {
    size_t n = std::min<uint64_t>(per_batch, credit - sched.sent_to(id));
    auto batch = sched.NextBatch(n, now, id);
    if (batch.empty()) break;
    if (SendTo(id, batch, now) != Sent::kOk) {
      sched.Unsend(batch);
      return false;
    }
  }
  return true;
}

void Dispatcher::Fill(TimePoint now, size_t folding) {
  if (!open_) return;
  Scheduler& sched = *s_.sched;
  uint64_t slots = s_.workers.active_slots();
  if (slots == 0) return;
  double task_s = sched.median_task_seconds();  // once per turn: it sorts recent times
  double depth = Depth(task_s, sched.median_handoff_seconds());
  uint64_t unfinished = sched.total() - sched.done_count() - sched.failed_count();
  // The tail: a slow worker's slot gets one task at a time. Only for tasks longer
  // than kPipelineSeconds, of which a slot holds the minimum of 2: shorter ones queue
  // ~kPipelineSeconds of work per slot anyway, and a round trip per task for the last 2 x 2,048
  // per slot cost a 10,000-task sum 3x its time.
  const bool tail = task_s > kPipelineSeconds && unfinished < slots * depth + slots;
  double fastest = 0;
  for (const auto& [id, w] : s_.workers.all()) {
    if (w.alive && !w.standby) fastest = std::max(fastest, Pace(w));
  }
  auto depth_of = [&](const WorkerRecord& w) {
    return tail && Pace(w) < kSlowPace * fastest ? 1.0 : depth;
  };
  auto window = static_cast<uint64_t>(std::ceil(static_cast<double>(slots) * depth));
  if (folding > 4 * window) return;  // the sink's disk is behind: let it catch up
  uint64_t fair_share = (unfinished + slots - 1) / slots;  // per slot: keep the tail spread
  // The workers with the most unused credit first: when work is scarce, the idle get it.
  std::vector<std::pair<double, const WorkerRecord*>> order;
  for (const auto& [id, w] : s_.workers.all()) {
    if (!w.alive || w.standby) continue;
    double used = static_cast<double>(sched.sent_to(id)) / std::max<uint32_t>(w.slots, 1);
    order.emplace_back(used, &w);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [used, w] : order) {
    if (!sched.HasWaiting()) break;
    FillWorker(w->info.id, w->slots, depth_of(*w), fair_share, now);
  }
  // Not for a user's commands (exec): a copy would run one a second time, with its effects.
  if (s_.opt.speculate && s_.job->speculation_safe() && !sched.HasWaiting()) Speculate(now);
}

// Each copy goes to the idlest live worker other than the one holding the original.
void Dispatcher::Speculate(TimePoint now) {
  auto copies = s_.sched->Stragglers(IdleSlots(), now);
  if (copies.empty()) return;
  spdlog::info("sending speculative copies of {} straggling tasks", copies.size());
  for (const auto& c : copies) {
    const WorkerRecord* best = nullptr;
    int64_t best_free = 0;
    for (const auto& [id, w] : s_.workers.all()) {
      if (!w.alive || w.standby || id == c.holder) continue;
      int64_t free = FreeSlots(id, w);
      if (!best || free > best_free) best = &w, best_free = free;
    }
    if (best) SendTo(best->info.id, {c}, now);
  }
}

}  // namespace zfan::master
