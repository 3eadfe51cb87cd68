// WorkPool<T>: `threads` threads take items from one queue and run `work` on each. The destructor
// drops what is still queued and joins the threads (items being worked on finish first).
#pragma once
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace zfan {

template <class T>
class WorkPool {
 public:
  WorkPool(unsigned threads, std::function<void(T&)> work) : work_(std::move(work)) {
    for (unsigned i = 0; i < std::max(threads, 1u); ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~WorkPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      queue_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Push(T item) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(item));
    }
    cv_.notify_one();
  }

  // Removes and returns the items not started yet.
  std::vector<T> Drain() {
    std::lock_guard lock(mu_);
    std::vector<T> items(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.end()));
    queue_.clear();
    return items;
  }

 private:
  void Loop() {
    for (;;) {
      T item;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      work_(item);
    }
  }

  std::function<void(T&)> work_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> queue_;    // REQUIRES: mu_ held
  bool stopping_ = false;  // REQUIRES: mu_ held
  std::vector<std::thread> threads_;
};

}  // namespace zfan
