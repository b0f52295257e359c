// Not API: use engine/loader.h.
//
// Parses a rule's `when`: all / any / not over tests of the form
//   attribute: value                 (shorthand: `in` for single values, `is` for
//                                     booleans, `intersects` for sets)
//   attribute: [v1, v2]              (shorthand for `in` / `intersects`)
//   attribute: { operator: argument, ... }   (several operators: all must hold)
// and several keys in one map, which must all hold.
#ifndef STATEMARK_ENGINE_INTERNAL_CONDITION_LOADER_H_
#define STATEMARK_ENGINE_INTERNAL_CONDITION_LOADER_H_

#include <optional>
#include <string>
#include <vector>

#include "engine/internal/yaml_source.h"
#include "engine/loader.h"
#include "engine/policy.h"
#include "engine/registry.h"

namespace statemark::internal {

struct ConditionContext {
  const YamlSource* src = nullptr;
  const Vocabulary* vocab = nullptr;
  const LoaderOptions* options = nullptr;
  StringTable* strings = nullptr;
  std::vector<std::string>* regexes = nullptr;
  std::string rule_id;
  bool has_window = false;  // whether `window.from` / `window.until` mean anything
  Instant window_from;
  Instant window_until;
};

// Returns the condition, or nothing when it is malformed (errors are reported).
std::optional<Condition> ParseCondition(const ConditionContext& ctx, const DocNode& node);

// Resolves value names (and group names) of `domain`; reports unknown ones.
// Returns false if any name was unknown.
bool ResolveValues(const YamlSource& src, const Vocabulary& vocab, int domain,
                   const DocNode& node, const std::string& noun, ValueSet* out,
                   std::vector<std::string>* written);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_CONDITION_LOADER_H_
