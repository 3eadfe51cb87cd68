#include "master/trace.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace zfan::master {
namespace {

constexpr size_t kMaxEvents = 2'000'000;   // ~200 MB of trace: beyond it, events are counted only
constexpr int64_t kMinMasterWorkUs = 200;  // shorter turns of the master's loop are not shown

}  // namespace

int64_t TraceRecorder::Us(TimePoint t) const {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - origin_).count();
}

void TraceRecorder::Add(Event e) {
  if (events_.size() >= kMaxEvents) {
    ++dropped_;
    return;
  }
  events_.push_back(std::move(e));
}

void TraceRecorder::Sent(uint64_t task, uint32_t attempt, TimePoint now) {
  if (!enabled_) return;
  open_[task].push_back({.attempt = attempt, .sent_us = Us(now)});
}

void TraceRecorder::Taken(const std::string& worker, uint64_t task, TimePoint now) {
  if (!enabled_) return;
  auto it = open_.find(task);
  if (it == open_.end()) return;
  for (auto& a : it->second) {
    if (a.worker.empty()) {
      a.worker = worker;
      a.taken_us = Us(now);
      return;
    }
  }
}

void TraceRecorder::Received(const std::string& worker, uint64_t task, uint64_t busy_us,
                             const std::string& outcome, TimePoint now) {
  if (!enabled_) return;
  auto it = open_.find(task);
  if (it == open_.end()) return;  // a duplicate of an attempt already closed
  auto& attempts = it->second;
  auto match = std::find_if(attempts.begin(), attempts.end(),
                            [&](const Attempt& a) { return a.worker == worker; });
  if (match == attempts.end()) match = attempts.begin();
  const int64_t received = Us(now);
  // The worker's own clock is not ours: it ran for busy_us right before its result came back.
  const int64_t ended = received;
  const int64_t started = std::max(match->sent_us, ended - static_cast<int64_t>(busy_us));
  nlohmann::json args = {
      {"task", task},          {"attempt", match->attempt}, {"worker", worker},
      {"outcome", outcome},    {"sent_us", match->sent_us}, {"taken_us", match->taken_us},
      {"started_us", started}, {"ended_us", ended},         {"received_us", received},
      {"busy_us", busy_us}};
  Add({"task " + std::to_string(task), worker, match->sent_us, received - match->sent_us,
       args.dump()});
  attempts.erase(match);
  if (attempts.empty()) open_.erase(it);
}

void TraceRecorder::MasterWork(const char* what, TimePoint start, TimePoint end) {
  if (!enabled_) return;
  int64_t dur = Us(end) - Us(start);
  if (dur < kMinMasterWorkUs) return;
  Add({what, "master", Us(start), dur, "{}"});
}

Status TraceRecorder::Write(const std::string& path, TimePoint end) const {
  std::ofstream out(path, std::ios::out | std::ios::trunc);
  if (!out) return IoError("cannot write --trace file '" + path + "'");
  std::map<std::string, int> tids{{"master", 0}};  // one track (tid) per worker, master first
  for (const auto& e : events_) tids.emplace(e.track, static_cast<int>(tids.size()));
  for (const auto& [task, attempts] : open_) {
    for (const auto& a : attempts) tids.emplace(a.worker.empty() ? "unsent" : a.worker, 0);
  }
  int next = 1;
  for (auto& [name, tid] : tids) tid = name == "master" ? 0 : next++;
  out << "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"dropped_events\":" << dropped_
      << "},\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&] {
    out << (first ? "" : ",\n");
    first = false;
  };
  for (const auto& [name, tid] : tids) {
    sep();
    out << nlohmann::json{{"ph", "M"},
                          {"name", "thread_name"},
                          {"pid", 1},
                          {"tid", tid},
                          {"args", {{"name", name}}}}
               .dump();
  }
  for (const auto& e : events_) {
    sep();
    out << "{\"ph\":\"X\",\"pid\":1,\"tid\":" << tids.at(e.track) << ",\"ts\":" << e.ts_us
        << ",\"dur\":" << e.dur_us << ",\"name\":" << nlohmann::json(e.name).dump() << ",\"cat\":\""
        << (e.track == "master" ? "master" : "task") << "\",\"args\":" << e.args_json << "}";
  }
  for (const auto& [task, attempts] : open_) {  // sent, never answered (lost with a worker)
    for (const auto& a : attempts) {
      sep();
      std::string track = a.worker.empty() ? "unsent" : a.worker;
      out << "{\"ph\":\"X\",\"pid\":1,\"tid\":" << tids.at(track) << ",\"ts\":" << a.sent_us
          << ",\"dur\":" << Us(end) - a.sent_us << ",\"name\":\"task " << task
          << "\",\"cat\":\"task\",\"args\":{\"task\":" << task << ",\"attempt\":" << a.attempt
          << ",\"outcome\":\"NO_RESULT\"}}";
    }
  }
  out << "\n]}\n";
  out.close();
  if (!out) return IoError("cannot write --trace file '" + path + "'");
  return Status::Ok();
}

}  // namespace zfan::master
