// Synthetic jobs for scaling studies: `sleep` (the seeds' mp_worker), `spin` (MuchCPU) and
// `echo` (near-empty tasks that measure zfan's own per-task overhead).
#pragma once
#include "jobs/registry.h"

namespace zfan::jobs {
JobEntry SleepJobEntry();
JobEntry SpinJobEntry();
JobEntry EchoJobEntry();
}  // namespace zfan::jobs
