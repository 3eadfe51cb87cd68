// The allowlist of worker public keys (--authorized-workers FILE): one Z85 key per line, an
// optional name after it, `#` comments. Loading fails closed: a missing, unreadable or empty
// file, or a bad key in it, is an error, never an empty list that admits nobody by accident.
#pragma once
#include <map>
#include <string>

#include "common/status.h"

namespace zfan::master {

struct AuthorizedWorkers {
  std::string path;
  std::map<std::string, std::string> names_by_key;  // Z85 public key -> name ("" if none)
  bool Admits(const std::string& key) const { return names_by_key.count(key) > 0; }
};

Result<AuthorizedWorkers> LoadAuthorizedWorkers(const std::string& path);

}  // namespace zfan::master
