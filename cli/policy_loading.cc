#include "cli/policy_loading.h"

#include <iostream>

#include "engine/compiler.h"
#include "engine/loader.h"

namespace statemark::cli {

std::shared_ptr<const CompiledPolicy> LoadAndCompile(const std::string& dir) {
  auto loaded = LoadPolicy(dir);
  std::cerr << RenderDiagnostics(loaded.diagnostics());
  if (!loaded.ok()) {
    std::cerr << loaded.diagnostics().error_count() << " error(s) in `" << dir << "`\n";
    return nullptr;
  }
  auto compiled = Compile(loaded.value());
  std::cerr << RenderDiagnostics(compiled.diagnostics());
  if (!compiled.ok()) return nullptr;
  return compiled.value();
}

std::optional<std::string> TakeFlag(Args* args, const std::string& name, bool* bad) {
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a == name) {
      if (i + 1 >= args->size()) {
        *bad = true;
        return std::nullopt;
      }
      std::string value = (*args)[i + 1];
      args->erase(args->begin() + static_cast<long>(i), args->begin() + static_cast<long>(i) + 2);
      return value;
    }
    if (a.rfind(name + "=", 0) == 0) {
      std::string value = a.substr(name.size() + 1);
      args->erase(args->begin() + static_cast<long>(i));
      return value;
    }
  }
  return std::nullopt;
}

bool TakeSwitch(Args* args, const std::string& name) {
  for (size_t i = 0; i < args->size(); ++i) {
    if ((*args)[i] == name) {
      args->erase(args->begin() + static_cast<long>(i));
      return true;
    }
  }
  return false;
}

}  // namespace statemark::cli
