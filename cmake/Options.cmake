# Build options shared by every Portico target.
option(PORTICO_BUILD_TESTS "Build unit and end-to-end tests" ON)
# Also build dataplane/tls/ and its unit tests against BoringSSL
# (portico_tls_boringssl, tls_tests_boringssl): a portability check that the
# TLS code uses only the API OpenSSL 3 and BoringSSL share. Needs Debian's
# android-libboringssl-dev; without it the targets are skipped with a status
# message (cmake/Dependencies.cmake). The binaries keep using OpenSSL 3.
option(PORTICO_BORINGSSL "Also build the TLS module and its tests against BoringSSL" ON)
set(PORTICO_SANITIZE "" CACHE STRING
    "Comma-separated sanitizers: address,undefined or thread (empty: none)")

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(PORTICO_SANITIZE)
  if(PORTICO_SANITIZE MATCHES "thread" AND PORTICO_SANITIZE MATCHES "address")
    message(FATAL_ERROR "PORTICO_SANITIZE: thread cannot be combined with address")
  endif()
  add_compile_options(-fsanitize=${PORTICO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${PORTICO_SANITIZE})
endif()

# Environment of every test (ctest sets it; e2e tests pass it on to the
# processes they start). Under ThreadSanitizer: suppress reports from inside
# Debian's uninstrumented gRPC/Abseil/protobuf (tests/tsan.supp), and fail
# the process on any other report.
set(PORTICO_TEST_ENVIRONMENT "")
if(PORTICO_SANITIZE MATCHES "thread")
  set(PORTICO_TEST_ENVIRONMENT
      "TSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/tsan.supp halt_on_error=1 exitcode=66")
endif()

# Warnings as errors on our own code only (generated and third-party code is
# compiled without them). Call on every first-party target.
# -Wrestrict is off: GCC 12 reports false positives inside std::string at -O3
# (GCC bug 105329).
function(portico_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# libFuzzer targets (fuzz/): clang only. Instruments every target for
# coverage and adds address+undefined sanitizers.
option(PORTICO_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)
if(PORTICO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PORTICO_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
