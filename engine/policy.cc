#include "engine/policy.h"

namespace statemark {

const char* LayerName(Layer l) {
  switch (l) {
    case Layer::kIntegrity: return "integrity";
    case Layer::kLegal: return "legal";
    case Layer::kPlatform: return "platform";
    case Layer::kExemption: return "exemption";
  }
  return "?";
}

const char* SubjectName(Subject s) {
  switch (s) {
    case Subject::kAccount: return "account";
    case Subject::kLinkedAccount: return "linked_accounts";
    case Subject::kResharedAccount: return "reshared_account";
  }
  return "?";
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kIn: return "in";
    case Op::kNotIn: return "not_in";
    case Op::kIntersects: return "intersects";
    case Op::kContainsAll: return "contains_all";
    case Op::kSameAs: return "same_as";
    case Op::kNotSameAs: return "not_same_as";
    case Op::kIs: return "is";
    case Op::kMatches: return "matches";
    case Op::kBefore: return "before";
    case Op::kAtOrAfter: return "at_or_after";
    case Op::kListedIn: return "listed_in";
    case Op::kPresent: return "present";
  }
  return "?";
}

bool Effects::HasOrganicEffect() const {
  for (int l : levels) {
    if (l >= 0) return true;
  }
  return !labels.empty() || notice >= 0 || !friction.empty() || monetization >= 0;
}

int Policy::FindRule(const std::string& id) const {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace statemark
