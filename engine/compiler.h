// Compiler: turns a validated Policy into an immutable CompiledPolicy.
//
// Passes, in order (each named so it can be timed):
//   AssignSlots     give every attribute its place in the fact arrays
//   CompileClauses  one clause per rule `then` and per case, with its condition program
//   BuildTrees      one decision tree per subject kind, identical subtrees shared
//   HashTree        a canonical dump hashed into tree_hash
// The tree builder has a node budget; past it, the remaining leaves scan their clauses
// linearly and the compiler reports a warning rather than failing.
#ifndef STATEMARK_ENGINE_COMPILER_H_
#define STATEMARK_ENGINE_COMPILER_H_

#include <cstddef>
#include <memory>

#include "engine/compiled_policy.h"
#include "engine/policy.h"
#include "engine/status.h"

namespace statemark {

struct CompileOptions {
  // Most tree nodes before the builder stops splitting. Default: 2,000,000.
  size_t max_nodes = 2000000;
  // Most bytes of edge tables (a child per value, which saves the evaluator a load per
  // tree level). Nodes get one in breadth-first order from the roots while they fit;
  // the others keep only their class map. Default: 8 MB.
  size_t max_edge_bytes = size_t{8} << 20;
};

Result<std::shared_ptr<const CompiledPolicy>> Compile(std::shared_ptr<const Policy> policy,
                                                      const CompileOptions& options = {});

}  // namespace statemark

#endif  // STATEMARK_ENGINE_COMPILER_H_
