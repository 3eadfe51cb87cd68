// --joblog: one TSV line per finished task, readable while the job runs (tail -f).
#pragma once
#include <fstream>
#include <string>

#include "common/status.h"
#include "jobs/job.h"

namespace zfan::master {

class JoblogWriter {
 public:
  // Opens (truncates) `path` and writes the header; does nothing for an empty path.
  Status Open(const std::string& path, const jobs::MasterJob* job);
  void Write(jobs::TaskId id, const std::string& worker, uint32_t attempts, uint64_t bytes,
             double seconds, const std::string& status, const std::string& detail);
  void Flush();

 private:
  std::ofstream out_;
  const jobs::MasterJob* job_ = nullptr;
};

}  // namespace zfan::master
