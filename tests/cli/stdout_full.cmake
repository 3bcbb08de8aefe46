# cmake -P: `tinybert tokenize` with stdout redirected to /dev/full (every write fails with ENOSPC, as on a full
# disk): the command must exit 1 and say that writing stdout failed, not exit 0 with a silently short output.
if(NOT EXISTS /dev/full)
    message("SKIPPED: no /dev/full on this system")
    return()
endif()
execute_process(COMMAND ${TINYBERT} tokenize --vocab ${FIXTURES}/tokenizer/tiny_vocab.txt
                INPUT_FILE ${FIXTURES}/tokenizer/cli_input.jsonl OUTPUT_FILE /dev/full
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc STREQUAL "1" OR NOT err MATCHES "tinybert tokenize: error: stdout: write failed")
    message(FATAL_ERROR "stdout on a full device: exit ${rc} (expected 1), stderr: ${err}")
endif()
# the same input to a regular file succeeds: the failure above is the device's
execute_process(COMMAND ${TINYBERT} tokenize --vocab ${FIXTURES}/tokenizer/tiny_vocab.txt
                INPUT_FILE ${FIXTURES}/tokenizer/cli_input.jsonl OUTPUT_FILE ${WORK}.jsonl
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "stdout to a file: exit ${rc}, stderr: ${err}")
endif()
