// Counts heap allocations made by the calling thread, so `statemark bench` can report
// allocations per decision. The binary replaces the global operator new for this;
// the cost is one thread-local increment per allocation.
#ifndef STATEMARK_CLI_ALLOCATION_COUNTER_H_
#define STATEMARK_CLI_ALLOCATION_COUNTER_H_

namespace statemark::cli {

long ThreadAllocations();

}  // namespace statemark::cli

#endif  // STATEMARK_CLI_ALLOCATION_COUNTER_H_
