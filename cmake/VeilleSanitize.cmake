# VL_SANITIZE="address,undefined" builds every target of ours with those sanitizers.
function(vl_sanitize t)
  if(VL_SANITIZE)
    target_compile_options(${t} PRIVATE -fsanitize=${VL_SANITIZE}
      -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${t} PRIVATE -fsanitize=${VL_SANITIZE})
  endif()
endfunction()
