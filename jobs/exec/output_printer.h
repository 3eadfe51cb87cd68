// Prints each exec task's stdout and stderr as one block (never interleaved with another
// task's), either as tasks finish or, with --keep-order, in input order: a task's output then
// waits until every earlier task's has been printed (or skipped).
#pragma once
#include <cstdint>
#include <cstdio>
#include <map>

#include "common/bytes.h"

namespace zfan::jobs {

class OutputPrinter {
 public:
  // `out` null: stdout bytes are counted but not printed (--json owns stdout).
  OutputPrinter(bool keep_order, std::FILE* out, std::FILE* err)
      : keep_order_(keep_order), out_(out), err_(err) {}

  // Task `index` finished with this output. Each index is given once, by Add or Skip.
  void Add(uint64_t index, Bytes out, Bytes err);
  // Task `index` has no output to print (done in an earlier run, --resume).
  void Skip(uint64_t index);
  // The job is over: prints what still waits for a task that never finished, in order.
  void Flush();

 private:
  struct Output {
    Bytes out, err;
    bool skipped = false;
  };
  void Print(const Output& o);
  void PrintReady();

  bool keep_order_;
  std::FILE* out_;
  std::FILE* err_;
  uint64_t next_ = 0;                   // --keep-order: the index to print next
  std::map<uint64_t, Output> waiting_;  // --keep-order: finished, waiting for earlier ones
};

}  // namespace zfan::jobs
