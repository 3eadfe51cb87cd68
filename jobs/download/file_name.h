// Output file names for downloads: a URL becomes a safe, single-component name, and each task gets
// a distinct one. Nothing from a URL can name a path outside --out or a hidden/temp file.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace zfan::download {

// Longest name SafeBaseName returns, in bytes (well under NAME_MAX = 255, leaving room for the
// "-N" that UniqueNamer may add).
inline constexpr size_t kMaxBaseNameBytes = 120;

// The basename of the URL's path (scheme, host, query and fragment dropped), percent-decoded and
// sanitised: control characters dropped; invalid UTF-8, invisible/bidi characters, '/', '\\', ':'
// and other shell-hostile characters replaced by '_'; leading dots, '-' and trailing dots removed;
// ".." collapsed; capped at kMaxBaseNameBytes keeping the extension. Never "", "." or "..";
// "file" when nothing usable is left. A path ending in '/' uses its last non-empty segment.
std::string SafeBaseName(std::string_view url);

// Decodes the UTF-8 sequence at the start of `text`. Returns its length in bytes and sets
// `codepoint`, or returns 0 if it is not valid UTF-8 (truncated, overlong, surrogate, > U+10FFFF).
// REQUIRES: !text.empty().
size_t DecodeUtf8(std::string_view text, char32_t& codepoint);

// At most `max_bytes` of untrusted `text`, safe to print on a terminal or in a log: bytes outside
// printable ASCII become \xNN, and "..." marks a cut.
std::string PrintableExcerpt(std::string_view text, size_t max_bytes);

// `name` with the extension of `mime_type` ("image/png" -> ".png") when its own extension names
// another image type (".jpg", ".jpeg", ".png", ".gif", any case): the bytes, not the uploader,
// decide. A name that already agrees, or has no image extension at all, is returned unchanged.
std::string NameAgreeingWithType(const std::string& name, std::string_view mime_type);

// Hands out distinct names, deterministically in call order: Claim("a.jpg") gives "a.jpg", then
// "a-1.jpg", "a-2.jpg", ... Case-sensitive, like the filesystems zfan targets.
class UniqueNamer {
 public:
  // Marks `name` as taken without handing it out (e.g. the journal's file name in --out).
  void Reserve(std::string name);
  // Returns `base` if not yet taken, else the first free "stem-N.ext", and marks it taken.
  std::string Claim(std::string base);

 private:
  std::unordered_set<std::string> taken_;
  std::unordered_map<std::string, size_t> next_suffix_;  // base -> last N tried for it
};

}  // namespace zfan::download
