// The last N samples of a duration (microseconds) and their median: what the scheduler knows of
// recent task times and of the master -> worker -> master round trip.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace zfan::master {

class RecentSamples {
 public:
  explicit RecentSamples(size_t capacity) : capacity_(capacity) {}

  void Add(uint64_t us) {
    if (ring_.size() < capacity_) {
      ring_.push_back(us);
    } else {
      ring_[next_] = us;
      next_ = (next_ + 1) % capacity_;
    }
  }
  bool empty() const { return ring_.empty(); }
  // Seconds; 0 before any sample.
  double MedianSeconds() const {
    if (ring_.empty()) return 0;
    std::vector<uint64_t> v = ring_;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2] / 1e6;
  }

 private:
  size_t capacity_;
  std::vector<uint64_t> ring_;
  size_t next_ = 0;
};

}  // namespace zfan::master
