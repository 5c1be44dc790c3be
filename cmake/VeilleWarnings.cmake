# One warnings list for the whole project (STYLE.md §9).
set(VL_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wformat=2 -Wwrite-strings -Wvla -Wcast-qual -Wundef)

function(vl_warnings t)
  target_compile_options(${t} PRIVATE ${VL_WARNING_FLAGS})
  if(VL_WERROR)
    target_compile_options(${t} PRIVATE -Werror)
  endif()
endfunction()
