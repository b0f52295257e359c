# Benchmarks: the hand-written default policy (the baseline the decision tree is
# measured against), its agreement test, and the HTTP load generator. Included from
# the top-level CMakeLists.txt after the main targets.
add_library(statemark_handwritten STATIC ${CMAKE_CURRENT_LIST_DIR}/handwritten_policy.cc)
target_compile_options(statemark_handwritten PRIVATE ${STATEMARK_WARNINGS})
target_link_libraries(statemark_handwritten PUBLIC statemark_engine)
target_link_libraries(statemark PRIVATE statemark_handwritten)
target_sources(statemark_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/handwritten_policy_test.cc)
target_link_libraries(statemark_tests PRIVATE statemark_handwritten)

# statemark-bench: request files, JSON throughput, and HTTP load (scripts/bench.sh).
find_package(simdjson CONFIG QUIET)
add_executable(statemark-bench ${CMAKE_CURRENT_LIST_DIR}/bench_main.cc
  ${CMAKE_CURRENT_LIST_DIR}/request_files.cc ${CMAKE_CURRENT_LIST_DIR}/json_throughput.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_load.cc ${CMAKE_CURRENT_LIST_DIR}/report.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/cli/policy_loading.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/cli/allocation_counter.cc)
target_compile_options(statemark-bench PRIVATE ${STATEMARK_WARNINGS})
target_link_libraries(statemark-bench PRIVATE statemark_handwritten statemark_server)
# `statemark-bench yaml`: the YAML readers side by side (docs/decisions.md).
target_sources(statemark-bench PRIVATE ${CMAKE_CURRENT_LIST_DIR}/yaml_parsers.cc)
target_link_libraries(statemark-bench PRIVATE yaml-cpp PkgConfig::LIBYAML)
if(simdjson_FOUND)
  # Optional: measured as a parser alternative only (docs/benchmarks.md).
  target_compile_definitions(statemark-bench PRIVATE STATEMARK_HAVE_SIMDJSON)
  target_link_libraries(statemark-bench PRIVATE simdjson::simdjson)
endif()

# A short run of every benchmark (a few seconds), so that none of them rots.
add_test(NAME bench_smoke
         COMMAND env STATEMARK_BENCH_QUICK=1 STATEMARK_BUILD_DIR=${CMAKE_BINARY_DIR}
                 bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/bench.sh ${CMAKE_BINARY_DIR}/bench-smoke)
