// WorkerRegistry: every worker the master has heard from, with liveness and per-worker counters
// for the summary table.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "proto/messages.h"

namespace zfan::master {

struct WorkerRecord {
  proto::WorkerInfo info;
  uint32_t slots = 1;  // tasks at once for this job (info.slots, or the job's auto value)
  TimePoint last_seen{};
  bool alive = true;
  bool left = false;     // said BYE
  bool greeted = false;  // said HELLO to this master: its tasks socket is connected to us
  uint64_t tasks = 0;
  uint64_t failures = 0;
  uint64_t busy_us = 0;
  uint64_t peak_held =
      0;  // most tasks it held at once (running or queued there): the pipeline depth
  uint32_t deaths = 0;
  bool standby = false;      // told to sit this job out (--use-workers)
  bool standing_by = false;  // ... and it confirmed it left the tasks socket
};

class WorkerRegistry {
 public:
  enum class Seen { kKnown, kNew, kBack };
  // Records a sign of life. A worker declared dead that speaks again is welcomed back as new.
  Seen Touch(const proto::WorkerInfo& info, TimePoint now);
  // Records a sign of life from a worker known only by id (TAKEN/RESULT before any HELLO).
  Seen TouchId(const std::string& id, TimePoint now);
  void MarkLeft(const std::string& id);
  // Workers silent for 3 heartbeat intervals; they are marked dead and returned.
  std::vector<std::string> ExpireSilent(TimePoint now);

  WorkerRecord* Find(const std::string& id);
  size_t alive_count() const;
  // Alive and greeted: what --expect-workers counts. A heartbeat alone (on the results socket)
  // proves nothing about the tasks socket, which may still be stuck on a master that is gone.
  size_t greeted_count() const;
  uint64_t alive_slots() const;
  // Alive and not on standby: the workers PUSH can hand tasks to.
  size_t active_count() const;
  uint64_t active_slots() const;
  const std::map<std::string, WorkerRecord>& all() const { return workers_; }

 private:
  std::map<std::string, WorkerRecord> workers_;
};

}  // namespace zfan::master
