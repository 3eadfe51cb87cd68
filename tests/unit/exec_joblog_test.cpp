// GNU parallel's joblog as the exec job writes and reads it (--resume, --resume-failed).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "jobs/exec/parallel_joblog.h"

using namespace zfan::jobs;

TEST_CASE("a joblog line has parallel's columns and number formats") {
  CHECK(ParallelJoblogHeader() ==
        "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand");
  std::string line = FormatParallelJoblogLine({.seq = 3,
                                               .host = "local-1",
                                               .start_epoch_s = 1700000000.1234,
                                               .runtime_s = 0.5,
                                               .receive = 12,
                                               .exitval = -1,
                                               .signal = 15,
                                               .command = "echo 'a\nb'"});
  CHECK(line == "3\tlocal-1\t1700000000.123\t     0.500\t0\t12\t-1\t15\techo 'a\\nb'");
}

TEST_CASE("--resume skips every Seq in the joblog, --resume-failed only those that succeeded") {
  char templ[] = "/tmp/zfan-joblog-XXXXXX";
  int fd = mkstemp(templ);
  REQUIRE(fd >= 0);
  close(fd);
  const std::string path = templ;
  std::ofstream(path) << ParallelJoblogHeader() << "\n"
                      << "1\t:\t1.000\t     0.100\t0\t0\t0\t0\ttrue\n"
                      << "2\t:\t1.000\t     0.100\t0\t0\t1\t0\tfalse\n"
                      << "3\t:\t1.000\t     0.100\t0\t0\t0\t11\tcrash\n"
                      << "4\t:\t1.0";  // torn
  auto all = ReadDoneSeqs(path, false);
  REQUIRE(all.ok());
  CHECK(*all == std::set<uint64_t>{1, 2, 3});
  auto ok = ReadDoneSeqs(path, true);
  REQUIRE(ok.ok());
  CHECK(*ok == std::set<uint64_t>{1});
  auto none = ReadDoneSeqs(path + ".missing", false);
  REQUIRE(none.ok());
  CHECK(none->empty());
  std::remove(path.c_str());
}
