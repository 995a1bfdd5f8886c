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
