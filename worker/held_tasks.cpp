#include "worker/held_tasks.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace zfan::worker {

size_t HeldTasks::load() const {
  size_t running = 0;
  for (const auto& [id, run] : runs_) running += run.running;
  return running + waiting_.size() + suspects_.size();
}

HeldTasks::JobRun* HeldTasks::RunnerFor(const proto::Tasks& batch) {
  if (auto it = runs_.find(batch.job_id); it != runs_.end()) return &it->second;
  const jobs::JobEntry* entry = jobs::FindJob(batch.job_name);
  if (!entry) return nullptr;
  auto params = nlohmann::json::parse(batch.params_json, nullptr, false);
  if (!params.is_object()) return nullptr;
  const uint64_t job_id = batch.job_id;
  CompletionQueue* completions = ctx_.completions;
  jobs::CompletionSink sink = [completions, job_id](jobs::TaskOutcome o) {
    completions->Push({job_id, std::move(o)});
  };
  Result<std::unique_ptr<jobs::TaskRunner>> runner = Status(ErrorCode::kInternal, "");
  try {
    runner = entry->make_runner(params, ctx_.slots_for(*entry), sink);
  } catch (const std::exception& e) {
    spdlog::error("job {}: bad parameters from the master: {}", batch.job_name, e.what());
    return nullptr;
  }
  if (!runner.ok()) {
    spdlog::error("job {}: {}", batch.job_name, runner.status().message());
    return nullptr;
  }
  spdlog::info("job {} ({:016x}) started", batch.job_name, batch.job_id);
  (*runner)->stream_pieces_to([completions, job_id](jobs::BodyPiece piece) {
    completions->Push({job_id, {}, std::move(piece)});
  });
  return &(runs_[job_id] = JobRun{std::move(runner).value(), 0});
}

bool HeldTasks::Take(proto::Tasks& batch) {
  if (!RunnerFor(batch)) return false;
  if (batch.job_id != job_id_) {  // a new job: what we still hold of the old one is moot
    DropQueued();
    job_id_ = batch.job_id;
  }
  for (auto& t : batch.items) {
    held_.insert(t.id);
    jobs::TaskSpec spec{.id = t.id, .attempt = t.attempt, .payload = std::move(t.payload)};
    (t.attempt > 1 ? suspects_ : waiting_).push_back(std::move(spec));
  }
  Pump();
  return true;
}

void HeldTasks::Pump() {
  auto it = runs_.find(job_id_);
  if (it == runs_.end() || isolating_) return;
  JobRun& run = it->second;
  if (!suspects_.empty()) {
    if (load() - waiting_.size() - suspects_.size() > 0) return;  // wait for all to finish
    jobs::TaskSpec t = std::move(suspects_.front());
    suspects_.pop_front();
    ctx_.started_alone(job_id_, t.id);
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

void HeldTasks::Ended(uint64_t job_id) {
  auto run = runs_.find(job_id);
  if (run != runs_.end() && run->second.running > 0) --run->second.running;
  if (job_id == job_id_) isolating_ = false;  // the only running task of an isolated run ended
}

void HeldTasks::Reported(uint64_t job_id, uint64_t task_id) {
  if (job_id == job_id_) held_.erase(task_id);
}

void HeldTasks::DropQueued() {
  if (auto run = runs_.find(job_id_); run != runs_.end()) run->second.runner->drain_queued();
  ctx_.drop_bodies(job_id_);
  waiting_.clear();
  suspects_.clear();
  held_.clear();
}

std::vector<uint64_t> HeldTasks::HandBackQueued() {
  std::vector<uint64_t> ids;
  if (auto run = runs_.find(job_id_); run != runs_.end()) ids = run->second.runner->drain_queued();
  for (const auto& t : waiting_) ids.push_back(t.id);
  for (const auto& t : suspects_) ids.push_back(t.id);
  waiting_.clear();
  suspects_.clear();
  for (uint64_t id : ids) held_.erase(id);
  return ids;
}

void HeldTasks::RetireIdle() {
  std::erase_if(runs_, [this](auto& kv) { return kv.first != job_id_ && kv.second.running == 0; });
}

void HeldTasks::PiecesSent(uint64_t job_id, uint64_t bytes) {
  if (auto run = runs_.find(job_id); run != runs_.end()) run->second.runner->pieces_sent(bytes);
}

}  // namespace zfan::worker
