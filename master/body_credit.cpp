#include "master/body_credit.h"

#include <algorithm>

namespace zfan::master {

bool BodyCredit::Receive(const std::string& worker, uint64_t bytes) {
  auto unused = unused_.find(worker);
  if (unused == unused_.end() || unused->second < bytes) return false;
  if ((unused->second -= bytes) == 0) unused_.erase(unused);
  return true;  // the bytes stay charged to the budget until Released
}

void BodyCredit::Released(uint64_t bytes) { free_ = std::min(budget_, free_ + bytes); }

void BodyCredit::Want(const std::string& worker, uint64_t bytes, uint64_t epoch) {
  auto known = epochs_.find(worker);
  if (known == epochs_.end() || known->second != epoch) {
    Forget(worker);
    epochs_[worker] = epoch;
  }
  if (bytes > 0) wants_[worker] += bytes;
}

void BodyCredit::Forget(const std::string& worker) {
  wants_.erase(worker);
  if (auto unused = unused_.find(worker); unused != unused_.end()) {
    Released(unused->second);
    unused_.erase(unused);
  }
}

void BodyCredit::Gone(const std::string& worker) {
  Forget(worker);
  epochs_.erase(worker);
}

void BodyCredit::Ungrant(const std::string& worker, uint64_t bytes) {
  auto unused = unused_.find(worker);
  if (unused == unused_.end()) return;
  bytes = std::min(bytes, unused->second);
  if ((unused->second -= bytes) == 0) unused_.erase(unused);
  Released(bytes);
  wants_[worker] += bytes;
}

std::vector<BodyCredit::CreditGrant> BodyCredit::Grant() {
  std::map<std::string, uint64_t> granted;
  bool progress = true;
  while (progress && !wants_.empty()) {
    progress = false;
    for (auto want = wants_.begin(); want != wants_.end();) {
      const uint64_t bytes = std::min(want->second, kGrantUnit);
      if (bytes > free_ || unused_[want->first] + bytes > kWorkerWindow) {
        ++want;
        continue;
      }
      free_ -= bytes;
      granted[want->first] += bytes;
      unused_[want->first] += bytes;
      progress = true;
      want = (want->second -= bytes) == 0 ? wants_.erase(want) : std::next(want);
    }
  }
  NoteInUse();
  std::vector<CreditGrant> grants;
  for (const auto& [worker, bytes] : granted) grants.push_back({worker, bytes, epochs_[worker]});
  return grants;
}

}  // namespace zfan::master
