// StreamedFiles: bodies that arrive in pieces (jobs::BodyPiece), each written as it comes to a temp
// file of its own (PartialFile) in its task's directory and hashed as written, so the master holds
// no body whole. A few writer threads share the work; one task's pieces and its finish always go
// to the same thread, in order. The loop thread only checks offsets and counts bytes.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/atomic_file.h"
#include "common/xxh128.h"
#include "jobs/job.h"

namespace zfan::download {

class StreamedFiles {
 public:
  // A body being written, as its writer thread sees it.
  struct Body {
    std::optional<PartialFile> file;
    Status error = Status::Ok();
    uint64_t size = 0;
    std::string head;  // the first bytes: the image type
    Xxh128Stream hash;
  };
  // Called on the writer thread once the outcome says a body is complete and every piece was
  // written (`body` ok), or with why not.
  using Finisher = std::function<void(jobs::TaskOutcome& outcome, Result<Body*> body)>;

  StreamedFiles(unsigned threads, Finisher finish);
  ~StreamedFiles();
  StreamedFiles(const StreamedFiles&) = delete;
  StreamedFiles& operator=(const StreamedFiles&) = delete;

  // Loop thread. `dir_fd` and `name` (for messages) are used by the first piece of a body.
  Status Append(const std::string& worker, jobs::BodyPiece piece, int dir_fd,
                const std::string& name, uint64_t max_bytes);
  // The outcome (streamed_bytes > 0) ends the body `outcome.worker` streamed for `outcome.id`.
  // Not ok if the pieces do not add up to it; the body is dropped then and nothing finishes.
  Status Finish(jobs::TaskOutcome outcome);
  void Drop(const std::string& worker, jobs::TaskId id);
  void DropWorker(const std::string& worker);
  // Bytes of pieces written or dropped since the last call (any thread).
  uint64_t TakeReleased() { return released_.exchange(0); }

 private:
  using Key = std::pair<std::string, jobs::TaskId>;
  struct Shard;
  struct Received {  // what the loop thread knows of a body
    uint64_t bytes = 0;
    bool broken = false;
  };
  Shard& ShardOf(jobs::TaskId id);

  Finisher finish_;
  std::map<Key, Received> received_;
  std::atomic<uint64_t> released_{0};
  std::vector<std::unique_ptr<Shard>> shards_;  // last: their threads stop first
};

}  // namespace zfan::download
