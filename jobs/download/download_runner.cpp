#include "jobs/download/download_runner.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "common/work_pool.h"
#include "jobs/download/fetcher.h"
#include "jobs/download/thumbnail.h"

namespace zfan::download {
namespace {

// The small result each download reports; the master adds the file name and the XXH3-128 of what
// it wrote (hashing here too would only double the CPU per byte).
std::string ResultJson(const FetchResult& r, const std::string& thumb_error) {
  nlohmann::json j = {{"url", r.url},
                      {"bytes", r.streamed_bytes ? r.streamed_bytes : r.body.size()},
                      {"type", r.content_type},
                      {"seconds", r.seconds}};
  if (!thumb_error.empty()) j["thumb_error"] = thumb_error;
  if (r.resumed_bytes) j["resumed_bytes"] = r.resumed_bytes;
  return j.dump();
}

// Bodies larger than a piece go to the master in pieces as they arrive. Each running transfer
// fills one piece at a time, so pieces shrink as transfers grow: those partial pieces stay
// within half the worker's buffer, down to 512 KiB, below which typical images (the 1,000-image
// benchmark's are 50-500 KB) would stream at a cost of 6-9 % at 128 transfers for nothing.
constexpr uint64_t kMaxPieceBytes = 1u << 20;
constexpr uint64_t kMinPieceBytes = 512u << 10;
uint64_t PieceBytes(uint64_t buffer_bytes, uint32_t transfers) {
  return std::clamp<uint64_t>(buffer_bytes / (2 * std::max<uint32_t>(transfers, 1)), kMinPieceBytes,
                              kMaxPieceBytes);
}

class DownloadRunner final : public jobs::TaskRunner {
 public:
  DownloadRunner(FetchOptions options, int thumb_size, uint64_t buffer_bytes,
                 jobs::CompletionSink sink)
      : options_(std::move(options)),
        thumb_size_(thumb_size),
        buffer_bytes_(buffer_bytes),
        sink_(std::move(sink)) {
    if (thumb_size_ > 0) {
      thumbs_ = std::make_unique<WorkPool<FetchResult>>(std::thread::hardware_concurrency(),
                                                        [this](FetchResult& r) { Thumbnail(r); });
    }
  }

  ~DownloadRunner() override {
    fetcher_.reset();  // no more callbacks after this
    thumbs_.reset();
  }

  // Pieces count against this worker's buffer (buffer_bytes_) until the worker has sent them on;
  // a full buffer pauses the transfers, so a slow master or disk never makes a worker hold more.
  void stream_pieces_to(std::function<void(jobs::BodyPiece)> sink) override {
    piece_sink_ = std::move(sink);
    options_.piece_bytes = PieceBytes(buffer_bytes_, options_.max_transfers);
    options_.on_piece = [this](uint64_t id, uint64_t offset, std::string bytes) {
      buffered_ += bytes.size();
      piece_sink_({.id = id, .offset = offset, .bytes = std::move(bytes)});
    };
    options_.buffers_full = [this] { return buffered_.load() >= buffer_bytes_; };
  }
  void pieces_sent(uint64_t bytes) override { buffered_ -= bytes; }

  void submit(jobs::TaskSpec task) override {
    if (!fetcher_) {  // made here, not at construction: stream_pieces_to() comes in between
      fetcher_ =
          std::make_unique<Fetcher>(options_, [this](FetchResult r) { OnFetched(std::move(r)); });
    }
    fetcher_->submit(task.id, std::move(task.payload));
  }
  std::vector<jobs::TaskId> drain_queued() override {
    return fetcher_ ? fetcher_->drain_queued() : std::vector<jobs::TaskId>{};
  }

 private:
  void OnFetched(FetchResult r) {
    // A streamed body's thumbnail is the master's to make, from the file it wrote.
    if (!r.error.empty() || !thumbs_ || r.streamed_bytes) return Report(std::move(r), "", "");
    thumbs_->Push(std::move(r));
  }

  void Thumbnail(FetchResult& r) {
    auto thumb = MakeThumbnail(r.body, thumb_size_);
    // A corrupt image still downloaded fine: the file is kept, its thumbnail is BAD_IMAGE.
    Report(std::move(r), thumb.ok() ? *thumb : "", thumb.ok() ? "" : "BAD_IMAGE");
  }

  void Report(FetchResult r, std::string thumbnail, const std::string& thumb_error) {
    jobs::TaskOutcome o;
    o.id = r.id;
    o.error = r.error;
    o.detail = r.detail;
    o.attempts = std::max<uint32_t>(r.attempts, 1);
    o.busy_us = static_cast<uint64_t>(r.seconds * 1e6);
    if (r.error.empty()) {
      o.result = ResultJson(r, thumb_error);
      o.bulk = std::move(r.body);
      o.bulk2 = std::move(thumbnail);
      o.streamed_bytes = r.streamed_bytes;
    }
    sink_(std::move(o));
  }

  FetchOptions options_;
  int thumb_size_;
  const uint64_t buffer_bytes_;
  std::atomic<uint64_t> buffered_{0};
  std::function<void(jobs::BodyPiece)> piece_sink_;
  jobs::CompletionSink sink_;
  std::unique_ptr<WorkPool<FetchResult>> thumbs_;
  std::unique_ptr<Fetcher> fetcher_;
};

}  // namespace

Result<std::unique_ptr<jobs::TaskRunner>> MakeDownloadRunner(const nlohmann::json& params,
                                                             uint32_t slots,
                                                             jobs::CompletionSink sink) {
  FetchOptions options;
  options.max_transfers = std::max<uint32_t>(slots, 1);
  options.per_host = params.value("per_host", options.per_host);
  options.max_bytes = params.value("max_bytes", options.max_bytes);
  options.connect_timeout_ms = params.value("connect_timeout_ms", options.connect_timeout_ms);
  options.total_timeout_ms = params.value("timeout_ms", options.total_timeout_ms);
  options.low_speed_time_s = params.value("low_speed_time_s", options.low_speed_time_s);
  options.max_attempts = params.value("retries", options.max_attempts - 1) + 1;
  int thumb = params.value("thumbnails", 0);
  const uint64_t buffer_bytes = params.value("worker_buffer_bytes", uint64_t{64} << 20);
  return std::unique_ptr<jobs::TaskRunner>(
      std::make_unique<DownloadRunner>(std::move(options), thumb, buffer_bytes, std::move(sink)));
}

}  // namespace zfan::download
