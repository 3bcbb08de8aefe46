# TINYBERT_SANITIZE_ADDRESS / TINYBERT_SANITIZE_UNDEFINED apply to every target built in this tree.
set(_tinybert_san "")
if(TINYBERT_SANITIZE_ADDRESS)
    list(APPEND _tinybert_san address)
endif()
if(TINYBERT_SANITIZE_UNDEFINED)
    list(APPEND _tinybert_san undefined)
endif()
if(_tinybert_san)
    list(JOIN _tinybert_san "," _tinybert_san_list)
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_tinybert_san_list}>
                        $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>
                        $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
    add_link_options(-fsanitize=${_tinybert_san_list})
endif()
