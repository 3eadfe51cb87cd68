// Standby for scaling studies on connected workers (--use-workers N): of the workers that joined,
// N take part and the rest sit the job out. They leave the tasks socket (so PUSH cannot hand them
// a batch) and keep heartbeating, so a study of 1..N lab machines needs nobody to touch them.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"
#include "master/job_state.h"
#include "proto/messages.h"

namespace zfan::master {

class StandbyPlan {
 public:
  StandbyPlan(JobState& state, uint32_t use_workers) : s_(state), use_(use_workers) {}

  bool enabled() const { return use_ > 0; }
  // Picks the N workers that take part (in id order, so runs are repeatable) and puts every
  // other alive worker on standby, including any that joins later.
  void Assign();
  // Every worker on standby said it left the tasks socket: dispatch may start.
  bool Settled() const;
  // The STANDBY list to publish now, if one is due (`every` after the last one).
  std::optional<proto::Standby> Due(TimePoint now, Millis every);

 private:
  JobState& s_;
  uint32_t use_;
  std::set<std::string> active_;
  TimePoint last_sent_{};
};

}  // namespace zfan::master
