// The open-files limit: a master holds three TCP connections per worker (tasks, results, control)
// plus ZeroMQ's own descriptors, so a soft limit of 1024 (a common default) stops it at ~300
// workers long before anything else does.
#pragma once
#include "common/status.h"

namespace zfan {

// Raises RLIMIT_NOFILE's soft limit to its hard limit (which only root can raise), and logs at
// debug what it set. An error leaves the limit as it was; the caller may go on with it.
Status RaiseOpenFilesLimit();

}  // namespace zfan
