set(ECSSD_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
    -Wno-missing-field-initializers)
function(ecssd_warnings target)
  target_compile_options(${target} PRIVATE ${ECSSD_WARNINGS})
endfunction()
