// The decision endpoints, independent of HTTP: a body in, a status and a body out.
//
// POST /v1/decide takes one request (the contract's request object) and answers its
// decision. POST /v1/decide/batch takes
//   {"time": ..., "viewer": {...}, ..., "items": [{...}, {...}]}
// where every top-level key but `items` is shared: each item is decided as if it
// held the shared keys it does not set itself (an item's own top-level key replaces
// the shared one whole). The answer is
//   {"policy_version": "...", "decisions": [...]}
// in item order; an invalid item's slot holds `{"error": {...}}` and the others are
// decided. Items without a `time` share one clock reading. An error path names the
// item (`items[3].account.affiliation`) unless the offending value came from a
// shared field, which is then named as written (`viewer.country`).
//
// Both run the same path as `statemark eval`: ParseRequest -> Evaluate ->
// AppendDecisionJson, against the one snapshot the caller loaded. The Request and
// the Decision live in thread-local storage, allocated once per worker thread.
//
// Thread safety: any number of threads, each with its own Answer.
#ifndef STATEMARK_SERVER_DECIDE_HANDLER_H_
#define STATEMARK_SERVER_DECIDE_HANDLER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "server/decision_log.h"
#include "server/metrics.h"
#include "server/policy_store.h"

namespace statemark::server {

struct DecideContext {
  const PolicySnapshot* snapshot = nullptr;  // REQUIRES: non-null
  size_t max_batch_items = 10000;
  int max_json_depth = 64;
  Metrics* metrics = nullptr;  // optional
  DecisionLog* log = nullptr;  // optional
  // Whether batch bodies go through the fast request parser first (the answer is the
  // same either way; tests compare the two).
  bool fast_parser = true;
};

struct Answer {
  int status = 200;
  std::string body;  // JSON
};

void DecideOne(const DecideContext& context, std::string_view body, Answer* answer);
void DecideBatch(const DecideContext& context, std::string_view body, Answer* answer);

// Whether the arrays and objects in `text` nest at most `max_depth` deep. Only
// brackets outside strings count; malformed text is left to the JSON parser.
bool JsonDepthWithin(std::string_view text, int max_depth);

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_DECIDE_HANDLER_H_
