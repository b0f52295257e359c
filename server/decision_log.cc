#include "server/decision_log.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <utility>

namespace statemark::server {
namespace {

// Chunk strings kept for reuse, and the largest kept (a batch of 1,000 logs about
// 1.3 MB): the memory held stays within (request threads + kMaxSpare) x kMaxSpareBytes.
constexpr size_t kMaxSpare = 4;
constexpr size_t kMaxSpareBytes = size_t{4} << 20;

// The writer's pause between writes.
constexpr std::chrono::milliseconds kWriteInterval{1};

}  // namespace

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

DecisionLog::DecisionLog(DecisionLogOptions options, Metrics* metrics)
    : options_(std::move(options)), enabled_(!options_.path.empty()), metrics_(metrics) {}

DecisionLog::~DecisionLog() { Close(); }

bool DecisionLog::Start(std::string* error) {
  if (!enabled_) return true;
  if (options_.path == "-") {
    file_ = stdout;
  } else {
    file_ = std::fopen(options_.path.c_str(), "ae");
    if (file_ == nullptr) {
      *error = "cannot open decision log `" + options_.path + "`: " + std::strerror(errno);
      return false;
    }
    owns_file_ = true;
  }
  writer_ = std::thread([this] { WriterLoop(); });
  return true;
}

void DecisionLog::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (file_ != nullptr) {
    std::fflush(file_);
    if (owns_file_) std::fclose(file_);
    file_ = nullptr;
  }
}

bool DecisionLog::Sampled(std::string_view request_id, bool has_request_id) {
  if (!enabled_ || options_.sample_rate <= 0) return false;
  if (options_.sample_rate >= 1) return true;
  if (has_request_id) {
    // The top 53 bits as a fraction in [0, 1).
    const double u = static_cast<double>(Fnv1a64(request_id) >> 11) * 0x1.0p-53;
    return u < options_.sample_rate;
  }
  // Record n is sampled when floor((n + 1) * rate) > floor(n * rate): exactly
  // floor(N * rate) of the first N, evenly spaced.
  const auto n = static_cast<double>(counter_.fetch_add(1, std::memory_order_relaxed));
  return std::floor((n + 1) * options_.sample_rate) > std::floor(n * options_.sample_rate);
}

void DecisionLog::CountDropped(uint64_t n) {
  if (n == 0) return;
  dropped_.fetch_add(n, std::memory_order_relaxed);
  if (metrics_ != nullptr) metrics_->RecordDecisionLogDropped(n);
}

void DecisionLog::Submit(std::string record) {
  DecisionLogRecords one;
  one.Add(record);
  Submit(&one);
}

void DecisionLog::Submit(DecisionLogRecords* records) {
  if (records->empty()) return;
  size_t total = records->size();
  size_t taken = 0;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (accepting_ && pending_records_ < options_.capacity) {
      taken = std::min(total, options_.capacity - pending_records_);
      std::string& text = records->text_;
      text.resize(records->ends_[taken - 1]);
      wake = pending_records_ == 0;
      pending_.push_back({std::move(text), taken});
      pending_records_ += taken;
      if (!spare_.empty()) {
        text = std::move(spare_.back());
        spare_.pop_back();
      }
    }
  }
  records->text_.clear();
  records->ends_.clear();
  CountDropped(total - taken);
  if (wake) wake_.notify_one();
}

void DecisionLog::WriterLoop() {
  std::vector<Chunk> batch;
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      batch.swap(pending_);
      pending_records_ = 0;
      stopping = stopping_;
    }
    WriteBatch(batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Chunk& c : batch) {
        if (spare_.size() == kMaxSpare) break;
        if (c.lines.capacity() > kMaxSpareBytes) continue;
        c.lines.clear();
        spare_.push_back(std::move(c.lines));
      }
    }
    batch.clear();
    // Gather what arrives meanwhile, so that a stream of single decisions costs one
    // write(2) and one wake-up per interval, not one per record.
    if (!stopping) std::this_thread::sleep_for(kWriteInterval);
    if (stopping) {
      // Close() stopped intake before setting stopping_, so nothing arrives after
      // this last swap.
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) return;
    }
  }
}

void DecisionLog::WriteBatch(const std::vector<Chunk>& chunks) {
  if (chunks.empty()) return;
  uint64_t written = 0;
  for (const Chunk& c : chunks) {
    if (std::fwrite(c.lines.data(), 1, c.lines.size(), file_) != c.lines.size()) {
      if (metrics_ != nullptr) metrics_->RecordDecisionLogWriteError();
      continue;
    }
    written += c.records;
  }
  if (std::fflush(file_) != 0 && metrics_ != nullptr) metrics_->RecordDecisionLogWriteError();
  if (metrics_ != nullptr) metrics_->RecordDecisionLogWritten(written);
}

}  // namespace statemark::server
