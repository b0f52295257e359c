// Helpers for the decision-space tests: random rule sets over the default vocabulary,
// and requests reduced to their author (no links, no reshare).
#ifndef STATEMARK_TESTS_DECISION_SPACE_SUPPORT_H_
#define STATEMARK_TESTS_DECISION_SPACE_SUPPORT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "tests/test_support.h"

namespace statemark::testing {

// Replaces the default policy's rules in `dir` with `rules_yaml`.
inline void WriteRules(const ScratchDir& dir, const std::string& rules_yaml) {
  dir.CopyDefaultPolicy();
  for (const char* f : {"integrity.yaml", "legal.yaml", "platform.yaml", "exemptions.yaml"}) {
    std::filesystem::remove(dir.path() / f);
  }
  dir.Write("rules.yaml", rules_yaml);
}

// The request without links and reshare: decided by its author alone.
inline nlohmann::json AuthorOnly(nlohmann::json request) {
  if (request.contains("content")) {
    request["content"].erase("links");
    request["content"].erase("links_to");
    request["content"].erase("reshare_of");
  }
  return request;
}

}  // namespace statemark::testing

#endif  // STATEMARK_TESTS_DECISION_SPACE_SUPPORT_H_
