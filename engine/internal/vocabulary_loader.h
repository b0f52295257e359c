// Not API: use engine/loader.h.
//
// Builds the Vocabulary from the `vocabulary:` and `countries:` sections of a
// policy's YAML files. Each section may appear in one file only. Built-in attributes
// are added first, so declarations cannot shadow them.
#ifndef STATEMARK_ENGINE_INTERNAL_VOCABULARY_LOADER_H_
#define STATEMARK_ENGINE_INTERNAL_VOCABULARY_LOADER_H_

#include <vector>

#include "engine/internal/yaml_source.h"
#include "engine/vocabulary.h"

namespace statemark::internal {

// Problems are reported through each file's diagnostics. When `diags` of the result
// has errors the vocabulary is partial, but still usable for reporting rule errors.
void BuildVocabulary(const std::vector<YamlSource>& files, Diagnostics* diags, Vocabulary* vocab);

// Parses `{name}` placeholders; reports unknown ones against `at`.
Template ParseTemplate(const YamlSource& src, const DocNode& at, const std::string& text);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_VOCABULARY_LOADER_H_
