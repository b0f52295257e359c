# Tests of the policy tools on the default policy: lint must be clean, and the diff
# against a copy with one rule changed must match its golden output.
add_test(NAME default_policy_lint
         COMMAND statemark lint ${CMAKE_CURRENT_SOURCE_DIR}/rules)
add_test(NAME diff_golden
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/diff_golden_test.sh
                 $<TARGET_FILE:statemark> ${CMAKE_CURRENT_SOURCE_DIR})
