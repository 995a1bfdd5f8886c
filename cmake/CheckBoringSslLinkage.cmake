# ctest script (tls-boringssl/linkage): BINARY must load BoringSSL's libssl
# and libcrypto from BORINGSSL_LIBDIR and neither OpenSSL's libssl.so.3 /
# libcrypto.so.3 nor any gRPC library, directly or through a dependency (the
# two TLS libraries take over each other's symbols in one process).
# Usage: cmake -DBINARY=<file> -DBORINGSSL_LIBDIR=<dir> -P CheckBoringSslLinkage.cmake
execute_process(COMMAND ldd ${BINARY} OUTPUT_VARIABLE loaded ERROR_VARIABLE error
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "ldd ${BINARY} failed: ${error}")
endif()
foreach(library libssl.so.0 libcrypto.so.0)
  if(NOT loaded MATCHES "${library} => ${BORINGSSL_LIBDIR}/${library}")
    message(FATAL_ERROR "${BINARY} does not load ${library} from ${BORINGSSL_LIBDIR}:\n${loaded}")
  endif()
endforeach()
foreach(forbidden "libssl\\.so\\.3" "libcrypto\\.so\\.3" "libgrpc" "libprotobuf")
  if(loaded MATCHES "${forbidden}")
    message(FATAL_ERROR "${BINARY} loads ${forbidden} next to BoringSSL:\n${loaded}")
  endif()
endforeach()
message(STATUS "${BINARY}: BoringSSL only")
