// RequestSchema: where each attribute of a vocabulary is read from in a request's JSON.
//
// The request parser needs, for every request, the objects a request may hold
// (`viewer`, `account`, `content`, `ad`, and the first part of every declared attribute
// but `request.*`), each attribute's object and field, and each object's known fields
// (for unknown-field warnings). They depend only on the vocabulary, so Compile() works
// them out once and the parser reads them without splitting a name or allocating.
//
// Thread safety: immutable once built.
#ifndef STATEMARK_ENGINE_REQUEST_SCHEMA_H_
#define STATEMARK_ENGINE_REQUEST_SCHEMA_H_

#include <string>
#include <string_view>
#include <vector>

namespace statemark {

struct Vocabulary;

struct RequestSchema {
  struct AttributeField {
    int object = -1;           // index into `objects`; -1 when not read from the JSON
    std::string field;         // `affiliation` for `account.affiliation`
    std::string effective_at;  // `<field>_effective_at`, for dated attributes
  };

  std::vector<std::string> objects;                // sorted
  std::vector<std::vector<std::string>> known;     // by object: the fields it may hold
  std::vector<std::string> top_level_candidates;   // objects, `request_id`, `time`
  std::vector<AttributeField> attributes;          // by attribute index
  int account = -1, content = -1, ad = -1;         // indexes into `objects`

  static RequestSchema Build(const Vocabulary& vocab);

  // Index of object `name`, or -1.
  int FindObject(std::string_view name) const;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_REQUEST_SCHEMA_H_
