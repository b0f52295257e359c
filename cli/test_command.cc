#include "cli/commands.h"
#include <iostream>
namespace statemark::cli {
int Test(const Args&) { std::cerr << "statemark test: not built yet\n"; return kExitFailed; }
int Explain(const Args&) { std::cerr << "statemark explain: not built yet\n"; return kExitFailed; }
}  // namespace statemark::cli
