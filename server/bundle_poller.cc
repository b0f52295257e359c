#include "server/bundle_poller.h"

#include <fcntl.h>
#include <httplib.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "bundle/bundle.h"
#include "engine/decision_json.h"
#include "server/policy_report.h"

namespace statemark::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr const char* kCachedBundle = "bundle.tar.gz";
constexpr const char* kCachedMeta = "bundle.json";
constexpr const char* kUnpackPrefix = "policy.";

const char* PollResultName(int r) {
  static const char* const kNames[] = {"updated", "unchanged", "refused", "failed"};
  return kNames[r];
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string EventLine(const std::string& event, const json& fields) {
  json line = {{"ts", FormatRfc3339(Now())}, {"event", event}};
  line.update(fields);
  return Dump(line) + "\n";
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = std::move(buffer).str();
  return !in.bad();
}

// Writes `data` to `path` by a temporary file, fsync and rename: after a crash the
// file is either the old one or the new one, whole.
bool ReplaceFile(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == data.size() && ::fsync(fd) == 0;
  if (::close(fd) != 0 || !ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

// Prometheus label value escaping.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// httplib's error names ("Connection") are terse; say what happened.
std::string FetchError(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "could not connect (refused, unreachable, or the name did not resolve)";
    case httplib::Error::ConnectionTimeout:
      return "connecting timed out";
    case httplib::Error::Read:
      return "the connection failed while reading the answer (or the read timed out)";
    case httplib::Error::Write:
      return "the connection failed while sending the request";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
      return "the TLS connection failed (" + httplib::to_string(e) + ")";
    default:
      return httplib::to_string(e);
  }
}

std::string Seconds(Instant t) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << static_cast<double>(t.micros) / 1e6;
  return s.str();
}

}  // namespace

struct BundlePoller::Fetched {
  enum Kind { kNotModified, kBody, kFailed } kind = kFailed;
  int status = 0;
  std::string body;
  std::string etag;
  std::string error;
};

BundlePoller::BundlePoller(const ServerOptions& options, PolicyStore* store,
                           std::function<void(const std::string&)> log)
    : options_(options), store_(store), log_(std::move(log)) {}

BundlePoller::~BundlePoller() {
  Stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

bool BundlePoller::Init(std::string* error) {
  for (const std::string& path : options_.verify_key_files) {
    auto key = bundle::Ed25519Key::LoadPublic(path, error);
    if (!key) return false;
    keys_.push_back(std::move(key));
  }
  const std::string& url = options_.bundle_url;
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    *error = "--bundle `" + url + "` must be an http:// or https:// URL";
    return false;
  }
  const size_t path_start = url.find('/', scheme_end + 3);
  origin_ = url.substr(0, path_start);
  path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (origin_.size() <= scheme_end + 3) {
    *error = "--bundle `" + url + "` has no host";
    return false;
  }

  std::error_code ec;
  fs::create_directories(options_.bundle_cache_dir, ec);
  if (ec) {
    *error = "cannot create the bundle cache `" + options_.bundle_cache_dir + "`: " + ec.message();
    return false;
  }
  const std::string lock_path = options_.bundle_cache_dir + "/lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    *error = "the bundle cache `" + options_.bundle_cache_dir +
             "` is in use by another process (or not writable); give each server its own "
             "--bundle-cache";
    return false;
  }
  // Directories unpacked by an earlier run are not serving anything now.
  for (fs::directory_iterator it(options_.bundle_cache_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename().string().rfind(kUnpackPrefix, 0) == 0) {
      std::error_code rm_ec;
      fs::remove_all(it->path(), rm_ec);
    }
  }
  return true;
}

BundlePoller::Fetched BundlePoller::Fetch(const std::string& etag) const {
  Fetched out;
  httplib::Client client(origin_);
  const int timeout = options_.bundle_timeout_ms;
  client.set_connection_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client.set_read_timeout(timeout / 1000, (timeout % 1000) * 1000);
  // Redirects are not followed: httplib 0.11 would take a 304 for one (and fail on
  // its missing Location). Give --bundle the final URL.
  client.set_follow_location(false);
  httplib::Headers headers = {{"User-Agent", "statemark-bundle-poller/1"}};
  if (!etag.empty()) headers.emplace("If-None-Match", etag);
  bool too_large = false;
  auto res = client.Get(path_, headers, [&](const char* data, size_t n) {
    if (out.body.size() + n > options_.max_bundle_bytes) {
      too_large = true;
      return false;
    }
    out.body.append(data, n);
    return true;
  });
  if (too_large) {
    out.error = "the bundle is larger than " + std::to_string(options_.max_bundle_bytes) +
                " bytes (max_bundle_bytes)";
    return out;
  }
  if (!res) {
    out.error = "cannot fetch " + options_.bundle_url + ": " + FetchError(res.error());
    return out;
  }
  out.status = res->status;
  if (res->status == 304) {
    out.kind = Fetched::kNotModified;
  } else if (res->status == 200) {
    out.kind = Fetched::kBody;
    out.etag = res->get_header_value("ETag");
  } else {
    out.error = options_.bundle_url + " answered HTTP " + std::to_string(res->status);
    if (res->status >= 300 && res->status < 400) {
      out.error += " (a redirect to `" + res->get_header_value("Location") +
                   "`; redirects are not followed: give --bundle that URL)";
    }
  }
  return out;
}

ReloadResult BundlePoller::Activate(const std::string& bytes, const std::string& etag,
                                    ReloadTrigger trigger, bool from_cache) {
  const std::string source = from_cache ? options_.bundle_cache_dir + "/" + kCachedBundle
                                        : options_.bundle_url;
  std::vector<const bundle::Ed25519Key*> trusted;
  for (const auto& k : keys_) trusted.push_back(k.get());
  bundle::OpenedBundle opened;
  bundle::Refusal refusal;
  ReloadResult result;
  if (!bundle::OpenBundle(bytes, trusted, bundle::ArchiveLimits{}, &opened, &refusal)) {
    result = store_->Refuse(trigger, Diagnostic{Severity::kError, {source, 0, 0}, refusal.code,
                                                refusal.message});
  } else {
    std::string dir = options_.bundle_cache_dir + "/" + kUnpackPrefix + "XXXXXX";
    std::string error;
    if (::mkdtemp(dir.data()) == nullptr) {
      error = "cannot create a directory in `" + options_.bundle_cache_dir +
              "`: " + std::strerror(errno);
      dir.clear();
    } else {
      bundle::UnpackPolicy(opened, dir, &error);
    }
    if (!error.empty()) {
      result = store_->Refuse(
          trigger, Diagnostic{Severity::kError, {source, 0, 0}, "bundle-unpack", error});
    } else {
      auto origin = std::make_shared<BundleOrigin>();
      origin->url = options_.bundle_url;
      origin->sha256 = opened.sha256;
      origin->etag = etag;
      origin->revision = opened.manifest.revision.value_or("");
      origin->created = opened.manifest.created;
      origin->key_id = opened.key_id;
      origin->signature_verified = opened.signature_verified;
      origin->from_cache = from_cache;
      result = store_->LoadFrom(dir, trigger, opened.manifest.policy_version, std::move(origin));
    }
    std::error_code ec;
    if (result.ok) {
      if (!active_dir_.empty() && active_dir_ != dir) fs::remove_all(active_dir_, ec);
      active_dir_ = dir;
    } else if (!dir.empty()) {
      fs::remove_all(dir, ec);
    }
  }
  if (log_) log_(ReloadEventLine(result, source));
  if (result.ok) {
    // A cached bundle activated at start says nothing about the one at the URL,
    // which may be the one just refused.
    if (!from_cache) {
      refused_sha_.clear();
      WriteCache(bytes, etag);
    }
  } else {
    refused_sha_ = opened.sha256.empty() ? bundle::Sha256Hex(bytes) : opened.sha256;
  }
  return result;
}

bool BundlePoller::ReadCache(std::string* bytes, std::string* etag) const {
  const std::string dir = options_.bundle_cache_dir + "/";
  if (!ReadFile(dir + kCachedBundle, bytes)) return false;
  std::string meta_text;
  etag->clear();
  if (ReadFile(dir + kCachedMeta, &meta_text)) {
    const json meta = json::parse(meta_text, nullptr, false);
    // The ETag belongs to the cached bytes only if the metadata says so (the two
    // files are replaced one after the other).
    if (meta.is_object() && meta.value("sha256", "") == bundle::Sha256Hex(*bytes) &&
        meta.value("url", "") == options_.bundle_url) {
      *etag = meta.value("etag", "");
    }
  }
  return true;
}

void BundlePoller::WriteCache(const std::string& bytes, const std::string& etag) {
  const std::string dir = options_.bundle_cache_dir + "/";
  const json meta = {{"url", options_.bundle_url},
                     {"etag", etag},
                     {"sha256", bundle::Sha256Hex(bytes)},
                     {"saved_at", FormatRfc3339(Now())}};
  if (!ReplaceFile(dir + kCachedBundle, bytes) || !ReplaceFile(dir + kCachedMeta, Dump(meta))) {
    if (log_) {
      log_(EventLine("bundle_cache_error",
                     {{"cache_dir", options_.bundle_cache_dir},
                      {"message", "cannot save the bundle; a restart without the bundle "
                                  "server would not have it"}}));
    }
  }
}

void BundlePoller::RecordPoll(PollResult result, int http_status, const std::string& code,
                              const std::string& message) {
  const Instant now = Now();
  bool log_it = false;
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    last_poll_ = PollRecord{now, result, http_status, message};
    ++poll_counts_[static_cast<int>(result)];
    if (result == PollResult::kFailed || result == PollResult::kRefused) {
      last_error_ = ErrorRecord{now, code, message};
    }
    if (result == PollResult::kFailed) {
      log_it = message != last_failure_logged_;
      last_failure_logged_ = message;
    } else {
      last_failure_logged_.clear();
    }
  }
  // Refusals are logged as policy_reload events by Activate; a failing URL is logged
  // when the failure starts or changes, not at every interval.
  if (log_it && log_) {
    log_(EventLine("bundle_poll_failed", {{"url", options_.bundle_url},
                                          {"http_status", http_status},
                                          {"message", message},
                                          {"serving", store_->Current()
                                                          ? store_->Current()->policy->version()
                                                          : ""}}));
  }
}

ReloadResult BundlePoller::Poll(ReloadTrigger trigger) {
  std::lock_guard<std::mutex> lock(poll_mu_);
  const auto current = store_->Current();
  const std::string serving = current ? current->policy->version() : "";
  const std::string serving_sha = current && current->bundle ? current->bundle->sha256 : "";
  ReloadResult unchanged;
  unchanged.ok = current != nullptr;
  unchanged.trigger = trigger;
  unchanged.at = Now();
  unchanged.version = unchanged.previous_version = serving;

  Fetched fetched = Fetch(etag_);
  if (fetched.kind == Fetched::kFailed) {
    RecordPoll(PollResult::kFailed, fetched.status, "bundle-unreachable", fetched.error);
    ReloadResult failed = unchanged;
    failed.ok = false;
    failed.diagnostics.Error({options_.bundle_url, 0, 0}, "bundle-unreachable", fetched.error);
    return failed;
  }
  // The bundle at the URL: the one the ETag stands for (304), or the bytes received.
  const bool not_modified = fetched.kind == Fetched::kNotModified;
  const std::string sha = not_modified ? etag_sha_ : bundle::Sha256Hex(fetched.body);
  if (!not_modified) {
    etag_ = fetched.etag;
    etag_sha_ = sha;
  }
  {
    std::lock_guard<std::mutex> status_lock(status_mu_);
    url_sha_ = sha;
  }
  if (!sha.empty() && sha == refused_sha_) {
    // Refused before and unchanged since: not loaded again, and still an error.
    std::string code = "bundle-refused", message = "refused";
    {
      std::lock_guard<std::mutex> status_lock(status_mu_);
      if (last_error_) code = last_error_->code, message = last_error_->message;
    }
    RecordPoll(PollResult::kRefused, fetched.status, code, message);
    return unchanged;
  }
  if (not_modified || sha == serving_sha) {
    RecordPoll(PollResult::kUnchanged, fetched.status, "",
               not_modified ? "not modified" : "the bundle serving");
    return unchanged;
  }
  ReloadResult result = Activate(fetched.body, fetched.etag, trigger, false);
  if (result.ok) {
    RecordPoll(PollResult::kUpdated, fetched.status, "", "activated " + result.version);
  } else {
    const Diagnostic* first = nullptr;
    for (const Diagnostic& d : result.diagnostics.items()) {
      if (d.is_error()) {
        first = &d;
        break;
      }
    }
    RecordPoll(PollResult::kRefused, fetched.status, first ? first->code : "policy-invalid",
               first ? first->message + (result.diagnostics.error_count() > 1
                                             ? " (and " +
                                                   std::to_string(
                                                       result.diagnostics.error_count() - 1) +
                                                   " more errors)"
                                             : std::string())
                     : "refused");
  }
  return result;
}

void BundlePoller::Startup() {
  std::string cached;
  std::string cached_etag;
  const bool have_cache = ReadCache(&cached, &cached_etag);
  {
    std::lock_guard<std::mutex> lock(poll_mu_);
    if (have_cache && !cached_etag.empty()) {
      etag_ = cached_etag;
      etag_sha_ = bundle::Sha256Hex(cached);
    }
  }
  Poll(ReloadTrigger::kStartup);
  if (store_->Current() || !have_cache) return;
  // The URL did not give a policy that loads: serve the last good bundle from disk.
  // (A 304 also lands here: the cached bundle is the one at the URL.)
  std::lock_guard<std::mutex> lock(poll_mu_);
  const bool not_modified = [&] {
    std::lock_guard<std::mutex> status_lock(status_mu_);
    return last_poll_ && last_poll_->http_status == 304;
  }();
  Activate(cached, cached_etag, ReloadTrigger::kStartup, !not_modified);
}

ReloadResult BundlePoller::PollNow(ReloadTrigger trigger) { return Poll(trigger); }

void BundlePoller::Start() {
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void BundlePoller::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BundlePoller::Loop() {
  std::mt19937_64 random(std::random_device{}());
  const double j = std::clamp(options_.bundle_jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> factor(1.0 - j, 1.0 + j);
  for (;;) {
    const auto wait = std::chrono::duration<double, std::milli>(
        static_cast<double>(options_.bundle_interval_ms) * factor(random));
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    Poll(ReloadTrigger::kBundle);
  }
}

std::string BundlePoller::StatusJson() const {
  const auto current = store_->Current();
  json active = nullptr;
  if (current && current->bundle) {
    const BundleOrigin& b = *current->bundle;
    active = {{"revision", b.revision.empty() ? json(nullptr) : json(b.revision)},
              {"created", b.created},
              {"policy_version", current->policy->version()},
              {"sha256", b.sha256},
              {"etag", b.etag},
              {"signed_by", b.key_id.empty() ? json(nullptr) : json(b.key_id)},
              {"signature_verified", b.signature_verified},
              {"from_cache", b.from_cache},
              {"activated_at", FormatRfc3339(current->loaded_at)}};
  }
  json keys = json::array();
  for (const auto& k : keys_) keys.push_back(k->id());
  std::lock_guard<std::mutex> lock(status_mu_);
  json last_poll = nullptr;
  if (last_poll_) {
    last_poll = {{"at", FormatRfc3339(last_poll_->at)},
                 {"result", PollResultName(static_cast<int>(last_poll_->result))},
                 {"http_status", last_poll_->http_status == 0 ? json(nullptr)
                                                              : json(last_poll_->http_status)},
                 {"message", last_poll_->message}};
  }
  json last_error = nullptr;
  if (last_error_) {
    last_error = {{"at", FormatRfc3339(last_error_->at)},
                  {"code", last_error_->code},
                  {"message", last_error_->message}};
  }
  const bool in_sync = current && current->bundle && !url_sha_.empty() &&
                       current->bundle->sha256 == url_sha_;
  return Dump({{"url", options_.bundle_url},
               {"interval_seconds", options_.bundle_interval_ms / 1000.0},
               {"cache_dir", options_.bundle_cache_dir},
               {"trusted_keys", keys},
               {"active", active},
               {"in_sync", in_sync},
               {"last_poll", last_poll},
               {"last_error", last_error},
               {"polls", {{"updated", poll_counts_[0]},
                          {"unchanged", poll_counts_[1]},
                          {"refused", poll_counts_[2]},
                          {"failed", poll_counts_[3]}}}});
}

std::string BundlePoller::RenderMetrics() const {
  const auto current = store_->Current();
  std::string out;
  std::lock_guard<std::mutex> lock(status_mu_);
  out += "# HELP statemark_bundle_polls_total Polls of the bundle URL, by result.\n";
  out += "# TYPE statemark_bundle_polls_total counter\n";
  for (int r = 0; r < 4; ++r) {
    out += "statemark_bundle_polls_total{result=\"" + std::string(PollResultName(r)) + "\"} " +
           std::to_string(poll_counts_[r]) + "\n";
  }
  out += "# HELP statemark_bundle_last_poll_timestamp_seconds When the bundle URL was last polled.\n";
  out += "# TYPE statemark_bundle_last_poll_timestamp_seconds gauge\n";
  out += "statemark_bundle_last_poll_timestamp_seconds " +
         (last_poll_ ? Seconds(last_poll_->at) : std::string("0")) + "\n";
  out += "# HELP statemark_bundle_last_poll_success 1 if the last poll got an answer and "
         "nothing was refused.\n";
  out += "# TYPE statemark_bundle_last_poll_success gauge\n";
  out += "statemark_bundle_last_poll_success " +
         std::string(last_poll_ && (last_poll_->result == PollResult::kUpdated ||
                                    last_poll_->result == PollResult::kUnchanged)
                         ? "1"
                         : "0") +
         "\n";
  out += "# HELP statemark_bundle_last_error_timestamp_seconds When a poll last failed or a "
         "bundle was last refused.\n";
  out += "# TYPE statemark_bundle_last_error_timestamp_seconds gauge\n";
  out += "statemark_bundle_last_error_timestamp_seconds " +
         (last_error_ ? Seconds(last_error_->at) : std::string("0")) + "\n";
  out += "# HELP statemark_bundle_in_sync 1 if the bundle serving is the one the URL last "
         "answered with.\n";
  out += "# TYPE statemark_bundle_in_sync gauge\n";
  const bool in_sync = current && current->bundle && !url_sha_.empty() &&
                       current->bundle->sha256 == url_sha_;
  out += "statemark_bundle_in_sync " + std::string(in_sync ? "1" : "0") + "\n";
  if (current && current->bundle) {
    const BundleOrigin& b = *current->bundle;
    out += "# HELP statemark_bundle_info The bundle serving.\n";
    out += "# TYPE statemark_bundle_info gauge\n";
    out += "statemark_bundle_info{revision=\"" + LabelValue(b.revision) + "\",policy_version=\"" +
           LabelValue(current->policy->version()) + "\",sha256=\"" + b.sha256 +
           "\",from_cache=\"" + (b.from_cache ? "true" : "false") + "\"} 1\n";
  }
  return out;
}

}  // namespace statemark::server
