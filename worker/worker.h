// The worker: connects to a master, runs tasks in slots, reports results, heartbeats, and leaves
// cleanly on SIGTERM or SHUTDOWN. It never needs to know how many other workers exist.
#pragma once
#include <string>

#include "common/exit_codes.h"

namespace zfan::worker {

struct WorkerOptions {
  std::string endpoint = "tcp://127.0.0.1:5557";
  uint32_t slots = 0;  // tasks at once; 0 = one per core
  std::string id;      // default: host-pid-random
  uint32_t heartbeat_ms = 1000;
  double master_timeout_s = 0;  // give up if no master within this long; 0 = wait forever
  double drain_timeout_s = 10;  // on SIGTERM: wait this long for running tasks
  bool allow_exec = false;      // run jobs that run the user's commands (exec); else NOT_ALLOWED
  std::string curve_secret;     // this worker's PREFIX.key_secret: CURVE on (never plaintext)
  std::string master_key;       // the master's public key file: only that master is spoken to
};

ExitCode RunWorker(const WorkerOptions& options);

}  // namespace zfan::worker
