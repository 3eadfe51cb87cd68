#include "master/scheduler.h"

#include <algorithm>

namespace zfan::master {
namespace {
constexpr size_t kRecentTasks = 257;
}

Scheduler::Scheduler(uint64_t total, SchedulerConfig config)
    : total_(total),
      config_(config),
      lease_(config.lease),
      done_(total, false),
      failed_(total, false),
      recent_busy_(kRecentTasks),
      recent_handoff_(kRecentTasks) {}

void Scheduler::AdaptLease(double depth) {
  auto drain = std::chrono::duration<double>(3.0 * depth * median_task_seconds());
  lease_ = std::max(config_.lease, std::chrono::duration_cast<Millis>(drain));
}

void Scheduler::MarkDone(TaskId id) {
  if (id >= total_ || done_[id]) return;
  done_[id] = true;
  ++done_count_;
}

std::vector<Dispatch> Scheduler::NextBatch(size_t max, TimePoint now, const std::string& target) {
  std::vector<Dispatch> batch;
  while (batch.size() < max) {
    TaskId id;
    if (!requeued_.empty()) {
      id = requeued_.front();
      requeued_.pop_front();
    } else if (next_fresh_ < total_) {
      id = next_fresh_++;
    } else {
      break;
    }
    if (done_[id] || failed_[id]) continue;  // finished while it waited (late result)
    uint32_t attempt = attempts_of(id);
    in_flight_[id] = Flight{.target = target, .sent_at = now, .attempt = attempt};
    if (!target.empty()) ++sent_to_[target];
    batch.push_back({id, attempt});
  }
  return batch;
}

void Scheduler::Unsend(const std::vector<Dispatch>& batch) {
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
    Forget(it->id);
    requeued_.push_front(it->id);
  }
}

void Scheduler::OnTaken(const std::string& worker, const std::vector<TaskId>& ids, TimePoint now) {
  auto& held = held_[worker];
  for (TaskId id : ids) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) continue;  // done already, or a speculative copy
    if (it->second.worker.empty()) {
      it->second.worker = worker;
      recent_handoff_.Add(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - it->second.sent_at).count()));
      it->second.sent_at = now;  // age counts from receipt, for straggler detection
      held.insert(id);
    } else if (it->second.copies > 0 && it->second.worker != worker) {
      it->second.copy_taken = true;
    }
  }
}

void Scheduler::OnStarted(const std::string& worker, const std::vector<TaskId>& ids) {
  for (TaskId id : ids) {
    auto it = in_flight_.find(id);
    if (it != in_flight_.end() && it->second.worker == worker) it->second.started_alone = true;
  }
}

void Scheduler::Forget(TaskId id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  if (!it->second.worker.empty()) {
    auto h = held_.find(it->second.worker);
    if (h != held_.end()) h->second.erase(id);
  }
  spec_copies_ -= std::min<size_t>(spec_copies_, it->second.copies);
  if (!it->second.target.empty()) {
    auto s = sent_to_.find(it->second.target);
    if (s != sent_to_.end() && --s->second == 0) sent_to_.erase(s);
  }
  in_flight_.erase(it);
}

ResultKind Scheduler::OnResult(TaskId id, const std::string& worker, uint64_t busy_us) {
  if (id >= total_) return ResultKind::kUnknown;
  if (done_[id] || failed_[id]) {
    ++stats_.duplicates;
    return ResultKind::kDuplicate;
  }
  auto it = in_flight_.find(id);
  if (it != in_flight_.end() && it->second.speculated && it->second.worker != worker) {
    ++stats_.speculation_won;
  }
  Forget(id);
  done_[id] = true;
  ++done_count_;
  recent_busy_.Add(busy_us);
  return ResultKind::kFirst;
}

FailureKind Scheduler::OnFailure(TaskId id, bool retryable) {
  if (id >= total_ || done_[id] || failed_[id]) return FailureKind::kIgnored;
  // Not in flight means already waiting (requeued, or a second copy failed): queue it only once.
  bool was_in_flight = in_flight_.count(id) > 0;
  Forget(id);
  uint32_t strikes = ++strikes_[id];
  if (!retryable || strikes >= config_.max_attempts) {
    failed_[id] = true;
    ++failed_count_;
    return FailureKind::kFailedForGood;
  }
  ++stats_.retried;
  if (was_in_flight) requeued_.push_front(id);
  return FailureKind::kRetry;
}

void Scheduler::FailDone(TaskId id) {
  if (id >= total_ || !done_[id]) return;
  done_[id] = false;
  --done_count_;
  failed_[id] = true;
  ++failed_count_;
}

void Scheduler::Requeue(TaskId id) {
  Forget(id);
  if (done_[id] || failed_[id]) return;
  ++stats_.requeued;
  requeued_.push_front(id);
}

void Scheduler::OnWorkerLeft(const std::string& worker, const std::vector<TaskId>& handed_back) {
  for (TaskId id : handed_back) {
    auto it = in_flight_.find(id);
    if (it != in_flight_.end() && (it->second.worker.empty() || it->second.worker == worker)) {
      Requeue(id);
    }
  }
  RequeueUntakenSentTo(worker);
  auto h = held_.find(worker);
  if (h == held_.end()) return;
  std::vector<TaskId> rest(h->second.begin(), h->second.end());
  for (TaskId id : rest) Requeue(id);
  held_.erase(worker);
}

bool Scheduler::Blame(TaskId id) {
  if (++strikes_[id] < config_.max_attempts) return false;
  Forget(id);
  failed_[id] = true;
  ++failed_count_;
  return true;
}

// Tasks addressed to `worker` that it never took (a batch in transit when it died or left) go
// back now rather than after the lease: nobody else can take them.
void Scheduler::RequeueUntakenSentTo(const std::string& worker) {
  if (sent_to(worker) == 0) return;
  std::vector<TaskId> untaken;
  for (const auto& [id, f] : in_flight_) {
    if (f.target == worker && f.worker.empty()) untaken.push_back(id);
  }
  std::sort(untaken.begin(), untaken.end());
  for (auto it = untaken.rbegin(); it != untaken.rend(); ++it) Requeue(*it);
}

std::vector<TaskId> Scheduler::OnWorkerDead(const std::string& worker) {
  std::vector<TaskId> failed_for_good;
  RequeueUntakenSentTo(worker);
  auto h = held_.find(worker);
  if (h == held_.end()) return failed_for_good;
  std::vector<TaskId> held(h->second.begin(), h->second.end());
  // If a retried task was running alone, it alone is blamed; otherwise every held task is.
  std::vector<TaskId> blamed;
  for (TaskId id : held) {
    auto it = in_flight_.find(id);
    if (it != in_flight_.end() && it->second.started_alone) blamed.push_back(id);
  }
  // Without a STARTED report the culprit is unknown: tasks on their first try take a strike,
  // tasks already struck do not (their STARTED may have died with the worker), so an innocent
  // task that shared a worker with a poison task is never failed for it.
  if (blamed.empty()) {
    for (TaskId id : held) {
      if (strikes_.count(id) == 0) blamed.push_back(id);
    }
  }
  for (TaskId id : blamed) {
    if (Blame(id)) failed_for_good.push_back(id);
  }
  for (TaskId id : held) {
    if (!failed_[id]) Requeue(id);
  }
  held_.erase(worker);
  return failed_for_good;
}

void Scheduler::RequeueExpiredLeases(TimePoint now) {
  std::vector<TaskId> expired;
  for (const auto& [id, f] : in_flight_) {
    if (f.worker.empty() && !f.speculated && now - f.sent_at > lease_) expired.push_back(id);
  }
  std::sort(expired.begin(), expired.end());
  for (auto it = expired.rbegin(); it != expired.rend(); ++it) Requeue(*it);
}

std::vector<Dispatch> Scheduler::Stragglers(size_t max, TimePoint now) {
  std::vector<Dispatch> copies;
  if (HasWaiting() || max == 0 || recent_busy_.empty()) return copies;
  auto threshold = std::max<Clock::duration>(
      config_.speculate_min_age,
      std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(config_.speculate_after_median * median_task_seconds())));
  for (auto& [id, f] : in_flight_) {
    if (copies.size() >= max) break;
    if (f.worker.empty() || now - f.sent_at < threshold) continue;
    bool copy_stuck = f.copies > 0 && !f.copy_taken && now - f.copy_sent_at > lease_;
    if (f.copies > 0 && (!copy_stuck || f.copies >= config_.max_copies)) continue;
    f.speculated = true;
    ++f.copies;
    f.copy_sent_at = now;
    ++spec_copies_;
    ++stats_.speculated;
    copies.push_back({id, f.attempt, f.worker});
  }
  return copies;
}

uint32_t Scheduler::attempts_of(TaskId id) const {
  auto it = strikes_.find(id);
  return 1 + (it == strikes_.end() ? 0 : it->second);
}

size_t Scheduler::sent_to(const std::string& worker) const {
  auto it = sent_to_.find(worker);
  return it == sent_to_.end() ? 0 : it->second;
}

size_t Scheduler::held_by(const std::string& worker) const {
  auto it = held_.find(worker);
  return it == held_.end() ? 0 : it->second.size();
}

}  // namespace zfan::master
