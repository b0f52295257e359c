#include "cli/allocation_counter.h"

#include <cstdlib>
#include <new>

// Set to 0 by the CMake option STATEMARK_COUNT_ALLOCATIONS=OFF (see the header).
#ifndef STATEMARK_COUNT_ALLOCATIONS
#define STATEMARK_COUNT_ALLOCATIONS 1
#endif

#if STATEMARK_COUNT_ALLOCATIONS

namespace {
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace statemark::cli {

bool AllocationsCounted() { return true; }
long ThreadAllocations() { return allocations; }

}  // namespace statemark::cli

#else  // operator new is the runtime's own: nothing is counted.

namespace statemark::cli {

bool AllocationsCounted() { return false; }
long ThreadAllocations() { return 0; }

}  // namespace statemark::cli

#endif
