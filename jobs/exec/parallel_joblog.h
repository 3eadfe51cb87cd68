// GNU parallel's --joblog format, which the exec job writes so that tools made for parallel's
// joblogs read zfan's, and reads back for --resume / --resume-failed.
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "common/status.h"

namespace zfan::jobs {

struct ParallelJoblogLine {
  uint64_t seq = 0;  // {#}: the input's number from 1
  std::string host;  // zfan: the worker's id
  double start_epoch_s = 0;
  double runtime_s = 0;
  uint64_t send = 0;     // bytes sent to the command's stdin (zfan sends none)
  uint64_t receive = 0;  // bytes of its stdout
  int exitval = 0;       // -1 for a timeout or a command that never ran
  int signal = 0;
  std::string command;  // the command line as run; newline, tab and CR shown as \n \t \r
};

// "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand"
std::string ParallelJoblogHeader();
// One line, without the newline: Starttime as %.3f, JobRuntime as %10.3f, as parallel writes.
std::string FormatParallelJoblogLine(const ParallelJoblogLine& line);

// The Seqs the joblog at `path` records as done: any line (--resume), or only those that
// exited 0 without a signal (--resume-failed). A missing file records nothing; lines that are
// not records (the header, a torn last line) are skipped.
Result<std::set<uint64_t>> ReadDoneSeqs(const std::string& path, bool only_succeeded);

}  // namespace zfan::jobs
