// The job interface: every job is "make tasks (master) / run a task (worker) / fold results
// (master)". Jobs know nothing of ZeroMQ; master/ and worker/ know jobs only through this header
// and registry.h.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace zfan::jobs {

using TaskId = uint64_t;

// One unit of work as it travels master -> worker.
struct TaskSpec {
  TaskId id = 0;
  uint32_t attempt = 1;
  std::string payload;  // job-defined bytes (bounds, chunk data, a URL)
};

// What a worker reports for one task. `error` empty means success.
struct TaskOutcome {
  TaskId id = 0;
  std::string error;      // typed reason on failure, e.g. "HTTP_404", "TIMEOUT"; empty on success
  std::string detail;     // human-readable detail for the failure (optional)
  std::string result;     // small job-defined result, JSON text (journaled as is); may be empty
  Bytes bulk;             // large bytes (an image body); travels as a raw frame, never journaled
  Bytes bulk2;            // a second raw payload (a thumbnail); may be empty
  uint32_t attempts = 1;  // tries made inside the worker (download retries)
  uint64_t busy_us = 0;   // time the worker spent on it
  // Large bodies go ahead in pieces (see BodyPiece); the outcome then only says how many bytes
  // were streamed, and `bulk` is empty.
  uint64_t streamed_bytes = 0;
  std::string worker;  // who sent it (set by the master)
  bool ok() const { return error.empty(); }
};

// A piece of a task's large result body, sent while the task still runs so that no one holds
// a whole large body. Pieces of a task come in order; `offset` 0 again restarts the body (a
// server that ignored a Range request sent it from its start).
struct BodyPiece {
  TaskId id = 0;
  uint64_t offset = 0;
  Bytes bytes;
};

// Master side of a job. Called only from the master's event loop thread.
class MasterJob {
 public:
  virtual ~MasterJob() = default;
  virtual std::string name() const = 0;
  // Parameters every worker needs to run tasks (JSON object). Sent with every task batch, so keep
  // it small and free of secrets.
  virtual nlohmann::json worker_params() const = 0;
  // A text that changes whenever the task set would change; guards --resume against another job.
  virtual std::string fingerprint() const = 0;
  // Does slow set-up (fetching a link list). Called once before dispatching.
  virtual Status prepare() { return Status::Ok(); }
  virtual uint64_t task_count() const = 0;
  // Builds task `index` (0 <= index < task_count()); its id is `index`.
  virtual TaskSpec make_task(uint64_t index) const = 0;
  // Folds one successful outcome (first result per id only; the master dedupes). `from_journal`
  // is true when replayed by --resume, in which case only `result` is set. The job may rewrite
  // `outcome.result`: that is what the journal keeps. A non-ok Status turns the task into a
  // failure with that message (e.g. the output file could not be written).
  virtual Status fold(TaskOutcome& outcome, bool from_journal) = 0;
  // A job whose fold() does slow I/O (fsync per file) may finish folds on its own threads: fold()
  // then only checks and queues the outcome and returns Ok, and the real status comes back from
  // poll_folds(). The master counts such a task done at once (later copies are duplicates) but
  // journals it only once its fold is done and durable.
  virtual bool folds_later() const { return false; }
  struct FoldDone {
    TaskId id;
    Status status;
    std::string result;  // what to journal
  };
  virtual std::vector<FoldDone> poll_folds() { return {}; }
  virtual void wait_folds() {}  // blocks until every queued fold is done
  // Streamed bodies (BodyPiece): the job takes each piece from `worker` (it may write it on a
  // thread of its own) and folds the outcome with streamed_bytes > 0 only if every piece arrived
  // whole. A non-ok Status drops the piece and fails that stream.
  virtual Status accept_piece(const std::string& /*worker*/, BodyPiece /*piece*/) {
    return ProtocolError("this job does not take streamed bodies");
  }
  // The body `worker` was streaming for `id` will not be completed (the task failed, the worker
  // died, or another copy won): whatever was written of it goes.
  virtual void drop_stream(const std::string& /*worker*/, TaskId /*id*/) {}
  virtual void drop_streams_of(const std::string& /*worker*/) {}
  // Bytes of accepted pieces the job has written (or dropped) since the last call: the master's
  // byte budget gets them back.
  virtual uint64_t poll_piece_bytes_released() { return 0; }
  // Tasks the job found already done during prepare() (files on disk from an earlier run), with
  // the result to journal for each.
  virtual std::vector<std::pair<TaskId, std::string>> done_before_start() const { return {}; }
  // Inputs rejected before they became tasks (bad lines of a link list): reported as failures.
  struct Rejected {
    std::string input;
    std::string reason;
    std::string detail;
  };
  virtual std::vector<Rejected> rejected_inputs() const { return {}; }
  // What a task is called in failure lists ("task", or "url" for downloads).
  virtual std::string task_noun() const { return "task"; }
  // Slots of each --local-workers process when --worker-slots is not given (0 = the job's auto).
  virtual uint32_t local_worker_slots() const { return 1; }
  // Called once per task that failed for good (after all attempts).
  virtual void failed(TaskId /*id*/, const TaskOutcome& /*last*/) {}
  // A task's label for failure lists (URL, chunk bounds).
  virtual std::string describe(TaskId id) const { return std::to_string(id); }
  // Called after the last task; result checks (e.g. the closed-form sum) happen here.
  virtual void finish() {}
  // The job's result for --json ("result": {...}).
  virtual nlohmann::json result_json() const = 0;
  // Human-readable result lines for stdout.
  virtual void print_result(std::ostream& out) const = 0;
  // False if the result was checked and is wrong (exit code 1).
  virtual bool verified_ok() const { return true; }
  // Whether a task that failed with `reason` on one worker is worth retrying on another.
  virtual bool retryable(const std::string& /*reason*/) const { return true; }
  // Ok if --resume can rebuild this job's state from journaled results alone.
  virtual Status check_resume() const { return Status::Ok(); }
  // Journal used when the user gives none ("" = no journal).
  virtual std::string default_journal() const { return ""; }
  // Extra joblog column for a finished task (e.g. the file written), and its heading.
  virtual std::string joblog_note(TaskId /*id*/) const { return ""; }
  virtual std::string joblog_note_heading() const { return "note"; }

  // What the master's own options tell the job; given once, before prepare().
  struct MasterSettings {
    std::string joblog;   // --joblog FILE ("" = none)
    bool resume = false;  // --resume
    bool json = false;    // --json: stdout carries the JSON summary and nothing else
    // Task slots the job will run on, when known before it is planned (the master's own local
    // workers, or the plan a resumed journal was made for); 0 = not known. A job may size its
    // tasks by it, so its task set (and fingerprint) may depend on it.
    uint32_t planned_slots = 0;
  };
  virtual void configure(const MasterSettings& /*settings*/) {}
  // True if the job writes its own output to stdout while it runs (exec: each command's
  // output); the master's end-of-job report then goes to stderr.
  virtual bool owns_stdout() const { return false; }
  // False if running a task twice has effects a user would see (a user's command): no
  // speculative copies are sent then. A task still runs again after its worker died.
  virtual bool speculation_safe() const { return true; }
  // True if the joblog, not the journal, records what is done (GNU parallel's --resume): the
  // master continues an existing joblog instead of starting it anew, --resume needs no
  // --journal, and the job reports the tasks to skip from done_before_start().
  virtual bool resumes_from_joblog() const { return false; }
  // The joblog's first line, and one line per task that finished (done or failed for good),
  // both without the newline. The default is zfan's TSV with joblog_note(); a job may own its
  // format (exec writes GNU parallel's, so that tools written for it read zfan's).
  struct JoblogEntry {
    TaskId id = 0;
    std::string worker;
    uint32_t attempts = 1;
    uint64_t bytes = 0;
    double seconds = 0;
    std::string status;  // "OK" or the typed failure
    std::string detail;
  };
  virtual std::string joblog_header() const;
  virtual std::string joblog_line(const JoblogEntry& entry) const;
};

// Called by a TaskRunner whenever a task ends. Must be thread-safe.
using CompletionSink = std::function<void(TaskOutcome)>;

// Worker side of a job: accepts tasks and reports outcomes through the sink, from any thread.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  virtual void submit(TaskSpec task) = 0;
  // Drops queued (not started) tasks and returns their ids, for BYE / STOP.
  virtual std::vector<TaskId> drain_queued() = 0;
  // Where a runner that streams large bodies sends their pieces (in order, each task's before its
  // outcome; from any thread). Called once, before the first submit(); a runner that never
  // streams ignores it.
  virtual void stream_pieces_to(std::function<void(BodyPiece)> /*sink*/) {}
  // The worker sent `bytes` of this runner's pieces on to the master: they no longer count
  // against the runner's buffer.
  virtual void pieces_sent(uint64_t /*bytes*/) {}
};

// A plain function run on a pool of threads: how CPU jobs run a task.
using TaskFunction = std::function<TaskOutcome(const TaskSpec&)>;

}  // namespace zfan::jobs
