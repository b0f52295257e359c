// Not API: use engine/loader.h.
//
// Builds the rules from the `rules:` lists of a policy's YAML files: parses each rule,
// resolves every name against the vocabulary, and checks what can be checked one rule
// at a time. Cross-rule checks (duplicate ids, what exemptions lift) run after all
// files are read, in CheckRuleSet.
#ifndef STATEMARK_ENGINE_INTERNAL_RULE_LOADER_H_
#define STATEMARK_ENGINE_INTERNAL_RULE_LOADER_H_

#include <string>
#include <vector>

#include "engine/internal/yaml_source.h"
#include "engine/loader.h"
#include "engine/policy.h"
#include "engine/registry.h"

namespace statemark::internal {

// A rule as read, before cross-rule checks: its exemption targets are still names.
struct ParsedRule {
  Rule rule;
  // Where each lift target was written, for the errors of the cross-rule checks.
  std::vector<std::pair<std::string, SourceLocation>> lift_names;
  const YamlSource* src = nullptr;
  SourceLocation id_at;
};

// Reads every `rules:` list. String literals are interned into `strings`; every
// `matches` pattern is added to `regexes` (deduplicated).
std::vector<ParsedRule> ReadRules(const std::vector<YamlSource>& files, const Vocabulary& vocab,
                                  const LoaderOptions& options, StringTable* strings,
                                  std::vector<std::string>* regexes);

// Checks ids and exemptions across the rule set and returns the rules sorted by id,
// with exemption targets resolved to indexes in that order.
std::vector<Rule> CheckRuleSet(std::vector<ParsedRule> parsed, Diagnostics* diags);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_RULE_LOADER_H_
