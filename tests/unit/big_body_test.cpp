// The test server's large-file routes (/big, /cut, /stats/sent) and the body generator they share
// (tests/fixtures/big_body.h), fetched with libcurl as the downloader would.
#include "tests/fixtures/big_body.h"

#include <curl/curl.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/fixtures/imgur_server.h"
#include "tests/fixtures/sha256.h"

namespace {

using namespace zfan::testing;

constexpr std::uint64_t kMiB = 1024 * 1024;

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What one GET brought back. Header names are lower-case.
struct Fetched {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

size_t AppendBody(char* data, size_t size, size_t count, void* fetched) {
  static_cast<Fetched*>(fetched)->body.append(data, size * count);
  return size * count;
}

size_t KeepHeader(char* data, size_t size, size_t count, void* fetched) {
  const std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto value_start = line.find_first_not_of(' ', colon + 1);
    const auto value_end = line.find_last_not_of("\r\n");
    static_cast<Fetched*>(fetched)->headers[name] =
        value_start > value_end ? "" : line.substr(value_start, value_end - value_start + 1);
  }
  return size * count;
}

Fetched Get(const std::string& url, const std::vector<std::string>& request_headers = {}) {
  Fetched fetched;
  std::unique_ptr<CURL, CurlEasyDeleter> easy(curl_easy_init());
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  for (const std::string& header : request_headers) {
    headers.reset(curl_slist_append(headers.release(), header.c_str()));
  }
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &fetched);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, KeepHeader);
  curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &fetched);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT, 20L);
  fetched.code = curl_easy_perform(easy.get());
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &fetched.status);
  return fetched;
}

std::string Expected(std::string_view name, std::uint64_t total, std::uint64_t offset,
                     std::size_t length) {
  std::string bytes(length, '\0');
  BigBodyBytes(name, total, offset, bytes.data(), length);
  return bytes;
}

std::string UrlEncoded(const std::string& text) {
  std::unique_ptr<CURL, CurlEasyDeleter> easy(curl_easy_init());
  char* escaped = curl_easy_escape(easy.get(), text.c_str(), static_cast<int>(text.size()));
  std::string result(escaped);
  curl_free(escaped);
  return result;
}

std::unique_ptr<ImgurTestServer> StartedServer() {
  ImgurTestServer::Options options;
  options.catalogue.count = 1;
  auto server = std::make_unique<ImgurTestServer>(options);
  const zfan::Status status = server->start();
  INFO(status.message());
  REQUIRE(status.ok());
  return server;
}

}  // namespace

TEST_CASE("a big body is the same bytes however its ranges are split", "[big_body]") {
  const std::uint64_t total = 2 * kMiB + 4099;
  const std::string whole = Expected("a.jpg", total, 0, total);
  CHECK(whole.rfind("\xFF\xD8\xFF\xE0", 0) == 0);
  for (const std::uint64_t offset :
       {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{4}, kMiB - 5, kMiB, total - 9}) {
    for (const std::uint64_t length : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{9}}) {
      INFO("offset " << offset << " length " << length);
      CHECK(Expected("a.jpg", total, offset, length) == whole.substr(offset, length));
    }
  }
  CHECK(Expected("a.jpg", total, 3, kMiB + 11) == whole.substr(3, kMiB + 11));
  // No short period: the second MiB is not the first again, and other names, other sizes differ.
  CHECK(whole.substr(kMiB, 4096) != whole.substr(0, 4096));
  CHECK(whole.substr(8, 4096) != whole.substr(8 + 4096, 4096));
  CHECK(Expected("b.jpg", total, 4, 4096) != whole.substr(4, 4096));
  CHECK(Expected("a.jpg", total + 1, 4, 4096) != whole.substr(4, 4096));
  CHECK(BigBodySha256Hex("a.jpg", total) == zfan::Sha256Hex(whole));
  CHECK(BigBodyETag("a.jpg", total) != BigBodyETag("a.jpg", total + 1));
}

TEST_CASE("/big sends exactly the generated body with its headers, and counts it", "[big_body]") {
  const auto server = StartedServer();
  const std::uint64_t total = 3 * kMiB + 12345;
  const std::string path = "/big/" + std::to_string(total) + "/photo.jpg";

  const Fetched fetched = Get(server->url(path));
  CHECK(fetched.code == CURLE_OK);
  CHECK(fetched.status == 200);
  CHECK(fetched.body.size() == total);
  CHECK(zfan::Sha256Hex(fetched.body) == BigBodySha256Hex("photo.jpg", total));
  CHECK(fetched.headers.at("content-type") == "image/jpeg");
  CHECK(fetched.headers.at("content-length") == std::to_string(total));
  CHECK(fetched.headers.at("accept-ranges") == "bytes");
  CHECK(fetched.headers.at("etag") == BigBodyETag("photo.jpg", total));
  CHECK(fetched.headers.count("last-modified") == 1);
  CHECK(fetched.headers.count("content-range") == 0);
  CHECK(server->body_bytes_sent(path) == total);
  CHECK(Get(server->url("/stats/sent?path=" + UrlEncoded(path))).body ==
        std::to_string(total) + "\n");
}

TEST_CASE("/big answers a Range with 206 and exactly those bytes", "[big_body]") {
  const auto server = StartedServer();
  const std::uint64_t total = 3 * kMiB;
  const std::string path = "/big/" + std::to_string(total) + "/r.jpg";
  const std::uint64_t from = kMiB + 5;

  const Fetched tail = Get(server->url(path), {"Range: bytes=" + std::to_string(from) + "-"});
  CHECK(tail.code == CURLE_OK);
  CHECK(tail.status == 206);
  CHECK(tail.headers.at("content-range") == "bytes " + std::to_string(from) + "-" +
                                                std::to_string(total - 1) + "/" +
                                                std::to_string(total));
  CHECK(tail.headers.at("content-length") == std::to_string(total - from));
  CHECK(tail.body == Expected("r.jpg", total, from, total - from));

  const Fetched middle = Get(server->url(path), {"Range: bytes=2-100"});
  CHECK(middle.status == 206);
  CHECK(middle.headers.at("content-range") == "bytes 2-100/" + std::to_string(total));
  CHECK(middle.body == Expected("r.jpg", total, 2, 99));

  const Fetched past_end = Get(server->url(path), {"Range: bytes=" + std::to_string(from) + "-" +
                                                   std::to_string(total + 1000)});
  CHECK(past_end.status == 206);
  CHECK(past_end.body.size() == total - from);

  const Fetched suffix = Get(server->url(path), {"Range: bytes=-10"});
  CHECK(suffix.status == 206);
  CHECK(suffix.body == Expected("r.jpg", total, total - 10, 10));

  const Fetched unsatisfiable =
      Get(server->url(path), {"Range: bytes=" + std::to_string(total) + "-"});
  CHECK(unsatisfiable.status == 416);
  CHECK(unsatisfiable.headers.at("content-range") == "bytes */" + std::to_string(total));

  CHECK(server->body_bytes_sent(path) == (total - from) + 99 + (total - from) + 10);
}

TEST_CASE("/big ignores a Range whose If-Range is another ETag", "[big_body]") {
  const auto server = StartedServer();
  const std::uint64_t total = 2 * kMiB + 1;
  const std::string path = "/big/" + std::to_string(total) + "/if.jpg";
  const std::string etag = BigBodyETag("if.jpg", total);

  const Fetched stale = Get(server->url(path), {"Range: bytes=100-", "If-Range: \"other\""});
  CHECK(stale.status == 200);
  CHECK(stale.headers.count("content-range") == 0);
  CHECK(stale.body.size() == total);
  CHECK(zfan::Sha256Hex(stale.body) == BigBodySha256Hex("if.jpg", total));

  const Fetched current = Get(server->url(path), {"Range: bytes=100-", "If-Range: " + etag});
  CHECK(current.status == 206);
  CHECK(current.body == Expected("if.jpg", total, 100, total - 100));
  CHECK(server->body_bytes_sent(path) == total + (total - 100));
}

TEST_CASE("/cut drops its first transfer after <after> bytes and a ranged retry completes it",
          "[big_body]") {
  const auto server = StartedServer();
  const std::uint64_t total = 3 * kMiB + 17, after = kMiB + 777;
  const std::string path = "/cut/" + std::to_string(after) + "/" + std::to_string(total) + "/c.jpg";

  const Fetched cut = Get(server->url(path));
  CHECK(cut.code != CURLE_OK);
  INFO(curl_easy_strerror(cut.code));
  CHECK((cut.code == CURLE_PARTIAL_FILE || cut.code == CURLE_RECV_ERROR));
  CHECK(cut.status == 200);
  CHECK(cut.headers.at("etag") == BigBodyETag("c.jpg", total));
  CHECK(cut.body.size() == after);
  CHECK(server->body_bytes_sent(path) == after);

  const Fetched rest =
      Get(server->url(path), {"Range: bytes=" + std::to_string(cut.body.size()) + "-",
                              "If-Range: " + cut.headers.at("etag")});
  CHECK(rest.code == CURLE_OK);
  CHECK(rest.status == 206);
  CHECK(zfan::Sha256Hex(cut.body + rest.body) == BigBodySha256Hex("c.jpg", total));
  CHECK(server->body_bytes_sent(path) == total);
  CHECK(server->hits(path) == 2);

  const Fetched again = Get(server->url(path));
  CHECK(again.code == CURLE_OK);
  CHECK(again.body.size() == total);
  CHECK(server->body_bytes_sent(path) == 2 * total);
}
