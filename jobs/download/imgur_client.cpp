// Imgur API listing requests over a libcurl easy handle, and the JSON -> link list step.
#include "jobs/download/imgur_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "jobs/download/file_name.h"
#include "jobs/download/link_list.h"

#ifndef ZFAN_VERSION
#define ZFAN_VERSION "dev"
#endif

namespace zfan::download {
namespace {

constexpr long kMaxRedirects = 5;
constexpr long kMaxConnectTimeoutMs = 10000;
constexpr long kLowSpeedBytesPerS = 1;  // with kLowSpeedTimeS: a stalled connection gives up early
constexpr long kLowSpeedTimeS = 15;
constexpr size_t kMaxAlbumIdBytes = 64;
constexpr size_t kMaxShownBytes = 200;
constexpr size_t kMaxShownTypeBytes = 64;
constexpr std::string_view kRedacted = "<IMGUR_CLIENT_ID>";

// The seeds' `types`.
constexpr std::array<std::string_view, 3> kImageTypes = {"image/jpeg", "image/png", "image/gif"};

// Reported on HTTP 429 when the server sends them.
constexpr std::array<const char*, 7> kRateLimitHeaders = {"Retry-After",
                                                          "X-RateLimit-ClientRemaining",
                                                          "X-RateLimit-ClientLimit",
                                                          "X-RateLimit-UserRemaining",
                                                          "X-RateLimit-UserLimit",
                                                          "X-RateLimit-UserReset",
                                                          "X-RateLimit-ClientReset"};

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlHeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlHeaderList = std::unique_ptr<curl_slist, CurlHeaderListDeleter>;

// curl_global_init is not thread-safe; whoever gets here first does it once for the process.
bool InitCurlOnce() {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return initialised;
}

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> rate_limit_headers;  // name, printable value

  // The header's value as a whole number, if it was sent as one.
  std::optional<long> number(std::string_view name) const {
    for (const auto& [header, value] : rate_limit_headers) {
      long parsed = 0;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (header == name && error == std::errc() && end == value.data() + value.size()) {
        return parsed;
      }
    }
    return std::nullopt;
  }
};

// Receives the body; refuses (aborting the transfer) once it would exceed the cap.
struct BodySink {
  std::string& body;
  bool too_large = false;
};

size_t AppendToBody(char* data, size_t size, size_t count, void* user) {
  auto& sink = *static_cast<BodySink*>(user);
  size_t bytes = size * count;
  if (sink.body.size() + bytes > kMaxImgurResponseBytes) {
    sink.too_large = true;
    return 0;  // anything but `bytes` makes curl stop with CURLE_WRITE_ERROR
  }
  sink.body.append(data, bytes);
  return bytes;
}

bool StartsWithHttpScheme(std::string_view url) {
  auto starts_with_ignoring_case = [url](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    }
    return true;
  };
  return starts_with_ignoring_case("http://") || starts_with_ignoring_case("https://");
}

bool IsAlphanumericId(std::string_view id) {
  if (id.empty() || id.size() > kMaxAlbumIdBytes) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A header value must be printable ASCII, or it could smuggle in another header line.
bool IsHeaderSafe(std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

Status CheckApi(const ImgurApi& api) {
  if (api.client_id.empty()) {
    return UsageError(
        "set IMGUR_CLIENT_ID to your Imgur application's client id (register one at "
        "https://api.imgur.com/oauth2/addclient), or use --links FILE");
  }
  if (!IsHeaderSafe(api.client_id)) {
    return UsageError(
        "IMGUR_CLIENT_ID contains characters that cannot go in an HTTP header (a stray newline "
        "or space?)");
  }
  if (!StartsWithHttpScheme(api.base)) {
    return UsageError("the Imgur API address '" + PrintableExcerpt(api.base, kMaxShownBytes) +
                      "' must start with http:// or https://");
  }
  return Status::Ok();
}

void CollectRateLimitHeaders(CURL* easy, HttpResponse& response) {
  for (const char* name : kRateLimitHeaders) {
    curl_header* header = nullptr;
    // request -1: the last response, i.e. after any redirects.
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) == CURLHE_OK) {
      response.rate_limit_headers.emplace_back(name, PrintableExcerpt(header->value, 40));
    }
  }
}

Status TransportError(CURLcode code, const char* curl_detail, bool too_large,
                      const std::string& url, long timeout_ms) {
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return {ErrorCode::kRemote, "the Imgur API response from " + url + " is larger than " +
                                    std::to_string(kMaxImgurResponseBytes >> 20) +
                                    " MiB; refusing it"};
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return {ErrorCode::kTimeout, "the Imgur API at " + url + " did not answer within " +
                                     std::to_string(timeout_ms) + " ms"};
  }
  std::string detail = *curl_detail ? curl_detail : curl_easy_strerror(code);
  return {ErrorCode::kRemote, "could not get " + url + " from the Imgur API: " +
                                  PrintableExcerpt(detail, kMaxShownBytes)};
}

bool AppendHeader(CurlHeaderList& headers, const std::string& line) {
  // curl_slist_append returns the list head, or nullptr (leaving the list intact) if out of memory.
  curl_slist* head = curl_slist_append(headers.get(), line.c_str());
  if (head == nullptr) return false;
  if (!headers) headers.reset(head);
  return true;
}

// Sets every option of one bounded GET. Redirects stay on http(s), and libcurl (>= 7.58) does not
// resend our Authorization header to another host, so a redirect cannot leak the client id.
Status ConfigureGet(CURL* handle, const ImgurApi& api, const std::string& url, curl_slist* headers,
                    BodySink& sink, char* curl_detail) {
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "zfan/" ZFAN_VERSION);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, api.timeout_ms);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min(api.timeout_ms, kMaxConnectTimeoutMs));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytesPerS);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, kLowSpeedTimeS);
  curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t{kMaxImgurResponseBytes});
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, AppendToBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, curl_detail);
  // Fail closed: if this libcurl cannot restrict protocols, do not make the request at all.
  if (curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK) {
    return Status(ErrorCode::kInternal, "this libcurl cannot restrict protocols to http(s)");
  }
  return Status::Ok();
}

Result<HttpResponse> HttpGet(const ImgurApi& api, const std::string& url) {
  const Status out_of_memory(ErrorCode::kInternal, "libcurl could not allocate a request");
  if (!InitCurlOnce()) return Status(ErrorCode::kInternal, "libcurl failed to initialise");
  CurlEasy easy(curl_easy_init());
  CurlHeaderList headers;
  if (!easy || !AppendHeader(headers, "Accept: application/json") ||
      !AppendHeader(headers, "Authorization: Client-ID " + api.client_id)) {
    return out_of_memory;
  }
  HttpResponse response;
  BodySink sink{response.body};
  char curl_detail[CURL_ERROR_SIZE] = "";
  Status configured = ConfigureGet(easy.get(), api, url, headers.get(), sink, curl_detail);
  if (!configured.ok()) return configured;

  CURLcode code = curl_easy_perform(easy.get());
  if (code != CURLE_OK) {
    return TransportError(code, curl_detail, sink.too_large, url, api.timeout_ms);
  }
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &response.status);
  CollectRateLimitHeaders(easy.get(), response);
  return response;
}

// Imgur errors look like {"data": {"error": "..."}, "success": false, "status": 404}.
std::string ApiErrorText(const std::string& body) {
  nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) return {};
  auto data = document.find("data");
  if (data == document.end() || !data->is_object()) return {};
  auto error = data->find("error");
  if (error == data->end() || !error->is_string()) return {};
  return PrintableExcerpt(error->get_ref<const std::string&>(), kMaxShownBytes);
}

Status HttpStatusError(const HttpResponse& response, const std::string& url,
                       std::string_view not_found_message) {
  std::string code = "HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) {
    return {ErrorCode::kRemote,
            "the Imgur API refused the client id (" + code + "): check IMGUR_CLIENT_ID"};
  }
  if (response.status == 404 && !not_found_message.empty()) {
    return {ErrorCode::kRemote, std::string(not_found_message) + " (" + code + ")"};
  }
  std::string message;
  if (response.status == 429) {
    message = "the Imgur API is rate limiting this client (" + code + "); wait and try again";
    for (const auto& [name, value] : response.rate_limit_headers) {
      message += "; " + name + ": " + value;
    }
  } else {
    message = "the Imgur API answered " + code + " for " + url;
  }
  if (std::string api_error = ApiErrorText(response.body); !api_error.empty()) {
    message += " (Imgur says: " + api_error + ")";
  }
  return {ErrorCode::kRemote, std::move(message)};
}

Status MalformedJson(std::string_view why) {
  return {ErrorCode::kRemote, "the Imgur API returned malformed JSON: " + std::string(why)};
}

bool IsImageType(std::string_view type) {
  for (std::string_view image_type : kImageTypes) {
    if (type == image_type) return true;
  }
  return false;
}

void AddItem(const nlohmann::json& item, ImgurListing& listing,
             std::unordered_set<std::string>& seen);

bool IsAlbumItem(const nlohmann::json& item) {
  auto is_album = item.is_object() ? item.find("is_album") : item.end();
  return is_album != item.end() && is_album->is_boolean() && is_album->get<bool>();
}

// An album item of a gallery; its inline "images" (if any) are read like a listing of their own,
// and what they skip is counted in `listing`. Albums nested in an album are not followed.
void AddAlbum(const nlohmann::json& item, ImgurListing& listing) {
  auto id = item.find("id");
  if (id == item.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    ++listing.skipped_no_type;
    return;
  }
  ImgurAlbum album{.id = id->get<std::string>()};
  auto images = item.find("images");
  if (images != item.end() && images->is_array()) {
    album.listed = true;
    ImgurListing inside;
    std::unordered_set<std::string> seen;
    for (const nlohmann::json& image : *images) AddItem(image, inside, seen);
    album.links = std::move(inside.links);
    listing.skipped_not_image += inside.skipped_not_image;
    listing.skipped_no_type += inside.skipped_no_type + inside.albums.size();
    listing.skipped_bad_link += inside.skipped_bad_link;
    listing.duplicates += inside.duplicates;
    for (const auto& [type, count] : inside.skipped_by_type) listing.skipped_by_type[type] += count;
  }
  listing.albums.push_back(std::move(album));
}

// Adds one element of "data" to `listing`, or counts why it was skipped.
void AddItem(const nlohmann::json& item, ImgurListing& listing,
             std::unordered_set<std::string>& seen) {
  if (IsAlbumItem(item)) return AddAlbum(item, listing);
  auto type = item.is_object() ? item.find("type") : item.end();
  if (!item.is_object() || type == item.end() || !type->is_string()) {
    ++listing.skipped_no_type;
    return;
  }
  const auto& type_text = type->get_ref<const std::string&>();
  if (!IsImageType(type_text)) {
    ++listing.skipped_not_image;
    ++listing.skipped_by_type[PrintableExcerpt(type_text, kMaxShownTypeBytes)];
    return;
  }
  auto link = item.find("link");
  if (link == item.end() || !link->is_string() ||
      !UrlRejectReason(link->get_ref<const std::string&>()).empty()) {
    ++listing.skipped_bad_link;
    return;
  }
  const auto& link_text = link->get_ref<const std::string&>();
  if (!seen.insert(link_text).second) {
    ++listing.duplicates;
    return;
  }
  listing.links.push_back(link_text);
}

std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + kRedacted.size())) {
    text.replace(at, secret.size(), kRedacted);
  }
  return text;
}

// A listing and the credits the API said were left after it.
struct FetchedPage {
  ImgurListing listing;
  std::optional<long> credits_left;  // the lower of ClientRemaining and UserRemaining
  std::string credits_text;          // the rate-limit headers, for the user
};

// One GET; a 429 asking for a short wait (Retry-After <= kMaxApiRetryAfterS) is tried once more.
Result<HttpResponse> HttpGetWaitingOnce(const ImgurApi& api, const std::string& url) {
  Result<HttpResponse> response = HttpGet(api, url);
  if (!response.ok() || response->status != 429) return response;
  std::optional<long> wait_s = response->number("Retry-After");
  if (!wait_s || *wait_s < 0 || *wait_s > kMaxApiRetryAfterS) return response;
  spdlog::warn("the Imgur API asks to wait {} s (HTTP 429); waiting once", *wait_s);
  std::this_thread::sleep_for(std::chrono::seconds(*wait_s));
  return HttpGet(api, url);
}

FetchedPage PageOf(ImgurListing listing, const HttpResponse& response) {
  FetchedPage page{std::move(listing), std::nullopt, ""};
  for (const char* name : {"X-RateLimit-ClientRemaining", "X-RateLimit-UserRemaining"}) {
    if (std::optional<long> left = response.number(name)) {
      page.credits_left = std::min(page.credits_left.value_or(*left), *left);
    }
  }
  for (const auto& [name, value] : response.rate_limit_headers) {
    page.credits_text += (page.credits_text.empty() ? "" : ", ") + name + ": " + value;
  }
  return page;
}

Result<FetchedPage> FetchUnredacted(const ImgurApi& api, std::string_view path,
                                    std::string_view not_found_message) {
  if (Status checked = CheckApi(api); !checked.ok()) return checked;
  std::string base = api.base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = base + std::string(path);

  Result<HttpResponse> response = HttpGetWaitingOnce(api, url);
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpStatusError(*response, url, not_found_message);
  Result<ImgurListing> listing = ParseImgurListing(response->body);
  if (!listing.ok()) return listing.status();
  return PageOf(std::move(listing).value(), *response);
}

// The single exit for every Fetch: whatever a server echoed back, the client id never leaves.
Result<FetchedPage> Fetch(const ImgurApi& api, std::string_view path,
                          std::string_view not_found_message) {
  Result<FetchedPage> page = FetchUnredacted(api, path, not_found_message);
  if (page.ok()) return page;
  Status failure = page.status();
  return Status(failure.code(), Redact(failure.message(), api.client_id));
}

// Adds a later page to the listing so far: links and albums already there are duplicates.
void MergePage(ImgurListing& all, ImgurListing page, std::unordered_set<std::string>& seen_links,
               std::unordered_set<std::string>& seen_albums) {
  for (std::string& link : page.links) {
    if (seen_links.insert(link).second) {
      all.links.push_back(std::move(link));
    } else {
      ++all.duplicates;
    }
  }
  for (ImgurAlbum& album : page.albums) {
    if (seen_albums.insert(album.id).second) {
      all.albums.push_back(std::move(album));
    } else {
      ++all.duplicates;
    }
  }
  all.skipped_not_image += page.skipped_not_image;
  all.skipped_no_type += page.skipped_no_type;
  all.skipped_bad_link += page.skipped_bad_link;
  all.duplicates += page.duplicates;
  for (const auto& [type, count] : page.skipped_by_type) all.skipped_by_type[type] += count;
}

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

Result<ImgurListing> ParseImgurListing(std::string_view body) {
  // nlohmann 3.11 parses and destroys iteratively, so hostile nesting cannot overflow the stack.
  nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return MalformedJson("the body is not JSON (" + std::to_string(body.size()) +
                         " bytes, starting '" + PrintableExcerpt(body, 60) + "')");
  }
  auto data = document.is_object() ? document.find("data") : document.end();
  if (!document.is_object() || data == document.end() || !data->is_array()) {
    return MalformedJson("no \"data\" array in the response");
  }
  ImgurListing listing;
  std::unordered_set<std::string> seen;
  for (const nlohmann::json& item : *data) AddItem(item, listing, seen);
  return listing;
}

Result<GallerySpec> ParseGallerySource(std::string_view source) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t colon = source.find(':', start);
    parts.emplace_back(source.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  const std::string usage =
      "--source must be gallery[:SECTION[:SORT[:WINDOW]]] with SECTION hot, top, user or random, "
      "SORT viral, top, time or rising, WINDOW day, week, month, year or all (got '" +
      PrintableExcerpt(source, 60) + "')";
  GallerySpec spec;
  if (parts.size() > 4 || parts[0] != "gallery") return UsageError(usage);
  if (parts.size() > 1) spec.section = parts[1];
  if (parts.size() > 2) spec.sort = parts[2];
  if (parts.size() > 3) spec.window = parts[3];
  if (!IsOneOf(spec.section, {"hot", "top", "user", "random"}) ||
      !IsOneOf(spec.sort, {"viral", "top", "time", "rising"}) ||
      !IsOneOf(spec.window, {"day", "week", "month", "year", "all"})) {
    return UsageError(usage);
  }
  return spec;
}

std::string GalleryPagePath(const GallerySpec& spec, int page) {
  if (spec.section == "random") return "/3/gallery/random/random/" + std::to_string(page);
  return "/3/gallery/" + spec.section + "/" + spec.sort + "/" + spec.window + "/" +
         std::to_string(page);
}

Result<ImgurListing> FetchGallery(const ImgurApi& api, const GallerySpec& spec) {
  ImgurListing all;
  std::unordered_set<std::string> seen_links, seen_albums;
  for (int page = 0; page < spec.pages; ++page) {
    Result<FetchedPage> fetched = Fetch(api, GalleryPagePath(spec, page), {});
    if (!fetched.ok()) return fetched.status();
    const bool empty = fetched->listing.links.empty() && fetched->listing.albums.empty();
    MergePage(all, std::move(fetched->listing), seen_links, seen_albums);
    if (empty) break;  // past the last page
    if (page + 1 < spec.pages && fetched->credits_left &&
        *fetched->credits_left < kLowCreditsFloor) {
      spdlog::warn("Imgur API credits are low ({}): stopping after page {} of {}",
                   fetched->credits_text, page + 1, spec.pages);
      break;
    }
  }
  return all;
}

Result<ImgurListing> FetchAlbum(const ImgurApi& api, const std::string& album_id) {
  if (!IsAlphanumericId(album_id)) {
    return UsageError("album id '" + PrintableExcerpt(album_id, 40) +
                      "' is not valid: Imgur ids are letters and digits, like the AbC12 in "
                      "https://imgur.com/a/AbC12");
  }
  Result<FetchedPage> page =
      Fetch(api, "/3/album/" + album_id + "/images",
            "Imgur album '" + album_id + "' was not found: check the album id");
  if (!page.ok()) return page.status();
  return std::move(page->listing);
}

}  // namespace zfan::download
