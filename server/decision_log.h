// DecisionLog: sampled decisions as JSON lines, written off the request path.
//
// Each record is one line:
//   {"logged_at":"...","policy_version":"sha256:...","endpoint":"/v1/decide",
//    "batch_index":3,"request":{...},"decision":{...}}
// (`batch_index` only for batch items; `request` is the item with the batch's shared
// fields applied, exactly what was decided, in the caller's own text: see
// docs/service.md). A record plus its policy version is enough to re-derive the
// decision byte for byte.
//
// Sampling is decided before any record is built, so unsampled decisions cost one
// hash. It is deterministic: by a 64-bit FNV-1a hash of `request_id` when the request
// has one (the same ids are logged on every replica and every run), else by a
// counter (exactly `rate` of them, evenly spread).
//
// Request threads hand records to a bounded buffer; one writer thread drains it to
// the file. A full buffer drops the record and counts the drop: a request never waits
// for the disk. The buffer lock is held only to append or to swap the buffer out;
// writing happens outside it. A batch hands over all its records at once
// (DecisionLogRecords), so the lock is taken once per request, not once per record;
// the writer writes and flushes what it has gathered at most once a millisecond.
//
// Thread safety: Sampled() and Submit() from any thread; Start()/Close() from one.
#ifndef STATEMARK_SERVER_DECISION_LOG_H_
#define STATEMARK_SERVER_DECISION_LOG_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/metrics.h"

namespace statemark::server {

struct DecisionLogOptions {
  // File appended to; "-" is stdout; empty disables the log. Default: "" (off).
  std::string path;
  // Share of decisions logged, in [0, 1]. Default: 1.0.
  double sample_rate = 1.0;
  // Records buffered before new ones are dropped. Default: 65,536.
  size_t capacity = 65536;
};

// Records built by one request, handed to the log together: their lines, each ending
// with '\n', and where each line ends.
class DecisionLogRecords {
 public:
  // Appends one record (`record` holds no line break).
  void Add(std::string_view record) {
    text_.append(record);
    EndRecord();
  }
  // For records written in place: append the record to text() then call EndRecord().
  std::string& text() { return text_; }
  void EndRecord() {
    text_.push_back('\n');
    ends_.push_back(text_.size());
  }
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // Forgets the records, keeping the memory.
  void Clear() {
    text_.clear();
    ends_.clear();
  }

 private:
  friend class DecisionLog;
  std::string text_;
  std::vector<size_t> ends_;
};

class DecisionLog {
 public:
  // `metrics` may be null; it must outlive the log.
  DecisionLog(DecisionLogOptions options, Metrics* metrics);
  ~DecisionLog();  // Close()
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // Opens the file and starts the writer. Returns false (with *error) when the file
  // cannot be opened. A disabled log starts trivially.
  bool Start(std::string* error);
  // Writes what is buffered, flushes, closes the file and stops the writer.
  // Idempotent.
  void Close();

  bool enabled() const { return enabled_; }

  // Whether the decision for a request with this id (or none) is to be logged.
  bool Sampled(std::string_view request_id, bool has_request_id);

  // Queues one record (without its newline). Never blocks on I/O; drops and counts
  // when the buffer is full or the log is closed.
  void Submit(std::string record);
  // Queues `records` (taking their text, leaving them empty, perhaps with the memory
  // of records written earlier): as many as the buffer has room for, in order; the
  // rest are dropped and counted.
  void Submit(DecisionLogRecords* records);

  // Records dropped so far.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void WriterLoop();
  struct Chunk {
    std::string lines;  // records, each ending with '\n'
    size_t records = 0;
  };
  void WriteBatch(const std::vector<Chunk>& chunks);
  void CountDropped(uint64_t n);

  const DecisionLogOptions options_;
  const bool enabled_;
  Metrics* const metrics_;
  std::atomic<uint64_t> counter_{0};  // for requests without an id
  std::atomic<uint64_t> dropped_{0};

  std::mutex mu_;  // guards the fields below
  std::condition_variable wake_;
  std::vector<Chunk> pending_;
  size_t pending_records_ = 0;
  // Written chunks' strings, kept for reuse: a batch's records run to megabytes, and
  // fresh memory of that size costs page faults on every batch.
  std::vector<std::string> spare_;
  bool accepting_ = true;
  bool stopping_ = false;

  std::FILE* file_ = nullptr;  // owned by the writer thread while it runs
  bool owns_file_ = false;
  std::thread writer_;
};

// 64-bit FNV-1a. Stable across platforms and runs (std::hash is not).
uint64_t Fnv1a64(std::string_view s);

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_DECISION_LOG_H_
