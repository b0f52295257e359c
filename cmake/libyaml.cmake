# libyaml's event parser reads policy files on the load path where it can vouch for the
# result (engine/internal/yaml_fast_reader.*); yaml-cpp remains the reference. Why:
# docs/decisions.md, figures in docs/benchmarks.md.
pkg_check_modules(LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1)
target_link_libraries(statemark_engine PRIVATE PkgConfig::LIBYAML)
