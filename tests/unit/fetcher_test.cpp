// Tests of the download engine (Fetcher), the magic-byte check and thumbnails, against an
// in-process HTTP server on 127.0.0.1. Every wait is bounded by a deadline.
#include "jobs/download/fetcher.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <stb_image.h>
#include <stb_image_write.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "jobs/download/image_check.h"
#include "jobs/download/thumbnail.h"
#include "tests/fixtures/imgur_server.h"

namespace {

using namespace std::chrono_literals;
using zfan::download::DetectImageType;
using zfan::download::Fetcher;
using zfan::download::FetchOptions;
using zfan::download::FetchResult;
using zfan::download::MakeThumbnail;

constexpr auto kResultDeadline = 20s;
constexpr size_t kOneMiB = 1024 * 1024;

// Starts with the JPEG SOI marker; the fetcher only looks at the magic bytes.
std::string FakeJpeg(size_t size = 10000) {
  std::string bytes = "\xFF\xD8\xFF\xE0";
  bytes.resize(size, 'j');
  return bytes;
}

// Waits on `condition` until it holds or `deadline` passes, polling briefly.
template <class Condition>
bool WaitUntil(Condition condition, std::chrono::steady_clock::duration deadline) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// The routes the tests fetch. Counters let a route fail first and succeed afterwards.
class TestServer {
 public:
  TestServer() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_.set_keep_alive_max_count(1000);
    add_routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op before the accept loop runs, so wait for it to avoid a hung join.
    WaitUntil([this] { return server_.is_running(); }, 5s);
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int peak_concurrent() const { return peak_concurrent_; }
  bool slow_request_seen() const { return slow_requests_ > 0; }
  std::set<int> client_ports() {
    std::lock_guard lock(mutex_);
    return client_ports_;
  }
  int requests_to(const std::string& path) {
    std::lock_guard lock(mutex_);
    return request_counts_[path];
  }

 private:
  void add_routes() {
    server_.Get("/good.jpg", [this](const httplib::Request& request, httplib::Response& response) {
      track_concurrency(request);
      response.set_content(FakeJpeg(), "image/jpeg");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& response) {
      response.status = 404;
      response.set_content("<h1>not here</h1>", "text/html");
    });
    server_.Get("/flaky-503", [this](const httplib::Request& request, httplib::Response& response) {
      if (count(request) == 1) {
        response.status = 503;
        response.set_content("try later", "text/plain");
        return;
      }
      response.set_content(FakeJpeg(), "image/jpeg");
    });
    server_.Get("/always-503",
                [this](const httplib::Request& request, httplib::Response& response) {
                  count(request);
                  response.status = 503;
                });
    server_.Get("/rate-limited",
                [this](const httplib::Request& request, httplib::Response& response) {
                  if (count(request) == 1) {
                    response.status = 429;
                    response.set_header("Retry-After", "1");
                    return;
                  }
                  response.set_content(FakeJpeg(), "image/jpeg");
                });
    // Redirect bodies must never end up in the final body.
    server_.Get("/redirect-1", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/redirect-2", 302);
      response.set_content("moved once", "text/plain");
    });
    server_.Get("/redirect-2", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/good.jpg", 301);
      response.set_content("moved twice", "text/plain");
    });
    server_.Get("/loop", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/loop", 302);
    });
    server_.Get("/to-file", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("file:///etc/passwd", 302);
    });
    server_.Get("/endless-chunked", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider("image/jpeg", [](size_t offset,
                                                             httplib::DataSink& sink) {
        const std::string chunk = offset == 0 ? FakeJpeg(64 * 1024) : std::string(64 * 1024, 'x');
        // Bounded so the server thread ends even if the client never hangs up.
        if (offset > 64 * kOneMiB || !sink.write(chunk.data(), chunk.size())) return false;
        return true;
      });
    });
    server_.Get("/huge-with-length", [](const httplib::Request&, httplib::Response& response) {
      response.set_content_provider(
          2 * kOneMiB, "image/jpeg", [](size_t offset, size_t length, httplib::DataSink& sink) {
            const std::string chunk = offset == 0 ? FakeJpeg(length) : std::string(length, 'x');
            return sink.write(chunk.data(), chunk.size());
          });
    });
    server_.Get("/html-as-jpeg", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("<!DOCTYPE html><html>not an image</html>", "image/jpeg");
    });
    server_.Get("/jpeg-as-html", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(FakeJpeg(), "text/html");
    });
    server_.Get("/trickle", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider("image/jpeg",
                                            [](size_t offset, httplib::DataSink& sink) {
                                              std::this_thread::sleep_for(100ms);
                                              // One byte per 100 ms, for at most 10 s.
                                              return offset < 100 && sink.write("\xFF", 1);
                                            });
    });
    server_.Get("/slow.jpg", [this](const httplib::Request& request, httplib::Response& response) {
      ++slow_requests_;
      track_concurrency(request, 300ms);
      response.set_content(FakeJpeg(), "image/jpeg");
    });
  }

  int count(const httplib::Request& request) {
    std::lock_guard lock(mutex_);
    return ++request_counts_[request.path];
  }

  // Holds each request briefly so that overlapping ones are seen overlapping.
  void track_concurrency(const httplib::Request& request, std::chrono::milliseconds hold = 10ms) {
    {
      std::lock_guard lock(mutex_);
      client_ports_.insert(request.remote_port);
    }
    const int now_running = ++concurrent_;
    int peak = peak_concurrent_;
    while (now_running > peak && !peak_concurrent_.compare_exchange_weak(peak, now_running)) {
    }
    std::this_thread::sleep_for(hold);
    --concurrent_;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, int> request_counts_;
  std::set<int> client_ports_;
  std::atomic<int> concurrent_{0};
  std::atomic<int> peak_concurrent_{0};
  std::atomic<int> slow_requests_{0};
};

// Gathers the fetcher's callbacks, which arrive on its thread.
class ResultCollector {
 public:
  Fetcher::DoneCallback callback() {
    return [this](FetchResult result) {
      std::lock_guard lock(mutex_);
      results_.push_back(std::move(result));
      arrived_.notify_all();
    };
  }
  bool wait_for(size_t count) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, kResultDeadline, [&] { return results_.size() >= count; });
  }
  std::vector<FetchResult> results() {
    std::lock_guard lock(mutex_);
    return results_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<FetchResult> results_;
};

// Options that keep failing tests fast: short timeouts and backoff.
FetchOptions QuickOptions() {
  FetchOptions options;
  options.connect_timeout_ms = 2000;
  options.total_timeout_ms = 10000;
  options.backoff_base_ms = 20;
  options.backoff_max_ms = 2000;
  return options;
}

// Fetches `urls` (ids 0, 1, ...) with one Fetcher; the results come in order of completion.
std::vector<FetchResult> FetchAll(const std::vector<std::string>& urls,
                                  FetchOptions options = QuickOptions()) {
  ResultCollector collector;
  {
    Fetcher fetcher(std::move(options), collector.callback());
    for (uint64_t id = 0; id < urls.size(); ++id) fetcher.submit(id, urls[id]);
    REQUIRE(collector.wait_for(urls.size()));
    CHECK(WaitUntil([&] { return fetcher.outstanding() == 0; }, 5s));
  }
  std::vector<FetchResult> results = collector.results();
  REQUIRE(results.size() == urls.size());
  return results;
}

FetchResult FetchOne(const std::string& url, FetchOptions options = QuickOptions()) {
  const FetchResult result = FetchAll({url}, std::move(options)).front();
  CHECK(result.url == url);
  return result;
}

// A port nothing listens on: bound once by us, then released.
int RefusingPort() {
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(socket_fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("a JPEG is fetched with its bytes and detected type", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/good.jpg"));
  CHECK(result.error.empty());
  CHECK(result.http_status == 200);
  CHECK(result.body == FakeJpeg());
  CHECK(result.content_type == "image/jpeg");
  CHECK(result.attempts == 1);
  CHECK(result.seconds > 0);
}

TEST_CASE("a 404 is HTTP_404 and is not retried", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/missing"));
  CHECK(result.error == "HTTP_404");
  CHECK(result.http_status == 404);
  CHECK(result.attempts == 1);
  CHECK(result.body.empty());
}

TEST_CASE("a 503 is retried and the second attempt succeeds", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/flaky-503"));
  CHECK(result.error.empty());
  CHECK(result.attempts == 2);
  CHECK(result.body == FakeJpeg());
}

TEST_CASE("a lasting 503 ends as HTTP_503 after max_attempts tries", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_attempts = 3;
  const FetchResult result = FetchOne(server.url("/always-503"), options);
  CHECK(result.error == "HTTP_503");
  CHECK(result.attempts == 3);
  CHECK(server.requests_to("/always-503") == 3);
}

TEST_CASE("a 429 with Retry-After is retried after the time the server asked for", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/rate-limited"));
  CHECK(result.error.empty());
  CHECK(result.attempts == 2);
  CHECK(result.seconds >= 0.9);
}

TEST_CASE("a chain of two redirects is followed to the image", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/redirect-1"));
  CHECK(result.error.empty());
  CHECK(result.body == FakeJpeg());
}

TEST_CASE("a redirect loop is TOO_MANY_REDIRECTS", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/loop"));
  CHECK(result.error == "TOO_MANY_REDIRECTS");
  CHECK(result.attempts == 1);
}

TEST_CASE("a redirect to Imgur's /removed.png is REMOVED, not retried, without a body",
          "[fetcher]") {
  // Named options: gcc 12 at -O3 thinks a defaulted `Options options = {}` argument's vector
  // may be used uninitialized (-Wmaybe-uninitialized, a false positive).
  const zfan::testing::ImgurTestServerOptions options;
  zfan::testing::ImgurTestServer server(options);
  REQUIRE(server.start().ok());
  const FetchResult result = FetchOne(server.url("/deleted/Qs7mz76.jpg"));
  CHECK(result.error == "REMOVED");
  CHECK(result.attempts == 1);
  CHECK(result.body.empty());
  CHECK(server.hits("/deleted/Qs7mz76.jpg") == 1);
  // Only a redirect there means "deleted": a link straight to the placeholder is an image.
  const FetchResult direct = FetchOne(server.url("/removed.png"));
  CHECK(direct.error.empty());
  CHECK(direct.body == server.removed_placeholder().bytes);
}

TEST_CASE("a redirect to file:// is BAD_URL", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/to-file"));
  CHECK(result.error == "BAD_URL");
  CHECK(result.body.empty());
  CHECK(result.attempts == 1);
}

TEST_CASE("ftp:// and malformed URLs are BAD_URL", "[fetcher]") {
  CHECK(FetchOne("ftp://127.0.0.1/image.jpg").error == "BAD_URL");
  CHECK(FetchOne("file:///etc/passwd").error == "BAD_URL");
  CHECK(FetchOne("http://").error == "BAD_URL");
}

TEST_CASE("a chunked body without Content-Length is cut off at max_bytes", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_bytes = kOneMiB;
  const FetchResult result = FetchOne(server.url("/endless-chunked"), options);
  CHECK(result.error == "TOO_LARGE");
  CHECK(result.attempts == 1);
  CHECK(result.body.empty());
}

TEST_CASE("a Content-Length above max_bytes is TOO_LARGE", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_bytes = kOneMiB;
  const FetchResult result = FetchOne(server.url("/huge-with-length"), options);
  CHECK(result.error == "TOO_LARGE");
}

TEST_CASE("a body of exactly max_bytes is accepted", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_bytes = FakeJpeg().size();
  CHECK(FetchOne(server.url("/good.jpg"), options).error.empty());
}

TEST_CASE("HTML labelled image/jpeg is BAD_TYPE with the header in the detail", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/html-as-jpeg"));
  CHECK(result.error == "BAD_TYPE");
  CHECK(result.detail.find("image/jpeg") != std::string::npos);
  CHECK(result.attempts == 1);
}

TEST_CASE("JPEG bytes labelled text/html are accepted by their magic bytes", "[fetcher]") {
  TestServer server;
  const FetchResult result = FetchOne(server.url("/jpeg-as-html"));
  CHECK(result.error.empty());
  CHECK(result.content_type == "image/jpeg");
  CHECK(result.detail.find("text/html") != std::string::npos);
}

TEST_CASE("a body trickling below the low-speed limit is TIMEOUT", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.low_speed_bytes_per_s = 1000;
  options.low_speed_time_s = 1;
  options.max_attempts = 1;
  const auto started = std::chrono::steady_clock::now();
  const FetchResult result = FetchOne(server.url("/trickle"), options);
  CHECK(result.error == "TIMEOUT");
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("a refused connection is CONNECT after retries", "[fetcher]") {
  FetchOptions options = QuickOptions();
  options.max_attempts = 2;
  const FetchResult result =
      FetchOne("http://127.0.0.1:" + std::to_string(RefusingPort()) + "/x.jpg", options);
  CHECK(result.error == "CONNECT");
  CHECK(result.attempts == 2);
  CHECK_FALSE(result.detail.empty());
  CHECK(result.http_status == 0);
}

TEST_CASE("100 URLs with 8 transfers at once all complete exactly once", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_transfers = 8;
  std::vector<std::string> urls;
  for (int n = 0; n < 100; ++n) urls.push_back(server.url("/good.jpg?n=" + std::to_string(n)));
  std::set<uint64_t> ids;
  for (const FetchResult& result : FetchAll(urls, options)) {
    CHECK(result.error.empty());
    CHECK(result.url == urls.at(result.id));
    ids.insert(result.id);
  }
  CHECK(ids.size() == 100);  // 100 results, all distinct: each id exactly once
  CHECK(server.peak_concurrent() <= 8);
  CHECK(server.peak_concurrent() >= 2);
}

TEST_CASE("transfers beyond per_host wait in the queue without their timeout running",
          "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_transfers = 4;
  options.per_host = 1;
  options.total_timeout_ms = 1000;  // less than the 4 x 300 ms the four transfers take in turn
  options.max_attempts = 1;
  for (const FetchResult& result : FetchAll(std::vector(4, server.url("/slow.jpg")), options)) {
    CHECK(result.error.empty());
  }
  CHECK(server.peak_concurrent() == 1);
}

TEST_CASE("sequential transfers reuse their connections", "[fetcher]") {
  TestServer server;
  FetchOptions options = QuickOptions();
  options.max_transfers = 2;
  FetchAll(std::vector(20, server.url("/good.jpg")), options);
  CHECK(server.client_ports().size() <= 2);
}

TEST_CASE("drain_queued returns the ids not started yet", "[fetcher]") {
  TestServer server;
  ResultCollector collector;
  FetchOptions options = QuickOptions();
  options.max_transfers = 1;
  Fetcher fetcher(options, collector.callback());
  for (uint64_t id = 1; id <= 5; ++id) fetcher.submit(id, server.url("/slow.jpg"));
  REQUIRE(WaitUntil([&] { return server.slow_request_seen(); }, 10s));
  const std::vector<uint64_t> drained = fetcher.drain_queued();
  CHECK(drained == std::vector<uint64_t>{2, 3, 4, 5});
  REQUIRE(collector.wait_for(1));
  CHECK(WaitUntil([&] { return fetcher.outstanding() == 0; }, 5s));
  const std::vector<FetchResult> results = collector.results();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == 1);
  CHECK(results[0].error.empty());
}

TEST_CASE("a callback may submit more work", "[fetcher]") {
  TestServer server;
  ResultCollector collector;
  std::unique_ptr<Fetcher> fetcher;
  auto record = collector.callback();
  fetcher = std::make_unique<Fetcher>(QuickOptions(), [&](FetchResult result) {
    if (result.id == 1) fetcher->submit(2, server.url("/good.jpg"));
    record(std::move(result));
  });
  fetcher->submit(1, server.url("/good.jpg"));
  REQUIRE(collector.wait_for(2));
  fetcher.reset();
}

TEST_CASE("destroying a busy fetcher returns promptly", "[fetcher]") {
  TestServer server;
  ResultCollector collector;
  const auto started = std::chrono::steady_clock::now();
  {
    Fetcher fetcher(QuickOptions(), collector.callback());
    for (uint64_t id = 0; id < 5; ++id) fetcher.submit(id, server.url("/trickle"));
    std::this_thread::sleep_for(100ms);  // let the transfers start; not a synchronisation
  }
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("image types are recognised by their magic bytes", "[image_check]") {
  CHECK(DetectImageType("\xFF\xD8\xFF\xE0rest") == "image/jpeg");
  CHECK(DetectImageType(std::string_view("\x89PNG\r\n\x1A\n\0\0", 10)) == "image/png");
  CHECK(DetectImageType("GIF87a...") == "image/gif");
  CHECK(DetectImageType("GIF89a...") == "image/gif");
  CHECK_FALSE(DetectImageType("<html>"));
  CHECK_FALSE(DetectImageType(""));
  CHECK_FALSE(DetectImageType("\xFF\xD8"));
  CHECK_FALSE(DetectImageType("GIF88a"));
}

namespace {

// A real PNG of the given size (a colour gradient), made with stb_image_write.
std::string MakePng(int width, int height, int channels = 3) {
  std::string pixels(static_cast<size_t>(width) * height * channels, '\0');
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        pixels[(static_cast<size_t>(y) * width + x) * channels + c] =
            static_cast<char>((x * 255 / width + y * 255 / height + c * 60) & 0xFF);
      }
    }
  }
  std::string png;
  stbi_write_png_to_func(
      [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
      },
      &png, width, height, channels, pixels.data(), 0);
  return png;
}

// `png` with its IHDR width and height (big-endian, bytes 16..23) replaced; stb ignores CRCs.
std::string WithClaimedSize(std::string png, uint32_t width, uint32_t height) {
  for (int byte = 0; byte < 4; ++byte) {
    png[16 + byte] = static_cast<char>((width >> (24 - 8 * byte)) & 0xFF);
    png[20 + byte] = static_cast<char>((height >> (24 - 8 * byte)) & 0xFF);
  }
  return png;
}

struct Decoded {
  int width = 0;
  int height = 0;
  int channels = 0;
};

Decoded DecodedSize(const std::string& image) {
  Decoded decoded;
  stbi_uc* pixels = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(image.data()),
                                          static_cast<int>(image.size()), &decoded.width,
                                          &decoded.height, &decoded.channels, 0);
  REQUIRE(pixels != nullptr);
  stbi_image_free(pixels);
  return decoded;
}

}  // namespace

TEST_CASE("a thumbnail's longer side is the size asked for, aspect kept", "[thumbnail]") {
  const auto wide = MakeThumbnail(MakePng(300, 150), 128);
  REQUIRE(wide.ok());
  CHECK(DetectImageType(*wide) == "image/png");
  const Decoded wide_size = DecodedSize(*wide);
  CHECK(wide_size.width == 128);
  CHECK(wide_size.height == 64);

  const auto tall = MakeThumbnail(MakePng(100, 400, 4), 128);
  REQUIRE(tall.ok());
  const Decoded tall_size = DecodedSize(*tall);
  CHECK(tall_size.width == 32);
  CHECK(tall_size.height == 128);
  CHECK(tall_size.channels == 4);
}

TEST_CASE("a thumbnail never enlarges a small image", "[thumbnail]") {
  const auto thumbnail = MakeThumbnail(MakePng(50, 30), 128);
  REQUIRE(thumbnail.ok());
  const Decoded size = DecodedSize(*thumbnail);
  CHECK(size.width == 50);
  CHECK(size.height == 30);
}

TEST_CASE("garbage, truncated and absurd images give an error, not a crash", "[thumbnail]") {
  const auto garbage = MakeThumbnail("this is not an image at all", 128);
  REQUIRE_FALSE(garbage.ok());
  CHECK_FALSE(garbage.status().message().empty());

  CHECK_FALSE(MakeThumbnail("", 128).ok());
  CHECK_FALSE(MakeThumbnail(FakeJpeg(), 128).ok());

  const std::string png = MakePng(200, 200);
  CHECK_FALSE(MakeThumbnail(std::string_view(png).substr(0, png.size() / 2), 128).ok());

  // Headers claiming more pixels than allowed are refused before any pixel is decoded.
  for (const auto& [width, height] : {std::pair{15000u, 15000u}, std::pair{25000u, 10u}}) {
    const auto refused = MakeThumbnail(WithClaimedSize(png, width, height), 128);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().message().find("above the limit") != std::string::npos);
  }

  CHECK_FALSE(MakeThumbnail(png, 0).ok());
}
