// Policy diff: every class of requests whose decision changes between two versions of
// a policy, with what it was, what it becomes and a sample request.
//
// The two policies' trees are walked together, so the classes are the common
// refinement of both decision spaces: within one class, each version decides every
// request alike. A class is reported when the two decision summaries differ
// (decision_space.h). As for the decision space, classes are per subject kind: an
// author class is decided on a request with no links and no reshare; a linked or
// reshared class compares that account's contribution. An empty diff (no classes, no
// registry changes) means the two versions decide every request identically.
//
// Both versions must declare the same vocabulary (attributes, domains and their
// values, in the same order): otherwise PolicyDiffJson returns an error naming the
// first difference. Registry changes (an account added, removed or changed, a listing,
// a domain) are listed by account in `registry`; their classes are still compared.
//
// JSON shape (PolicyDiffJson):
//   {
//     "before": "sha256:...", "after": "sha256:...",
//     "at": "..." | null,
//     "changes": [
//       { "id": "A3", "subject": "account", "time": {"from": ..., "until": ...},
//         "conditions": [ ... as in decision_space.h ... ],
//         "before": <decision summary>, "after": <decision summary>,
//         "changed": ["surfaces.for_you", "rules", ...],   // the summary fields that differ
//         "rules_before": [...], "rules_after": [...],       // the `matched` lists
//         "sample": { ...request... } }
//     ],
//     "registry": [ {"account": "rt_en", "change": "added" | "removed" | "changed"} ],
//     "traffic": {                                           // only with requests (CountTraffic)
//        "requests": 1200, "changed": 14, "errors": 0,
//        "examples": [ {"line": 12, "request_id": "...", "before": {decision}, "after": {decision}} ]
//     }
//   }
//
// Thread safety: pure functions.
#ifndef STATEMARK_ENGINE_POLICY_DIFF_H_
#define STATEMARK_ENGINE_POLICY_DIFF_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/instant.h"
#include "engine/status.h"

namespace statemark {

struct DiffOptions {
  std::optional<Instant> at;  // compare at this instant only; otherwise at all times
  size_t max_classes = 200000;
};

Result<nlohmann::json> PolicyDiffJson(const CompiledPolicy& before, const CompiledPolicy& after,
                                      const DiffOptions& options);

// Real traffic: decides each request with both versions and counts those whose
// decision (the contract JSON, `policy_version` aside) changes. Each line of `lines`
// is a request, or a decision-log record whose `request` field holds one. A line that
// is not a request of both versions counts in `errors`. `now` is the clock for requests
// without `time`. Returns the "traffic" object of the shape above, with at most
// `max_examples` examples.
nlohmann::json CountTraffic(const CompiledPolicy& before, const CompiledPolicy& after,
                            const std::vector<std::string>& lines, Instant now,
                            size_t max_examples = 20);

// Renderers over the JSON above: plain text for a terminal, Markdown for a review.
std::string PolicyDiffText(const nlohmann::json& diff);
std::string PolicyDiffMarkdown(const nlohmann::json& diff);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_POLICY_DIFF_H_
