# ctest entry "<prefix>test-names" (see portico_catch_tests in
# tests/CMakeLists.txt): fails when a test case of BINARY has a name that
# catch_discover_tests cannot register faithfully. A ';' is CMake's list
# separator: the case would become two ctest entries that match no test case
# and pass without running anything. A leading '-' reads as an option.
#   cmake -DBINARY=path/to/tests -P CheckCatchTestNames.cmake
execute_process(COMMAND "${BINARY}" --list-test-names-only
                OUTPUT_VARIABLE names RESULT_VARIABLE rc)
if(rc LESS 0 OR NOT names)
  message(FATAL_ERROR "${BINARY} --list-test-names-only failed (${rc})")
endif()
# Make ';' an ordinary character before splitting the output into lines.
string(REPLACE ";" "<semicolon>" names "${names}")
string(REPLACE "\n" ";" lines "${names}")
set(bad "")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  math(EXPR count "${count} + 1")
  if(line MATCHES "<semicolon>" OR line MATCHES "^-")
    string(APPEND bad "\n  ${line}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "test names that ctest would split or misread "
                      "(use ',' instead of ';', and no leading '-'):${bad}")
endif()
message(STATUS "${count} test names, all registrable")
