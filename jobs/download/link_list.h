// The --links FILE input: one http(s) URL per line, '#' comments and blank lines ignored. Bad lines
// are reported with their line number and a reason rather than failing the whole list.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace zfan::download {

inline constexpr size_t kMaxUrlBytes = 8192;
inline constexpr size_t kMaxLinkListBytes = size_t{64} << 20;  // 64 MiB

struct RejectedLine {
  size_t line = 0;          // 1-based
  std::string text_prefix;  // the line's first bytes, non-printable bytes shown as \xNN
  std::string reason;       // e.g. "unsupported scheme 'file' (only http and https)"
};

struct LinkList {
  std::vector<std::string> urls;  // unique (exact text), in first-seen order
  size_t duplicates = 0;          // lines repeating an earlier URL
  std::vector<RejectedLine> rejected;
};

// Why `url` cannot be downloaded ("URL too long ...", "unsupported scheme 'file' ...", "no host"),
// or "" if it is a well-formed http(s) URL. Used for links from the Imgur API too.
std::string UrlRejectReason(std::string_view url);

// Parses a link list. Fails (kUsage) only if `text` is larger than kMaxLinkListBytes.
Result<LinkList> ParseLinkList(std::string_view text);

// Reads and parses the file at `path`. kIo naming the file if it cannot be read; kUsage if it is
// larger than kMaxLinkListBytes.
Result<LinkList> ReadLinkListFile(const std::string& path);

}  // namespace zfan::download
