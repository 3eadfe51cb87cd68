// Parsing and validating the --links FILE link list (see link_list.h).
#include "jobs/download/link_list.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <unordered_set>

#include "common/atomic_file.h"
#include "jobs/download/file_name.h"

namespace zfan::download {
namespace {

constexpr size_t kPrefixBytes = 80;
constexpr size_t kMaxSchemeBytesShown = 20;
constexpr std::string_view kWhitespace = " \t\r\v\f";
constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

std::string_view Trim(std::string_view text) {
  size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

// True if `text` is valid UTF-8 without control characters (C0, DEL, C1).
bool IsCleanUtf8(std::string_view text) {
  while (!text.empty()) {
    char32_t codepoint = 0;
    size_t length = DecodeUtf8(text, codepoint);
    if (length == 0 || codepoint < 0x20 || (codepoint >= 0x7F && codepoint <= 0x9F)) return false;
    text.remove_prefix(length);
  }
  return true;
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool IsSchemeSyntax(std::string_view scheme) {
  if (scheme.empty() || !IsAsciiAlpha(scheme[0])) return false;
  for (char c : scheme) {
    if (!IsAsciiAlpha(c) && !IsAsciiDigit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// Empty or 1..65535 (an empty port after ':' means the scheme's default, as RFC 3986 allows).
bool IsValidPort(std::string_view port) {
  if (port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (!IsAsciiDigit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return port.empty() || (value >= 1 && value <= 65535);
}

// Registered names: ASCII letters, digits, '-', '.', '_', or non-ASCII (internationalised names).
bool IsHostName(std::string_view host) {
  for (char c : host) {
    bool ascii_ok = IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-' || c == '.' || c == '_';
    if (!ascii_ok && static_cast<unsigned char>(c) < 0x80) return false;
  }
  return true;
}

// Checks "host[:port]" or "[ipv6][:port]". Returns a reason, or "" if acceptable.
std::string HostProblem(std::string_view host_and_port) {
  std::string_view host = host_and_port;
  std::string_view after_host;
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return "IPv6 host without a closing ']'";
    after_host = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!after_host.empty() && !after_host.starts_with(':')) return "junk after the IPv6 host";
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    after_host = host.substr(colon);
    host = host.substr(0, colon);
    if (!IsHostName(host)) return "invalid character in the host name";
  } else if (!IsHostName(host)) {
    return "invalid character in the host name";
  }
  if (host.empty()) return "no host";
  if (!after_host.empty() && !IsValidPort(after_host.substr(1))) return "invalid port";
  return {};
}

}  // namespace

std::string UrlRejectReason(std::string_view url) {
  if (url.size() > kMaxUrlBytes) {
    return "URL too long (" + std::to_string(url.size()) + " bytes; the limit is " +
           std::to_string(kMaxUrlBytes) + ")";
  }
  if (!IsCleanUtf8(url)) return "contains control characters or bytes that are not UTF-8";
  if (url.find_first_of(" \t") != std::string_view::npos) {
    return "contains whitespace (write spaces as %20)";
  }
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || !IsSchemeSyntax(url.substr(0, colon))) {
    return "not a URL (expected http://HOST/... or https://HOST/...)";
  }
  std::string scheme = AsciiLower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") {
    return "unsupported scheme '" + scheme.substr(0, kMaxSchemeBytesShown) +
           "' (only http and https)";
  }
  if (url.substr(colon + 1, 2) != "//") return "not a URL (expected " + scheme + "://HOST/...)";
  std::string_view authority = url.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  size_t at = authority.rfind('@');  // userinfo@host: only the host matters here
  return HostProblem(at == std::string_view::npos ? authority : authority.substr(at + 1));
}

Result<LinkList> ParseLinkList(std::string_view text) {
  if (text.size() > kMaxLinkListBytes) {
    return UsageError("the link list is " + std::to_string(text.size()) +
                      " bytes; the limit is 64 MiB: split it into several runs");
  }
  if (text.starts_with(kUtf8ByteOrderMark)) text.remove_prefix(kUtf8ByteOrderMark.size());

  LinkList list;
  std::unordered_set<std::string_view> seen;  // views into `text`, which outlives this call
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t newline = text.find('\n');
    std::string_view line = Trim(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

    if (line.empty() || line.starts_with('#')) continue;
    if (std::string reason = UrlRejectReason(line); !reason.empty()) {
      list.rejected.push_back(
          {line_number, PrintableExcerpt(line, kPrefixBytes), std::move(reason)});
    } else if (!seen.insert(line).second) {
      ++list.duplicates;
    } else {
      list.urls.emplace_back(line);
    }
  }
  return list;
}

Result<LinkList> ReadLinkListFile(const std::string& path) {
  const auto failure = [&path](std::string_view what) {
    return IoError("cannot read link list '" + path + "': " + std::string(what));
  };
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return failure(std::generic_category().message(errno));
  struct stat info;
  if (::fstat(file.get(), &info) == 0 && S_ISDIR(info.st_mode)) return failure("it is a directory");

  // Read one byte past the cap so an oversized list (or an endless pipe) is refused, not truncated.
  std::string text;
  char buffer[1 << 16];
  while (text.size() <= kMaxLinkListBytes) {
    ssize_t got = ::read(file.get(), buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return failure(std::generic_category().message(errno));
    }
    text.append(buffer, static_cast<size_t>(got));
  }
  if (text.size() > kMaxLinkListBytes) {
    return UsageError("link list '" + path + "' is larger than 64 MiB: split it into several runs");
  }
  return ParseLinkList(text);
}

}  // namespace zfan::download
