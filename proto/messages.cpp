// Encoding and bounded decoding of zfan messages with msgpack-c.
#include "proto/messages.h"

#include <msgpack.hpp>
#include <stdexcept>

namespace zfan::proto {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

// Thrown only inside this file; Decode() turns it into a Status.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void PackStr(Packer& pk, const std::string& s) {
  pk.pack_str(s.size()).pack_str_body(s.data(), s.size());
}

void PackIds(Packer& pk, const std::vector<uint64_t>& ids) {
  pk.pack_array(ids.size());
  for (uint64_t id : ids) pk.pack(id);
}

void PackWorker(Packer& pk, const WorkerInfo& w) {
  pk.pack_array(7);
  PackStr(pk, w.id);
  PackStr(pk, w.host);
  pk.pack(w.pid);
  pk.pack(w.slots);
  pk.pack(w.cores);
  PackStr(pk, w.version);
  pk.pack(w.heartbeat_ms);
}

void PackHeader(Packer& pk, MsgType type, size_t fields) {
  pk.pack_array(2 + fields);
  pk.pack(kProtocolVersion);
  pk.pack(static_cast<uint8_t>(type));
}

// Reads fields of one msgpack array in order, checking each type.
class Fields {
 public:
  Fields(const msgpack::object& o, size_t min_size, const char* what) : what_(what) {
    if (o.type != msgpack::type::ARRAY) throw DecodeError(std::string(what) + ": not an array");
    if (o.via.array.size < min_size) throw DecodeError(std::string(what) + ": too few fields");
    arr_ = o.via.array;
  }
  const msgpack::object& next() {
    if (i_ >= arr_.size) throw DecodeError(std::string(what_) + ": missing field");
    return arr_.ptr[i_++];
  }
  uint64_t u64() {
    const auto& o = next();
    if (o.type != msgpack::type::POSITIVE_INTEGER) throw DecodeError(Bad("unsigned integer"));
    return o.via.u64;
  }
  uint32_t u32() {
    uint64_t v = u64();
    if (v > UINT32_MAX) throw DecodeError(Bad("32-bit integer"));
    return static_cast<uint32_t>(v);
  }
  std::string str() {
    const auto& o = next();
    if (o.type == msgpack::type::STR) return {o.via.str.ptr, o.via.str.size};
    if (o.type == msgpack::type::BIN) return {o.via.bin.ptr, o.via.bin.size};
    throw DecodeError(Bad("string"));
  }
  std::vector<std::string> strs() {
    const auto& o = next();
    if (o.type != msgpack::type::ARRAY) throw DecodeError(Bad("string array"));
    Fields items(o, 0, what_);
    std::vector<std::string> out;
    out.reserve(o.via.array.size);
    for (uint32_t k = 0; k < o.via.array.size; ++k) out.push_back(items.str());
    return out;
  }
  std::vector<uint64_t> ids() {
    const auto& o = next();
    if (o.type != msgpack::type::ARRAY) throw DecodeError(Bad("id array"));
    std::vector<uint64_t> out;
    out.reserve(o.via.array.size);
    for (uint32_t k = 0; k < o.via.array.size; ++k) {
      const auto& e = o.via.array.ptr[k];
      if (e.type != msgpack::type::POSITIVE_INTEGER) throw DecodeError(Bad("id"));
      out.push_back(e.via.u64);
    }
    return out;
  }
  const msgpack::object_array& array() {
    const auto& o = next();
    if (o.type != msgpack::type::ARRAY) throw DecodeError(Bad("array"));
    return o.via.array;
  }

 private:
  std::string Bad(const char* expected) const {
    return std::string(what_) + ": field " + std::to_string(i_) + " is not a " + expected;
  }
  const char* what_;
  msgpack::object_array arr_{};
  uint32_t i_ = 0;
};

WorkerInfo ReadWorker(const msgpack::object& o) {
  Fields f(o, 7, "worker info");
  WorkerInfo w;
  w.id = f.str();
  w.host = f.str();
  w.pid = f.u32();
  w.slots = f.u32();
  w.cores = f.u32();
  w.version = f.str();
  w.heartbeat_ms = f.u32();
  if (w.id.empty()) throw DecodeError("worker info: empty worker id");
  return w;
}

struct EncodeVisitor {
  msgpack::sbuffer buf;
  Packer pk{buf};

  void operator()(const Hello& m) {
    PackHeader(pk, MsgType::kHello, 1);
    PackWorker(pk, m.worker);
  }
  void operator()(const Heartbeat& m) {
    PackHeader(pk, MsgType::kHeartbeat, 3);
    PackWorker(pk, m.worker);
    pk.pack(m.job_id);
    PackIds(pk, m.held);
  }
  // TAKEN, STARTED and BYE share one shape: [worker_id, job_id, [ids]].
  void PackIdList(MsgType type, const std::string& worker_id, uint64_t job_id,
                  const std::vector<uint64_t>& ids) {
    PackHeader(pk, type, 3);
    PackStr(pk, worker_id);
    pk.pack(job_id);
    PackIds(pk, ids);
  }
  void operator()(const Taken& m) { PackIdList(MsgType::kTaken, m.worker_id, m.job_id, m.ids); }
  void operator()(const Started& m) { PackIdList(MsgType::kStarted, m.worker_id, m.job_id, m.ids); }
  void operator()(const Results& m) {
    PackHeader(pk, MsgType::kResult, 3);
    PackStr(pk, m.worker_id);
    pk.pack(m.job_id);
    pk.pack_array(m.items.size());
    for (const auto& it : m.items) {
      pk.pack_array(8);
      pk.pack(it.id);
      PackStr(pk, it.error);
      PackStr(pk, it.detail);
      PackStr(pk, it.result);
      pk.pack(it.attempts);
      pk.pack(it.busy_us);
      pk.pack(static_cast<uint8_t>((it.bulk.empty() ? 0 : 1) | (it.bulk2.empty() ? 0 : 2)));
      pk.pack(it.streamed_bytes);
    }
  }
  void operator()(const Bye& m) { PackIdList(MsgType::kBye, m.worker_id, m.job_id, m.handed_back); }
  void operator()(const Tasks& m) {
    PackHeader(pk, MsgType::kTasks, 4);
    pk.pack(m.job_id);
    PackStr(pk, m.job_name);
    PackStr(pk, m.params_json);
    pk.pack_array(m.items.size());
    for (const auto& it : m.items) {
      pk.pack_array(3);
      pk.pack(it.id);
      pk.pack(it.attempt);
      pk.pack_bin(it.payload.size()).pack_bin_body(it.payload.data(), it.payload.size());
    }
  }
  void operator()(const Stop& m) {
    PackHeader(pk, MsgType::kStop, 1);
    pk.pack(m.job_id);
  }
  void operator()(const Shutdown&) { PackHeader(pk, MsgType::kShutdown, 0); }
  void operator()(const Standby& m) {
    PackHeader(pk, MsgType::kStandby, 2);
    pk.pack(m.job_id);
    pk.pack_array(m.worker_ids.size());
    for (const auto& id : m.worker_ids) PackStr(pk, id);
  }
  void operator()(const StandingBy& m) {
    PackHeader(pk, MsgType::kStandingBy, 3);
    PackStr(pk, m.worker_id);
    pk.pack(m.job_id);
    pk.pack(static_cast<uint8_t>(m.standing_by ? 1 : 0));
  }
  void operator()(const Body& m) {
    PackHeader(pk, MsgType::kBody, 4);
    PackStr(pk, m.worker_id);
    pk.pack(m.job_id);
    pk.pack(m.task_id);
    pk.pack(m.offset);
  }
  void operator()(const CreditWanted& m) {
    PackHeader(pk, MsgType::kCreditWanted, 3);
    PackStr(pk, m.worker_id);
    pk.pack(m.bytes);
    pk.pack(m.epoch);
  }
  void operator()(const Credit& m) {
    PackHeader(pk, MsgType::kCredit, 2);
    pk.pack(m.bytes);
    pk.pack(m.epoch);
  }
};

// The bulk frames are moved into the items: an image body is not copied on its way in.
Results ReadResults(Fields& f, ReceivedFrames& frames) {
  Results m;
  m.worker_id = f.str();
  m.job_id = f.u64();
  const auto& items = f.array();
  size_t next_frame = 1;
  auto take_frame = [&]() -> Bytes {
    if (next_frame >= frames.size()) throw DecodeError("result: a bulk frame is missing");
    return std::move(frames[next_frame++]);
  };
  m.items.reserve(items.size);
  for (uint32_t k = 0; k < items.size; ++k) {
    Fields it(items.ptr[k], 7, "result item");
    ResultItem r;
    r.id = it.u64();
    r.error = it.str();
    r.detail = it.str();
    r.result = it.str();
    r.attempts = it.u32();
    r.busy_us = it.u64();
    uint32_t bulk_flags = it.u32();
    if (bulk_flags & 1) r.bulk = take_frame();
    if (bulk_flags & 2) r.bulk2 = take_frame();
    if (items.ptr[k].via.array.size > 7) r.streamed_bytes = it.u64();
    if (r.streamed_bytes > 0 && !r.bulk.empty())
      throw DecodeError("result item: both a bulk frame and streamed bytes");
    m.items.push_back(std::move(r));
  }
  if (next_frame != frames.size()) throw DecodeError("result: unexpected extra frames");
  return m;
}

Tasks ReadTasks(Fields& f) {
  Tasks m;
  m.job_id = f.u64();
  m.job_name = f.str();
  m.params_json = f.str();
  const auto& items = f.array();
  m.items.reserve(items.size);
  for (uint32_t k = 0; k < items.size; ++k) {
    Fields it(items.ptr[k], 3, "task item");
    TaskItem t;
    t.id = it.u64();
    t.attempt = it.u32();
    t.payload = it.str();
    m.items.push_back(std::move(t));
  }
  return m;
}

// TAKEN, STARTED and BYE: [worker_id, job_id, [ids]].
template <class M>
M ReadIdList(Fields& f, std::vector<uint64_t> M::*ids) {
  M m;
  m.worker_id = f.str();
  m.job_id = f.u64();
  m.*ids = f.ids();
  return m;
}

Message ReadMessage(const msgpack::object& root, ReceivedFrames& frames) {
  Fields f(root, 2, "envelope");
  uint64_t version = f.u64();
  if (version != kProtocolVersion) {
    throw DecodeError("protocol version " + std::to_string(version) + ", this zfan speaks " +
                      std::to_string(kProtocolVersion) + ": run the same zfan version everywhere");
  }
  uint32_t raw_type = f.u32();
  // Checked before the cast: 257 must not wrap to 1 (HELLO).
  if (raw_type > UINT8_MAX) throw DecodeError("unknown message type " + std::to_string(raw_type));
  auto type = static_cast<MsgType>(raw_type);
  const bool bulk_allowed = type == MsgType::kResult || type == MsgType::kBody;
  if (!bulk_allowed && frames.size() != 1) throw DecodeError("unexpected extra frames");
  switch (type) {
    case MsgType::kHello:
      return Hello{ReadWorker(f.next())};
    case MsgType::kHeartbeat: {
      Heartbeat m{ReadWorker(f.next())};
      m.job_id = f.u64();
      m.held = f.ids();
      return m;
    }
    case MsgType::kTaken:
      return ReadIdList<Taken>(f, &Taken::ids);
    case MsgType::kStarted:
      return ReadIdList<Started>(f, &Started::ids);
    case MsgType::kResult:
      return ReadResults(f, frames);
    case MsgType::kBye:
      return ReadIdList<Bye>(f, &Bye::handed_back);
    case MsgType::kTasks:
      return ReadTasks(f);
    case MsgType::kStop:
      return Stop{f.u64()};
    case MsgType::kShutdown:
      return Shutdown{};
    case MsgType::kStandby: {
      Standby m{f.u64()};
      m.worker_ids = f.strs();
      return m;
    }
    case MsgType::kStandingBy: {
      StandingBy m{f.str()};
      m.job_id = f.u64();
      m.standing_by = f.u32() != 0;
      return m;
    }
    case MsgType::kBody: {
      Body m{f.str()};
      m.job_id = f.u64();
      m.task_id = f.u64();
      m.offset = f.u64();
      if (frames.size() != 2) throw DecodeError("body: needs exactly one piece frame");
      if (frames[1].empty()) throw DecodeError("body: empty piece");
      m.piece = std::move(frames[1]);
      return m;
    }
    case MsgType::kCreditWanted: {
      CreditWanted m{f.str()};
      m.bytes = f.u64();
      m.epoch = f.u64();
      return m;
    }
    case MsgType::kCredit: {
      Credit m;
      m.bytes = f.u64();
      m.epoch = f.u64();
      return m;
    }
  }
  throw DecodeError("unknown message type " + std::to_string(static_cast<int>(type)));
}

}  // namespace

const char* MsgTypeName(MsgType t) {
  switch (t) {
    case MsgType::kHello:
      return "HELLO";
    case MsgType::kHeartbeat:
      return "HEARTBEAT";
    case MsgType::kTaken:
      return "TAKEN";
    case MsgType::kResult:
      return "RESULT";
    case MsgType::kBye:
      return "BYE";
    case MsgType::kTasks:
      return "TASKS";
    case MsgType::kStop:
      return "STOP";
    case MsgType::kShutdown:
      return "SHUTDOWN";
    case MsgType::kStarted:
      return "STARTED";
    case MsgType::kStandby:
      return "STANDBY";
    case MsgType::kStandingBy:
      return "STANDING_BY";
    case MsgType::kBody:
      return "BODY";
    case MsgType::kCreditWanted:
      return "CREDIT_WANTED";
    case MsgType::kCredit:
      return "CREDIT";
  }
  return "?";
}

namespace {
std::string EncodeEnvelope(const Message& msg) {
  EncodeVisitor v;
  std::visit(v, msg);
  return std::string(v.buf.data(), v.buf.size());
}
}  // namespace

Frames Encode(Message&& msg) {
  Frames frames{EncodeEnvelope(msg)};
  if (auto* r = std::get_if<Results>(&msg)) {
    for (auto& it : r->items) {
      if (!it.bulk.empty()) frames.push_back(std::move(it.bulk).TakeString());
      if (!it.bulk2.empty()) frames.push_back(std::move(it.bulk2).TakeString());
    }
  } else if (auto* b = std::get_if<Body>(&msg)) {
    frames.push_back(std::move(b->piece).TakeString());
  }
  return frames;
}

Frames Encode(const Message& msg) {
  // Only RESULT and BODY carry bulk worth moving; the others encode from the original.
  if (std::holds_alternative<Results>(msg) || std::holds_alternative<Body>(msg)) {
    return Encode(Message(msg));
  }
  return Frames{EncodeEnvelope(msg)};
}

Result<Message> Decode(const Frames& frames, const DecodeLimits& limits) {
  return Decode(ReceivedFrames(frames.begin(), frames.end()), limits);
}

Result<Message> Decode(Frames&& frames, const DecodeLimits& limits) {
  return Decode(ReceivedFrames(std::make_move_iterator(frames.begin()),
                               std::make_move_iterator(frames.end())),
                limits);
}

Result<Message> Decode(ReceivedFrames&& frames, const DecodeLimits& limits) {
  if (frames.empty()) return ProtocolError("empty message");
  if (frames.size() > limits.max_frames) return ProtocolError("too many frames");
  if (frames[0].size() > limits.max_envelope_bytes) return ProtocolError("envelope too large");
  for (const auto& fr : frames) {
    if (fr.size() > limits.max_frame_bytes) return ProtocolError("frame too large");
  }
  try {
    msgpack::unpack_limit limit(limits.max_array, limits.max_map, limits.max_str, limits.max_bin,
                                /*ext=*/0, limits.max_depth);
    size_t offset = 0;
    msgpack::object_handle oh =
        msgpack::unpack(frames[0].data(), frames[0].size(), offset, nullptr, nullptr, limit);
    if (offset != frames[0].size()) return ProtocolError("trailing bytes after the envelope");
    return ReadMessage(oh.get(), frames);
  } catch (const DecodeError& e) {
    return ProtocolError(e.what());
  } catch (const std::exception& e) {
    return ProtocolError(std::string("malformed msgpack: ") + e.what());
  }
}

}  // namespace zfan::proto
