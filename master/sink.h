// The sink: everything workers send on the results socket — HELLO, HEARTBEAT, TAKEN, STARTED,
// RESULT, BYE — turned into registry, scheduler, job and journal updates.
#pragma once
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <zmq.hpp>

#include "master/job_state.h"
#include "proto/messages.h"

namespace zfan::master {

class Sink {
 public:
  // `admit` decides, per message, whether its sender (the CURVE key ZeroMQ authenticated, empty
  // without CURVE) may still speak; a message refused is dropped. Returns true to admit.
  using Admission = std::function<bool(const std::string& user_id)>;

  Sink(JobState& state, zmq::socket_t& results, Admission admit);

  // Handles every message waiting (bounded per call, so timers still run under a flood).
  void ReceiveAll();
  // Journals the folds the job finished on its own threads, or turns them into failures.
  void CollectFolds();
  // Tasks done whose fold is not yet durable: the dispatcher holds back when the disk is behind.
  size_t folding() const { return folding_.size(); }
  // The CURVE key a worker said HELLO with (empty without CURVE).
  const std::string& KeyOf(const std::string& worker) const;

 private:
  struct Completion {  // a successful task, kept until its result is journaled
    std::string worker;
    uint32_t attempts;
    uint64_t bytes;
    double seconds;
  };
  void Handle(proto::Message& msg, const std::string& user_id);  // results are moved out of it
  void HandleHello(const proto::WorkerInfo& info, const std::string& user_id);
  void HandleResults(proto::Results& r);
  void HandleItem(const std::string& worker, proto::ResultItem& item);
  void HandleBody(proto::Body& body);
  bool StillOpen(jobs::TaskId id) const;
  void Completed(jobs::TaskId id, const Completion& c, const std::string& result);
  void RecordFailure(jobs::TaskId id, const std::string& worker, const jobs::TaskOutcome& o);
  void CountBadFrame(const std::string& peer, const std::string& why);

  JobState& s_;
  zmq::socket_t& results_;
  Admission admit_;
  std::unordered_map<jobs::TaskId, Completion> folding_;  // done, fold not yet durable
  std::unordered_map<std::string, std::string> worker_keys_;
  std::set<std::string> bad_peers_logged_;
};

}  // namespace zfan::master
