// RequestGenerator: random requests over a policy's vocabulary, reproducible by seed.
//
// Used by the differential tests (compiled tree against the reference evaluator) and
// by benchmarks. The mix follows the shape of real traffic: most items come from
// unaffiliated accounts, the rest spread over the registry's affiliations; topics,
// viewer countries and times are drawn from the values the rules mention (so window
// edges and group boundaries are hit often) and from the whole vocabulary; about a
// fifth are ad requests. Requests are JSON, so they exercise the request parser too.
//
// Thread safety: one generator per thread.
#ifndef STATEMARK_ENGINE_REQUEST_GENERATOR_H_
#define STATEMARK_ENGINE_REQUEST_GENERATOR_H_

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/compiled_policy.h"

namespace statemark {

struct GeneratorOptions {
  uint64_t seed = 1;
  // Share of requests that are ads. Default: 0.2.
  double ad_share = 0.2;
  // Share of requests from accounts the registry does not hold. Default: 0.5.
  double unregistered_share = 0.5;
  // Share of unregistered accounts that carry random inline attributes. Default: 0.3.
  double inline_share = 0.3;
  // URLs that `content.links` draws from (besides random hosts).
  std::vector<std::string> urls = {
      "https://www.rt.com/news/1",   "https://francais.rt.com/a",  "https://sputniknews.com/x",
      "https://ria.ru/y",            "http://news.cn/z",           "https://www.xinhuanet.com/w",
      "https://africa.cgtn.com/v",   "https://www.bbc.co.uk/news", "https://npr.org/s",
      "https://example.com/nothing"};
};

class RequestGenerator {
 public:
  RequestGenerator(const CompiledPolicy& policy, GeneratorOptions options = {});

  nlohmann::json Next();

 private:
  void AddRequestAttributes(nlohmann::json* request, bool is_ad);
  void AddAccount(nlohmann::json* request);
  void AddLinks(nlohmann::json* request);
  nlohmann::json RandomValue(const Attribute& a);
  std::string RandomCountry();
  std::string RandomTime();
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  const CompiledPolicy& policy_;
  GeneratorOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::string> countries_;     // countries the rules and registry mention
  std::vector<int64_t> edges_;             // window edges, in micros
  std::vector<std::string> registered_;    // registry ids
  std::vector<std::string> strings_;       // interned strings (parent entities...)
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_REQUEST_GENERATOR_H_
