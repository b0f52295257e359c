// SimdRequestParser: the request parser's fast path, over simdjson.
//
// It reads the requests that make up nearly all traffic, valid ones with nothing to
// warn about, into the same Request that the parser of record (request_parser.h, over
// nlohmann/json) produces, about ten times faster. Anything else it declines: invalid
// JSON, any error or warning, a key given twice in an object, escaped UTF-16
// surrogates (where JSON libraries differ). The caller then parses the same text with
// the parser of record, so every error message, path and warning is that parser's,
// byte for byte. tests/simd_request_parser_test.cc checks that the two agree.
//
// ParseRequestText() uses it first, so `statemark eval` and the single-decision
// endpoint go through it; a batch body is opened once and read item by item.
//
// Thread safety: one parser per thread. It keeps its buffers between calls, so after
// the first few requests it parses without allocating (the Request's own strings
// aside, which are reused too).
#ifndef STATEMARK_ENGINE_SIMD_REQUEST_PARSER_H_
#define STATEMARK_ENGINE_SIMD_REQUEST_PARSER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "engine/compiled_policy.h"
#include "engine/instant.h"
#include "engine/request.h"

namespace statemark {

class SimdRequestParser {
 public:
  SimdRequestParser();
  ~SimdRequestParser();
  SimdRequestParser(const SimdRequestParser&) = delete;
  SimdRequestParser& operator=(const SimdRequestParser&) = delete;

  // Reads the request in `text` into `out`. Returns false when it declines; `out` is
  // then unspecified and the caller must parse `text` with the parser of record.
  bool Parse(const CompiledPolicy& policy, std::string_view text, Instant now, Request* out);

  // A batch body `{..shared.., "items": [...]}` (see server/decide_handler.h). Returns
  // false when it declines the body as a whole: not JSON, arrays and objects nested
  // more than `max_depth` deep, not an object, `items` missing or not an array, a
  // top-level key twice, more than `max_items` items. So an opened body needs no
  // depth check of its own. The body must outlive the item reads.
  bool OpenBatch(std::string_view body, size_t max_items, int max_depth);
  size_t batch_size() const;
  // Reads item `index` of the opened batch, with the shared fields it does not set,
  // into `out`. Returns false when it declines the item; the caller then reads that
  // item with the parser of record.
  bool ParseItem(const CompiledPolicy& policy, size_t index, Instant now, Request* out);
  // Appends item `index` of the opened batch as a request of its own, on one line:
  // the item's members as written, then each shared member it does not set, as
  // written (`{"account":{"id":"rt"},"time":"2024-07-01T12:00:00Z"}`). Whitespace
  // outside strings is removed when the text has a line break. This is what the
  // decision log records: it reads as the same request ParseItem read, without
  // re-serialising it. REQUIRES: ParseItem(index) accepted the item.
  void AppendItemRequest(size_t index, std::string* out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_SIMD_REQUEST_PARSER_H_
