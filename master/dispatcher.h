// The ventilator: keeps the window of outstanding tasks full, in batches sized to the work, on the
// tasks PUSH socket; sends speculative copies of stragglers at the end of a job.
#pragma once
#include <string>
#include <vector>
#include <zmq.hpp>

#include "master/job_state.h"

namespace zfan::master {

class Dispatcher {
 public:
  Dispatcher(JobState& state, zmq::socket_t& tasks);

  // No task leaves before Open(): a run with N workers must not start on the first to join.
  void Open() { open_ = true; }
  // Ctrl-C: nothing more goes out; what is in flight may still finish.
  void Close() { open_ = false; }
  bool is_open() const { return open_; }
  // Sends while the window has room. `folding` = tasks done whose fold is not yet durable.
  void Fill(TimePoint now, size_t folding);
  // The last batch found every worker's pipe full: poll the tasks socket for room.
  bool blocked() const { return blocked_; }
  void ClearBlocked() { blocked_ = false; }
  // Tasks each slot should hold for tasks of this median length (see dispatcher.cpp).
  double Depth(double median_task_s) const;

 private:
  bool SendTasks(const std::vector<Dispatch>& batch, TimePoint now);
  uint64_t IdleSlots() const;

  JobState& s_;
  zmq::socket_t& tasks_;
  std::string params_json_;
  uint64_t avg_payload_bytes_ = 0;  // running average of task payload sizes
  bool open_ = false;
  bool blocked_ = false;
};

}  // namespace zfan::master
