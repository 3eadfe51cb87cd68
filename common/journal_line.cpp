#include "common/journal_line.h"

#include <nlohmann/json.hpp>

namespace zfan {

std::string FormatJournalLine(uint64_t id, std::string_view result) {
  // A worker's result text is untrusted bytes: strict dump() would throw on invalid UTF-8.
  return nlohmann::json{{"id", id}, {"r", result}}.dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace);
}

std::optional<JournalEntry> ParseJournalLine(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto id = j.find("id");
  auto result = j.find("r");
  if (id == j.end() || !id->is_number_unsigned() || result == j.end() || !result->is_string()) {
    return std::nullopt;
  }
  return JournalEntry{id->get<uint64_t>(), result->get<std::string>()};
}

}  // namespace zfan
