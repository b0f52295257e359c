// Counts heap allocations made by the calling thread, so `statemark bench` can report
// allocations per decision. The binary replaces the global operator new for this;
// the cost is one thread-local increment per allocation.
//
// Builds configured with -DSTATEMARK_COUNT_ALLOCATIONS=OFF (the sanitizer builds, whose
// runtimes replace operator new themselves) count nothing: AllocationsCounted() is false
// there, ThreadAllocations() stays 0, and callers must report "not counted", never 0.
#ifndef STATEMARK_CLI_ALLOCATION_COUNTER_H_
#define STATEMARK_CLI_ALLOCATION_COUNTER_H_

namespace statemark::cli {

bool AllocationsCounted();
long ThreadAllocations();

}  // namespace statemark::cli

#endif  // STATEMARK_CLI_ALLOCATION_COUNTER_H_
