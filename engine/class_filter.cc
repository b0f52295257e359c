#include "engine/class_filter.h"

#include "engine/internal/spelling.h"

namespace statemark {
namespace {

// Whether condition `k` of a class, on attribute `attr`, can hold when `attr` is `value`
// (a scalar) or {value} (a set).
bool CanHold(const ClassCondition& k, int value) {
  switch (k.kind) {
    case ClassCondition::Kind::kValues:
    case ClassCondition::Kind::kIntersects:
      return k.values.Contains(value) == k.positive;
    case ClassCondition::Kind::kContainsAll: {
      ValueSet just;
      just.Add(value);
      return just.ContainsAll(k.values) == k.positive;
    }
    case ClassCondition::Kind::kNonEmpty:
      return k.positive;
    default:
      return true;
  }
}

bool Admits(const DecisionClass& c, int attr, int value) {
  if (attr < 0 || value < 0) return true;
  for (const ClassCondition& k : c.conditions) {
    if (k.attr == attr && !CanHold(k, value)) return false;
  }
  return true;
}

bool Resolve(const Vocabulary& v, const std::string& attr_name, const std::string& value,
             int* out, std::string* error) {
  *out = -1;
  if (value.empty()) return true;
  const int attr = v.FindAttribute(attr_name);
  const int domain = attr < 0 ? -1 : v.attributes[static_cast<size_t>(attr)].domain;
  if (domain < 0) {
    *error = "the policy has no attribute `" + attr_name + "` to filter on";
    return false;
  }
  const Domain& d = v.domains[static_cast<size_t>(domain)];
  *out = d.Find(value);
  if (*out < 0) {
    *error = "unknown " + attr_name + " `" + value + "`" + internal::DidYouMean(value, d.values);
    return false;
  }
  return true;
}

}  // namespace

bool ResolveClassFilter(const Vocabulary& vocabulary, const std::string& affiliation,
                        const std::string& country, const std::string& topic,
                        ClassFilter* filter, std::string* error) {
  return Resolve(vocabulary, "account.affiliation", affiliation, &filter->affiliation, error) &&
         Resolve(vocabulary, "viewer.country", country, &filter->country, error) &&
         Resolve(vocabulary, "content.topics", topic, &filter->topic, error);
}

bool ClassAdmits(const Vocabulary& vocabulary, const DecisionClass& c, const ClassFilter& filter) {
  return Admits(c, vocabulary.FindAttribute("account.affiliation"), filter.affiliation) &&
         Admits(c, vocabulary.attr_viewer_country, filter.country) &&
         Admits(c, vocabulary.FindAttribute("content.topics"), filter.topic);
}

}  // namespace statemark
