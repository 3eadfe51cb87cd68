#include "master/standby.h"

#include <spdlog/spdlog.h>

namespace zfan::master {

void StandbyPlan::Assign() {
  if (!enabled()) return;
  for (const auto& [id, w] : s_.workers.all()) {  // std::map: id order
    if (active_.size() < use_ && w.alive && !w.standby) active_.insert(id);
  }
  std::string sitting_out;
  for (const auto& [id, w] : s_.workers.all()) {
    if (active_.count(id) || w.standby) continue;
    s_.workers.Find(id)->standby = true;
    sitting_out += (sitting_out.empty() ? "" : ", ") + id;
  }
  if (!sitting_out.empty()) spdlog::info("on standby for this job: {}", sitting_out);
}

bool StandbyPlan::Settled() const {
  for (const auto& [id, w] : s_.workers.all()) {
    if (w.alive && w.standby && !w.standing_by) return false;
  }
  return true;
}

std::optional<proto::Standby> StandbyPlan::Due(TimePoint now, Millis every) {
  if (!enabled() || now - last_sent_ < every) return std::nullopt;
  last_sent_ = now;
  proto::Standby msg{.job_id = s_.job_id};
  for (const auto& [id, w] : s_.workers.all()) {
    if (w.standby) msg.worker_ids.push_back(id);
  }
  return msg;
}

}  // namespace zfan::master
