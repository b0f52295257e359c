#include "server/policy_store.h"

#include <chrono>
#include <exception>
#include <utility>

#include "engine/compiler.h"
#include "engine/loader.h"

namespace statemark::server {
namespace {

// Loads and compiles `dir`, collecting every diagnostic. Never throws: the engine
// promises no exception crosses its API, and this keeps a bug there from taking the
// serving process down with it.
std::shared_ptr<const CompiledPolicy> LoadAndCompile(const std::string& dir,
                                                     Diagnostics* diagnostics) {
  try {
    auto loaded = LoadPolicy(dir);
    diagnostics->Append(loaded.diagnostics());
    if (!loaded.ok()) return nullptr;
    auto compiled = Compile(loaded.value());
    diagnostics->Append(compiled.diagnostics());
    if (!compiled.ok()) return nullptr;
    return compiled.value();
  } catch (const std::exception& e) {
    diagnostics->Error({dir, 0, 0}, "internal-error",
                       std::string("loading the policy failed: ") + e.what());
    return nullptr;
  }
}

}  // namespace

const char* ReloadTriggerName(ReloadTrigger t) {
  switch (t) {
    case ReloadTrigger::kStartup:
      return "startup";
    case ReloadTrigger::kApi:
      return "api";
    case ReloadTrigger::kSignal:
      return "signal";
    case ReloadTrigger::kWatch:
      return "watch";
    case ReloadTrigger::kBundle:
      return "bundle";
  }
  return "unknown";
}

PolicyStore::PolicyStore(std::string rules_dir, Metrics* metrics)
    : rules_dir_(std::move(rules_dir)), metrics_(metrics) {}

PolicyStore::~PolicyStore() = default;

ReloadResult PolicyStore::Reload(ReloadTrigger trigger) {
  return LoadFrom(rules_dir_, trigger, "", nullptr);
}

ReloadResult PolicyStore::Refuse(ReloadTrigger trigger, const Diagnostic& reason) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  ReloadResult result;
  result.trigger = trigger;
  std::shared_ptr<const PolicySnapshot> previous = Current();
  if (previous) result.previous_version = previous->policy->version();
  result.version = result.previous_version;
  result.at = Now();
  result.diagnostics.Add(reason);
  if (metrics_ != nullptr) metrics_->RecordReload(false);
  std::lock_guard<std::mutex> lock(status_mu_);
  last_ = result;
  return result;
}

ReloadResult PolicyStore::LoadFrom(const std::string& dir, ReloadTrigger trigger,
                                   const std::string& expected_version,
                                   std::shared_ptr<const BundleOrigin> bundle) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  ReloadResult result;
  result.trigger = trigger;
  std::shared_ptr<const PolicySnapshot> previous = Current();
  if (previous) result.previous_version = previous->policy->version();

  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const CompiledPolicy> compiled = LoadAndCompile(dir, &result.diagnostics);
  if (compiled && !expected_version.empty() && compiled->version() != expected_version) {
    result.diagnostics.Error({dir, 0, 0}, "bundle-version-mismatch",
                             "the bundle's files load as " + compiled->version() +
                                 ", but its manifest says " + expected_version);
    compiled = nullptr;
  }
  result.diagnostics.Sort();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.at = Now();
  result.ok = compiled != nullptr;

  if (result.ok) {
    auto snapshot = std::make_shared<PolicySnapshot>();
    snapshot->policy = compiled;
    snapshot->loaded_at = result.at;
    snapshot->dir = dir;
    snapshot->bundle = std::move(bundle);
    snapshot->counters = std::make_unique<PolicyCounters>(metrics_, *compiled);
    result.version = compiled->version();
    current_.store(std::shared_ptr<const PolicySnapshot>(std::move(snapshot)),
                   std::memory_order_release);
    if (metrics_ != nullptr) {
      metrics_->SetPolicy(result.version, static_cast<double>(result.at.micros) / 1e6);
    }
  } else {
    result.version = result.previous_version;
  }
  if (metrics_ != nullptr) metrics_->RecordReload(result.ok);
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    last_ = result;
  }
  return result;
}

std::optional<ReloadResult> PolicyStore::LastAttempt() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return last_;
}

std::optional<ReloadResult> PolicyStore::LastFailure() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  if (last_ && !last_->ok) return last_;
  return std::nullopt;
}

}  // namespace statemark::server
