// The ventilator: gives each worker work at the rate it finishes it. A worker has credit for
// slots x depth tasks (depth: enough work queued to hide the round trip); each batch goes to a
// named worker over the tasks ROUTER socket and uses its credit, each result returns it — the
// zguide's load-balancing pattern, so a slow machine never holds work a fast one could do.
// Sends speculative copies of stragglers, to idle workers, at the end of a job.
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
  // Byte credit for a worker's body pieces (see BodyCredit); false if it could not be sent now.
  bool SendCredit(const BodyCredit::CreditGrant& grant);
  // Tasks each slot should hold for tasks of this median length and round trip (dispatcher.cpp).
  double Depth(double median_task_s, double handoff_s) const;

 private:
  enum class Sent { kOk, kFull, kUnreachable };
  Sent SendTo(const std::string& worker, const std::vector<Dispatch>& batch, TimePoint now);
  Sent SendMessageTo(const std::string& worker, proto::Message msg);
  // Fills one worker's credit; false if it cannot take more now (its pipe is full or gone).
  bool FillWorker(const std::string& id, uint32_t slots, double depth, uint64_t fair_share,
                  TimePoint now);
  void Speculate(TimePoint now);
  uint64_t IdleSlots() const;
  int64_t FreeSlots(const std::string& id, const WorkerRecord& w) const;

  JobState& s_;
  zmq::socket_t& tasks_;
  std::string params_json_;
  uint64_t avg_payload_bytes_ = 0;  // running average of task payload sizes
  bool open_ = false;
};

}  // namespace zfan::master
