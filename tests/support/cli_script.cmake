# Included by the `cmake -P` end-to-end scripts of the tinybert program (tests/cli/cli_flow.cmake,
# tests/quant/cli_int8.cmake). Sets MODEL: the all-MiniLM-L6-v2 folder, TINYBERT_MINILM_DIR from the environment or
# else MODEL_DEFAULT (the caller skips when it holds no checkpoint). Defines run().
if(DEFINED ENV{TINYBERT_MINILM_DIR})
    set(MODEL $ENV{TINYBERT_MINILM_DIR})
else()
    set(MODEL ${MODEL_DEFAULT})
endif()

# run(expect_rc regex out_var command...): runs the command with WORK/input.jsonl on stdin, checks the exit code and
# that stdout+stderr match regex, prints both and puts stdout into out_var.
function(run expect_rc regex out_var)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                    INPUT_FILE ${WORK}/input.jsonl)
    if(NOT rc STREQUAL "${expect_rc}")
        message(FATAL_ERROR "exit ${rc} (expected ${expect_rc}): ${ARGN}\nstdout: ${out}\nstderr: ${err}")
    endif()
    if(NOT "${out}${err}" MATCHES "${regex}")
        message(FATAL_ERROR "output does not match '${regex}': ${ARGN}\nstdout: ${out}\nstderr: ${err}")
    endif()
    message("${out}${err}")
    set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
