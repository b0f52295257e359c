#include "engine/request_schema.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/vocabulary.h"

namespace statemark {
namespace {

constexpr std::string_view kEffectiveAtSuffix = "_effective_at";

// `account.affiliation` -> {`account`, `affiliation`}; nullopt unless exactly two parts.
std::optional<std::pair<std::string, std::string>> SplitName(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size() ||
      name.find('.', dot + 1) != std::string::npos) {
    return std::nullopt;
  }
  return std::make_pair(name.substr(0, dot), name.substr(dot + 1));
}

}  // namespace

int RequestSchema::FindObject(std::string_view name) const {
  auto it = std::lower_bound(objects.begin(), objects.end(), name);
  return it != objects.end() && *it == name ? static_cast<int>(it - objects.begin()) : -1;
}

RequestSchema RequestSchema::Build(const Vocabulary& vocab) {
  RequestSchema s;
  s.objects = {"viewer", "account", "content", "ad"};
  for (const Attribute& a : vocab.attributes) {
    auto parts = SplitName(a.name);
    if (parts && parts->first != "request") s.objects.push_back(parts->first);
  }
  std::sort(s.objects.begin(), s.objects.end());
  s.objects.erase(std::unique(s.objects.begin(), s.objects.end()), s.objects.end());
  s.top_level_candidates = s.objects;
  s.top_level_candidates.emplace_back("request_id");
  s.top_level_candidates.emplace_back("time");
  s.account = s.FindObject("account");
  s.content = s.FindObject("content");
  s.ad = s.FindObject("ad");

  s.known.resize(s.objects.size());
  s.attributes.resize(vocab.attributes.size());
  for (size_t i = 0; i < vocab.attributes.size(); ++i) {
    const Attribute& a = vocab.attributes[i];
    auto parts = SplitName(a.name);
    if (!parts || parts->first == "request") continue;
    AttributeField& f = s.attributes[i];
    f.object = s.FindObject(parts->first);
    f.field = parts->second;
    if (a.dated) f.effective_at = parts->second + std::string(kEffectiveAtSuffix);
    const int index = static_cast<int>(i);
    if (index == vocab.attr_known || index == vocab.attr_sanctions) continue;
    std::vector<std::string>& known = s.known[static_cast<size_t>(f.object)];
    known.push_back(f.field);
    if (a.dated) known.push_back(f.effective_at);
  }
  std::vector<std::string>& account = s.known[static_cast<size_t>(s.account)];
  if (std::find(account.begin(), account.end(), "id") == account.end()) account.emplace_back("id");
  for (const char* f : {"links", "links_to", "reshare_of"}) {
    s.known[static_cast<size_t>(s.content)].emplace_back(f);
  }
  return s;
}

}  // namespace statemark
