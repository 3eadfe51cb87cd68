#include "worker/body_outbox.h"

#include <algorithm>

namespace zfan::worker {

void BodyOutbox::AddPiece(uint64_t job_id, jobs::BodyPiece piece) {
  pending_bytes_ += piece.bytes.size();
  ++pieces_of_[{job_id, piece.id}];
  pending_.push_back({job_id, std::move(piece)});
}

void BodyOutbox::Park(uint64_t job_id, proto::ResultItem item) {
  parked_[{job_id, item.id}].push_back(std::move(item));
}

void BodyOutbox::OnCredit(uint64_t bytes, uint64_t epoch) {
  if (epoch != epoch_) return;  // granted to a connection we no longer have: the master voids it
  credit_ += bytes;
  requested_ -= std::min(requested_, bytes);
  Flush();
}

void BodyOutbox::PieceGone(const TaskKey& key) {
  auto count = pieces_of_.find(key);
  if (count == pieces_of_.end() || --count->second > 0) return;
  pieces_of_.erase(count);
  auto parked = parked_.find(key);
  if (parked == parked_.end()) return;
  std::vector<proto::ResultItem> items = std::move(parked->second);
  parked_.erase(parked);
  cb_.release(key.first, items);
}

void BodyOutbox::Flush() {
  while (!pending_.empty() && pending_.front().piece.bytes.size() <= credit_) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    const uint64_t size = p.piece.bytes.size();
    credit_ -= size;
    pending_bytes_ -= size;
    const TaskKey key{p.job_id, p.piece.id};
    cb_.send(
        proto::Body{worker_id_, p.job_id, p.piece.id, p.piece.offset, std::move(p.piece.bytes)});
    cb_.sent(key.first, size);
    PieceGone(key);
  }
  // Ask once for what is not covered yet; the master grants as its budget frees up.
  const uint64_t covered = credit_ + requested_;
  if (pending_bytes_ > covered) Ask(pending_bytes_ - covered);
}

void BodyOutbox::Ask(uint64_t bytes) {
  requested_ += bytes;
  cb_.send(proto::CreditWanted{worker_id_, bytes, epoch_});
}

void BodyOutbox::Reset() {
  ++epoch_;
  credit_ = 0;
  requested_ = 0;
  Ask(pending_bytes_);  // nothing can leave before the new epoch's credit comes
}

void BodyOutbox::DropJob(uint64_t job_id) {
  std::deque<Pending> kept;
  for (Pending& p : pending_) {
    if (p.job_id != job_id) {
      kept.push_back(std::move(p));
      continue;
    }
    const uint64_t size = p.piece.bytes.size();
    pending_bytes_ -= size;
    cb_.sent(job_id, size);
    pieces_of_.erase({job_id, p.piece.id});
  }
  pending_.swap(kept);
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->first.first != job_id) {
      ++it;
      continue;
    }
    cb_.release(job_id, it->second);
    it = parked_.erase(it);
  }
}

}  // namespace zfan::worker
