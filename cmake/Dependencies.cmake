# Every dependency comes from Debian bookworm packages; scripts/setup-deps.sh
# installs them. How each one is found is recorded in shared/reference/dependencies.md.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)            # FindProtobuf module: Debian ships no protobuf-config.cmake
find_package(gRPC CONFIG REQUIRED)         # needs protobuf-compiler-grpc installed
find_package(absl CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(RapidJSON CONFIG REQUIRED)    # sets RAPIDJSON_INCLUDE_DIRS only
find_package(yaml-cpp CONFIG REQUIRED)     # target: yaml-cpp
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(LIBUV   REQUIRED IMPORTED_TARGET libuv>=1.44)
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)
pkg_check_modules(BROTLI  REQUIRED IMPORTED_TARGET libbrotlienc libbrotlidec)
pkg_check_modules(RE2     REQUIRED IMPORTED_TARGET re2)

add_library(rapidjson INTERFACE)
target_include_directories(rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
target_compile_definitions(rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

# llhttp: Debian ships its C sources in node-llhttp, not as a library.
set(LLHTTP_SOURCE_DIR /usr/share/llhttp CACHE PATH "llhttp C sources")
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "llhttp header")
add_library(llhttp STATIC ${LLHTTP_SOURCE_DIR}/llhttp.c ${LLHTTP_SOURCE_DIR}/api.c
                          ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
target_compile_definitions(llhttp PUBLIC LLHTTP_STRICT_MODE=1)
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
target_compile_options(llhttp PRIVATE -w)

# BoringSSL (android-libboringssl-dev) for PORTICO_BORINGSSL: no .pc and no
# CMake config, so found by hand, and only in its own folders: its libssl and
# libcrypto share OpenSSL's file and symbol names. Only portico_tls_boringssl
# and tls_tests_boringssl link it, never next to OpenSSL or gRPC (the two
# libraries cannot share a process: shared/reference/dependencies.md).
set(PORTICO_WITH_BORINGSSL OFF)
if(PORTICO_BORINGSSL)
  set(BORINGSSL_LIBDIR /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android)
  find_path(BORINGSSL_INCLUDE_DIR openssl/base.h PATHS /usr/include/android NO_DEFAULT_PATH)
  find_library(BORINGSSL_SSL_LIBRARY ssl PATHS ${BORINGSSL_LIBDIR} NO_DEFAULT_PATH)
  find_library(BORINGSSL_CRYPTO_LIBRARY crypto PATHS ${BORINGSSL_LIBDIR} NO_DEFAULT_PATH)
  set(boringssl_headers_ok OFF)
  if(BORINGSSL_INCLUDE_DIR AND EXISTS ${BORINGSSL_INCLUDE_DIR}/openssl/base.h)
    file(STRINGS ${BORINGSSL_INCLUDE_DIR}/openssl/base.h boringssl_marker
         REGEX "^#define OPENSSL_IS_BORINGSSL")
    if(boringssl_marker)
      set(boringssl_headers_ok ON)
    endif()
  endif()
  if(boringssl_headers_ok AND BORINGSSL_SSL_LIBRARY AND BORINGSSL_CRYPTO_LIBRARY)
    add_library(boringssl::crypto SHARED IMPORTED)
    set_target_properties(boringssl::crypto PROPERTIES
      IMPORTED_LOCATION ${BORINGSSL_CRYPTO_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${BORINGSSL_INCLUDE_DIR})
    add_library(boringssl::ssl SHARED IMPORTED)
    set_target_properties(boringssl::ssl PROPERTIES
      IMPORTED_LOCATION ${BORINGSSL_SSL_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${BORINGSSL_INCLUDE_DIR}
      INTERFACE_LINK_LIBRARIES boringssl::crypto)
    set(PORTICO_WITH_BORINGSSL ON)
    message(STATUS "BoringSSL: ${BORINGSSL_SSL_LIBRARY} (tls_tests_boringssl is built)")
  else()
    message(STATUS "BoringSSL not found (install android-libboringssl-dev): "
                   "the BoringSSL build of the TLS tests is skipped")
  endif()
endif()
