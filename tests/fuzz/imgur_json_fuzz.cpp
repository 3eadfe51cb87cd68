// libFuzzer target for zfan::download::ParseImgurListing (an Imgur API response body). Checks
// that every kept link is unique and downloadable, and that the skip counts add up.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>

#include "jobs/download/imgur_client.h"
#include "jobs/download/link_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zfan::download;
  auto listing = ParseImgurListing({reinterpret_cast<const char*>(data), size});
  if (!listing.ok()) {
    if (listing.status().code() != zfan::ErrorCode::kRemote) __builtin_trap();
    return 0;
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& link : listing->links) {
    if (!UrlRejectReason(link).empty() || !seen.insert(link).second) __builtin_trap();
  }
  size_t by_type = 0;
  for (const auto& [type, count] : listing->skipped_by_type) {
    for (unsigned char c : type) {
      if (c < 0x20 || c >= 0x7F) __builtin_trap();  // shown to the user: printable only
    }
    by_type += count;
  }
  if (by_type != listing->skipped_not_image) __builtin_trap();
  return 0;
}
