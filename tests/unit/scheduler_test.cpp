// Scheduler decisions (master/scheduler.h) driven by a fake clock: hand-out order, retries,
// requeues on leave/death/lease expiry, poison tasks, speculation and resume.
#include "master/scheduler.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace zfan::master;
using zfan::Millis;
using zfan::TimePoint;

namespace {

const TimePoint t0{};

std::vector<TaskId> Ids(const std::vector<Dispatch>& batch) {
  std::vector<TaskId> ids;
  for (const auto& d : batch) ids.push_back(d.id);
  return ids;
}

std::vector<TaskId> Sorted(std::vector<TaskId> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Hands out `n` tasks at `now` and has `worker` take them.
std::vector<TaskId> SendAndTake(Scheduler& s, size_t n, const std::string& worker, TimePoint now) {
  auto ids = Ids(s.NextBatch(n, now));
  s.OnTaken(worker, ids, now);
  return ids;
}

// Drains everything that is waiting, in hand-out order.
std::vector<TaskId> Drain(Scheduler& s, TimePoint now) { return Ids(s.NextBatch(1000000, now)); }

}  // namespace

TEST_CASE("batches hand out ids 0..N-1 each exactly once", "[scheduler]") {
  Scheduler s(10, {});
  CHECK(s.HasWaiting());
  auto a = s.NextBatch(4, t0);
  auto b = s.NextBatch(4, t0);
  auto c = s.NextBatch(4, t0);
  CHECK(Ids(a) == std::vector<TaskId>{0, 1, 2, 3});
  CHECK(Ids(b) == std::vector<TaskId>{4, 5, 6, 7});
  CHECK(Ids(c) == std::vector<TaskId>{8, 9});
  for (const auto& d : a) CHECK(d.attempt == 1);
  CHECK(s.NextBatch(4, t0).empty());
  CHECK_FALSE(s.HasWaiting());
  CHECK(s.outstanding() == 10);
  CHECK(s.total() == 10);
  CHECK_FALSE(s.Finished());
}

TEST_CASE("a batch of size zero hands out nothing", "[scheduler]") {
  Scheduler s(3, {});
  CHECK(s.NextBatch(0, t0).empty());
  CHECK(Ids(s.NextBatch(3, t0)) == std::vector<TaskId>{0, 1, 2});
}

TEST_CASE("an unsent batch goes back to the front in its original order", "[scheduler]") {
  Scheduler s(10, {});
  auto first = s.NextBatch(3, t0);
  auto second = s.NextBatch(3, t0);
  s.Unsend(second);
  CHECK(s.outstanding() == 3);
  CHECK(Ids(s.NextBatch(4, t0)) == std::vector<TaskId>{3, 4, 5, 6});
  s.Unsend(first);
  CHECK(Drain(s, t0) == std::vector<TaskId>{0, 1, 2, 7, 8, 9});
}

TEST_CASE("the first result completes a task and a repeat is counted as a duplicate",
          "[scheduler]") {
  Scheduler s(2, {});
  SendAndTake(s, 2, "a", t0);
  CHECK(s.OnResult(0, "a", 1000) == ResultKind::kFirst);
  CHECK(s.done_count() == 1);
  CHECK(s.IsClosed(0));
  CHECK(s.held_by("a") == 1);
  CHECK(s.OnResult(0, "a", 1000) == ResultKind::kDuplicate);
  CHECK(s.OnResult(0, "b", 1000) == ResultKind::kDuplicate);
  CHECK(s.stats().duplicates == 2);
  CHECK(s.done_count() == 1);
  CHECK(s.OnResult(2, "a", 1000) == ResultKind::kUnknown);
  CHECK(s.OnResult(UINT64_MAX, "a", 1000) == ResultKind::kUnknown);
  CHECK(s.OnResult(1, "a", 1000) == ResultKind::kFirst);
  CHECK(s.Finished());
  CHECK(s.outstanding() == 0);
  CHECK(s.held_by("a") == 0);
}

TEST_CASE("a retryable failure goes to the front with a growing attempt until max_attempts",
          "[scheduler]") {
  SchedulerConfig config;
  config.max_attempts = 3;
  Scheduler s(5, config);
  SendAndTake(s, 2, "a", t0);  // 0, 1 out; 2, 3, 4 fresh

  CHECK(s.OnFailure(1, true) == FailureKind::kRetry);
  CHECK(s.attempts_of(1) == 2);
  auto next = s.NextBatch(1, t0);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == 1);  // ahead of fresh task 2
  CHECK(next[0].attempt == 2);
  s.OnTaken("a", {1}, t0);

  CHECK(s.OnFailure(1, true) == FailureKind::kRetry);
  next = s.NextBatch(1, t0);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == 1);
  CHECK(next[0].attempt == 3);
  s.OnTaken("a", {1}, t0);

  CHECK(s.OnFailure(1, true) == FailureKind::kFailedForGood);
  CHECK(s.failed_count() == 1);
  CHECK(s.IsClosed(1));
  CHECK(s.stats().retried == 2);
  CHECK(s.held_by("a") == 1);  // only task 0 left
  // A failed task is final: no more failures, results or hand-outs for it.
  CHECK(s.OnFailure(1, true) == FailureKind::kIgnored);
  CHECK(s.OnResult(1, "a", 1) == ResultKind::kDuplicate);
  CHECK(Drain(s, t0) == std::vector<TaskId>{2, 3, 4});
}

TEST_CASE("a non-retryable failure fails the task at once", "[scheduler]") {
  Scheduler s(3, {});
  SendAndTake(s, 3, "a", t0);
  CHECK(s.OnFailure(2, false) == FailureKind::kFailedForGood);
  CHECK(s.failed_count() == 1);
  CHECK(s.stats().retried == 0);
  CHECK_FALSE(s.HasWaiting());
  CHECK(s.NextBatch(10, t0).empty());
  CHECK(s.OnFailure(7, true) == FailureKind::kIgnored);  // unknown id
}

TEST_CASE("a late failure for a task already waiting does not queue it twice", "[scheduler]") {
  SchedulerConfig config;
  config.lease = Millis(1000);
  Scheduler s(3, config);
  s.NextBatch(1, t0);                         // task 0 sent, never TAKEN
  s.RequeueExpiredLeases(t0 + Millis(2000));  // ... so it waits again
  (void)s.OnFailure(0, true);                 // the slow worker reports it failed after all
  auto ids = Drain(s, t0 + Millis(2000));
  CHECK(std::count(ids.begin(), ids.end(), TaskId{0}) == 1);
  CHECK(Sorted(ids) == std::vector<TaskId>{0, 1, 2});
}

TEST_CASE("a failure from each of two speculative copies queues the task once", "[scheduler]") {
  SchedulerConfig config;
  config.speculate_min_age = Millis(1000);
  Scheduler s(2, config);
  SendAndTake(s, 2, "a", t0);
  s.OnResult(0, "a", 100);
  auto copies = s.Stragglers(1, t0 + Millis(5000));
  REQUIRE(Ids(copies) == std::vector<TaskId>{1});
  (void)s.OnFailure(1, true);  // from the original
  (void)s.OnFailure(1, true);  // from the copy
  auto ids = Drain(s, t0 + Millis(5000));
  CHECK(ids == std::vector<TaskId>{1});
}

TEST_CASE("a worker leaving requeues the handed-back ids and everything it held first",
          "[scheduler]") {
  Scheduler s(10, {});
  auto held = SendAndTake(s, 3, "a", t0);   // 0, 1, 2 taken by a
  auto sent = Ids(s.NextBatch(2, t0));      // 3, 4 in flight to a, not yet TAKEN
  auto other = SendAndTake(s, 1, "b", t0);  // 5 taken by b
  REQUIRE(sent == std::vector<TaskId>{3, 4});
  REQUIRE(other == std::vector<TaskId>{5});
  s.OnResult(1, "a", 10);

  s.OnWorkerLeft("a", {3, 4, 5});  // 5 belongs to b and must stay with b
  CHECK(s.held_by("a") == 0);
  CHECK(s.held_by("b") == 1);
  CHECK(s.stats().requeued == 4);
  auto again = Ids(s.NextBatch(4, t0));
  CHECK(Sorted(again) == std::vector<TaskId>{0, 2, 3, 4});
  CHECK(Drain(s, t0) == std::vector<TaskId>{6, 7, 8, 9});
}

TEST_CASE("a dead worker's held tasks are requeued and each blamed once", "[scheduler]") {
  SchedulerConfig config;
  config.max_attempts = 3;
  Scheduler s(6, config);
  SendAndTake(s, 3, "a", t0);  // 0, 1, 2
  SendAndTake(s, 1, "b", t0);  // 3
  CHECK(s.OnWorkerDead("a").empty());
  CHECK(s.held_by("a") == 0);
  CHECK(s.held_by("b") == 1);
  CHECK(s.stats().requeued == 3);
  for (TaskId id : {0, 1, 2}) CHECK(s.attempts_of(id) == 2);
  CHECK(s.attempts_of(3) == 1);
  auto again = s.NextBatch(3, t0);
  CHECK(Sorted(Ids(again)) == std::vector<TaskId>{0, 1, 2});
  for (const auto& d : again) CHECK(d.attempt == 2);
  CHECK(s.OnWorkerDead("nobody").empty());
}

TEST_CASE("a batch sent to a worker that dies or leaves before taking it goes back at once",
          "[scheduler]") {
  Scheduler s(6, {});
  auto to_a = Ids(s.NextBatch(2, t0, "a"));  // 0, 1: in transit to a
  auto to_b = Ids(s.NextBatch(2, t0, "b"));  // 2, 3: in transit to b
  s.OnTaken("a", {to_a[0]}, t0);             // a took 0 only
  CHECK(s.sent_to("a") == 2);
  CHECK(s.OnWorkerDead("a").empty());
  CHECK(s.sent_to("a") == 0);
  CHECK(s.stats().requeued == 2);
  CHECK(s.sent_to("b") == 2);  // another worker's batch stays where it is
  // Never taken, so never blamed: 1 goes out again as attempt 1, 0 (taken) as attempt 2.
  CHECK(s.attempts_of(to_a[1]) == 1);
  CHECK(s.attempts_of(to_a[0]) == 2);
  CHECK(Sorted(Ids(s.NextBatch(10, t0, "c"))) == std::vector<TaskId>{0, 1, 4, 5});

  s.OnWorkerLeft("b", {});  // left without handing back what was still on its way
  CHECK(s.sent_to("b") == 0);
  CHECK(s.stats().requeued == 4);
  CHECK(Sorted(Drain(s, t0)) == to_b);
}

TEST_CASE("a dead worker blames only the retried task it reported as started alone",
          "[scheduler]") {
  SchedulerConfig config;
  config.max_attempts = 3;
  Scheduler s(4, config);
  SendAndTake(s, 1, "a", t0);
  REQUIRE(s.OnFailure(0, true) == FailureKind::kRetry);  // task 0 now on attempt 2
  SendAndTake(s, 3, "b", t0);                            // 0 (retry), 1, 2
  s.OnStarted("b", {0});
  s.OnStarted("someone-else", {1});  // ignored: b holds 1
  CHECK(s.OnWorkerDead("b").empty());
  CHECK(s.attempts_of(0) == 3);  // blamed
  CHECK(s.attempts_of(1) == 1);  // innocent bystanders
  CHECK(s.attempts_of(2) == 1);
  CHECK(Sorted(Ids(s.NextBatch(3, t0))) == std::vector<TaskId>{0, 1, 2});
}

TEST_CASE("a task that kills its worker max_attempts times fails for good as poison",
          "[scheduler]") {
  SchedulerConfig config;
  config.max_attempts = 3;
  Scheduler s(3, config);
  // Attempt 1: the poison task dies alongside two others, which are blamed too.
  SendAndTake(s, 3, "w1", t0);
  CHECK(s.OnWorkerDead("w1").empty());
  s.OnResult(1, "w-other", 5);
  s.OnResult(2, "w-other", 5);
  // Attempts 2 and 3: it runs alone and kills its worker each time.
  // (The names are spelled out: "w" + std::to_string(round) trips gcc 12's bogus -Wrestrict at
  // -O3, gcc bug 105329.)
  const std::pair<uint32_t, std::string> rounds[] = {{2, "w2"}, {3, "w3"}};
  for (const auto& [attempt, worker] : rounds) {
    auto batch = s.NextBatch(1, t0);
    REQUIRE(Ids(batch) == std::vector<TaskId>{0});
    CHECK(batch[0].attempt == attempt);
    s.OnTaken(worker, {0}, t0);
    s.OnStarted(worker, {0});
    auto failed = s.OnWorkerDead(worker);
    if (attempt < 3) {
      CHECK(failed.empty());
    } else {
      CHECK(failed == std::vector<TaskId>{0});
    }
  }
  CHECK(s.failed_count() == 1);
  CHECK(s.IsClosed(0));
  CHECK(s.NextBatch(5, t0).empty());
  CHECK_FALSE(s.HasWaiting());
  CHECK(s.outstanding() == 0);
  CHECK(s.Finished());
}

TEST_CASE("lease expiry requeues only untaken tasks older than the lease", "[scheduler]") {
  SchedulerConfig config;
  config.lease = Millis(5000);
  Scheduler s(10, config);
  auto old_untaken = Ids(s.NextBatch(3, t0));           // 0, 1, 2 never TAKEN
  auto old_taken = SendAndTake(s, 2, "a", t0);          // 3, 4 taken
  auto young = Ids(s.NextBatch(2, t0 + Millis(4000)));  // 5, 6 sent later
  REQUIRE(old_untaken == std::vector<TaskId>{0, 1, 2});
  REQUIRE(young == std::vector<TaskId>{5, 6});

  s.RequeueExpiredLeases(t0 + Millis(5000));  // exactly the lease: not yet expired
  CHECK(s.stats().requeued == 0);
  s.RequeueExpiredLeases(t0 + Millis(6000));
  CHECK(s.stats().requeued == 3);
  CHECK(s.held_by("a") == 2);
  CHECK(s.outstanding() == 4);  // 3, 4, 5, 6
  CHECK(Drain(s, t0 + Millis(6000)) == std::vector<TaskId>{0, 1, 2, 7, 8, 9});

  // Later, the young ones expire too, but the taken ones never do.
  s.RequeueExpiredLeases(t0 + Millis(60000));
  CHECK(Sorted(Drain(s, t0 + Millis(60000))) == std::vector<TaskId>{0, 1, 2, 5, 6, 7, 8, 9});
  CHECK(s.held_by("a") == 2);
}

TEST_CASE("a late TAKEN after the lease expired does not resurrect the old flight", "[scheduler]") {
  SchedulerConfig config;
  config.lease = Millis(1000);
  Scheduler s(2, config);
  s.NextBatch(1, t0);
  s.RequeueExpiredLeases(t0 + Millis(2000));
  s.OnTaken("slow", {0}, t0 + Millis(2001));
  CHECK(s.held_by("slow") == 0);
  CHECK(Drain(s, t0 + Millis(2002)) == std::vector<TaskId>{0, 1});
}

TEST_CASE("stragglers are copied only when nothing waits and past max(min age, 3x median)",
          "[scheduler]") {
  SchedulerConfig config;
  config.speculate_min_age = Millis(1000);
  config.speculate_after_median = 3.0;
  Scheduler s(6, config);
  SendAndTake(s, 4, "a", t0);  // 0..3; 4 and 5 still fresh

  // Median task time: 2 s, so the threshold is max(1 s, 6 s) = 6 s.
  s.OnResult(0, "a", 2000000);
  CHECK(s.median_task_seconds() == Approx(2.0));
  CHECK(s.Stragglers(5, t0 + Millis(100000)).empty());    // 4 and 5 still wait
  auto rest = SendAndTake(s, 2, "b", t0 + Millis(3000));  // 4, 5 taken 3 s in
  REQUIRE(rest == std::vector<TaskId>{4, 5});
  REQUIRE_FALSE(s.HasWaiting());

  CHECK(s.Stragglers(5, t0 + Millis(5900)).empty());  // 5.9 s < 6 s
  CHECK(s.Stragglers(0, t0 + Millis(7000)).empty());  // no room
  auto copies = s.Stragglers(5, t0 + Millis(7000));   // 1, 2, 3 are 7 s old; 4, 5 only 4 s
  CHECK(Sorted(Ids(copies)) == std::vector<TaskId>{1, 2, 3});
  for (const auto& d : copies) CHECK(d.attempt == 1);
  CHECK(s.stats().speculated == 3);
  CHECK(s.outstanding() == 5 + 3);

  // At most once per task once another worker has taken the copy.
  s.OnTaken("c", {1, 2, 3}, t0 + Millis(7001));
  auto later = s.Stragglers(5, t0 + Millis(20000));
  CHECK(Sorted(Ids(later)) == std::vector<TaskId>{4, 5});
  s.OnTaken("c", {4, 5}, t0 + Millis(20001));
  CHECK(s.Stragglers(5, t0 + Millis(60000)).empty());
  CHECK(s.stats().speculated == 5);

  // A copy that finishes on another worker wins; the original finishing first does not.
  CHECK(s.OnResult(1, "c", 10) == ResultKind::kFirst);
  CHECK(s.OnResult(2, "a", 10) == ResultKind::kFirst);
  CHECK(s.OnResult(1, "a", 10) == ResultKind::kDuplicate);
  CHECK(s.stats().speculation_won == 1);
  CHECK(s.stats().duplicates == 1);
  CHECK(s.outstanding() == 3 + 3);  // 3, 4, 5 with their copies
}

TEST_CASE("a speculative copy nobody took within the lease is sent again, at most max_copies",
          "[scheduler]") {
  SchedulerConfig config;
  config.speculate_min_age = Millis(1000);
  config.lease = Millis(2000);
  config.max_copies = 2;
  Scheduler s(2, config);
  SendAndTake(s, 2, "a", t0);
  s.OnResult(0, "a", 1000);
  CHECK(Ids(s.Stragglers(5, t0 + Millis(1500))) == std::vector<TaskId>{1});
  CHECK(s.Stragglers(5, t0 + Millis(3000)).empty());  // the copy has had 1.5 s of a 2 s lease
  CHECK(Ids(s.Stragglers(5, t0 + Millis(4000))) == std::vector<TaskId>{1});  // stuck: again
  CHECK(s.Stragglers(5, t0 + Millis(60000)).empty());  // max_copies reached
  CHECK(s.stats().speculated == 2);
  CHECK(s.outstanding() == 1 + 2);
  CHECK(s.OnResult(1, "b", 10) == ResultKind::kFirst);
  CHECK(s.outstanding() == 0);
}

TEST_CASE("no straggler is copied before any task has finished", "[scheduler]") {
  SchedulerConfig config;
  config.speculate_min_age = Millis(1000);
  Scheduler s(2, config);
  SendAndTake(s, 2, "a", t0);
  CHECK(s.Stragglers(5, t0 + Millis(100000)).empty());
}

TEST_CASE("the straggler threshold is speculate_min_age when tasks are quick", "[scheduler]") {
  SchedulerConfig config;
  config.speculate_min_age = Millis(1000);
  Scheduler s(3, config);
  SendAndTake(s, 3, "a", t0);
  s.OnResult(0, "a", 10000);  // 10 ms median: 3x median is far below the minimum age
  CHECK(s.Stragglers(5, t0 + Millis(999)).empty());
  CHECK(Sorted(Ids(s.Stragglers(5, t0 + Millis(1001)))) == std::vector<TaskId>{1, 2});
}

TEST_CASE("stragglers never copy tasks that were sent but not taken", "[scheduler]") {
  SchedulerConfig config;
  config.speculate_min_age = Millis(1000);
  Scheduler s(3, config);
  SendAndTake(s, 1, "a", t0);
  s.OnResult(0, "a", 1000);
  s.NextBatch(2, t0);  // 1, 2 never TAKEN
  CHECK(s.Stragglers(5, t0 + Millis(100000)).empty());
}

TEST_CASE("the median task time is the middle of recent results", "[scheduler]") {
  Scheduler s(5, {});
  CHECK(s.median_task_seconds() == 0);
  SendAndTake(s, 5, "a", t0);
  s.OnResult(0, "a", 1000000);
  s.OnResult(1, "a", 9000000);
  s.OnResult(2, "a", 3000000);
  CHECK(s.median_task_seconds() == Approx(3.0));
}

TEST_CASE("the hand-off time is the median from sending a task to its first TAKEN",
          "[scheduler]") {
  Scheduler s(4, {});
  CHECK(s.median_handoff_seconds() == 0);
  auto first = Ids(s.NextBatch(3, t0));
  s.OnTaken("a", {first[0]}, t0 + Millis(10));
  s.OnTaken("a", {first[1]}, t0 + Millis(40));
  s.OnTaken("b", {first[2]}, t0 + Millis(20));
  CHECK(s.median_handoff_seconds() == Approx(0.020));
  // A second TAKEN of the same task (a copy's) and a TAKEN of a closed task add nothing.
  s.OnTaken("b", {first[1]}, t0 + Millis(900));
  s.OnResult(first[0], "a", 1000);
  s.OnTaken("a", {first[0]}, t0 + Millis(900));
  CHECK(s.median_handoff_seconds() == Approx(0.020));
}

TEST_CASE("the job is finished when done plus failed reaches the total", "[scheduler]") {
  Scheduler s(3, {});
  SendAndTake(s, 3, "a", t0);
  s.OnResult(0, "a", 1);
  CHECK_FALSE(s.Finished());
  s.OnFailure(1, false);
  CHECK_FALSE(s.Finished());
  s.OnResult(2, "a", 1);
  CHECK(s.Finished());
  CHECK(s.done_count() == 2);
  CHECK(s.failed_count() == 1);
}

TEST_CASE("an empty job is finished from the start", "[scheduler]") {
  Scheduler s(0, {});
  CHECK(s.Finished());
  CHECK_FALSE(s.HasWaiting());
  CHECK(s.NextBatch(10, t0).empty());
}

TEST_CASE("tasks marked done on resume are never handed out", "[scheduler]") {
  Scheduler s(8, {});
  for (TaskId id : {0, 3, 4, 7}) s.MarkDone(id);
  s.MarkDone(3);    // replayed twice in the journal
  s.MarkDone(100);  // out of range: ignored
  CHECK(s.done_count() == 4);
  auto ids = Ids(s.NextBatch(100, t0));
  CHECK(ids == std::vector<TaskId>{1, 2, 5, 6});
  for (TaskId id : ids) s.OnResult(id, "a", 1);
  CHECK(s.Finished());
}

TEST_CASE("a result that arrives while its task waits for a resend closes it", "[scheduler]") {
  SchedulerConfig config;
  config.lease = Millis(1000);
  Scheduler s(2, config);
  s.NextBatch(2, t0);
  s.RequeueExpiredLeases(t0 + Millis(2000));
  CHECK(s.OnResult(0, "slow", 1) == ResultKind::kFirst);
  CHECK(Drain(s, t0 + Millis(2000)) == std::vector<TaskId>{1});
}

TEST_CASE("every id is handed out once across a long mixed run", "[scheduler]") {
  // Everything sent is either taken and finished, or unsent, in a repeating pattern.
  Scheduler s(1000, {});
  std::set<TaskId> finished;
  for (int round = 0; !s.Finished() && round < 10000; ++round) {
    auto batch = s.NextBatch(7, t0);
    if (round % 5 == 4) {
      s.Unsend(batch);
      continue;
    }
    for (const auto& d : batch) {
      CHECK(finished.insert(d.id).second);
      CHECK(s.OnResult(d.id, "w", 1) == ResultKind::kFirst);
    }
  }
  CHECK(s.Finished());
  CHECK(finished.size() == 1000);
}

TEST_CASE("a worker's credit is used by tasks sent to it and returned when they close",
          "[scheduler][credit]") {
  Scheduler s(10, SchedulerConfig{.max_attempts = 3, .lease = Millis(100)});
  auto fast = s.NextBatch(4, t0, "fast");
  auto slow = s.NextBatch(3, t0, "slow");
  CHECK(s.sent_to("fast") == 4);
  CHECK(s.sent_to("slow") == 3);
  CHECK(s.sent_to("nobody") == 0);
  s.OnTaken("fast", Ids(fast), t0);
  CHECK(s.OnResult(fast[0].id, "fast", 10) == ResultKind::kFirst);
  CHECK(s.sent_to("fast") == 3);
  s.Unsend({slow[2]});  // could not be sent after all
  CHECK(s.sent_to("slow") == 2);
  // Never taken: the lease requeues them, and the credit comes back.
  s.RequeueExpiredLeases(t0 + Millis(500));
  CHECK(s.sent_to("slow") == 0);
  CHECK(s.sent_to("fast") == 3);  // taken: not a lease matter
  s.OnWorkerDead("fast");
  CHECK(s.sent_to("fast") == 0);
  CHECK(s.HasWaiting());
}
