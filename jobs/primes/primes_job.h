// The `primes` job: count (and optionally list) the primes in [from, to) in chunks.
#pragma once
#include "jobs/registry.h"

namespace zfan::jobs {
JobEntry PrimesJobEntry();
}
