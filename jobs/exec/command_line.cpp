// Replacement strings and quoting for the exec job. Inputs are always quoted; numbers ({#}, {%})
// need no quoting but get none of the user's text either.
#include "jobs/exec/command_line.h"

#include <array>
#include <cstdio>
#include <utility>

namespace zfan::jobs {
namespace {

enum class Rpl { kInput, kNoExt, kBase, kDir, kBaseNoExt, kSeq, kSlot };

// No token is a prefix of another, so the first match is the only one.
constexpr std::array<std::pair<std::string_view, Rpl>, 7> kTokens{{
    {"{}", Rpl::kInput},
    {"{.}", Rpl::kNoExt},
    {"{/}", Rpl::kBase},
    {"{//}", Rpl::kDir},
    {"{/.}", Rpl::kBaseNoExt},
    {"{#}", Rpl::kSeq},
    {"{%}", Rpl::kSlot},
}};

// The token starting at command[pos], if any; sets `length`.
const Rpl* TokenAt(std::string_view command, size_t pos, size_t& length) {
  for (const auto& [text, rpl] : kTokens) {
    if (command.substr(pos, text.size()) == text) {
      length = text.size();
      return &rpl;
    }
  }
  return nullptr;
}

std::string Value(Rpl rpl, std::string_view input, uint64_t seq, uint32_t slot) {
  switch (rpl) {
    case Rpl::kInput:
      return ShellQuote(input);
    case Rpl::kNoExt:
      return ShellQuote(WithoutExtension(input));
    case Rpl::kBase:
      return ShellQuote(Basename(input));
    case Rpl::kDir:
      return ShellQuote(Dirname(input));
    case Rpl::kBaseNoExt:
      return ShellQuote(WithoutExtension(Basename(input)));
    case Rpl::kSeq:
      return std::to_string(seq);
    case Rpl::kSlot:
      return std::to_string(slot);
  }
  return {};
}

}  // namespace

std::string ShellQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";  // close the quote, an escaped quote, reopen
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string WithoutExtension(std::string_view path) {
  size_t dot = path.find_last_of('.');
  if (dot == std::string_view::npos) return std::string(path);
  if (path.find_first_of("/.", dot + 1) != std::string_view::npos) return std::string(path);
  return std::string(path.substr(0, dot));
}

std::string Basename(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string Dirname(std::string_view path) {
  size_t end = path.find_last_not_of('/');
  if (end == std::string_view::npos) return path.empty() ? "." : "/";  // "" or only slashes
  size_t slash = path.find_last_of('/', end);
  if (slash == std::string_view::npos) return ".";
  size_t dir_end = path.find_last_not_of('/', slash);
  if (dir_end == std::string_view::npos) return "/";
  return std::string(path.substr(0, dir_end + 1));
}

bool HasReplacementString(std::string_view command) {
  size_t length = 0;
  for (size_t pos = command.find('{'); pos != std::string_view::npos;
       pos = command.find('{', pos + 1)) {
    if (TokenAt(command, pos, length)) return true;
  }
  return false;
}

std::string BuildCommandLine(std::string_view command, std::string_view input, uint64_t seq,
                             uint32_t slot) {
  std::string out;
  out.reserve(command.size() + input.size() + 8);
  bool replaced = false;
  size_t pos = 0;
  while (pos < command.size()) {
    size_t length = 0;
    const Rpl* rpl = command[pos] == '{' ? TokenAt(command, pos, length) : nullptr;
    if (rpl) {
      out += Value(*rpl, input, seq, slot);
      replaced = true;
      pos += length;
    } else {
      out += command[pos++];
    }
  }
  if (!replaced) {
    out += ' ';
    out += ShellQuote(input);
  }
  return out;
}

std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c > 0x7e) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace zfan::jobs
