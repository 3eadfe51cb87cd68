#include "master/authorized_workers.h"

#include <fstream>
#include <sstream>

#include "common/curve_keys.h"

namespace zfan::master {
namespace {

// A comment starts with '#' at the start of a line or after a blank: Z85 keys contain '#'.
void StripComment(std::string& line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      line.erase(i);
      return;
    }
  }
}

}  // namespace

Result<AuthorizedWorkers> LoadAuthorizedWorkers(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return IoError("cannot read --authorized-workers '" + path +
                   "': without it no worker can be admitted (list one Z85 public key per line)");
  }
  AuthorizedWorkers list{.path = path};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    StripComment(line);
    std::istringstream words(line);
    std::string key;
    if (!(words >> key)) continue;
    if (!IsZ85Key(key)) {
      return UsageError("--authorized-workers '" + path + "' line " + std::to_string(number) +
                        ": '" + key + "' is not a CURVE public key (40 Z85 characters)");
    }
    std::string name;
    std::getline(words >> std::ws, name);
    list.names_by_key[key] = name;
  }
  if (in.bad()) return IoError("cannot read --authorized-workers '" + path + "'");
  if (list.names_by_key.empty()) {
    return UsageError("--authorized-workers '" + path +
                      "' lists no key: no worker could join (add one Z85 public key per line)");
  }
  return list;
}

}  // namespace zfan::master
