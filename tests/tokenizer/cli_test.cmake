# `tinybert tokenize` end to end: the output for tests/fixtures/tokenizer/cli_input.jsonl must equal Hugging Face's
# (cli_expected_*.jsonl, from tools/tokenizer/make_cli_fixture.py) byte for byte; a bad line must fail naming it.
# Run by ctest as: cmake -DTINYBERT=<binary> -DFIXTURES=<dir> -P cli_test.cmake
cmake_minimum_required(VERSION 3.20)
set(vocab ${FIXTURES}/tiny_vocab.txt)
set(runs
    "plain"
    "windows --max-length 14 --truncation longest_first --stride 2 --overflow --padding max_length"
    "longest --max-length 12 --truncation longest_first --padding longest")
foreach(run ${runs})
    separate_arguments(parts UNIX_COMMAND "${run}")
    list(POP_FRONT parts name)
    set(args ${parts})
    execute_process(COMMAND ${TINYBERT} tokenize --vocab ${vocab} ${args}
                    INPUT_FILE ${FIXTURES}/cli_input.jsonl OUTPUT_VARIABLE got ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "tokenize ${name}: exit ${rc}: ${err}")
    endif()
    file(READ ${FIXTURES}/cli_expected_${name}.jsonl want)
    if(NOT got STREQUAL want)
        message(FATAL_ERROR "tokenize ${name}: output differs from Hugging Face\n--- got\n${got}\n--- want\n${want}")
    endif()
endforeach()

set(bad ${CMAKE_CURRENT_BINARY_DIR}/tokenizer_cli_bad.jsonl)
file(WRITE ${bad} "{\"text\": \"fine\"}\n\n{\"text\": \"unterminated}\n")
execute_process(COMMAND ${TINYBERT} tokenize --vocab ${vocab} INPUT_FILE ${bad}
                OUTPUT_VARIABLE got ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "stdin line 3")
    message(FATAL_ERROR "a bad JSON line must fail naming line 3; exit ${rc}, stderr: ${err}")
endif()
file(WRITE ${bad} "{\"text\": \"a\"}\n{\"words\": \"not a list\"}\n")
execute_process(COMMAND ${TINYBERT} tokenize --vocab ${vocab} INPUT_FILE ${bad}
                OUTPUT_VARIABLE got ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "stdin line 2")
    message(FATAL_ERROR "a record of the wrong shape must fail naming line 2; exit ${rc}, stderr: ${err}")
endif()
file(REMOVE ${bad})
