// The policy playground's JSON endpoints, independent of HTTP: a body in, a status
// and a body out (docs/service.md, docs/playground.md). The page itself is served
// from the assets compiled into the binary (playground_assets.h).
//
//   GET  /v1/playground/policy        the live policy: version, files, vocabulary,
//                                     rules with windows, registry (policy_catalog.h)
//   GET  /v1/playground/source?file=F the live text of rule file F, to edit
//   POST /v1/playground/explain       a request -> its decision, exactly as
//                                     /v1/decide answers it, and its explanation
//   POST /v1/playground/try           changed rule files -> their diagnostics, or
//                                     the diff against the live policy (policy_diff.h)
//   GET  /v1/playground/table?at=T&affiliation=A&country=C&topic=X
//                                     the decision table at instant T (decision_table.h),
//                                     the classes that admit A, C and X (class_filter.h)
//
// `try` loads the live policy's directory with the pasted files in place of theirs
// (LoadPolicyWithOverrides: in memory, never written) under the same loader and
// compiler limits as any policy, and compiles it. The candidate is dropped after the
// answer: it is never stored, never served. The server compiles one candidate at a
// time, so pasted policies cannot take every core from the decision endpoints.(the serialization is the caller's: PlaygroundTryGate).
//
// None of this touches the decision endpoints, their metrics or the decision log.
//
// Thread safety: pure functions over the snapshot the caller loaded.
#ifndef STATEMARK_SERVER_PLAYGROUND_H_
#define STATEMARK_SERVER_PLAYGROUND_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "server/decide_handler.h"
#include "server/policy_store.h"

namespace statemark::server {

// Largest body POST /v1/playground/try accepts: every pasted file together.
inline constexpr size_t kPlaygroundMaxTryBytes = size_t{1} << 20;

void PlaygroundPolicy(const PolicySnapshot& snapshot, Answer* answer);
void PlaygroundSource(const PolicySnapshot& snapshot, const std::string& file, Answer* answer);
void PlaygroundExplain(const PolicySnapshot& snapshot, std::string_view body, int max_json_depth,
                       Answer* answer);
void PlaygroundTry(const PolicySnapshot& snapshot, std::string_view body, int max_json_depth,
                   Answer* answer);

// Most classes one table answer lists; `total` says how many matched.
inline constexpr size_t kPlaygroundMaxTableRows = 500;

struct TableQuery {
  std::string at;  // RFC 3339; "" means every instant
  std::string affiliation, country, topic;  // "" means any
};

// The decision table. Enumerating a policy's decision space takes a while, so the
// last one is kept per policy version and instant; filters reuse it.
class PlaygroundTable {
 public:
  PlaygroundTable();
  ~PlaygroundTable();
  void Answer(const PolicySnapshot& snapshot, const TableQuery& query, server::Answer* answer);

 private:
  struct Cached;
  std::mutex mu_;
  std::shared_ptr<const Cached> cached_;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_PLAYGROUND_H_
