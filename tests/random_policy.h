// Random rule sets over the default vocabulary, for differential testing: every
// operator, subject, layer, window, case, exemption and effect appears, in random
// combinations, so the decision tree is exercised far beyond the shipped rules.
#ifndef STATEMARK_TESTS_RANDOM_POLICY_H_
#define STATEMARK_TESTS_RANDOM_POLICY_H_

#include <cstdint>
#include <string>

namespace statemark::testing {

// A `rules:` YAML document of `count` random rules (about a tenth exemptions).
std::string RandomRulesYaml(uint64_t seed, int count);

}  // namespace statemark::testing

#endif  // STATEMARK_TESTS_RANDOM_POLICY_H_
