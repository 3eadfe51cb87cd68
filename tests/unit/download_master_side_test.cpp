// Master side of the download job: output names, the link list, and the Imgur API client (against
// an in-process HTTP server on 127.0.0.1).
#include <httplib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/atomic_file.h"
#include "jobs/download/file_name.h"
#include "jobs/download/imgur_client.h"
#include "jobs/download/link_list.h"

namespace fs = std::filesystem;
using namespace zfan::download;
using zfan::ErrorCode;

namespace {

// Every name SafeBaseName returns must be writable inside --out and nowhere else.
void CheckIsSafeOutputName(const std::string& name) {
  INFO("name: " << PrintableExcerpt(name, 200));
  CHECK(zfan::IsSafeFileName(name));
  CHECK_FALSE(name.starts_with('.'));
  CHECK_FALSE(name.starts_with('-'));
  CHECK(name.size() <= kMaxBaseNameBytes);
  constexpr std::string_view kHostile("/\\:\0 \n$`'\"*?|;&<>~", 18);
  CHECK(name.find_first_of(kHostile) == std::string::npos);
  std::string_view rest = name;
  while (!rest.empty()) {
    char32_t codepoint = 0;
    size_t length = DecodeUtf8(rest, codepoint);
    REQUIRE(length > 0);
    CHECK(codepoint >= 0x20);
    rest.remove_prefix(length);
  }
}

}  // namespace

TEST_CASE("SafeBaseName keeps the basename of an ordinary image URL") {
  CHECK(SafeBaseName("https://i.imgur.com/AbC12.jpg") == "AbC12.jpg");
  CHECK(SafeBaseName("http://example.com/a/b/c/photo-1_2+x.png") == "photo-1_2+x.png");
  CHECK(SafeBaseName("https://i.imgur.com/AbC12.jpg?maxwidth=100&x=/y.png#frag/z") == "AbC12.jpg");
  CHECK(SafeBaseName("https://example.com/albums/holiday/") == "holiday");
  CHECK(SafeBaseName("https://example.com/caf%C3%A9.gif") == "caf\xC3\xA9.gif");
}

TEST_CASE("SafeBaseName falls back to 'file' when the URL has no usable name") {
  for (const char* url : {"", "https://example.com", "https://example.com/",
                          "https://example.com/?q=1", "https://example.com/..", "https://h/%2e%2e",
                          "https://h/...", "https://h/%00%01%7f", "https://h/-"}) {
    INFO("url: " << url);
    CHECK(SafeBaseName(url) == "file");
  }
}

TEST_CASE("SafeBaseName never yields a path that leaves the output directory") {
  CHECK(SafeBaseName("https://h/../../etc/passwd") == "passwd");
  CHECK(SafeBaseName("https://h/x/%2e%2e%2f%2e%2e%2fetc%2fpasswd") == "_._etc_passwd");
  CHECK(SafeBaseName("https://h/..%5c..%5cwin.ini") == "_._win.ini");
  CHECK(SafeBaseName("https://h/%252e%252e%252f") == "_2e_2e_2f");  // decoded once only
  for (const char* url : {"https://h/%2e%2e%2f", "https://h/..%2f..%2f..%2fetc/", "../../x",
                          "https://h/.hidden", "https://h/.zfan-tmp-0123", "https://h/C:%5cwin",
                          "https://h/a%2fb%5cc:d.jpg", "https://h/-rf%20~.jpg"}) {
    INFO("url: " << url);
    CheckIsSafeOutputName(SafeBaseName(url));
  }
  CHECK(SafeBaseName("https://h/.zfan-tmp-0123") == "zfan-tmp-0123");
}

TEST_CASE("SafeBaseName drops control characters and replaces invalid or deceptive text") {
  CHECK(SafeBaseName("https://h/a%0Ab%1B%7F.jpg") == "ab.jpg");
  CHECK(SafeBaseName("https://h/caf%E9.jpg") == "caf_.jpg");        // Latin-1, not UTF-8
  CHECK(SafeBaseName("https://h/x%C0%AF.jpg") == "x__.jpg");        // overlong '/'
  CHECK(SafeBaseName("https://h/gpj%E2%80%AE.exe") == "gpj_.exe");  // right-to-left override
  CHECK(SafeBaseName("https://h/a%EF%BC%8Fb.png") == "a_b.png");    // fullwidth solidus
  CHECK(SafeBaseName("https://h/$(rm%20-rf%20~);`x`|y.jpg") == "__rm_-rf_____x__y.jpg");
  CheckIsSafeOutputName(SafeBaseName(std::string("https://h/\xff\xfe\x80\xc3(.png")));
}

TEST_CASE("SafeBaseName caps long names at 120 bytes and keeps the extension") {
  std::string long_ascii = SafeBaseName("https://h/" + std::string(5000, 'a') + ".jpeg");
  CHECK(long_ascii.size() == kMaxBaseNameBytes);
  CHECK(long_ascii.ends_with(".jpeg"));
  CheckIsSafeOutputName(long_ascii);

  std::string e_acute = "%C3%A9";
  std::string long_utf8 = "https://h/";
  for (int i = 0; i < 2000; ++i) long_utf8 += e_acute;
  std::string capped = SafeBaseName(long_utf8 + ".png");
  CHECK(capped.size() <= kMaxBaseNameBytes);
  CHECK(capped.ends_with(".png"));
  CheckIsSafeOutputName(capped);  // also checks no UTF-8 sequence was cut in half

  std::string no_extension = SafeBaseName("https://h/" + std::string(5000, 'b'));
  CHECK(no_extension == std::string(kMaxBaseNameBytes, 'b'));
}

TEST_CASE("UniqueNamer numbers repeated names deterministically in call order") {
  UniqueNamer namer;
  CHECK(namer.Claim("a.jpg") == "a.jpg");
  CHECK(namer.Claim("a.jpg") == "a-1.jpg");
  CHECK(namer.Claim("a.jpg") == "a-2.jpg");
  CHECK(namer.Claim("A.jpg") == "A.jpg");        // case-sensitive
  CHECK(namer.Claim("a-1.jpg") == "a-1-1.jpg");  // "a-1.jpg" was handed out already
  CHECK(namer.Claim("file") == "file");
  CHECK(namer.Claim("file") == "file-1");
  CHECK(namer.Claim("archive.tar.gz") == "archive.tar.gz");
  CHECK(namer.Claim("archive.tar.gz") == "archive.tar-1.gz");

  UniqueNamer reserved;
  reserved.Reserve("zfan-journal.jsonl");
  CHECK(reserved.Claim("zfan-journal.jsonl") == "zfan-journal-1.jsonl");
}

TEST_CASE("NameAgreeingWithType gives a mislabelled image the extension of its bytes") {
  CHECK(NameAgreeingWithType("a.jpg", "image/png") == "a.png");
  CHECK(NameAgreeingWithType("a.JPEG", "image/gif") == "a.gif");
  CHECK(NameAgreeingWithType("a.png", "image/jpeg") == "a.jpg");
  CHECK(NameAgreeingWithType("a.jpeg", "image/jpeg") == "a.jpeg");  // agrees already
  CHECK(NameAgreeingWithType("a.JPG", "image/jpeg") == "a.JPG");
  CHECK(NameAgreeingWithType("a.GIF", "image/gif") == "a.GIF");
  CHECK(NameAgreeingWithType("file", "image/png") == "file");  // no image extension: kept
  CHECK(NameAgreeingWithType("a.tar.gz", "image/png") == "a.tar.gz");
  CHECK(NameAgreeingWithType("a.jpg", "") == "a.jpg");  // unknown bytes: nothing to agree with
}

TEST_CASE("UniqueNamer stays fast when ten thousand URLs share one basename") {
  UniqueNamer namer;
  std::string last;
  for (int i = 0; i < 10000; ++i) last = namer.Claim("image.jpg");
  CHECK(last == "image-9999.jpg");
}

TEST_CASE("a link list skips comments and blank lines, trims, and counts duplicates") {
  auto list = ParseLinkList(
      "\xEF\xBB\xBF# my images\r\n"
      "https://i.imgur.com/a.jpg\r\n"
      "\n"
      "   \t\n"
      "  http://example.com/b.png  \n"
      "# https://commented.out/c.gif\n"
      "https://i.imgur.com/a.jpg\n"
      "HTTPS://Example.com:8080/c.gif?x=1#f");
  REQUIRE(list.ok());
  CHECK(list->urls == std::vector<std::string>{"https://i.imgur.com/a.jpg",
                                               "http://example.com/b.png",
                                               "HTTPS://Example.com:8080/c.gif?x=1#f"});
  CHECK(list->duplicates == 1);
  CHECK(list->rejected.empty());
}

TEST_CASE("a link list rejects what cannot be downloaded, naming the line and the reason") {
  std::string long_url = "https://example.com/" + std::string(9000, 'x');
  std::string text =
      "file:///etc/passwd\n"                // 1
      "ftp://example.com/a.jpg\n"           // 2
      "javascript:alert(1)\n"               // 3
      "www.example.com/a.jpg\n"             // 4
      "https:///no-host.jpg\n"              // 5
      "http://example.com:99999/a.jpg\n"    // 6
      + long_url + "\n" +                   // 7
      "https://example.com/\xff\xfe.jpg\n"  // 8
      "https://example.com/a\x01.jpg\n"     // 9
      "https://example.com/a b.jpg\n"       // 10
      "https://ok.example.com/fine.jpg\n";  // 11
  auto list = ParseLinkList(text);
  REQUIRE(list.ok());
  CHECK(list->urls == std::vector<std::string>{"https://ok.example.com/fine.jpg"});
  REQUIRE(list->rejected.size() == 10);

  const auto& rejected = list->rejected;
  for (size_t i = 0; i < rejected.size(); ++i) CHECK(rejected[i].line == i + 1);
  CHECK_THAT(rejected[0].reason, Catch::Contains("unsupported scheme 'file'"));
  CHECK_THAT(rejected[1].reason, Catch::Contains("unsupported scheme 'ftp'"));
  CHECK_THAT(rejected[2].reason, Catch::Contains("unsupported scheme 'javascript'"));
  CHECK_THAT(rejected[3].reason, Catch::Contains("not a URL"));
  CHECK(rejected[4].reason == "no host");
  CHECK(rejected[5].reason == "invalid port");
  CHECK_THAT(rejected[6].reason, Catch::StartsWith("URL too long"));
  CHECK(rejected[6].text_prefix.size() < 100);
  CHECK_THAT(rejected[7].reason, Catch::Contains("not UTF-8"));
  CHECK(rejected[7].text_prefix == "https://example.com/\\xff\\xfe.jpg");
  CHECK_THAT(rejected[8].reason, Catch::Contains("control characters"));
  CHECK_THAT(rejected[9].reason, Catch::Contains("whitespace"));
}

TEST_CASE("a link list of ten thousand URLs parses quickly and in order") {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "https://i.imgur.com/img" + std::to_string(i) + ".jpg\n";
  text += "https://i.imgur.com/img0.jpg\n";

  auto started = std::chrono::steady_clock::now();
  auto list = ParseLinkList(text);
  auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(list.ok());
  CHECK(list->urls.size() == 10000);
  CHECK(list->urls.front() == "https://i.imgur.com/img0.jpg");
  CHECK(list->urls.back() == "https://i.imgur.com/img9999.jpg");
  CHECK(list->duplicates == 1);
  CHECK(elapsed < std::chrono::seconds(1));
}

TEST_CASE("a link list larger than 64 MiB is refused") {
  auto list = ParseLinkList(std::string(kMaxLinkListBytes + 1, '#'));
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().code() == ErrorCode::kUsage);
}

TEST_CASE("reading a link list file names the file when it cannot be read") {
  std::string dir = fs::temp_directory_path() / ("zfan-links-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = dir + "/links.txt";
  std::ofstream(path) << "https://i.imgur.com/a.jpg\nnot a url\n";

  auto list = ReadLinkListFile(path);
  REQUIRE(list.ok());
  CHECK(list->urls == std::vector<std::string>{"https://i.imgur.com/a.jpg"});
  CHECK(list->rejected.size() == 1);

  auto missing = ReadLinkListFile(dir + "/missing.txt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kIo);
  CHECK_THAT(missing.status().message(), Catch::Contains("missing.txt"));

  auto directory = ReadLinkListFile(dir);
  REQUIRE_FALSE(directory.ok());
  CHECK_THAT(directory.status().message(), Catch::Contains("directory"));
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Imgur client

namespace {

constexpr const char* kClientId = "s3cr3t7d7d80b0e3";

const char* kGalleryJson = R"({"data": [
  {"id": "a1", "type": "image/jpeg", "link": "https://i.imgur.com/a1.jpg"},
  {"id": "a2", "type": "image/png",  "link": "https://i.imgur.com/a2.png"},
  {"id": "a3", "type": "image/gif",  "link": "https://i.imgur.com/a3.gif"},
  {"id": "v1", "type": "video/mp4",  "link": "https://i.imgur.com/v1.mp4"},
  {"id": "v2", "type": "video/mp4",  "link": "https://i.imgur.com/v2.mp4"},
  {"id": "al", "is_album": true,     "link": "https://imgur.com/a/al"},
  {"id": "n",  "type": 5,            "link": "https://i.imgur.com/n.jpg"},
  "not an object",
  {"id": "a1", "type": "image/jpeg", "link": "https://i.imgur.com/a1.jpg"},
  {"id": "bad","type": "image/jpeg", "link": "file:///etc/passwd"},
  {"id": "nl", "type": "image/png"}
], "success": true, "status": 200})";

const char* kAlbumJson = R"({"data": [
  {"id": "b1", "type": "image/png", "link": "https://i.imgur.com/b1.png"}
], "success": true, "status": 200})";

// An Imgur-shaped API on 127.0.0.1. Routes are registered before the server thread starts.
class FakeImgur {
 public:
  FakeImgur() {
    AddRoutes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so the destructor could otherwise hang.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    REQUIRE(server_.is_running());
  }
  ~FakeImgur() {
    server_.stop();
    thread_.join();
  }
  ImgurApi Api(std::string client_id = kClientId) const {
    ImgurApi api;
    api.base = "http://127.0.0.1:" + std::to_string(port_);
    api.client_id = std::move(client_id);
    api.timeout_ms = 5000;
    return api;
  }

 private:
  static bool Authorised(const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Authorization") == std::string("Client-ID ") + kClientId) {
      return true;
    }
    // Echo the header back, as a careless server might: the client must not repeat it.
    response.status = 401;
    response.set_content(R"({"data":{"error":"bad )" + request.get_header_value("Authorization") +
                             R"("},"success":false,"status":401})",
                         "application/json");
    return false;
  }

  void Serve(const std::string& path, int status, std::string body) {
    server_.Get(path, [status, body](const httplib::Request& request, httplib::Response& response) {
      if (!Authorised(request, response)) return;
      response.status = status;
      response.set_content(body, "application/json");
    });
  }

  void AddRoutes() {
    Serve("/3/gallery/random/random/0", 200, kGalleryJson);
    Serve("/3/album/Good1/images", 200, kAlbumJson);
    Serve("/3/album/Missing/images", 404,
          R"({"data":{"error":"Unable to find album"},"success":false,"status":404})");
    Serve("/3/album/Broken/images", 200, "<html>502 Bad Gateway</html>");
    Serve("/3/album/NoData/images", 200, R"({"success": true})");
    Serve("/3/album/Boom/images", 500,
          R"({"data":{"error":"Imgur is over capacity"},"success":false,"status":500})");
    // Chunked, so no Content-Length warns the client: the cap must hold while bytes arrive.
    server_.Get("/3/album/Huge/images", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          "application/json", [sent = size_t{0}](size_t, httplib::DataSink& sink) mutable {
            static const std::string kChunk(1 << 20, ' ');
            if (sent > kMaxImgurResponseBytes) {
              sink.done();
              return true;
            }
            sent += kChunk.size();
            return sink.write(kChunk.data(), kChunk.size());
          });
    });
    server_.Get(
        "/3/album/Limited/images", [](const httplib::Request&, httplib::Response& response) {
          response.status = 429;
          response.set_header("Retry-After", "60");
          response.set_header("X-RateLimit-ClientRemaining", "0");
          response.set_header("X-RateLimit-UserReset", "1700000000");
          response.set_content(R"({"data":{"error":"Too Many Requests"}})", "application/json");
        });
    server_.Get("/3/album/Moved/images", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/3/album/Good1/images");
    });
    server_.Get("/3/album/ToFile/images", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("file:///etc/passwd");
    });
    server_.Get("/3/album/Slow/images", [](const httplib::Request&, httplib::Response& response) {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      response.set_content(kAlbumJson, "application/json");
    });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Returns the error message after checking the one rule every failure obeys.
std::string FailureMessage(const zfan::Result<ImgurListing>& result) {
  REQUIRE_FALSE(result.ok());
  std::string message = result.status().message();
  INFO("message: " << message);
  CHECK(message.find(kClientId) == std::string::npos);
  CHECK(message.find("wrong-id-do-not-echo") == std::string::npos);
  return message;
}

}  // namespace

TEST_CASE("a gallery listing keeps jpeg, png and gif links and counts the rest") {
  FakeImgur imgur;
  auto listing = FetchGallery(imgur.Api());
  REQUIRE(listing.ok());
  CHECK(listing->links == std::vector<std::string>{"https://i.imgur.com/a1.jpg",
                                                   "https://i.imgur.com/a2.png",
                                                   "https://i.imgur.com/a3.gif"});
  CHECK(listing->skipped_not_image == 2);
  CHECK(listing->skipped_by_type == std::map<std::string, size_t>{{"video/mp4", 2}});
  CHECK(listing->skipped_no_type == 2);  // the numeric type, the string item
  CHECK(listing->skipped_bad_link == 2);
  CHECK(listing->duplicates == 1);
  REQUIRE(listing->albums.size() == 1);
  CHECK(listing->albums[0].id == "al");
  CHECK_FALSE(listing->albums[0].listed);
}

TEST_CASE("--source gallery[:SECTION[:SORT[:WINDOW]]] names one API path per page") {
  auto random = ParseGallerySource("gallery");
  REQUIRE(random.ok());
  CHECK(GalleryPagePath(*random, 0) == "/3/gallery/random/random/0");
  auto top = ParseGallerySource("gallery:top:time:week");
  REQUIRE(top.ok());
  CHECK(GalleryPagePath(*top, 2) == "/3/gallery/top/time/week/2");
  auto hot = ParseGallerySource("gallery:hot");
  REQUIRE(hot.ok());
  CHECK(GalleryPagePath(*hot, 1) == "/3/gallery/hot/viral/day/1");
  for (const char* bad : {"", "album", "gallery:", "gallery:../x", "gallery:top:time:week:1",
                          "gallery:top:sideways", "gallery:hot:viral:decade"}) {
    auto spec = ParseGallerySource(bad);
    CHECK(spec.status().code() == ErrorCode::kUsage);
  }
}

TEST_CASE("a gallery album's inline images are listed with it, its skips counted") {
  auto listing = ParseImgurListing(R"({"data": [
    {"id": "x1", "is_album": false, "type": "image/png", "link": "https:\/\/i.imgur.com\/x1.png"},
    {"id": "AlB1", "is_album": true, "link": "https://imgur.com/a/AlB1", "images": [
      {"id": "i1", "type": "image/jpeg", "link": "https://i.imgur.com/i1.jpg"},
      {"id": "v1", "type": "video/mp4", "link": "https://i.imgur.com/v1.mp4", "mp4": null},
      {"id": "i1", "type": "image/jpeg", "link": "https://i.imgur.com/i1.jpg"},
      {"id": "in", "is_album": true, "images": []}]},
    {"id": "AlB2", "is_album": true, "images": null},
    {"is_album": true, "images": []}]})");
  REQUIRE(listing.ok());
  CHECK(listing->links == std::vector<std::string>{"https://i.imgur.com/x1.png"});
  REQUIRE(listing->albums.size() == 2);
  CHECK(listing->albums[0].id == "AlB1");
  CHECK(listing->albums[0].listed);
  CHECK(listing->albums[0].links == std::vector<std::string>{"https://i.imgur.com/i1.jpg"});
  CHECK(listing->albums[1].id == "AlB2");
  CHECK_FALSE(listing->albums[1].listed);  // "images": null is no list: fetch the album
  CHECK(listing->skipped_not_image == 1);
  CHECK(listing->duplicates == 1);
  CHECK(listing->skipped_no_type == 2);  // the album in an album, the album without an id
}

TEST_CASE("an album listing is fetched by id, following a redirect on the same server") {
  FakeImgur imgur;
  auto album = FetchAlbum(imgur.Api(), "Good1");
  REQUIRE(album.ok());
  CHECK(album->links == std::vector<std::string>{"https://i.imgur.com/b1.png"});

  auto moved = FetchAlbum(imgur.Api(), "Moved");
  REQUIRE(moved.ok());
  CHECK(moved->links == album->links);
}

TEST_CASE("a refused client id is reported without ever repeating it") {
  FakeImgur imgur;
  auto refused = FetchGallery(imgur.Api("wrong-id-do-not-echo"));
  std::string message = FailureMessage(refused);
  CHECK(refused.status().code() == ErrorCode::kRemote);
  CHECK(message == "the Imgur API refused the client id (HTTP 401): check IMGUR_CLIENT_ID");
}

TEST_CASE("a missing or unusable client id is a usage error that does not repeat it") {
  FakeImgur imgur;
  auto empty = FetchGallery(imgur.Api(""));
  CHECK_THAT(FailureMessage(empty), Catch::Contains("set IMGUR_CLIENT_ID"));
  CHECK(empty.status().code() == ErrorCode::kUsage);

  auto injected = FetchGallery(imgur.Api("wrong-id-do-not-echo\r\nX-Evil: 1"));
  CHECK_THAT(FailureMessage(injected), Catch::Contains("IMGUR_CLIENT_ID"));
  CHECK(injected.status().code() == ErrorCode::kUsage);
}

TEST_CASE("rate limiting is reported with the server's Retry-After and rate-limit headers") {
  FakeImgur imgur;
  auto limited = FetchAlbum(imgur.Api(), "Limited");
  std::string message = FailureMessage(limited);
  CHECK(limited.status().code() == ErrorCode::kRemote);
  CHECK_THAT(message, Catch::Contains("HTTP 429"));
  CHECK_THAT(message, Catch::Contains("Retry-After: 60"));
  CHECK_THAT(message, Catch::Contains("X-RateLimit-ClientRemaining: 0"));
  CHECK_THAT(message, Catch::Contains("X-RateLimit-UserReset: 1700000000"));
}

TEST_CASE("API failures give clear, typed errors") {
  FakeImgur imgur;
  CHECK_THAT(FailureMessage(FetchAlbum(imgur.Api(), "Missing")),
             Catch::Contains("album 'Missing' was not found") && Catch::Contains("HTTP 404"));
  CHECK_THAT(FailureMessage(FetchAlbum(imgur.Api(), "Boom")),
             Catch::Contains("HTTP 500") && Catch::Contains("Imgur is over capacity"));
  CHECK_THAT(
      FailureMessage(FetchAlbum(imgur.Api(), "Broken")),
      Catch::StartsWith("the Imgur API returned malformed JSON: ") && Catch::Contains("<html>"));
  CHECK_THAT(FailureMessage(FetchAlbum(imgur.Api(), "NoData")),
             Catch::Contains("malformed JSON") && Catch::Contains("\"data\""));
  CHECK_THAT(FailureMessage(FetchAlbum(imgur.Api(), "Huge")), Catch::Contains("larger than"));
  CHECK_THAT(FailureMessage(FetchAlbum(imgur.Api(), "ToFile")), Catch::Contains("could not get"));

  ImgurApi impatient = imgur.Api();
  impatient.timeout_ms = 200;
  auto slow = FetchAlbum(impatient, "Slow");
  CHECK_THAT(FailureMessage(slow), Catch::Contains("did not answer within 200 ms"));
  CHECK(slow.status().code() == ErrorCode::kTimeout);
}

TEST_CASE("an album id that is not letters and digits never reaches a URL") {
  FakeImgur imgur;
  for (const char* id : {"", "../gallery", "a b", "a/b", "a?x=1", "a%2f"}) {
    INFO("id: " << id);
    auto result = FetchAlbum(imgur.Api(), id);
    FailureMessage(result);
    CHECK(result.status().code() == ErrorCode::kUsage);
  }
}

TEST_CASE("an unreachable API or a non-http base gives a clear error") {
  ImgurApi api;
  {
    FakeImgur stopped;  // its port is closed once it is gone
    api = stopped.Api();
  }
  CHECK_THAT(FailureMessage(FetchGallery(api)), Catch::Contains("could not get"));

  api.base = "ftp://127.0.0.1/";
  auto ftp = FetchGallery(api);
  CHECK_THAT(FailureMessage(ftp), Catch::Contains("http:// or https://"));
  CHECK(ftp.status().code() == ErrorCode::kUsage);
}

TEST_CASE("hostile JSON bodies are refused without crashing") {
  CHECK_FALSE(ParseImgurListing(std::string(200000, '[')).ok());
  CHECK_FALSE(ParseImgurListing("").ok());
  CHECK_FALSE(ParseImgurListing(R"({"data": {"error": "x"}})").ok());
  auto odd_types = ParseImgurListing(
      R"({"data":[{"type":"x\u0000\u001b[31m","link":"https://h/a"},{"type":"image/png","link":"https://h/b.png"}]})");
  REQUIRE(odd_types.ok());
  CHECK(odd_types->links == std::vector<std::string>{"https://h/b.png"});
  CHECK(odd_types->skipped_by_type.begin()->first == "x\\x00\\x1b[31m");
}
