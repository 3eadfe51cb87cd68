// Master-side Imgur API client: fetches a gallery or album listing and keeps the image links, as
// the seeds' get_links() does. The client id is a secret: it goes only into the Authorization
// header and never into an error message, a log line or a worker's parameters.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace zfan::download {

struct ImgurApi {
  std::string base = "https://api.imgur.com";  // http(s) only; tests point it at 127.0.0.1
  std::string client_id;                       // from IMGUR_CLIENT_ID
  long timeout_ms = 20000;                     // whole request, redirects included
};

// A gallery item that is an album ("is_album": true, link https://imgur.com/a/ID).
struct ImgurAlbum {
  std::string id;                  // as the API sent it: untrusted, sanitise before use as a name
  bool listed = false;             // the item carried an "images" array (else: FetchAlbum)
  std::vector<std::string> links;  // its image links when listed; unique within the album
};

// The links worth downloading, and what was left out and why.
struct ImgurListing {
  std::vector<std::string> links;  // image/jpeg, image/png, image/gif; unique, in API order
  size_t skipped_not_image = 0;    // items with another "type" (video/mp4, ...)
  size_t skipped_no_type = 0;      // items without a string "type" that are not albums
  size_t skipped_bad_link = 0;     // image items whose "link" is missing or not http(s)
  size_t duplicates = 0;           // image links already listed
  std::map<std::string, size_t> skipped_by_type;  // type (printable, capped) -> count
  std::vector<ImgurAlbum> albums;  // gallery albums, in API order; their skips count above
};

// Largest API response accepted; a bigger one is refused (kRemote) while it is still arriving.
inline constexpr size_t kMaxImgurResponseBytes = size_t{32} << 20;

// Which gallery, from --source gallery[:SECTION[:SORT[:WINDOW]]], and how many pages of it.
struct GallerySpec {
  std::string section = "random";  // hot, top, user, random
  std::string sort = "viral";      // viral, top, time, rising (ignored by random)
  std::string window = "day";      // day, week, month, year, all (ignored by random)
  int pages = 1;
};

// Parses "gallery", "gallery:top", "gallery:top:time:week", ...; kUsage names what is allowed.
Result<GallerySpec> ParseGallerySource(std::string_view source);

// The API path of one page: /3/gallery/random/random/{page} or
// /3/gallery/{section}/{sort}/{window}/{page}.
std::string GalleryPagePath(const GallerySpec& spec, int page);

// Below this many credits left (X-RateLimit-ClientRemaining or -UserRemaining), no further page is
// fetched: what is left is kept for the album listings and for the user's next run.
inline constexpr long kLowCreditsFloor = 10;
// A 429 whose Retry-After is at most this is waited for once; a longer one fails at once.
inline constexpr long kMaxApiRetryAfterS = 30;

// Pages 0..spec.pages-1 of the gallery, merged: links unique across pages, albums unique by id.
// Stops early at an empty page, or (with one warning line) when credits run low.
Result<ImgurListing> FetchGallery(const ImgurApi& api, const GallerySpec& spec = {});

// GET {base}/3/album/{album_id}/images. `album_id` must be letters and digits (kUsage otherwise).
Result<ImgurListing> FetchAlbum(const ImgurApi& api, const std::string& album_id);

// Turns an API response body into a listing (kRemote if it is not JSON with a "data" array).
// Exposed for tests and the fuzzer; Fetch* call it.
Result<ImgurListing> ParseImgurListing(std::string_view body);

}  // namespace zfan::download
