// The worker's download engine: many HTTP(S) transfers at once over one libcurl multi handle,
// with size caps, timeouts, retries and typed errors, running in a thread of its own.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zfan::download {

struct FetchOptions {
  uint32_t max_transfers = 16;  // transfers running at once; more wait in the fetcher's queue
  uint32_t per_host = 8;  // transfers to one host:port at once (0 = no limit); more wait queued
  uint64_t max_bytes = 50ull * 1024 * 1024;  // body cap, enforced while the body arrives
  long connect_timeout_ms = 5000;
  long total_timeout_ms = 60000;      // per attempt
  long low_speed_bytes_per_s = 1024;  // slower than this for low_speed_time_s -> TIMEOUT
  long low_speed_time_s = 10;
  uint32_t max_attempts = 4;  // tries in total, the first one included
  long backoff_base_ms = 200;
  long backoff_max_ms = 10000;  // also caps a server's Retry-After
  long max_redirects = 5;
  std::string user_agent = "zfan/0.1";
  // Large bodies: with on_piece set, a body is handed over in pieces of about piece_bytes as it
  // arrives (on the fetcher's thread, in order, before the transfer's DoneCallback) instead of
  // kept whole; FetchResult::streamed_bytes then says how many bytes went that way. A piece at
  // offset 0 after others restarts the body (a server that ignored our Range request).
  uint64_t piece_bytes = 1u << 20;
  std::function<void(uint64_t id, uint64_t offset, std::string bytes)> on_piece;
  // While it returns true, transfers pause (curl's pause) instead of taking more bytes.
  std::function<bool()> buffers_full;
};

// Error strings of FetchResult::error; summaries and the master's fold use them verbatim.
// HTTP errors are "HTTP_<code>", e.g. "HTTP_404", built by HttpErrorName().
inline constexpr const char* kErrorTimeout = "TIMEOUT";
inline constexpr const char* kErrorTooLarge = "TOO_LARGE";
inline constexpr const char* kErrorBadType = "BAD_TYPE";
inline constexpr const char* kErrorTooManyRedirects = "TOO_MANY_REDIRECTS";
inline constexpr const char* kErrorBadUrl = "BAD_URL";
inline constexpr const char* kErrorConnect = "CONNECT";
// The image was deleted: a redirect ended at Imgur's placeholder (kRemovedPlaceholderPath).
// Never retried, never written as a file.
inline constexpr const char* kErrorRemoved = "REMOVED";
inline constexpr std::string_view kRemovedPlaceholderPath = "/removed.png";
std::string HttpErrorName(long http_status);

struct FetchResult {
  uint64_t id = 0;
  std::string url;
  std::string error;            // empty = ok; otherwise one of the error strings above
  std::string detail;           // for people: curl's message, the mislabelled Content-Type, ...
  long http_status = 0;         // of the last response; 0 if none arrived
  std::string body;             // the image bytes when ok (and not streamed)
  uint64_t streamed_bytes = 0;  // > 0: the body went out in pieces (on_piece), body is empty
  uint64_t resumed_bytes = 0;   // bytes a retry did not fetch again (HTTP Range)
  std::string content_type;     // from the magic bytes ("image/png"), never from the header
  uint32_t attempts = 0;
  double seconds = 0;  // from the first attempt's start to the end, backoff waits included
};

// Runs transfers on its own thread. Retries of TIMEOUT, CONNECT, HTTP 5xx and 429 wait with
// exponential backoff and full jitter (or the server's Retry-After on 429/503) without holding
// up other transfers; no other error is retried. A streamed body cut off mid-way continues where
// it stopped (Range, with If-Range on the ETag or Last-Modified) if the server accepts ranges.
class Fetcher {
 public:
  // Called once per submitted id that is not drained, on the fetcher's thread. It may call
  // submit(); it must not throw and must not destroy the Fetcher.
  using DoneCallback = std::function<void(FetchResult)>;

  Fetcher(FetchOptions options, DoneCallback on_done);
  // Stops the thread and joins it. Transfers still running or waiting to retry are abandoned
  // without a callback: drain_queued() and wait for outstanding() == 0 first to get them all.
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Queues a download; thread-safe. Only http:// and https:// URLs are fetched (BAD_URL else).
  void submit(uint64_t id, std::string url);

  // Removes and returns the ids submitted but not started yet (e.g. to hand them back when the
  // worker stops). Started ones, including those waiting to retry, still complete.
  std::vector<uint64_t> drain_queued();

  // Submitted ids whose callback has not returned yet (drained ids excluded).
  size_t outstanding() const;

 private:
  class Engine;
  std::unique_ptr<Engine> engine_;
};

}  // namespace zfan::download
