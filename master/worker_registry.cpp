#include "master/worker_registry.h"

namespace zfan::master {

WorkerRegistry::Seen WorkerRegistry::Touch(const proto::WorkerInfo& info, TimePoint now) {
  auto [it, inserted] = workers_.try_emplace(info.id);
  WorkerRecord& w = it->second;
  bool was_gone = !inserted && !w.alive;
  bool had_info = !w.info.host.empty();
  w.info = info;
  w.last_seen = now;
  w.alive = true;
  w.left = false;
  if (was_gone) return Seen::kBack;
  return (inserted || !had_info) ? Seen::kNew : Seen::kKnown;
}

WorkerRegistry::Seen WorkerRegistry::TouchId(const std::string& id, TimePoint now) {
  auto it = workers_.find(id);
  if (it == workers_.end()) {
    proto::WorkerInfo info;
    info.id = id;
    info.slots = 1;  // until its heartbeat tells us more
    workers_[id] = WorkerRecord{.info = info, .last_seen = now};
    return Seen::kNew;
  }
  it->second.last_seen = now;
  if (!it->second.alive) {
    it->second.alive = true;
    it->second.left = false;
    return Seen::kBack;
  }
  return Seen::kKnown;
}

void WorkerRegistry::MarkLeft(const std::string& id) {
  auto it = workers_.find(id);
  if (it == workers_.end()) return;
  it->second.alive = false;
  it->second.left = true;
}

std::vector<std::string> WorkerRegistry::ExpireSilent(TimePoint now) {
  std::vector<std::string> dead;
  for (auto& [id, w] : workers_) {
    auto limit = Millis(3 * std::max<uint32_t>(w.info.heartbeat_ms, 10));
    if (w.alive && now - w.last_seen > limit) {
      w.alive = false;
      ++w.deaths;
      dead.push_back(id);
    }
  }
  return dead;
}

WorkerRecord* WorkerRegistry::Find(const std::string& id) {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

uint64_t WorkerRegistry::alive_slots() const {
  uint64_t total = 0;
  for (const auto& [id, w] : workers_) total += w.alive ? w.slots : 0;
  return total;
}

size_t WorkerRegistry::alive_count() const {
  size_t n = 0;
  for (const auto& [id, w] : workers_) n += w.alive;
  return n;
}

size_t WorkerRegistry::greeted_count() const {
  size_t n = 0;
  for (const auto& [id, w] : workers_) n += w.alive && w.greeted;
  return n;
}

size_t WorkerRegistry::active_count() const {
  size_t n = 0;
  for (const auto& [id, w] : workers_) n += w.alive && !w.standby;
  return n;
}

uint64_t WorkerRegistry::active_slots() const {
  uint64_t total = 0;
  for (const auto& [id, w] : workers_) total += w.alive && !w.standby ? w.slots : 0;
  return total;
}

}  // namespace zfan::master
