#include "jobs/download/download_runner.h"

#include <thread>

#include "common/work_pool.h"
#include "jobs/download/fetcher.h"
#include "jobs/download/thumbnail.h"

namespace zfan::download {
namespace {

// The small result each download reports; the master adds the file name and the XXH3-128 of what
// it wrote (hashing here too would only double the CPU per byte).
std::string ResultJson(const FetchResult& r, const std::string& thumb_error) {
  nlohmann::json j = {
      {"url", r.url}, {"bytes", r.body.size()}, {"type", r.content_type}, {"seconds", r.seconds}};
  if (!thumb_error.empty()) j["thumb_error"] = thumb_error;
  return j.dump();
}

class DownloadRunner final : public jobs::TaskRunner {
 public:
  DownloadRunner(FetchOptions options, int thumb_size, jobs::CompletionSink sink)
      : thumb_size_(thumb_size), sink_(std::move(sink)) {
    if (thumb_size_ > 0) {
      thumbs_ = std::make_unique<WorkPool<FetchResult>>(std::thread::hardware_concurrency(),
                                                        [this](FetchResult& r) { Thumbnail(r); });
    }
    // Last: the fetcher's callback uses the members above.
    fetcher_ = std::make_unique<Fetcher>(std::move(options),
                                         [this](FetchResult r) { OnFetched(std::move(r)); });
  }

  ~DownloadRunner() override {
    fetcher_.reset();  // no more callbacks after this
    thumbs_.reset();
  }

  void submit(jobs::TaskSpec task) override { fetcher_->submit(task.id, std::move(task.payload)); }
  std::vector<jobs::TaskId> drain_queued() override { return fetcher_->drain_queued(); }

 private:
  void OnFetched(FetchResult r) {
    if (!r.error.empty() || !thumbs_) return Report(std::move(r), "", "");
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
    }
    sink_(std::move(o));
  }

  int thumb_size_;
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
  return std::unique_ptr<jobs::TaskRunner>(
      std::make_unique<DownloadRunner>(std::move(options), thumb, std::move(sink)));
}

}  // namespace zfan::download
