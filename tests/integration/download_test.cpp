// The download job end to end: real zfan processes against the Imgur-shaped test server. Every
// image must arrive exactly once, byte-identical, under its expected name, and nothing may be
// written outside --out.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/fixtures/imgur_server.h"
#include "tests/fixtures/sha256.h"
#include "tests/integration/harness.h"

using namespace zfan::testing;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

ImgurTestServerOptions SmallCatalogue(int count, int latency_ms = 0) {
  ImgurTestServerOptions o;
  o.catalogue.count = count;
  o.catalogue.seed = 7;
  o.latency_ms = latency_ms;
  return o;
}

// name -> sha256 of every regular file directly in `dir` but the journal (temp files included,
// so that a leftover one shows up).
std::map<std::string, std::string> FilesIn(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename() == ".zfan-journal") continue;
    files[e.path().filename()] = zfan::Sha256Hex(ReadFile(e.path()));
  }
  return files;
}

std::map<std::string, std::string> Expected(const std::vector<HostedImage>& images) {
  std::map<std::string, std::string> files;
  for (const auto& img : images) files[img.name] = zfan::Sha256Hex(img.image.bytes);
  return files;
}

std::map<std::string, std::string> Expected(const ImgurTestServer& server) {
  return Expected(server.images());
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary);
  for (const auto& l : lines) out << l << '\n';
}

// `zfan master download JOB_ARGS --out OUT` on `workers` local workers, a free port, --json -q.
std::vector<std::string> DownloadArgs(const std::vector<std::string>& job_args,
                                      const std::string& out, int workers,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> args{"master", "download"};
  args.insert(args.end(), job_args.begin(), job_args.end());
  std::vector<std::string> common{"--out",           out,
                                  "--local-workers", std::to_string(workers),
                                  "--port",          std::to_string(FreePortTriple()),
                                  "--json",          "-q"};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

RunResult Download(const std::vector<std::string>& job_args, const std::string& out,
                   int workers = 2, std::vector<std::string> extra = {}) {
  return RunZfan(DownloadArgs(job_args, out, workers, extra), milliseconds(180000));
}

// Starts `server` and lets this process's zfan use its API (IMGUR_CLIENT_ID).
void StartApi(ImgurTestServer& server) {
  REQUIRE(server.start().ok());
  setenv("IMGUR_CLIENT_ID", server.client_id().c_str(), 1);
}

// `zfan master download --source SOURCE` against `server`'s API, plus `extra` job options.
RunResult DownloadGallery(const ImgurTestServer& server, const std::string& out,
                          std::vector<std::string> extra = {}, std::string source = "gallery") {
  std::vector<std::string> args{"--source", source, "--api-base", server.base_url()};
  args.insert(args.end(), extra.begin(), extra.end());
  return Download(args, out);
}

std::map<std::string, std::string> FailuresByUrl(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  for (const auto& f : j["failures"]) out[f["url"]] = f["reason"];
  return out;
}

}  // namespace

TEST_CASE("the gallery source downloads every image once, byte-identical, non-images skipped",
          "[download]") {
  ImgurTestServer server(SmallCatalogue(30));
  REQUIRE(server.start().ok());
  setenv("IMGUR_CLIENT_ID", server.client_id().c_str(), 1);
  TempDir dir;
  RunResult r = Download({"--source", "gallery", "--api-base", server.base_url()}, dir / "out");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = r.json();
  CHECK(FilesIn(dir / "out") == Expected(server));  // the journal is a dot file, not listed
  // The fixture's gallery also holds two albums of three images each (their own directories).
  CHECK(j["result"]["files"] == 30 + 2 * 3);
  CHECK(j["result"]["skipped_not_image"].get<int>() >= 2);
  for (const auto& img : server.images()) CHECK(server.hits("/i/" + img.name) == 1);
  // The client id never reaches workers, logs or output.
  CHECK(r.err.find(server.client_id()) == std::string::npos);
  CHECK(r.out.find(server.client_id()) == std::string::npos);
}

TEST_CASE("the album and links sources download the same files", "[download]") {
  ImgurTestServer server(SmallCatalogue(20));
  REQUIRE(server.start().ok());
  setenv("IMGUR_CLIENT_ID", server.client_id().c_str(), 1);
  TempDir dir;
  RunResult album = Download({"--album", "all", "--api-base", server.base_url()}, dir / "album");
  REQUIRE(album.exit_code == 0);
  CHECK(FilesIn(dir / "album") == Expected(server));
  WriteLines(dir / "links.txt", server.image_urls());
  RunResult links =
      Download({"--links", dir / "links.txt"}, dir / "links", 2, {"--joblog", dir / "log.tsv"});
  REQUIRE(links.exit_code == 0);
  CHECK(FilesIn(dir / "links") == Expected(server));
  // The joblog: a header naming the columns, then one OK line per URL with the file it became.
  std::istringstream log(ReadFile(dir / "log.tsv"));
  std::string line;
  REQUIRE(std::getline(log, line));
  CHECK(line == "url\tworker\tattempts\tbytes\tseconds\tstatus\tdetail\tfile");
  std::map<std::string, std::string> file_of_url;
  while (std::getline(log, line)) {
    std::vector<std::string> cols;
    std::istringstream fields(line);
    for (std::string col; std::getline(fields, col, '\t');) cols.push_back(col);
    REQUIRE(cols.size() == 8);
    CHECK(cols[5] == "OK");
    CHECK(file_of_url.emplace(cols[0], cols[7]).second);  // each URL once
  }
  REQUIRE(file_of_url.size() == server.images().size());
  for (const auto& url : server.image_urls()) {
    CHECK(file_of_url[url] == url.substr(url.rfind('/') + 1));
  }
}

TEST_CASE("API errors give a clear message and exit 3", "[download]") {
  ImgurTestServer server(SmallCatalogue(3));
  REQUIRE(server.start().ok());
  TempDir dir;
  setenv("IMGUR_CLIENT_ID", "wrong-id", 1);
  RunResult unauthorized =
      Download({"--source", "gallery", "--api-base", server.base_url()}, dir / "o");
  CHECK(unauthorized.exit_code == 3);
  CHECK(unauthorized.err.find("401") != std::string::npos);
  CHECK(unauthorized.err.find("wrong-id") == std::string::npos);
  setenv("IMGUR_CLIENT_ID", server.client_id().c_str(), 1);
  for (std::string album : {"ratelimited", "badjson", "nosuchalbum"}) {
    RunResult r = Download({"--album", album, "--api-base", server.base_url()}, dir / "o");
    INFO(album << ": " << r.err);
    CHECK(r.exit_code == 3);
    CHECK(CountLines(r.err, "zfan: ") == 1);
  }
}

TEST_CASE("each server fault gives its typed reason and nothing lands outside --out",
          "[download]") {
  ImgurTestServer server(SmallCatalogue(4));
  REQUIRE(server.start().ok());
  TempDir dir;
  const std::string img = server.images()[0].name;
  std::map<std::string, std::string> expected_failures = {
      {server.url("/status/404"), "HTTP_404"},
      {server.url("/status/500"), "HTTP_500"},
      {server.url("/redirect-loop"), "TOO_MANY_REDIRECTS"},
      {server.url("/redirect-file"), "BAD_URL"},
      {server.url("/huge"), "TOO_LARGE"},
      {server.url("/huge-declared"), "TOO_LARGE"},
      {server.url("/notimage"), "BAD_TYPE"},
      {server.url("/trickle"), "TIMEOUT"},
      {server.url("/reset"), "CONNECT"},
      {"http://127.0.0.1:1/refused.jpg", "CONNECT"},
  };
  std::vector<std::string> links;
  for (const auto& [url, reason] : expected_failures) links.push_back(url);
  // These recover: 429 with Retry-After, 503 then OK, a short redirect chain.
  links.push_back(server.url("/retry-after/1/" + img));
  links.push_back(server.url("/flaky/1/" + img));
  links.push_back(server.url("/redirect/2/" + img));
  links.push_back("file:///etc/passwd");
  WriteLines(dir / "links.txt", links);
  RunResult r = Download(
      {"--links", dir / "links.txt", "--max-bytes", "1000000", "--timeout", "3", "--retries", "1"},
      dir / "out", 2, {"--max-attempts", "1"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  auto failures = FailuresByUrl(j);
  for (const auto& [url, reason] : expected_failures) CHECK(failures[url] == reason);
  CHECK(failures["file:///etc/passwd"] == "BAD_URL");
  CHECK(j["tasks"]["failed"] == expected_failures.size() + 1);
  // The three recovered downloads share the basename: three distinct names, same bytes.
  auto files = FilesIn(dir / "out");
  CHECK(files.size() == 3);
  for (const auto& [name, sha] : files) {
    CHECK(name.rfind(".zfan-tmp", 0) != 0);
    CHECK(sha == zfan::Sha256Hex(server.images()[0].image.bytes));
  }
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(dir.path())) top.insert(e.path().filename());
  CHECK(top == std::set<std::string>{"links.txt", "out"});
}

TEST_CASE("deleted images fail as REMOVED, leave no placeholder file, and the rest arrive",
          "[download]") {
  ImgurTestServer server(SmallCatalogue(8));
  REQUIRE(server.start().ok());
  TempDir dir;
  const std::vector<std::string> deleted = {server.url("/deleted/Qs7mz76.jpg"),
                                            server.url("/deleted/dEl0002.png"),
                                            server.url("/deleted/dEl0003.gif")};
  std::vector<std::string> links = server.image_urls();
  for (size_t i = 0; i < deleted.size(); ++i) links.insert(links.begin() + 2 * i + 1, deleted[i]);
  WriteLines(dir / "links.txt", links);
  RunResult r = Download({"--links", dir / "links.txt"}, dir / "out");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  std::map<std::string, std::string> expected_failures;
  for (const auto& url : deleted) expected_failures[url] = "REMOVED";
  CHECK(FailuresByUrl(j) == expected_failures);
  CHECK(j["failures_by_reason"]["REMOVED"] == deleted.size());
  CHECK(FilesIn(dir / "out") == Expected(server));  // no placeholder under any name
  for (const auto& url : deleted) CHECK(server.hits(url.substr(server.base_url().size())) == 1);
}

TEST_CASE("an image whose bytes disagree with its extension is saved under the right one",
          "[download]") {
  ImgurTestServer server(SmallCatalogue(6));  // types cycle jpeg, png, gif
  REQUIRE(server.start().ok());
  TempDir dir;
  // Each image under the extension of the next type: every one of them is misnamed.
  const std::vector<std::string> wrong_extension = {".png", ".gif", ".jpg"};
  std::vector<std::string> links;
  std::map<std::string, std::string> expected;
  for (size_t i = 0; i < server.images().size(); ++i) {
    const HostedImage& img = server.images()[i];
    links.push_back(server.url("/misnamed/" + img.id + wrong_extension[i % 3]));
    expected[img.name] = zfan::Sha256Hex(img.image.bytes);
  }
  // Named rightly, it gets its name up front; the misnamed copy, renamed when its bytes arrive,
  // takes the next free one.
  links.push_back(server.image_urls()[0]);
  const std::string first = server.images()[0].name;
  expected[first.substr(0, first.rfind('.')) + "-1.jpg"] = expected[first];
  WriteLines(dir / "links.txt", links);
  RunResult r = Download({"--links", dir / "links.txt"}, dir / "out");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.json()["result"]["renamed_by_type"] == server.images().size());
  CHECK(FilesIn(dir / "out") == expected);
}

TEST_CASE("gallery albums land in OUT/ALBUM_ID/, inline or fetched once, and a re-run skips them",
          "[download]") {
  ImgurTestServerOptions options = SmallCatalogue(10);
  options.gallery_albums = 4;  // 01 and 03 carry "images"; 02 and 04 must be fetched
  ImgurTestServer server(options);
  StartApi(server);
  TempDir dir;
  RunResult r = DownloadGallery(server, dir / "out");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = r.json();
  CHECK(j["result"]["albums"] == 4);
  CHECK(j["result"]["album_images"] == 12);
  CHECK(FilesIn(dir / "out") == Expected(server));
  std::set<std::string> subdirs;
  for (const auto& e : fs::directory_iterator(dir / "out")) {
    if (e.is_directory()) subdirs.insert(e.path().filename());
  }
  CHECK(subdirs.size() == server.albums().size());
  for (const HostedAlbum& album : server.albums()) {
    CHECK(FilesIn(dir / ("out/" + album.id)) == Expected(album.images));
    CHECK(server.hits("/3/album/" + album.id + "/images") == (album.images_inline ? 0 : 1));
    for (const auto& img : album.images) CHECK(server.hits("/i/" + img.name) == 1);
  }
  RunResult again = DownloadGallery(server, dir / "out");
  REQUIRE(again.exit_code == 0);
  CHECK(again.json()["tasks"]["skipped"] == 10 + 12);
  for (const auto& img : server.albums()[0].images) CHECK(server.hits("/i/" + img.name) == 1);

  std::vector<HostedImage> every_image = server.images();
  for (const HostedAlbum& album : server.albums()) {
    every_image.insert(every_image.end(), album.images.begin(), album.images.end());
  }
  REQUIRE(DownloadGallery(server, dir / "flat", {"--flat"}).exit_code == 0);
  CHECK(FilesIn(dir / "flat") == Expected(every_image));
  RunResult skip = DownloadGallery(server, dir / "skip", {"--albums", "skip"});
  REQUIRE(skip.exit_code == 0);
  CHECK(FilesIn(dir / "skip") == Expected(server));
  CHECK(skip.json()["result"]["albums"] == 0);
  CHECK(skip.json()["result"]["skipped_not_image"].get<int>() >= 4);
}

TEST_CASE("a hostile album id cannot leave --out; an album that cannot be listed is ALBUM_ERROR",
          "[download]") {
  ImgurTestServerOptions options = SmallCatalogue(3);
  options.album_id_prefix = "../../";  // "../../01" is inline; "../../02" must be fetched
  ImgurTestServer server(options);
  StartApi(server);
  TempDir dir;
  RunResult r = DownloadGallery(server, dir / "out");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  CHECK(j["result"]["albums"] == 1);
  CHECK(j["result"]["albums_failed"] == 1);
  CHECK(j["failures_by_reason"]["ALBUM_ERROR"] == 1);
  CHECK(FilesIn(dir / "out/01") == Expected(server.albums()[0].images));
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(dir.path())) top.insert(e.path().filename());
  CHECK(top == std::set<std::string>{"out"});
}

TEST_CASE(
    "--pages 3 reads three gallery pages once each and fetches images repeated across them once",
    "[download]") {
  ImgurTestServerOptions options = SmallCatalogue(12);
  options.gallery_pages = 3;
  options.gallery_albums = 0;
  ImgurTestServer server(options);
  StartApi(server);
  TempDir dir;
  RunResult r = DownloadGallery(server, dir / "out", {"--pages", "3"}, "gallery:top:time:week");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (int page = 0; page < 3; ++page) {
    CHECK(server.hits("/3/gallery/top/time/week/" + std::to_string(page)) == 1);
  }
  CHECK(server.hits("/3/gallery/top/time/week/3") == 0);
  CHECK(FilesIn(dir / "out") == Expected(server));
  for (const auto& img : server.images()) CHECK(server.hits("/i/" + img.name) == 1);
  CHECK(r.json()["result"]["duplicates_in_list"] == 2);  // each later page repeats one image
  CHECK(DownloadGallery(server, dir / "x", {}, "gallery:top:sideways").exit_code == 2);
}

TEST_CASE("paging stops with one clear line when the API's credits run low", "[download]") {
  ImgurTestServerOptions options = SmallCatalogue(12);
  options.gallery_pages = 3;
  options.gallery_albums = 0;
  options.api_credits = 11;  // 10 left after page 0, 9 after page 1: below the floor of 10
  ImgurTestServer server(options);
  StartApi(server);
  TempDir dir;
  RunResult r = DownloadGallery(server, dir / "out", {"--pages", "3"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(server.hits("/3/gallery/random/random/0") == 1);
  CHECK(server.hits("/3/gallery/random/random/1") == 1);
  CHECK(server.hits("/3/gallery/random/random/2") == 0);
  CHECK(CountLines(r.err, "credits are low") == 1);
  CHECK(r.err.find("stopping after page 2 of 3") != std::string::npos);
  const std::vector<HostedImage> first_two_pages(server.images().begin(),
                                                 server.images().begin() + 8);
  CHECK(FilesIn(dir / "out") == Expected(first_two_pages));
}

TEST_CASE("an API 429 is waited for once; a second one is one zfan: line and exit 3",
          "[download]") {
  for (int refusals : {1, 2}) {
    ImgurTestServerOptions options = SmallCatalogue(4);
    options.gallery_429s = refusals;
    ImgurTestServer server(options);
    StartApi(server);
    TempDir dir;
    RunResult r = DownloadGallery(server, dir / "out");
    INFO(refusals << " refusals: " << r.err);
    CHECK(server.hits("/3/gallery/random/random/0") == 2);
    if (refusals == 1) {
      CHECK(r.exit_code == 0);
      CHECK(FilesIn(dir / "out") == Expected(server));
    } else {
      CHECK(r.exit_code == 3);
      CHECK(CountLines(r.err, "zfan: ") == 1);
      CHECK(r.err.find("429") != std::string::npos);
    }
  }
}

TEST_CASE("a 1000-image gallery with 10 deleted and 20 albums gets each image once, 10 REMOVED",
          "[download]") {
  ImgurTestServerOptions options = SmallCatalogue(1000);
  options.catalogue.min_bytes = 1000;  // small: this test is about counts, not bandwidth
  options.catalogue.max_bytes = 3000;
  options.gallery_albums = 20;
  options.gallery_deleted = 10;
  ImgurTestServer server(options);
  StartApi(server);
  TempDir dir;
  RunResult r = DownloadGallery(server, dir / "out");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  std::map<std::string, std::string> expected_failures;
  for (const auto& url : server.deleted_urls()) expected_failures[url] = "REMOVED";
  CHECK(FailuresByUrl(j) == expected_failures);
  CHECK(j["result"]["albums"] == 20);
  CHECK(j["result"]["album_images"] == 20 * 3);
  CHECK(FilesIn(dir / "out") == Expected(server));  // no placeholder among them
  for (const HostedAlbum& album : server.albums()) {
    CHECK(FilesIn(dir / ("out/" + album.id)) == Expected(album.images));
    for (const auto& img : album.images) CHECK(server.hits("/i/" + img.name) == 1);
  }
  for (const auto& img : server.images()) CHECK(server.hits("/i/" + img.name) == 1);
  CHECK(server.hits("/removed.png") == 10);
}

TEST_CASE("a re-run skips the files already there", "[download]") {
  ImgurTestServer server(SmallCatalogue(15));
  REQUIRE(server.start().ok());
  TempDir dir;
  WriteLines(dir / "links.txt", server.image_urls());
  REQUIRE(Download({"--links", dir / "links.txt"}, dir / "out").exit_code == 0);
  RunResult again = Download({"--links", dir / "links.txt"}, dir / "out");
  REQUIRE(again.exit_code == 0);
  CHECK(again.json()["tasks"]["skipped"] == 15);
  for (const auto& img : server.images()) CHECK(server.hits("/i/" + img.name) == 1);
  CHECK(FilesIn(dir / "out") == Expected(server));
}

TEST_CASE("two URLs with the same basename both arrive under distinct names", "[download]") {
  ImgurTestServer server(SmallCatalogue(2));
  REQUIRE(server.start().ok());
  TempDir dir;
  const std::string name = server.images()[0].name;
  WriteLines(dir / "links.txt", {server.url("/dup/1/" + name), server.url("/dup/2/" + name)});
  REQUIRE(Download({"--links", dir / "links.txt"}, dir / "out").exit_code == 0);
  std::string stem = name.substr(0, name.rfind('.')), ext = name.substr(name.rfind('.'));
  auto files = FilesIn(dir / "out");
  REQUIRE(files.size() == 2);
  CHECK(files[name] == zfan::Sha256Hex(server.dup_image(1, name)->bytes));
  CHECK(files[stem + "-1" + ext] == zfan::Sha256Hex(server.dup_image(2, name)->bytes));
}

TEST_CASE("1, 2 and 4 workers give the same files", "[download]") {
  ImgurTestServer server(SmallCatalogue(40, 5));
  REQUIRE(server.start().ok());
  TempDir dir;
  WriteLines(dir / "links.txt", server.image_urls());
  for (int workers : {1, 2, 4}) {
    std::string out = dir / ("out" + std::to_string(workers));
    RunResult r = Download({"--links", dir / "links.txt"}, out, workers);
    REQUIRE(r.exit_code == 0);
    CHECK(FilesIn(out) == Expected(server));
  }
}

TEST_CASE("a hostile link list gets clear per-URL errors and writes nothing outside --out",
          "[download]") {
  ImgurTestServer server(SmallCatalogue(2));
  REQUIRE(server.start().ok());
  TempDir dir;
  std::vector<std::string> links{"file:///etc/passwd",
                                 "ftp://127.0.0.1/x.jpg",
                                 "javascript:alert(1)",
                                 server.url("/i/../../../etc/passwd"),
                                 server.url("/i/%2e%2e%2f%2e%2e%2fescape.jpg"),
                                 server.url("/" + std::string(9000, 'a') + ".jpg"),
                                 server.url("/bad-\xff\xfe-utf8.jpg")};
  for (int i = 0; i < 10000; ++i) links.push_back(server.url("/status/404?n=" + std::to_string(i)));
  links.push_back(server.image_urls()[0]);
  WriteLines(dir / "links.txt", links);
  RunResult r = Download({"--links", dir / "links.txt"}, dir / "out");
  CHECK(r.exit_code == 1);
  auto j = r.json();
  CHECK(j["result"]["files"] == 1);
  CHECK(j["tasks"]["failed"].get<size_t>() == links.size() - 1);
  auto failures = FailuresByUrl(j);
  CHECK(failures["file:///etc/passwd"] == "BAD_URL");
  CHECK(failures["javascript:alert(1)"] == "BAD_URL");
  CHECK(failures[server.url("/status/404?n=9999")] == "HTTP_404");
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(dir.path())) top.insert(e.path().filename());
  CHECK(top == std::set<std::string>{"links.txt", "out"});
  for (const auto& [name, sha] : FilesIn(dir / "out")) {
    CHECK(name.find('/') == std::string::npos);
    CHECK(name.rfind(".", 0) != 0);
  }
}

TEST_CASE("thumbnails are written beside the images, aspect kept", "[download]") {
  ImgurTestServer server(SmallCatalogue(6));
  REQUIRE(server.start().ok());
  TempDir dir;
  WriteLines(dir / "links.txt", server.image_urls());
  RunResult r = Download({"--links", dir / "links.txt", "--thumbnails", "32"}, dir / "out");
  REQUIRE(r.exit_code == 0);
  auto thumbs = FilesIn(dir / "out/thumbnails");
  CHECK(thumbs.size() == 6);
  for (const auto& [name, sha] : thumbs) {
    CHECK(name.substr(name.size() - 4) == ".png");
    std::string png = ReadFile(dir / ("out/thumbnails/" + name));
    REQUIRE(png.size() > 24);
    auto be32 = [&](size_t at) {
      return (uint8_t(png[at]) << 24) | (uint8_t(png[at + 1]) << 16) | (uint8_t(png[at + 2]) << 8) |
             uint8_t(png[at + 3]);
    };
    CHECK(std::max(be32(16), be32(20)) == 32);  // IHDR width, height
  }
}

namespace {

// Runs `args` (which write a --joblog to `joblog`) until `done` tasks succeeded, kills the master
// with -9 and reruns it with --resume: the second run must exit 0 with nothing failed, and account
// for at least those `done` tasks without running them again.
void KillAndResume(std::vector<std::string> args, const std::string& joblog, size_t done) {
  {
    ZfanProcess first(args);
    REQUIRE(WaitUntil([&] { return CountLines(ReadFile(joblog), "\tOK\t") >= done; },
                      milliseconds(60000)));
    first.Signal(SIGKILL);
    first.Wait();
  }
  args.push_back("--resume");
  ZfanProcess second(args);
  REQUIRE(second.Wait() == 0);
  auto j = second.json();
  CHECK(j["tasks"]["resumed"].get<size_t>() + j["tasks"]["skipped"].get<size_t>() >= done);
  CHECK(j["tasks"]["failed"] == 0);
}

// A download into dir/out on one local worker with two slots, its joblog in dir/log.tsv.
std::vector<std::string> ResumableDownload(const std::vector<std::string>& job_args,
                                           const TempDir& dir) {
  return DownloadArgs(job_args, dir / "out", 1,
                      {"--worker-slots", "2", "--joblog", dir / "log.tsv"});
}

}  // namespace

TEST_CASE("a master killed with -9 mid-download resumes: every file once, no temp files",
          "[download][chaos]") {
  ImgurTestServer server(SmallCatalogue(60, 100));
  REQUIRE(server.start().ok());
  TempDir dir;
  WriteLines(dir / "links.txt", server.image_urls());
  KillAndResume(ResumableDownload({"--links", dir / "links.txt"}, dir), dir / "log.tsv", 25);
  CHECK(FilesIn(dir / "out") == Expected(server));  // temporary files would show here too
}

TEST_CASE("a master killed with -9 mid-gallery resumes: every image and album file once",
          "[download][chaos]") {
  ImgurTestServerOptions options = SmallCatalogue(40, 100);
  options.gallery_albums = 4;  // two inline, two fetched: album tasks that make more tasks
  ImgurTestServer server(options);
  StartApi(server);
  TempDir dir;
  KillAndResume(ResumableDownload({"--source", "gallery", "--api-base", server.base_url()}, dir),
                dir / "log.tsv", 15);
  CHECK(FilesIn(dir / "out") == Expected(server));
  for (const HostedAlbum& album : server.albums()) {
    CHECK(FilesIn(dir / ("out/" + album.id)) == Expected(album.images));
  }
}

TEST_CASE("a full disk fails the files that do not fit, cleanly, and the master carries on",
          "[download]") {
  ImgurTestServer server(SmallCatalogue(12));
  REQUIRE(server.start().ok());
  TempDir dir;
  fs::create_directory(dir / "out");
  std::string mount = "mount -t tmpfs -o size=160k tmpfs " + dir / "out" + " 2>/dev/null";
  if (std::system(mount.c_str()) != 0) {
    WARN(
        "SKIPPED: cannot mount a small tmpfs here (needs root); the full-disk path is still "
        "covered by atomic_file_test");
    return;
  }
  WriteLines(dir / "links.txt", server.image_urls());
  RunResult r =
      Download({"--links", dir / "links.txt"}, dir / "out", 2, {"--journal", dir / "journal"});
  auto files = FilesIn(dir / "out");
  std::system(("umount " + dir / "out").c_str());
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto j = r.json();
  CHECK(j["failures_by_reason"]["SINK_ERROR"].get<int>() >= 1);
  CHECK(j["result"]["files"].get<size_t>() == files.size());
  CHECK(j["result"]["files"].get<int>() + j["tasks"]["failed"].get<int>() == 12);
  auto expected = Expected(server);
  for (const auto& [name, sha] : files) {
    CHECK(name.rfind(".zfan-tmp", 0) != 0);  // no temp file left behind
    CHECK(expected[name] == sha);            // what was written is whole
  }
  for (const auto& f : j["failures"])
    CHECK(f["detail"].get<std::string>().find("disk full") != std::string::npos);
}
