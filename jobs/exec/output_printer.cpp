// OutputPrinter: grouped output of exec tasks.
#include "jobs/exec/output_printer.h"

namespace zfan::jobs {

void OutputPrinter::Add(uint64_t index, Bytes out, Bytes err) {
  Output o{std::move(out), std::move(err)};
  if (!keep_order_) return Print(o);
  waiting_.emplace(index, std::move(o));
  PrintReady();
}

void OutputPrinter::Skip(uint64_t index) {
  if (!keep_order_) return;
  waiting_.emplace(index, Output{.skipped = true});
  PrintReady();
}

void OutputPrinter::Flush() {
  for (const auto& [index, o] : waiting_) Print(o);
  waiting_.clear();
  if (out_) std::fflush(out_);
  std::fflush(err_);
}

void OutputPrinter::Print(const Output& o) {
  if (o.skipped) return;
  // stdout first, then stderr, as GNU parallel groups them; stderr is flushed at once so that
  // a task's messages stay next to the report lines on the terminal.
  if (out_ && !o.out.empty()) std::fwrite(o.out.data(), 1, o.out.size(), out_);
  if (!o.err.empty()) {
    if (out_) std::fflush(out_);
    std::fwrite(o.err.data(), 1, o.err.size(), err_);
    std::fflush(err_);
  }
}

void OutputPrinter::PrintReady() {
  for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_;
       it = waiting_.erase(it), ++next_) {
    Print(it->second);
  }
}

}  // namespace zfan::jobs
