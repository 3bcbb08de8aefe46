# Strict warnings for every target the project builds (consumers of the INTERFACE target are not affected).
# tinybert_warnings(target): -Wall -Wextra -Wconversion -Wold-style-cast -Wshadow ..., -Werror with TINYBERT_WERROR.
function(tinybert_warnings target)
    target_compile_options(${target} PRIVATE
        $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wold-style-cast -Wshadow
                                  -Wunused-parameter -Wnon-virtual-dtor>
        $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${TINYBERT_WERROR}>>:-Werror>
        $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${TINYBERT_WERROR}>>:-Werror=all-warnings -Xcompiler=-Wall,-Werror>)
endfunction()
