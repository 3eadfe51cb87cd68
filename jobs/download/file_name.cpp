// URL -> safe output file name, and the namer that keeps names distinct within a job.
#include "jobs/download/file_name.h"

#include <array>
#include <cctype>
#include <utility>

namespace zfan::download {
namespace {

// An extension longer than this is not treated as one when capping or numbering ("a.tar.gz" keeps
// ".gz"; a name like "x.verylongtextthatisnotanextension" is just a name).
constexpr size_t kMaxExtensionBytes = 16;
constexpr char kReplacement = '_';

struct CodepointRange {
  char32_t first;
  char32_t last;
};

// Characters that are invisible, reorder text (bidi controls: "gpj.exe" shown as "exe.jpg"), or
// look like a path separator. Each becomes '_'.
constexpr std::array<CodepointRange, 12> kDeceptiveCodepoints{{
    {0x00AD, 0x00AD},  // soft hyphen
    {0x061C, 0x061C},  // Arabic letter mark
    {0x200B, 0x200F},  // zero-width space/joiners, LRM/RLM
    {0x2028, 0x202E},  // line/paragraph separators, bidi embeddings and overrides
    {0x2044, 0x2044},  // fraction slash
    {0x2060, 0x206F},  // word joiner, bidi isolates, deprecated format characters
    {0x2215, 0x2216},  // division slash, set minus
    {0x29F8, 0x29F9},  // big solidus, big reverse solidus
    {0xFE68, 0xFE68},  // small reverse solidus
    {0xFEFF, 0xFEFF},  // byte order mark
    {0xFF0F, 0xFF0F},  // fullwidth solidus
    {0xFFF9, 0xFFFF},  // interlinear annotations, replacement-adjacent specials, noncharacters
}};

bool IsDeceptive(char32_t codepoint) {
  for (const CodepointRange& range : kDeceptiveCodepoints) {
    if (codepoint >= range.first && codepoint <= range.last) return true;
  }
  return codepoint == 0xFF3C;  // fullwidth reverse solidus
}

bool IsControl(char32_t codepoint) {
  return codepoint < 0x20 || (codepoint >= 0x7F && codepoint <= 0x9F);
}

// ASCII kept as is; every other ASCII character (space, quotes, $, ;, |, *, ?, ~, /, \, :, %...)
// is hostile to a shell or a filesystem somewhere.
bool IsPlainAscii(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == '+' || c == ',' || c == '=' || c == '@';
}

// The path part of `url`, still percent-encoded; empty if the URL has a host but no path.
std::string_view UrlPath(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return url;
  std::string_view after_scheme = url.substr(scheme_end + 3);
  size_t path_start = after_scheme.find('/');
  return path_start == std::string_view::npos ? std::string_view{}
                                              : after_scheme.substr(path_start);
}

std::string_view LastNonEmptySegment(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One decoding pass only: "%252e" becomes "%2e", never ".". A '%' not followed by two hex digits
// stays a literal '%'.
std::string PercentDecode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = HexDigitValue(text[i + 1]);
      int low = HexDigitValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    decoded += text[i];
  }
  return decoded;
}

// Maps each character to itself, '_' or nothing (see SafeBaseName).
std::string ReplaceUnsafeCharacters(std::string_view text) {
  std::string safe;
  safe.reserve(text.size());
  while (!text.empty()) {
    char32_t codepoint = 0;
    size_t length = DecodeUtf8(text, codepoint);
    if (length == 0) {
      safe += kReplacement;
      text.remove_prefix(1);
      continue;
    }
    if (IsControl(codepoint)) {
      // dropped: a newline or escape in a name is never what the URL's author meant to show
    } else if (length == 1) {
      safe += IsPlainAscii(text[0]) ? text[0] : kReplacement;
    } else if (IsDeceptive(codepoint)) {
      safe += kReplacement;
    } else {
      safe.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return safe;
}

std::string CollapseDotRuns(std::string_view text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  for (char c : text) {
    if (c == '.' && !collapsed.empty() && collapsed.back() == '.') continue;
    collapsed += c;
  }
  return collapsed;
}

// Leading '.' would hide the file (and could spell ".zfan-tmp-"); leading '-' reads as an option
// to most commands; a trailing '.' is dropped by some filesystems.
std::string_view TrimDotsAndDashes(std::string_view text) {
  while (!text.empty() && (text.front() == '.' || text.front() == '-')) text.remove_prefix(1);
  while (!text.empty() && text.back() == '.') text.remove_suffix(1);
  return text;
}

// Splits "stem.ext" into {"stem", ".ext"}; the extension is empty when there is none.
std::pair<std::string_view, std::string_view> SplitExtension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot > kMaxExtensionBytes ||
      dot + 1 == name.size()) {
    return {name, {}};
  }
  return {name.substr(0, dot), name.substr(dot)};
}

// Longest prefix of `text` of at most `max_bytes` that does not split a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string CapLength(std::string_view name) {
  if (name.size() <= kMaxBaseNameBytes) return std::string(name);
  auto [stem, extension] = SplitExtension(name);
  std::string_view short_stem = Utf8Prefix(stem, kMaxBaseNameBytes - extension.size());
  while (!short_stem.empty() && short_stem.back() == '.') short_stem.remove_suffix(1);
  return std::string(short_stem) + std::string(extension);
}

}  // namespace

size_t DecodeUtf8(std::string_view text, char32_t& codepoint) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) {
    codepoint = lead;
    return 1;
  }
  size_t length;
  char32_t minimum;  // smallest codepoint that needs this length: anything less is overlong
  if ((lead & 0xE0) == 0xC0) {
    length = 2, minimum = 0x80, codepoint = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, minimum = 0x800, codepoint = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, minimum = 0x10000, codepoint = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    codepoint = (codepoint << 6) | (byte(i) & 0x3F);
  }
  bool surrogate = codepoint >= 0xD800 && codepoint <= 0xDFFF;
  if (codepoint < minimum || codepoint > 0x10FFFF || surrogate) return 0;
  return length;
}

std::string PrintableExcerpt(std::string_view text, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string shown;
  for (unsigned char c : text.substr(0, max_bytes)) {
    if (c >= 0x20 && c < 0x7F) {
      shown += static_cast<char>(c);
    } else {
      shown += "\\x";
      shown += kHex[c >> 4];
      shown += kHex[c & 0xf];
    }
  }
  if (text.size() > max_bytes) shown += "...";
  return shown;
}

std::string SafeBaseName(std::string_view url) {
  std::string decoded = PercentDecode(LastNonEmptySegment(UrlPath(url)));
  std::string collapsed = CollapseDotRuns(ReplaceUnsafeCharacters(decoded));
  std::string capped = CapLength(TrimDotsAndDashes(collapsed));
  return capped.empty() ? "file" : capped;
}

std::string NameAgreeingWithType(const std::string& name, std::string_view mime_type) {
  struct Extensions {
    std::string_view mime_type;
    std::array<std::string_view, 2> known;  // spellings that agree (lower case); first canonical
  };
  static constexpr std::array<Extensions, 3> kImageExtensions{{
      {"image/jpeg", {".jpg", ".jpeg"}},
      {"image/png", {".png", ".png"}},
      {"image/gif", {".gif", ".gif"}},
  }};
  auto [stem, extension] = SplitExtension(name);
  std::string lower(extension);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const Extensions* wanted = nullptr;
  bool names_an_image_type = false;
  for (const Extensions& e : kImageExtensions) {
    const bool matches = lower == e.known[0] || lower == e.known[1];
    names_an_image_type = names_an_image_type || matches;
    if (e.mime_type == mime_type) {
      if (matches) return name;
      wanted = &e;
    }
  }
  if (wanted == nullptr || !names_an_image_type) return name;
  return std::string(stem) + std::string(wanted->known[0]);
}

void UniqueNamer::Reserve(std::string name) { taken_.insert(std::move(name)); }

std::string UniqueNamer::Claim(std::string base) {
  if (taken_.insert(base).second) return base;
  auto [stem, extension] = SplitExtension(base);
  // Resuming at the last suffix handed out for this base keeps many collisions linear overall.
  size_t& suffix = next_suffix_[base];
  for (;;) {
    std::string candidate =
        std::string(stem) + "-" + std::to_string(++suffix) + std::string(extension);
    if (taken_.insert(candidate).second) return candidate;
  }
}

}  // namespace zfan::download
