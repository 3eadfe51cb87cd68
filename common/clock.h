// Monotonic time helpers; the scheduler takes times as arguments so tests can drive a fake clock.
#pragma once
#include <chrono>
#include <cstdint>

namespace zfan {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

inline double SecondsBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace zfan
