# Checks of the policy staff's tools on the default policy: its files are in the
# canonical layout (`statemark fmt --check`).
add_test(NAME default_policy_fmt
         COMMAND statemark fmt --check ${CMAKE_CURRENT_SOURCE_DIR}/rules)
add_test(NAME fmt_cli
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/fmt_cli_test.sh $<TARGET_FILE:statemark>)
# The JSON Schemas of schema/ against the default policy and broken copies of it
# (needs python3-yaml and python3-jsonschema, from scripts/install-deps.sh).
add_test(NAME schema
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/schema_test.py
                 ${CMAKE_CURRENT_SOURCE_DIR} $<TARGET_FILE:statemark>)
