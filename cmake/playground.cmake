# The policy playground's page (server/playground/*), compiled into the server as byte
# arrays, so the binary serves it with nothing else installed and nothing fetched.
set(PLAYGROUND_DIR ${CMAKE_CURRENT_SOURCE_DIR}/server/playground)
set(PLAYGROUND_FILES index.html playground.css playground.js)
set(PLAYGROUND_GENERATED ${CMAKE_CURRENT_BINARY_DIR}/generated/playground_assets.cc)
string(REPLACE ";" "," PLAYGROUND_FILE_ARG "${PLAYGROUND_FILES}")
set(PLAYGROUND_INPUTS)
foreach(f ${PLAYGROUND_FILES})
  list(APPEND PLAYGROUND_INPUTS ${PLAYGROUND_DIR}/${f})
endforeach()
add_custom_command(
  OUTPUT ${PLAYGROUND_GENERATED}
  COMMAND ${CMAKE_COMMAND} -DASSET_DIR=${PLAYGROUND_DIR} -DASSET_FILES=${PLAYGROUND_FILE_ARG}
          -DOUT=${PLAYGROUND_GENERATED} -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
  DEPENDS ${PLAYGROUND_INPUTS} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
  COMMENT "Embedding the playground page"
  VERBATIM)
target_sources(statemark_server PRIVATE ${PLAYGROUND_GENERATED})
target_include_directories(statemark_server PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})

# End-to-end tests of the page in headless Chromium (tests/browser/README.md).
add_test(NAME browser
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/browser/run.sh
                 $<TARGET_FILE:statemark> ${CMAKE_CURRENT_SOURCE_DIR})
# The sanitizer builds (scripts/sanitize.sh) run the server several times slower.
set(BROWSER_TEST_TIMEOUT 300)
if(CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  set(BROWSER_TEST_TIMEOUT 1800)
endif()
set_tests_properties(browser PROPERTIES LABELS browser TIMEOUT ${BROWSER_TEST_TIMEOUT}
                     SKIP_RETURN_CODE 77)
