#include "master/joblog.h"

#include <filesystem>

namespace zfan::master {

Status JoblogWriter::Open(const std::string& path, const jobs::MasterJob* job) {
  if (path.empty()) return Status::Ok();
  job_ = job;
  // A job that resumes from its joblog (exec, as GNU parallel) continues it.
  const bool append = job->resumes_from_joblog();
  std::error_code no_file;
  const bool has_lines = append && std::filesystem::file_size(path, no_file) > 0 && !no_file;
  out_.open(path, std::ios::out | (append ? std::ios::app : std::ios::trunc));
  if (!out_) return IoError("cannot write --joblog file '" + path + "'");
  if (!has_lines) out_ << job->joblog_header() << '\n';
  return Status::Ok();
}

void JoblogWriter::Write(jobs::TaskId id, const std::string& worker, uint32_t attempts,
                         uint64_t bytes, double seconds, const std::string& status,
                         const std::string& detail) {
  if (!out_.is_open()) return;
  out_ << job_->joblog_line({id, worker, attempts, bytes, seconds, status, detail}) << '\n';
}

void JoblogWriter::Flush() {
  if (out_.is_open()) out_.flush();
}

}  // namespace zfan::master
