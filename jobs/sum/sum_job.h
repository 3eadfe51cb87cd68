// The `sum` job: the seeds' chunked sum of range(n), checked against n(n-1)/2.
#pragma once
#include "jobs/registry.h"

namespace zfan::jobs {
JobEntry SumJobEntry();
}
