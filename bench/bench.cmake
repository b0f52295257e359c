# Benchmarks: the hand-written default policy (the baseline the decision tree is
# measured against), its agreement test, and the HTTP load generator. Included from
# the top-level CMakeLists.txt after the main targets.
add_library(statemark_handwritten STATIC ${CMAKE_CURRENT_LIST_DIR}/handwritten_policy.cc)
target_compile_options(statemark_handwritten PRIVATE ${STATEMARK_WARNINGS})
target_link_libraries(statemark_handwritten PUBLIC statemark_engine)
target_link_libraries(statemark PRIVATE statemark_handwritten)
target_sources(statemark_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/handwritten_policy_test.cc)
target_link_libraries(statemark_tests PRIVATE statemark_handwritten)
