#include "jobs/download/streamed_files.h"

#include "common/work_pool.h"
#include "jobs/download/image_check.h"

namespace zfan::download {

struct StreamedFiles::Shard {
  using Op = std::function<void(std::map<Key, Body>&)>;
  std::map<Key, Body> bodies;  // touched only by this shard's thread
  WorkPool<Op> thread{1, [this](Op& op) { op(bodies); }};

  void Post(Op op) { thread.Push(std::move(op)); }
};

StreamedFiles::StreamedFiles(unsigned threads, Finisher finish) : finish_(std::move(finish)) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) shards_.push_back(std::make_unique<Shard>());
}

StreamedFiles::~StreamedFiles() { shards_.clear(); }  // joins; unpublished temp files go

StreamedFiles::Shard& StreamedFiles::ShardOf(jobs::TaskId id) {
  return *shards_[id % shards_.size()];
}

Status StreamedFiles::Append(const std::string& worker, jobs::BodyPiece piece, int dir_fd,
                             const std::string& name, uint64_t max_bytes) {
  const Key key{worker, piece.id};
  Received& received = received_[key];
  const uint64_t size = piece.bytes.size();
  if (piece.offset != received.bytes && piece.offset != 0) received.broken = true;
  if (piece.offset == 0) received.bytes = 0;  // a restart (the server ignored our Range)
  if (size > max_bytes - std::min(max_bytes, received.bytes)) received.broken = true;
  if (received.broken) {
    return ProtocolError("body piece at offset " + std::to_string(piece.offset) + " after " +
                         std::to_string(received.bytes) + " bytes, or beyond --max-bytes");
  }
  received.bytes += size;
  ShardOf(piece.id).Post([this, key, dir_fd, name, piece = std::move(piece)](auto& bodies) {
    Body& body = bodies[key];
    const uint64_t size = piece.bytes.size();
    if (body.error.ok() && !body.file) {
      auto created = PartialFile::Create(dir_fd, name);
      if (created.ok()) {
        body.file.emplace(std::move(created).value());
      } else {
        body.error = created.status();
      }
    }
    if (body.error.ok() && piece.offset == 0 && body.size > 0) {
      body.error = body.file->Truncate();
      body.size = 0;
      body.head.clear();
      body.hash.Reset();
    }
    if (body.error.ok()) body.error = body.file->Append(piece.bytes);
    if (body.error.ok()) {
      body.size += size;
      body.hash.Update(piece.bytes);
      KeepImageHead(body.head, piece.bytes.view());
    }
    released_ += size;
  });
  return Status::Ok();
}

Status StreamedFiles::Finish(jobs::TaskOutcome outcome) {
  const Key key{outcome.worker, outcome.id};
  auto found = received_.find(key);
  const uint64_t got = found == received_.end() ? 0 : found->second.bytes;
  if (found == received_.end() || found->second.broken || got != outcome.streamed_bytes) {
    Drop(key.first, key.second);
    return ProtocolError("INCOMPLETE_BODY: " + std::to_string(got) + " of " +
                         std::to_string(outcome.streamed_bytes) + " streamed bytes arrived");
  }
  received_.erase(found);
  ShardOf(key.second).Post([this, key, outcome = std::move(outcome)](auto& bodies) mutable {
    auto node = bodies.extract(key);
    if (node.empty()) return finish_(outcome, ProtocolError("no body pieces arrived"));
    Body& body = node.mapped();
    if (!body.error.ok()) return finish_(outcome, body.error);
    if (body.size != outcome.streamed_bytes) {
      return finish_(outcome, IoError("wrote " + std::to_string(body.size) + " of " +
                                      std::to_string(outcome.streamed_bytes) + " bytes"));
    }
    finish_(outcome, &body);
  });
  return Status::Ok();
}

void StreamedFiles::Drop(const std::string& worker, jobs::TaskId id) {
  const Key key{worker, id};
  if (received_.erase(key) == 0) return;
  ShardOf(id).Post([key](auto& bodies) { bodies.erase(key); });
}

void StreamedFiles::DropWorker(const std::string& worker) {
  std::vector<jobs::TaskId> ids;
  for (const auto& [key, received] : received_) {
    if (key.first == worker) ids.push_back(key.second);
  }
  for (jobs::TaskId id : ids) Drop(worker, id);
}

}  // namespace zfan::download
