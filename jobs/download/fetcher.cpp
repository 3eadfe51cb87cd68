// Fetcher: one libcurl multi handle driven by one thread; see fetcher.h for the contract.
// Threading: only the engine thread touches libcurl handles, running_, running_per_host_,
// retries_ and idle_easy_; other threads reach it through queued_ (under mutex_) and
// curl_multi_wakeup().
#include "jobs/download/fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "jobs/download/image_check.h"

namespace zfan::download {
namespace {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

// How long the loop sleeps when nothing is due; submit() and the destructor wake it earlier.
constexpr Milliseconds kIdleWait{1000};
constexpr const char* kAllowedProtocols = "http,https";
// libcurl reads a body in pieces of this size (its default is 16 KiB): fewer recv calls and
// write callbacks per image. 64-256 KiB made the 128-transfer benchmark 5-8 % faster; 512 KiB
// lost half of that again (64 such buffers per worker are fresh memory to fault in). Each handle
// keeps its buffer while pooled: 16 MiB for a worker with 128 slots.
constexpr long kReceiveBufferBytes = 128 * 1024;

// curl_global_init is process-wide and reference counted. We take one reference for the life of
// the process and never release it: curl_global_cleanup is not thread-safe, and other modules
// (e.g. the Imgur client) may still be using libcurl when a Fetcher goes away.
CURLcode EnsureCurlGlobalInit() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  return code;
}

struct EasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;

struct MultiCleanup {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using MultiHandle = std::unique_ptr<CURLM, MultiCleanup>;

struct SlistCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistCleanup>;

// A response header's value, or "" (the last one if repeated).
std::string HeaderValue(CURL* easy, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK || !header) return "";
  return header->value;
}

struct UrlCleanup {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlFree {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlFree>;

CurlString UrlPart(CURLU* url, CURLUPart part, unsigned flags) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK) return nullptr;
  return CurlString(text);
}

// "host:port" of `url`, the unit of the per-host limit; an unparsable URL is its own key (it
// fails at once as BAD_URL anyway).
std::string HostKey(const std::string& url) {
  std::unique_ptr<CURLU, UrlCleanup> parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return url;
  const CurlString host = UrlPart(parsed.get(), CURLUPART_HOST, 0);
  const CurlString port = UrlPart(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!host || !port) return url;
  return std::string(host.get()) + ":" + port.get();
}

// Imgur answers a deleted image's URL with a redirect to its placeholder, /removed.png (a real,
// small PNG): the path of the URL the transfer ended at tells a deleted image from a kept one.
bool RedirectedToRemovedPlaceholder(CURL* easy) {
  long redirects = 0;
  char* effective_url = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects) != CURLE_OK || redirects == 0 ||
      curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective_url) != CURLE_OK ||
      effective_url == nullptr) {
    return false;
  }
  std::unique_ptr<CURLU, UrlCleanup> parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, effective_url, 0) != CURLUE_OK) {
    return false;
  }
  const CurlString path = UrlPart(parsed.get(), CURLUPART_PATH, 0);
  return path && std::string_view(path.get()) == kRemovedPlaceholderPath;
}

// A submitted URL across all of its attempts.
struct Job {
  uint64_t id = 0;
  std::string url;
  std::string host_key;
  uint32_t attempts = 0;
  Clock::time_point first_started{};
  // A streamed body an attempt left unfinished: the next one asks for the rest (Range).
  uint64_t resume_from = 0;  // bytes already handed over as pieces
  std::string validator;     // the ETag or Last-Modified they came with ("" = cannot resume)
  std::string head;          // their first bytes: the image type
  uint64_t resumed_bytes = 0;
};

// How one attempt ended, before deciding whether to retry.
struct Outcome {
  std::string error;  // empty = ok
  std::string detail;
  long http_status = 0;
  bool retryable = false;
  std::optional<Milliseconds> retry_after;  // the server's Retry-After on 429/503
};

Outcome HttpOutcome(CURL* easy, long http_status) {
  Outcome outcome{HttpErrorName(http_status), "", http_status, false, std::nullopt};
  outcome.retryable = http_status == 429 || http_status >= 500;
  curl_off_t retry_after_s = -1;
  if ((http_status == 429 || http_status == 503) &&
      curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after_s) == CURLE_OK &&
      retry_after_s >= 0) {
    outcome.retry_after = std::chrono::seconds(retry_after_s);
  }
  return outcome;
}

// Transport failures (no usable HTTP response) by the typed error names of fetcher.h.
Outcome TransportOutcome(CURLcode code, long http_status, const char* curl_message) {
  Outcome outcome{kErrorConnect, curl_message[0] ? curl_message : curl_easy_strerror(code),
                  http_status, true, std::nullopt};
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:  // connect, total and low-speed timeouts alike
      outcome.error = kErrorTimeout;
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      outcome.error = kErrorTooManyRedirects;
      outcome.retryable = false;
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:  // file://, ftp://, ... also as a redirect target
    case CURLE_URL_MALFORMAT:
      outcome.error = kErrorBadUrl;
      outcome.retryable = false;
      break;
    default:  // refused, DNS failure, reset, empty reply, TLS failure: may be transient
      break;
  }
  return outcome;
}

std::string HexPrefix(std::string_view bytes) {
  std::string hex;
  for (unsigned char byte : bytes.substr(0, 8)) {
    char two_digits[4];
    std::snprintf(two_digits, sizeof two_digits, "%02X ", byte);
    hex += two_digits;
  }
  return hex.empty() ? "(empty body)" : hex.substr(0, hex.size() - 1);
}

// One attempt of one Job. Owns the easy handle and keeps it in the multi handle until
// detached, so an easy handle is never freed or reused while libcurl still drives it.
// Not movable: libcurl holds `this` as the write callback's context.
class Transfer {
 public:
  Transfer(Job job, EasyHandle easy, const FetchOptions& options)
      : job_(std::move(job)), easy_(std::move(easy)), options_(options) {}
  ~Transfer() { detach(); }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy() const { return easy_.get(); }
  Job& job() { return job_; }
  std::string take_body() { return std::move(body_); }
  const std::string& head() const { return head_; }
  bool paused() const { return paused_; }
  // Takes bytes again after buffers_full() said stop; libcurl may call OnBodyBytes from here.
  void resume() {
    paused_ = false;
    curl_easy_pause(easy_.get(), CURLPAUSE_CONT);
  }

  // The body so far went out in pieces: the rest goes too, and the result counts them.
  bool streamed() const { return delivered_ > 0; }
  uint64_t FlushPieces() {
    if (!body_.empty() && streamed()) EmitPiece();
    return delivered_;
  }
  // After a failed attempt of a streamed body: what the next attempt needs to continue it.
  void KeepForResume() {
    FlushPieces();
    job_.resume_from = delivered_;
    job_.validator = resumable_ ? validator_ : "";
    job_.head = head_;
  }

  // Sets every option of an attempt; returns the outcome to report if libcurl refuses one.
  std::optional<Outcome> configure() {
    CURL* easy = easy_.get();
    if (curl_easy_setopt(easy, CURLOPT_URL, job_.url.c_str()) != CURLE_OK) {
      return Outcome{kErrorBadUrl, "libcurl refused the URL", 0, false, std::nullopt};
    }
    CURLcode first_error = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (first_error == CURLE_OK) first_error = curl_easy_setopt(easy, option, value);
    };
    set(CURLOPT_NOSIGNAL, 1L);  // we run in a thread; signals would hit the whole process
    set(CURLOPT_ERRORBUFFER, curl_message_);
    set(CURLOPT_WRITEFUNCTION, &Transfer::OnBodyBytes);
    set(CURLOPT_WRITEDATA, this);
    set(CURLOPT_PROTOCOLS_STR, kAllowedProtocols);
    set(CURLOPT_REDIR_PROTOCOLS_STR, kAllowedProtocols);
    set(CURLOPT_FOLLOWLOCATION, 1L);
    set(CURLOPT_MAXREDIRS, options_.max_redirects);
    set(CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    set(CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
    set(CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_s);
    set(CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
    // Rejects a too large Content-Length before any body byte; OnBodyBytes covers the rest.
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
    if (job_.resume_from > 0 && !job_.validator.empty()) {
      // "If the body is still the one we have the start of, the rest; else all of it."
      range_ = std::to_string(job_.resume_from) + "-";
      headers_.reset(curl_slist_append(nullptr, ("If-Range: " + job_.validator).c_str()));
      set(CURLOPT_RANGE, range_.c_str());
      set(CURLOPT_HTTPHEADER, headers_.get());
    }
    if (first_error == CURLE_OK) {
      // A preference, not a requirement: libcurl refuses to resize the buffer of a handle that
      // still holds one (a handle recycled after some failed transfers); it then keeps its own.
      curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
      return std::nullopt;
    }
    return Outcome{kErrorConnect,
                   std::string("could not configure libcurl: ") + curl_easy_strerror(first_error),
                   0, false, std::nullopt};
  }

  bool attach(CURLM* multi) {
    if (curl_multi_add_handle(multi, easy_.get()) != CURLM_OK) return false;
    attached_to_ = multi;
    return true;
  }

  EasyHandle release_easy() {
    detach();
    return std::move(easy_);
  }

  // Decides what the finished attempt means; `code` is libcurl's result for it.
  Outcome classify(CURLcode code) const {
    long http_status = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &http_status);
    const bool error_status = http_status < 200 || http_status >= 300;
    if (too_large_ || code == CURLE_FILESIZE_EXCEEDED) {
      // An error page too large to drain is still reported as the HTTP error it is.
      if (http_status >= 400) return HttpOutcome(easy_.get(), http_status);
      const char* what = too_large_ ? "body" : "Content-Length";
      return Outcome{kErrorTooLarge,
                     std::string(what) + " exceeds the limit of " +
                         std::to_string(options_.max_bytes) + " bytes",
                     http_status, false, std::nullopt};
    }
    if (code != CURLE_OK) return TransportOutcome(code, http_status, curl_message_);
    if (RedirectedToRemovedPlaceholder(easy_.get())) {
      return Outcome{kErrorRemoved, "redirected to Imgur's removed-image placeholder", http_status,
                     false, std::nullopt};
    }
    if (error_status) return HttpOutcome(easy_.get(), http_status);
    return check_image_type(http_status);
  }

 private:
  // libcurl's write callback. Enforces the size cap while bytes arrive, whether or not the
  // server sent a Content-Length; returning less than given makes libcurl abort the transfer.
  static size_t OnBodyBytes(char* data, size_t size, size_t count, void* context) {
    auto& self = *static_cast<Transfer*>(context);
    const size_t length = size * count;
    if (!self.body_started_) self.start_body();
    if (length > self.options_.max_bytes - self.bytes_received_) {
      self.too_large_ = true;
      return 0;
    }
    if (self.keep_body_ && self.options_.buffers_full && self.options_.buffers_full()) {
      self.paused_ = true;  // libcurl keeps these bytes and offers them again on resume()
      return CURL_WRITEFUNC_PAUSE;
    }
    self.bytes_received_ += length;
    if (!self.keep_body_) return length;
    KeepImageHead(self.head_, std::string_view(data, length));
    if (!self.options_.on_piece) {
      self.body_.append(data, length);
      return length;
    }
    // Pieces are exactly piece_bytes (the last one shorter): a piece never needs more credit
    // than the master grants at once.
    for (size_t taken = 0; taken < length;) {
      const size_t room = self.options_.piece_bytes - self.body_.size();
      const size_t take = std::min(length - taken, room);
      self.body_.append(data + taken, take);
      taken += take;
      if (self.body_.size() == self.options_.piece_bytes) self.EmitPiece();
    }
    return length;
  }

  void EmitPiece() {
    const uint64_t offset = delivered_;
    delivered_ += body_.size();
    options_.on_piece(job_.id, offset, std::move(body_));
    body_ = std::string();
    body_.reserve(options_.piece_bytes);
  }

  // First body byte of the final response (libcurl skips the bodies of redirects it follows).
  void start_body() {
    body_started_ = true;
    long http_status = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &http_status);
    // An error page is only counted against the cap (to keep the connection), not stored.
    keep_body_ = http_status >= 200 && http_status < 300;
    NoteValidator();
    if (job_.resume_from > 0 && http_status == 206) {  // the rest of the body we have the start of
      delivered_ = bytes_received_ = job_.resume_from;
      head_ = job_.head;
      job_.resumed_bytes += job_.resume_from;
      return;
    }
    curl_off_t content_length = -1;
    curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
    if (keep_body_ && content_length > 0 &&
        static_cast<uint64_t>(content_length) <= options_.max_bytes) {
      // Streaming keeps one piece at a time, whatever the length.
      const uint64_t keep =
          options_.on_piece ? options_.piece_bytes : static_cast<uint64_t>(content_length);
      body_.reserve(static_cast<size_t>(std::min<uint64_t>(keep, content_length)));
    }
  }

  // A response we could continue from, should this attempt fail: the server takes byte ranges
  // and names this version of the body (a strong ETag, else Last-Modified) for If-Range.
  void NoteValidator() {
    resumable_ = HeaderValue(easy_.get(), "Accept-Ranges") == "bytes";
    validator_ = HeaderValue(easy_.get(), "ETag");
    if (validator_.rfind("W/", 0) == 0) validator_.clear();  // weak: not for byte ranges
    if (validator_.empty()) validator_ = HeaderValue(easy_.get(), "Last-Modified");
  }

  // The bytes decide the type; a disagreeing Content-Type header only goes into the detail.
  Outcome check_image_type(long http_status) const {
    const char* header_type = nullptr;
    curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_TYPE, &header_type);
    const std::string header = header_type ? header_type : "(none)";
    const std::optional<std::string> detected = DetectImageType(head_);
    if (!detected) {
      return Outcome{kErrorBadType,
                     "Content-Type header '" + header +
                         "', body is not JPEG/PNG/GIF (starts with " + HexPrefix(head_) + ")",
                     http_status, false, std::nullopt};
    }
    Outcome ok{"", "", http_status, false, std::nullopt};
    if (header.rfind(*detected, 0) != 0) {
      ok.detail =
          "Content-Type header '" + header + "' disagrees with the bytes (" + *detected + ")";
    }
    return ok;
  }

  void detach() {
    if (attached_to_ == nullptr) return;
    curl_multi_remove_handle(attached_to_, easy_.get());
    attached_to_ = nullptr;
  }

  Job job_;
  EasyHandle easy_;
  CURLM* attached_to_ = nullptr;  // non-null while easy_ is part of that multi handle
  const FetchOptions& options_;   // the engine's, which outlives every Transfer
  uint64_t bytes_received_ = 0;   // INVARIANT: <= options_.max_bytes, and body_.size() <= it
  uint64_t delivered_ = 0;        // body bytes handed over as pieces
  bool body_started_ = false;
  bool keep_body_ = false;
  bool too_large_ = false;
  bool paused_ = false;
  bool resumable_ = false;
  std::string validator_;
  std::string body_;  // bytes not yet handed over (all of them unless streaming)
  std::string head_;  // the body's first kImageHeadBytes
  std::string range_;
  HeaderList headers_;
  char curl_message_[CURL_ERROR_SIZE] = {};
};

}  // namespace

std::string HttpErrorName(long http_status) { return "HTTP_" + std::to_string(http_status); }

class Fetcher::Engine {
 public:
  Engine(FetchOptions options, DoneCallback on_done)
      : options_(std::move(options)),
        on_done_(std::move(on_done)),
        jitter_(std::random_device{}()) {
    options_.max_transfers = std::max<uint32_t>(options_.max_transfers, 1);
    options_.max_attempts = std::max<uint32_t>(options_.max_attempts, 1);
    set_up_multi();
    thread_ = std::thread([this] { run(); });
  }

  ~Engine() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    thread_.join();
  }

  void submit(uint64_t id, std::string url) {
    ++outstanding_;
    std::string host_key = HostKey(url);
    {
      std::lock_guard lock(mutex_);
      queued_.push_back(Job{id, std::move(url), std::move(host_key), 0, {}});
    }
    wake();
  }

  std::vector<uint64_t> drain_queued() {
    std::deque<Job> drained;
    {
      std::lock_guard lock(mutex_);
      drained.swap(queued_);
    }
    outstanding_ -= drained.size();
    std::vector<uint64_t> ids;
    ids.reserve(drained.size());
    for (const Job& job : drained) ids.push_back(job.id);
    return ids;
  }

  size_t outstanding() const { return outstanding_.load(); }

 private:
  void set_up_multi() {
    if (CURLcode code = EnsureCurlGlobalInit(); code != CURLE_OK) {
      setup_error_ = std::string("libcurl could not be initialised: ") + curl_easy_strerror(code);
      return;
    }
    multi_.reset(curl_multi_init());
    if (!multi_) {
      setup_error_ = "libcurl could not create a multi handle (out of memory?)";
      return;
    }
    // Connections are cached in the multi handle, so every transfer may reuse them. The host
    // limit is also enforced before a transfer starts (host_has_room); this one still bounds
    // connections to hosts reached only through redirects.
    const long per_host = static_cast<long>(options_.per_host);
    const long total = static_cast<long>(options_.max_transfers);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, total);
  }

  // Transfers just added need one curl_multi_perform soon, hence no wait after starting some.
  void run() {
    while (!stop_requested()) {
      if (multi_) {
        int still_running = 0;
        curl_multi_perform(multi_.get(), &still_running);
        collect_finished();
      }
      resume_paused();
      const bool started_some = start_ready_transfers();
      // A paused transfer waits for the worker to send pieces on: look again soon.
      const Milliseconds paused_wait{any_paused() ? 2 : kIdleWait.count()};
      wait_for_work(started_some ? Milliseconds{0} : std::min(until_next_retry(), paused_wait));
    }
  }

  bool stop_requested() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  // The per-host limit is applied here rather than left to CURLMOPT_MAX_HOST_CONNECTIONS alone:
  // a transfer libcurl holds back for a connection has its total timeout running meanwhile.
  bool host_has_room(const std::string& host_key) const {
    if (options_.per_host == 0) return true;
    const auto found = running_per_host_.find(host_key);
    return found == running_per_host_.end() || found->second < options_.per_host;
  }

  // Due retries go first: they were submitted earlier than anything still queued. Scanning the
  // queue for a host with room is linear, which is fine for the master's bounded window.
  std::optional<Job> take_next_job() {
    const auto now = Clock::now();
    for (auto retry = retries_.begin(); retry != retries_.end() && retry->first <= now; ++retry) {
      if (!host_has_room(retry->second.host_key)) continue;
      Job job = std::move(retry->second);
      retries_.erase(retry);
      return job;
    }
    std::lock_guard lock(mutex_);
    const auto startable = std::find_if(queued_.begin(), queued_.end(), [this](const Job& job) {
      return host_has_room(job.host_key);
    });
    if (startable == queued_.end()) return std::nullopt;
    Job job = std::move(*startable);
    queued_.erase(startable);
    return job;
  }

  // Returns whether any transfer was started.
  bool start_ready_transfers() {
    bool started_some = false;
    while (running_.size() < options_.max_transfers) {
      std::optional<Job> job = take_next_job();
      if (!job) break;
      start_attempt(std::move(*job));
      started_some = true;
    }
    return started_some;
  }

  void start_attempt(Job job) {
    if (job.attempts++ == 0) job.first_started = Clock::now();
    EasyHandle easy = take_idle_easy();
    if (!easy) {
      const std::string detail =
          setup_error_.empty() ? "libcurl could not create a handle" : setup_error_;
      finish_job(job, Outcome{kErrorConnect, detail, 0, false, std::nullopt}, "");
      return;
    }
    auto transfer = std::make_unique<Transfer>(std::move(job), std::move(easy), options_);
    if (std::optional<Outcome> refused = transfer->configure()) {
      finish_attempt(std::move(transfer), std::move(*refused));
      return;
    }
    if (!transfer->attach(multi_.get())) {
      finish_attempt(std::move(transfer), Outcome{kErrorConnect, "libcurl refused the transfer", 0,
                                                  false, std::nullopt});
      return;
    }
    ++running_per_host_[transfer->job().host_key];
    CURL* key = transfer->easy();
    running_.emplace(key, std::move(transfer));
  }

  void collect_finished() {
    int messages_left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_.get(), &messages_left)) {
      if (message->msg != CURLMSG_DONE) continue;
      const CURLcode code = message->data.result;  // read before the handle is removed
      auto node = running_.extract(message->easy_handle);
      if (node.empty()) continue;
      if (--running_per_host_[node.mapped()->job().host_key] == 0) {
        running_per_host_.erase(node.mapped()->job().host_key);
      }
      Outcome outcome = node.mapped()->classify(code);
      finish_attempt(std::move(node.mapped()), std::move(outcome));
    }
  }

  void finish_attempt(std::unique_ptr<Transfer> transfer, Outcome outcome) {
    Job& job = transfer->job();
    const bool will_retry = outcome.retryable && job.attempts < options_.max_attempts;
    uint64_t streamed = 0;
    if (will_retry && transfer->streamed()) transfer->KeepForResume();
    if (outcome.error.empty()) streamed = transfer->FlushPieces();
    std::string body = outcome.error.empty() && !streamed ? transfer->take_body() : std::string();
    recycle(transfer->release_easy());
    if (will_retry) {
      retries_.emplace(Clock::now() + retry_delay(job.attempts, outcome), std::move(job));
    } else {
      finish_job(job, std::move(outcome), std::move(body), streamed, transfer->head());
    }
  }

  // Transfers paused because the worker's buffers were full take bytes again once they are not.
  void resume_paused() {
    if (!options_.buffers_full || options_.buffers_full()) return;
    for (auto& [easy, transfer] : running_) {
      if (transfer->paused()) transfer->resume();
    }
  }

  bool any_paused() const {
    return std::any_of(running_.begin(), running_.end(),
                       [](const auto& entry) { return entry.second->paused(); });
  }

  // Full jitter: uniform in [0, min(max, base * 2^(attempts-1))], so retries of many URLs that
  // failed together spread out. A server's Retry-After replaces it, capped at backoff_max_ms.
  Milliseconds retry_delay(uint32_t attempts_done, const Outcome& outcome) {
    const Milliseconds cap{options_.backoff_max_ms};
    if (outcome.retry_after) return std::min(*outcome.retry_after, cap);
    const int doublings = static_cast<int>(std::min<uint32_t>(attempts_done - 1, 30));
    const long long ceiling = std::min<long long>(
        static_cast<long long>(options_.backoff_base_ms) << doublings, options_.backoff_max_ms);
    std::uniform_int_distribution<long long> pick(0, std::max<long long>(ceiling, 0));
    return Milliseconds{pick(jitter_)};
  }

  void finish_job(const Job& job, Outcome outcome, std::string body, uint64_t streamed = 0,
                  const std::string& head = "") {
    FetchResult result;
    result.id = job.id;
    result.url = job.url;
    result.error = std::move(outcome.error);
    result.detail = std::move(outcome.detail);
    result.http_status = outcome.http_status;
    if (result.error.empty()) {
      result.content_type = DetectImageType(streamed ? head : body).value_or("");
    }
    result.body = std::move(body);
    result.streamed_bytes = streamed;
    result.resumed_bytes = job.resumed_bytes;
    result.attempts = job.attempts;
    result.seconds = std::chrono::duration<double>(Clock::now() - job.first_started).count();
    if (on_done_) on_done_(std::move(result));
    --outstanding_;
  }

  EasyHandle take_idle_easy() {
    if (!multi_) return nullptr;
    if (idle_easy_.empty()) return EasyHandle(curl_easy_init());
    EasyHandle easy = std::move(idle_easy_.back());
    idle_easy_.pop_back();
    return easy;
  }

  // Keeps up to max_transfers handles; curl_easy_reset clears options but keeps caches.
  void recycle(EasyHandle easy) {
    if (!easy || idle_easy_.size() >= options_.max_transfers) return;
    curl_easy_reset(easy.get());
    idle_easy_.push_back(std::move(easy));
  }

  // Until the first retry that could start is due, at most kIdleWait. Called right after
  // start_ready_transfers(), so nothing startable is left; what frees a slot or a host (a
  // finished transfer) is libcurl activity, which ends the wait by itself.
  Milliseconds until_next_retry() const {
    if (running_.size() >= options_.max_transfers) return kIdleWait;
    for (const auto& [due, job] : retries_) {
      if (!host_has_room(job.host_key)) continue;
      const auto until_due = std::chrono::ceil<Milliseconds>(due - Clock::now());
      return std::clamp(until_due, Milliseconds{0}, kIdleWait);
    }
    return kIdleWait;
  }

  // libcurl's own timers (timeouts, connects) also end the wait: curl_multi_poll honours them.
  void wait_for_work(Milliseconds timeout) {
    if (multi_) {
      curl_multi_poll(multi_.get(), nullptr, 0, static_cast<int>(timeout.count()), nullptr);
      return;
    }
    std::unique_lock lock(mutex_);
    wake_without_curl_.wait_for(lock, timeout, [this] { return stopping_ || !queued_.empty(); });
  }

  void wake() {
    if (multi_) {
      curl_multi_wakeup(multi_.get());
    } else {
      wake_without_curl_.notify_one();
    }
  }

  FetchOptions options_;
  const DoneCallback on_done_;
  std::string setup_error_;  // why multi_ is null, if it is
  MultiHandle multi_;
  // Declared after multi_ so that they are destroyed first: a Transfer detaches from multi_.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running_;
  std::unordered_map<std::string, uint32_t> running_per_host_;  // host key -> running_ entries
  std::vector<EasyHandle> idle_easy_;
  std::multimap<Clock::time_point, Job> retries_;  // due time -> job
  std::mt19937_64 jitter_;

  std::mutex mutex_;                           // guards queued_ and stopping_
  std::condition_variable wake_without_curl_;  // replaces curl_multi_wakeup if multi_ is null
  std::deque<Job> queued_;
  bool stopping_ = false;
  std::atomic<size_t> outstanding_{0};
  std::thread thread_;  // last: started once everything above exists
};

Fetcher::Fetcher(FetchOptions options, DoneCallback on_done)
    : engine_(std::make_unique<Engine>(std::move(options), std::move(on_done))) {}

Fetcher::~Fetcher() = default;

void Fetcher::submit(uint64_t id, std::string url) { engine_->submit(id, std::move(url)); }

std::vector<uint64_t> Fetcher::drain_queued() { return engine_->drain_queued(); }

size_t Fetcher::outstanding() const { return engine_->outstanding(); }

}  // namespace zfan::download
