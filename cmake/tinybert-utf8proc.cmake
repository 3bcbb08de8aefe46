# Defines the imported target utf8proc::utf8proc (the Unicode library of the tokenizer) unless it exists already.
# Debian's libutf8proc-dev ships pkg-config data only, no CMake package. This is deliberately not a Find module:
# the installed tinybertConfig.cmake include()s it by path, so a consumer's CMAKE_MODULE_PATH is left unchanged and
# a consumer's own Findutf8proc.cmake is never shadowed. Leaves the target undefined when utf8proc is not found.
if(NOT TARGET utf8proc::utf8proc)
    find_path(TINYBERT_UTF8PROC_INCLUDE_DIR NAMES utf8proc.h)
    find_library(TINYBERT_UTF8PROC_LIBRARY NAMES utf8proc)
    mark_as_advanced(TINYBERT_UTF8PROC_INCLUDE_DIR TINYBERT_UTF8PROC_LIBRARY)
    if(TINYBERT_UTF8PROC_INCLUDE_DIR AND TINYBERT_UTF8PROC_LIBRARY)
        add_library(utf8proc::utf8proc UNKNOWN IMPORTED)
        set_target_properties(utf8proc::utf8proc PROPERTIES IMPORTED_LOCATION "${TINYBERT_UTF8PROC_LIBRARY}"
                                                            INTERFACE_INCLUDE_DIRECTORIES "${TINYBERT_UTF8PROC_INCLUDE_DIR}")
    endif()
endif()
