// Request parser: JSON in, a resolved Request out, or an error that says where.
//
// Every value is checked against the policy's vocabulary: an unknown affiliation,
// topic or country code is an error with a did-you-mean, never a silent no-match. An
// attribute declared `open` accepts unknown values and reports them as warnings.
// Unknown fields are reported as warnings (with a suggestion) and ignored.
//
// Thread safety: pure; safe from any number of threads.
#ifndef STATEMARK_ENGINE_REQUEST_PARSER_H_
#define STATEMARK_ENGINE_REQUEST_PARSER_H_

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "engine/compiled_policy.h"
#include "engine/instant.h"
#include "engine/request.h"

namespace statemark {

struct RequestError {
  std::string code;     // `invalid_request`, `invalid_json`
  std::string message;  // one line, house style
  std::string path;     // JSON path of the offending value: `account.affiliation`, `items[3].viewer`
};

// Parses `json` (an object) into `out`. `now` is the clock used when the request has
// no `time`. `path_prefix` is prepended to error paths (`items[3]`). Returns false and
// fills `error` on failure.
bool ParseRequest(const CompiledPolicy& policy, const nlohmann::json& json, Instant now,
                  Request* out, RequestError* error, std::string_view path_prefix = "");

// As above, from JSON text; malformed JSON gives code `invalid_json`. Valid requests
// with nothing to warn about are read by the fast path (simd_request_parser.h), the
// rest by the parser of record over nlohmann/json; the results are the same.
bool ParseRequestText(const CompiledPolicy& policy, std::string_view text, Instant now,
                      Request* out, RequestError* error);

// ParseRequestText without the fast path: the parser of record alone. For tests and
// benchmarks that compare the two.
bool ParseRequestTextSlow(const CompiledPolicy& policy, std::string_view text, Instant now,
                          Request* out, RequestError* error);

// The message for JSON that does not parse, from the JSON library's exception text:
// "malformed JSON at line 1, column 5: ...". Bytes of invalid UTF-8 quoted from the
// input become U+FFFD, so the message can itself be sent as JSON.
std::string MalformedJsonMessage(const std::string& parser_what);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_REQUEST_PARSER_H_
