// XXH3-128 content hashes, as 32 lowercase hex digits in the form `xxh128sum` prints. zfan uses
// them to tell whether a file in the output directory still holds exactly what it wrote: at
// ~20 GB/s per core they cost nothing next to the download (SHA-256 cost ~12 % of a 128-connection
// run's CPU). Not a defence against tampering: whoever can edit the files can edit the journal.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace zfan {

std::string Xxh128Hex(std::string_view bytes);

// The same hash over bytes that come in pieces (a body streamed to its file).
class Xxh128Stream {
 public:
  Xxh128Stream();
  ~Xxh128Stream();
  Xxh128Stream(Xxh128Stream&&) noexcept;
  Xxh128Stream& operator=(Xxh128Stream&&) noexcept;
  void Reset();
  void Update(std::string_view bytes);
  std::string Hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The hash of the file at `path`, read in blocks (any size). kIo if it cannot be read.
Result<std::string> Xxh128HexOfFile(const std::string& path);

}  // namespace zfan
