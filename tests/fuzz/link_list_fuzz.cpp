// libFuzzer target for zfan::download::ParseLinkList (the --links FILE). Checks that kept URLs
// are unique and downloadable, that every line is accounted for once, and that rejected-line
// excerpts are printable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>

#include "jobs/download/link_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zfan::download;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = ParseLinkList(text);
  if (!list.ok()) __builtin_trap();  // only a > 64 MiB list fails

  std::unordered_set<std::string_view> seen;
  for (const auto& url : list->urls) {
    if (!UrlRejectReason(url).empty() || !seen.insert(url).second) __builtin_trap();
    if (url.empty() || url.starts_with('#') || url.find('\n') != std::string_view::npos) {
      __builtin_trap();
    }
  }
  size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  if (!text.empty() && text.back() != '\n') ++lines;  // a last line without its newline
  if (list->urls.size() + list->duplicates + list->rejected.size() > lines) __builtin_trap();
  size_t previous_line = 0;
  for (const auto& rejected : list->rejected) {
    if (rejected.line <= previous_line || rejected.line > lines) __builtin_trap();
    if (rejected.reason.empty()) __builtin_trap();
    for (unsigned char c : rejected.text_prefix) {
      if (c < 0x20 || c >= 0x7F) __builtin_trap();
    }
    previous_line = rejected.line;
  }
  return 0;
}
