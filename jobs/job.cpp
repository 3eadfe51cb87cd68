// The MasterJob defaults that are more than a line: zfan's own joblog format.
#include "jobs/job.h"

#include <sstream>

namespace zfan::jobs {

std::string MasterJob::joblog_header() const {
  return task_noun() + "\tworker\tattempts\tbytes\tseconds\tstatus\tdetail\t" +
         joblog_note_heading();
}

std::string MasterJob::joblog_line(const JoblogEntry& e) const {
  std::ostringstream line;
  line << describe(e.id) << '\t' << e.worker << '\t' << e.attempts << '\t' << e.bytes << '\t'
       << e.seconds << '\t' << e.status << '\t' << e.detail << '\t' << joblog_note(e.id);
  return line.str();
}

}  // namespace zfan::jobs
