// --trace FILE.json: a Chrome/Perfetto trace (the trace-event format) of a job: one complete
// event per task attempt on its worker's track (from when it was sent to its result, with the
// times it was taken, started and ended in its args), and the master's own work on its track.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace zfan::master {

class TraceRecorder {
 public:
  // Records nothing unless enabled (no --trace): every call is then a cheap test.
  TraceRecorder(bool enabled, TimePoint origin) : enabled_(enabled), origin_(origin) {}
  bool enabled() const { return enabled_; }

  void Sent(uint64_t task, uint32_t attempt, TimePoint now);
  void Taken(const std::string& worker, uint64_t task, TimePoint now);
  // A result for `task` from `worker`: closes that worker's attempt (or the oldest one open).
  void Received(const std::string& worker, uint64_t task, uint64_t busy_us,
                const std::string& outcome, TimePoint now);
  // The master's own work (receiving, dispatching, timers), when it took long enough to see.
  void MasterWork(const char* what, TimePoint start, TimePoint end);

  // Writes the trace; attempts never answered are written as ending at `end`.
  Status Write(const std::string& path, TimePoint end) const;

 private:
  struct Attempt {
    uint32_t attempt = 1;
    std::string worker;  // empty until taken
    int64_t sent_us = 0;
    int64_t taken_us = -1;
  };
  struct Event {
    std::string name;
    std::string track;  // worker id, or "master"
    int64_t ts_us = 0;
    int64_t dur_us = 0;
    std::string args_json;
  };
  int64_t Us(TimePoint t) const;
  void Add(Event e);

  bool enabled_;
  TimePoint origin_;
  std::unordered_map<uint64_t, std::vector<Attempt>> open_;  // attempts sent, no result yet
  std::vector<Event> events_;
  uint64_t dropped_ = 0;  // beyond kMaxEvents
};

}  // namespace zfan::master
