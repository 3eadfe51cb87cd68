// The one table of jobs. Adding a job: a folder under jobs/ and one line here.
#include "jobs/registry.h"

#include "jobs/download/download_job.h"
#include "jobs/exec/exec_job.h"
#include "jobs/primes/primes_job.h"
#include "jobs/sum/sum_job.h"
#include "jobs/synthetic/synthetic_jobs.h"

namespace zfan::jobs {

const std::vector<JobEntry>& AllJobs() {
  static const std::vector<JobEntry> jobs = {
      PrimesJobEntry(), SumJobEntry(),  DownloadJobEntry(),
      SleepJobEntry(),  SpinJobEntry(), EchoJobEntry(), ExecJobEntry(),
  };
  return jobs;
}

const JobEntry* FindJob(const std::string& name) {
  for (const auto& j : AllJobs()) {
    if (j.name == name) return &j;
  }
  return nullptr;
}

std::string JobNames() {
  std::string names;
  for (const auto& job : AllJobs()) names += (names.empty() ? "" : ", ") + job.name;
  return names;
}

}  // namespace zfan::jobs
