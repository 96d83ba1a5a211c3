set(ECSSD_WARNINGS -Wall -Wextra -Wpedantic -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # The g++ build checks shadowing (clang has no -Wshadow=local); the sources
  # silence g++-only warnings with "#pragma GCC diagnostic", unknown to clang.
  list(APPEND ECSSD_WARNINGS -Wno-unknown-warning-option)
else()
  list(APPEND ECSSD_WARNINGS -Wshadow=local)
endif()
function(ecssd_warnings target)
  target_compile_options(${target} PRIVATE ${ECSSD_WARNINGS})
endfunction()
