// Tests of the test fixtures themselves: the generated images are real, and ImgurTestServer's
// routes answer as tests/fixtures/imgur_server.h documents.
#include <httplib.h>
#include <stb_image.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "tests/fixtures/gif_encoder.h"
#include "tests/fixtures/imgur_server.h"
#include "tests/fixtures/test_images.h"

namespace {

using namespace zfan::testing;
using nlohmann::json;

struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> pixels{nullptr, stbi_image_free};
};

DecodedImage Decode(const std::string& bytes) {
  DecodedImage decoded;
  decoded.pixels.reset(stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                             static_cast<int>(bytes.size()), &decoded.width,
                                             &decoded.height, &decoded.channels, 0));
  return decoded;
}

// What stb_image calls each format, to check that it decoded the format we meant.
bool LooksLike(ImageType type, const std::string& bytes) {
  switch (type) {
    case ImageType::kJpeg:
      return bytes.rfind("\xFF\xD8\xFF", 0) == 0;
    case ImageType::kPng:
      return bytes.rfind("\x89PNG\r\n\x1A\n", 0) == 0;
    case ImageType::kGif:
      return bytes.rfind("GIF89a", 0) == 0;
  }
  return false;
}

ImgurTestServer::Options SmallCatalogue() {
  ImgurTestServer::Options options;
  options.catalogue.count = 6;
  options.catalogue.min_bytes = 2000;
  options.catalogue.max_bytes = 6000;
  return options;
}

// A started server with a small catalogue; fails the test if it cannot start.
std::unique_ptr<ImgurTestServer> StartedServer(
    ImgurTestServer::Options options = SmallCatalogue()) {
  auto server = std::make_unique<ImgurTestServer>(std::move(options));
  const zfan::Status status = server->start();
  INFO(status.message());
  REQUIRE(status.ok());
  return server;
}

httplib::Client ClientFor(const ImgurTestServer& server) {
  httplib::Client client(server.base_url());
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(5));
  return client;
}

httplib::Headers AuthorizedHeaders(const ImgurTestServer& server) {
  return {{"Authorization", "Client-ID " + server.client_id()}};
}

}  // namespace

TEST_CASE("generated images decode with stb_image at the requested type and size") {
  for (ImageType type : {ImageType::kJpeg, ImageType::kPng, ImageType::kGif}) {
    for (std::size_t target : {50'000u, 500'000u}) {
      CAPTURE(ExtensionOf(type), target);
      const Image image = MakeImageOfSize(type, target, 7);
      CHECK(LooksLike(type, image.bytes));
      CHECK(image.bytes.size() > target * 0.85);
      CHECK(image.bytes.size() < target * 1.15);
      const DecodedImage decoded = Decode(image.bytes);
      REQUIRE(decoded.pixels != nullptr);
      CHECK(decoded.width == image.width);
      CHECK(decoded.height == image.height);
    }
  }
}

TEST_CASE("the same seed gives the same bytes and another seed different ones") {
  CHECK(MakeImage(ImageType::kPng, 40, 30, 1).bytes == MakeImage(ImageType::kPng, 40, 30, 1).bytes);
  CHECK(MakeImage(ImageType::kPng, 40, 30, 1).bytes != MakeImage(ImageType::kPng, 40, 30, 2).bytes);
}

TEST_CASE("the GIF encoder's pixels decode to exactly the palette colours given") {
  GifPalette palette;
  for (int i = 0; i < 256; ++i) {
    palette.rgb[3 * i] = static_cast<std::uint8_t>(i);
    palette.rgb[3 * i + 1] = static_cast<std::uint8_t>(255 - i);
    palette.rgb[3 * i + 2] = static_cast<std::uint8_t>(i * 3);
  }
  const int width = 61, height = 47;  // odd sizes, > 254 pixels: several clear codes
  std::vector<std::uint8_t> indices(width * height);
  SeededRandom random(3);
  for (auto& index : indices) index = static_cast<std::uint8_t>(random.next());

  const DecodedImage decoded = Decode(EncodeGif(width, height, palette, indices));
  REQUIRE(decoded.pixels != nullptr);
  REQUIRE(decoded.width == width);
  REQUIRE(decoded.height == height);
  REQUIRE(decoded.channels == 4);
  for (std::size_t pixel = 0; pixel < indices.size(); ++pixel) {
    for (int channel = 0; channel < 3; ++channel) {
      REQUIRE(decoded.pixels.get()[pixel * 4 + channel] ==
              palette.rgb[indices[pixel] * 3 + channel]);
    }
  }
}

TEST_CASE("the server starts on a free port and stops cleanly") {
  auto first = StartedServer();
  auto second = StartedServer();
  CHECK(first->port() > 0);
  CHECK(first->port() != second->port());
  CHECK(first->base_url() == "http://127.0.0.1:" + std::to_string(first->port()));

  auto client = ClientFor(*first);
  REQUIRE(client.Get("/status/204"));

  const int port = first->port();
  const auto before_stop = std::chrono::steady_clock::now();
  first.reset();
  CHECK(std::chrono::steady_clock::now() - before_stop < std::chrono::seconds(3));
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(std::chrono::seconds(1));
  CHECK_FALSE(after.Get("/status/200"));
}

TEST_CASE("the catalogue holds images of every type and size asked for") {
  auto server = StartedServer();
  REQUIRE(server->images().size() == 6);
  int per_type[3] = {0, 0, 0};
  for (const HostedImage& hosted : server->images()) {
    CAPTURE(hosted.name);
    ++per_type[static_cast<int>(hosted.image.type)];
    CHECK(hosted.image.bytes.size() >= 2000 * 0.85);
    CHECK(hosted.image.bytes.size() <= 6000 * 1.15);
    CHECK(Decode(hosted.image.bytes).pixels != nullptr);
  }
  CHECK(per_type[0] == 2);
  CHECK(per_type[1] == 2);
  CHECK(per_type[2] == 2);
}

TEST_CASE("an image is served with its exact bytes, type and length") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  for (const HostedImage& hosted : server->images()) {
    const auto response = client.Get("/i/" + hosted.name);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == hosted.image.bytes);
    CHECK(response->get_header_value("Content-Type") == ContentTypeOf(hosted.image.type));
    CHECK(response->get_header_value("Content-Length") ==
          std::to_string(hosted.image.bytes.size()));
  }
  CHECK(client.Get("/i/nosuchimage.jpg")->status == 404);
  CHECK(server->hits("/i/" + server->images()[0].name) == 1);
}

TEST_CASE("the gallery lists every image plus non-image items to skip") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const auto response = client.Get("/3/gallery/random/random/", AuthorizedHeaders(*server));
  REQUIRE(response);
  REQUIRE(response->status == 200);
  const json body = json::parse(response->body);
  CHECK(body["success"] == true);
  CHECK(body["status"] == 200);

  std::vector<std::string> image_links;
  int videos = 0, albums = 0;
  for (const json& item : body["data"]) {
    if (!item.contains("type")) {
      CHECK(item["is_album"] == true);
      ++albums;
    } else if (item["type"] == "video/mp4") {
      ++videos;
    } else {
      image_links.push_back(item["link"]);
      CHECK(item["size"].get<std::size_t>() > 0);
    }
  }
  CHECK(videos == 1);
  CHECK(albums == 2);
  CHECK(image_links == server->image_urls());
  // As Imgur sends it: escaped slashes, nulls, GIFs offered as gifv/mp4 too.
  CHECK(response->body.find(R"("link":"http:\/\/127.0.0.1:)") != std::string::npos);
  CHECK(response->body.find(R"("description":null)") != std::string::npos);
  for (const json& item : body["data"]) {
    if (item.value("type", "") == "image/gif") CHECK(item.contains("gifv"));
  }
}

TEST_CASE("gallery albums carry their images inline or list them at /3/album/{id}/images") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const json gallery =
      json::parse(client.Get("/3/gallery/random/random/", AuthorizedHeaders(*server))->body);
  std::map<std::string, json> album_items;
  for (const json& item : gallery["data"]) {
    if (item.value("is_album", false)) album_items[item["id"]] = item;
  }
  REQUIRE(album_items.size() == server->albums().size());
  for (const HostedAlbum& album : server->albums()) {
    const json& item = album_items[album.id];
    CHECK(item["link"] == "https://imgur.com/a/" + album.id);
    CHECK(item.contains("images") == album.images_inline);
    const auto listed = client.Get("/3/album/" + album.id + "/images", AuthorizedHeaders(*server));
    REQUIRE(listed);
    std::vector<std::string> links;
    const json listing = json::parse(listed->body);
    for (const json& image : listing["data"]) {
      if (image["type"] != "video/mp4") links.push_back(image["link"]);
    }
    REQUIRE(links.size() == album.images.size());
    for (size_t i = 0; i < links.size(); ++i) {
      CHECK(links[i] == server->image_url(album.images[i]));
      CHECK(client.Get("/i/" + album.images[i].name)->body == album.images[i].image.bytes);
    }
  }
}

TEST_CASE("the API refuses requests without the right client id") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const auto missing = client.Get("/3/gallery/random/random/");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(json::parse(missing->body)["success"] == false);
  const auto wrong = client.Get("/3/album/all/images", {{"Authorization", "Client-ID wrong"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
}

TEST_CASE("album ids select the documented API answers") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const auto get = [&](const std::string& album) {
    auto response = client.Get("/3/album/" + album + "/images", AuthorizedHeaders(*server));
    REQUIRE(response);
    return response;
  };
  const json all = json::parse(get("all")->body);
  CHECK(all["data"].size() == server->images().size() + 1);  // + the video item
  CHECK(json::parse(get("empty")->body)["data"].empty());
  CHECK(get("forbidden")->status == 403);
  CHECK(get("nosuchalbum")->status == 404);

  const auto limited = get("ratelimited");
  CHECK(limited->status == 429);
  CHECK(limited->get_header_value("X-RateLimit-ClientRemaining") == "0");
  CHECK(limited->has_header("Retry-After"));

  const auto bad = get("badjson");
  CHECK(bad->status == 200);
  CHECK_THROWS(json::parse(bad->body));
}

TEST_CASE("retry-after and flaky routes fail the first n requests per path, then serve") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const HostedImage& hosted = server->images()[1];
  for (const auto& [route, failure] : {std::pair{"/retry-after/2/", 429}, {"/flaky/2/", 503}}) {
    const std::string path = route + hosted.name;
    CAPTURE(path);
    for (int attempt = 1; attempt <= 2; ++attempt) {
      const auto response = client.Get(path);
      REQUIRE(response);
      CHECK(response->status == failure);
      CHECK(response->has_header("Retry-After") == (failure == 429));
      if (failure == 429) CHECK(response->get_header_value("Retry-After") == "1");
    }
    const auto served = client.Get(path);
    REQUIRE(served);
    CHECK(served->status == 200);
    CHECK(served->body == hosted.image.bytes);
    CHECK(server->hits(path) == 3);
  }
  // Another path has its own count.
  CHECK(client.Get("/retry-after/2/" + server->images()[2].name)->status == 429);
}

TEST_CASE("redirect routes chain, loop and point outside http") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const HostedImage& hosted = server->images()[0];

  client.set_follow_location(true);
  const auto followed = client.Get("/redirect/3/" + hosted.name);
  REQUIRE(followed);
  CHECK(followed->body == hosted.image.bytes);
  CHECK(server->hits("/redirect/0/" + hosted.name) == 1);

  client.set_follow_location(false);
  const auto loop = client.Get("/redirect-loop");
  REQUIRE(loop);
  CHECK(loop->status == 302);
  CHECK(loop->get_header_value("Location") == server->url("/redirect-loop"));
  CHECK(client.Get("/redirect-file")->get_header_value("Location") == "file:///etc/passwd");
}

TEST_CASE("mislabelled bodies, statuses and dup variants are served as documented") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const HostedImage& hosted = server->images()[0];

  const auto wrongtype = client.Get("/wrongtype/" + hosted.name);
  CHECK(wrongtype->body == hosted.image.bytes);
  CHECK(wrongtype->get_header_value("Content-Type") == "text/html");
  const auto notimage = client.Get("/notimage");
  CHECK(notimage->get_header_value("Content-Type") == "image/jpeg");
  CHECK(Decode(notimage->body).pixels == nullptr);
  CHECK(client.Get("/status/404")->status == 404);
  CHECK(client.Get("/status/503")->status == 503);

  const auto dup1 = client.Get("/dup/1/x.jpg");
  const auto dup2 = client.Get("/dup/2/x.jpg");
  REQUIRE(dup1);
  REQUIRE(dup2);
  CHECK(dup1->body != dup2->body);
  CHECK(dup1->body == server->dup_image(1, "x.jpg")->bytes);
  CHECK(Decode(dup2->body).pixels != nullptr);
}

TEST_CASE("a deleted image redirects to a real /removed.png; /misnamed serves by id") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const auto deleted = client.Get("/deleted/Qs7mz76.jpg");
  REQUIRE(deleted);
  CHECK(deleted->status == 302);
  CHECK(deleted->get_header_value("Location") == "/removed.png");
  const auto placeholder = client.Get("/removed.png");
  REQUIRE(placeholder);
  CHECK(placeholder->get_header_value("Content-Type") == "image/png");
  CHECK(placeholder->body == server->removed_placeholder().bytes);
  const DecodedImage decoded = Decode(placeholder->body);
  CHECK(decoded.width == 161);
  CHECK(decoded.height == 81);

  const HostedImage& hosted = server->images()[0];
  const auto misnamed = client.Get("/misnamed/" + hosted.id + ".gif");
  REQUIRE(misnamed);
  CHECK(misnamed->body == hosted.image.bytes);
  CHECK(misnamed->get_header_value("Content-Type") == ContentTypeOf(hosted.image.type));
  CHECK(client.Get("/misnamed/nOsUcHi.jpg")->status == 404);
}

TEST_CASE("latency and /slow delay the answer") {
  auto options = SmallCatalogue();
  options.latency_ms = 50;
  auto server = StartedServer(options);
  auto client = ClientFor(*server);
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(client.Get("/slow/100/" + server->images()[0].name)->status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
}

TEST_CASE("/reset drops the connection without a response") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  const auto response = client.Get("/reset");
  CHECK_FALSE(response);
  CHECK(server->hits("/reset") == 1);
}

TEST_CASE("endless streams start like a JPEG and end when the client leaves") {
  auto server = StartedServer();
  auto client = ClientFor(*server);
  for (const char* path : {"/huge", "/huge-declared", "/trickle"}) {
    CAPTURE(path);
    std::string received;
    std::string content_type;
    const auto response = client.Get(
        path,
        [&](const httplib::Response& head) {
          content_type = head.get_header_value("Content-Type");
          CHECK(head.has_header("Content-Length") == (std::string(path) == "/huge-declared"));
          return true;
        },
        [&](const char* data, std::size_t length) {
          received.append(data, length);
          return received.size() < 4;  // enough for the magic bytes; then hang up
        });
    CHECK_FALSE(response);  // we cancelled
    CHECK(content_type == "image/jpeg");
    CHECK(received.rfind("\xFF\xD8\xFF", 0) == 0);
  }
  // Every stream has noticed its client left, so stopping does not wait for 200 MB or forever.
  const auto before_stop = std::chrono::steady_clock::now();
  server->stop();
  CHECK(std::chrono::steady_clock::now() - before_stop < std::chrono::seconds(3));
}
