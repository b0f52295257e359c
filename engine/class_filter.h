// Class filter: which classes of a decision space (decision_space.h) can hold requests
// with a given affiliation, viewer country or topic. The playground's decision table
// is filtered with it.
//
// A class admits a value unless one of its own conditions on that attribute rules the
// value out; conditions that relate two attributes (`viewer.country ≠
// account.affiliated_state`) rule nothing out. A topic filter stands for requests
// about that one topic (content.topics = {topic}).
//
// Thread safety: pure functions.
#ifndef STATEMARK_ENGINE_CLASS_FILTER_H_
#define STATEMARK_ENGINE_CLASS_FILTER_H_

#include <string>

#include "engine/decision_space.h"

namespace statemark {

struct ClassFilter {
  int affiliation = -1;  // index in account.affiliation's domain, or -1 for any
  int country = -1;      // viewer.country: index in the country domain, or -1
  int topic = -1;        // content.topics: index in its domain, or -1
};

// Resolves the filter's values by name ("" for any). Returns false with *error naming
// the unknown value (with a suggestion) otherwise.
bool ResolveClassFilter(const Vocabulary& vocabulary, const std::string& affiliation,
                        const std::string& country, const std::string& topic,
                        ClassFilter* filter, std::string* error);

bool ClassAdmits(const Vocabulary& vocabulary, const DecisionClass& c, const ClassFilter& filter);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_CLASS_FILTER_H_
