// zfan wire messages: plain structs plus encode/decode to msgpack frames. No sockets here, so
// another language can speak zfan from this folder alone.
//
// Every message is a multipart ZeroMQ message. Frame 0 is a msgpack array [version, type, ...].
// Result bulk bytes (image bodies) follow as extra raw frames, in item order.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "proto/limits.h"

namespace zfan::proto {

inline constexpr uint32_t kProtocolVersion = 2;  // 2: credit epochs

enum class MsgType : uint8_t {
  kHello = 1,          // worker -> master: I exist
  kHeartbeat = 2,      // worker -> master: still alive, with the ids I hold
  kTaken = 3,          // worker -> master: these task ids reached me
  kResult = 4,         // worker -> master: outcomes (success and typed failure alike)
  kBye = 5,            // worker -> master: leaving, these ids are handed back
  kTasks = 6,          // master -> worker: a batch of tasks of one job
  kStop = 7,           // master -> workers (control): job over, drop what you hold of it
  kShutdown = 8,       // master -> workers (control): exit
  kStarted = 9,        // worker -> master: these retried tasks started, each running alone
  kStandby = 10,       // master -> workers (control): these workers sit the job out (repeated)
  kStandingBy = 11,    // worker -> master: I left the tasks socket for this job
  kBody = 12,          // worker -> master: a piece of a task's large result body, as it arrives
  kCreditWanted = 13,  // worker -> master: body bytes waiting here for credit
  kCredit = 14,        // master -> worker (tasks socket): send this many more body bytes
};

const char* MsgTypeName(MsgType t);

struct WorkerInfo {
  std::string id;  // unique per worker process
  std::string host;
  uint32_t pid = 0;
  uint32_t slots = 0;  // tasks at once; 0 = "auto" (the job decides from cores)
  uint32_t cores = 0;
  std::string version;
  uint32_t heartbeat_ms = 1000;  // the master declares the worker dead after 3 silent intervals
};

struct Hello {
  WorkerInfo worker;
};

struct Heartbeat {
  WorkerInfo worker;           // repeated so a restarted master learns the worker from it
  uint64_t job_id = 0;         // job the held tasks belong to (0 = none)
  std::vector<uint64_t> held;  // task ids received and not yet reported
};

struct Taken {
  std::string worker_id;
  uint64_t job_id = 0;
  std::vector<uint64_t> ids;
};

struct ResultItem {
  uint64_t id = 0;
  std::string error;  // empty = success; else a typed reason (HTTP_404, TIMEOUT, ...)
  std::string detail;
  std::string result;  // small job-defined JSON text
  uint32_t attempts = 1;
  uint64_t busy_us = 0;
  Bytes bulk;   // raw frame when non-empty
  Bytes bulk2;  // second raw frame when non-empty
  // > 0: the body went ahead in BODY pieces of this many bytes in all (bulk is then empty).
  uint64_t streamed_bytes = 0;
};

// Sent only for retried tasks, which a worker runs alone: if the worker then dies, the master
// knows which task to blame (a poison task is not retried forever).
struct Started {
  std::string worker_id;
  uint64_t job_id = 0;
  std::vector<uint64_t> ids;
};

struct Results {
  std::string worker_id;
  uint64_t job_id = 0;
  std::vector<ResultItem> items;
};

struct Bye {
  std::string worker_id;
  uint64_t job_id = 0;
  std::vector<uint64_t> handed_back;
};

struct TaskItem {
  uint64_t id = 0;
  uint32_t attempt = 1;
  std::string payload;
};

struct Tasks {
  uint64_t job_id = 0;
  std::string job_name;
  std::string params_json;  // the job's worker_params(), as JSON text
  std::vector<TaskItem> items;
};

struct Stop {
  uint64_t job_id = 0;
};

struct Shutdown {};

// For scaling studies on connected workers (`--use-workers N`): the listed workers stop taking
// tasks of `job_id` — they leave the tasks socket, so PUSH cannot hand them a batch — and keep
// heartbeating. The master repeats the list every second; a worker rejoins when a list for its
// job leaves it out, when the job STOPs, or when the repeats stop (the master is gone).
struct Standby {
  uint64_t job_id = 0;
  std::vector<std::string> worker_ids;
};

// A worker's answer to STANDBY: it has left the tasks socket (or rejoined it, `standing_by` false).
struct StandingBy {
  std::string worker_id;
  uint64_t job_id = 0;
  bool standing_by = true;
};

// Large bodies (downloads of big files) do not travel whole in a RESULT: the worker sends them in
// pieces as they arrive, each within byte credit the master granted, so neither side ever holds
// more than its byte budget. Pieces of one task come in order (one PUSH pipe); the RESULT that
// ends the task follows its last piece and says how many bytes were streamed.
struct Body {
  std::string worker_id;
  uint64_t job_id = 0;
  uint64_t task_id = 0;
  uint64_t offset = 0;  // where the piece starts in the body; 0 again restarts the body
  Bytes piece;          // one raw frame
};

// "I hold `bytes` more body bytes than my credit covers." Credit belongs to one connection of one
// worker process, named by `epoch`: a worker takes a new epoch with every connection it makes
// (starting from a random one, so a restarted process never repeats its predecessor's), and a
// want in a new epoch voids all it was granted before, used or not. A dead worker's credit returns
// to the master's pool.
struct CreditWanted {
  std::string worker_id;
  uint64_t bytes = 0;  // 0: nothing waits, but the old epoch's credit is void
  uint64_t epoch = 0;
};

// Sent on the tasks socket, which may be a newer connection than the one the grant answered: the
// worker ignores a grant for any epoch but its current one.
struct Credit {
  uint64_t bytes = 0;
  uint64_t epoch = 0;
};

using Message = std::variant<Hello, Heartbeat, Taken, Started, Results, Bye, Tasks, Stop, Shutdown,
                             Standby, StandingBy, Body, CreditWanted, Credit>;

// Frames of one multipart message, as bytes.
using Frames = std::vector<std::string>;
// The same as received: a large frame may still be the buffer the transport filled (Bytes).
using ReceivedFrames = std::vector<Bytes>;

Frames Encode(const Message& msg);
// The same, but a Results message's bulk frames are moved out of `msg`, not copied.
Frames Encode(Message&& msg);

// Decodes one multipart message. Never throws: malformed, oversized or wrong-version input gives a
// non-ok Status (kProtocol) whose message says what was wrong.
Result<Message> Decode(const Frames& frames, const DecodeLimits& limits = DefaultLimits());
// The same, but bulk frames are moved into the message, not copied; `frames` is left unspecified.
Result<Message> Decode(Frames&& frames, const DecodeLimits& limits = DefaultLimits());
Result<Message> Decode(ReceivedFrames&& frames, const DecodeLimits& limits = DefaultLimits());

}  // namespace zfan::proto
