# cmake -P: --device and --precision of finetune, evaluate and predict are checked before any file is read: an unknown
# device or precision, --int8 with a GPU or a lower precision, and --device cuda in a program built without CUDA (or,
# built with it, on a machine without a GPU) each exit 1 with a message saying so.
function(expect_error regex)
    execute_process(COMMAND ${TINYBERT} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc STREQUAL "1" OR NOT err MATCHES "${regex}")
        message(FATAL_ERROR "${ARGN}: exit ${rc} (expected 1), stderr: ${err} (expected to match '${regex}')")
    endif()
    message("${ARGN}: ${err}")
endfunction()
set(finetune finetune --task classification --model m --train t --eval e --out o)
expect_error("--device is cpu, cuda or cuda:N, got 'gpu'" ${finetune} --device gpu)
expect_error("--device cuda:N needs a device number" evaluate --task ner --model m --data d --device cuda:x)
expect_error("--precision is fp32, tf32, bf16 or fp16, got 'fp8'" ${finetune} --precision fp8)
expect_error("--int8 runs int8 GEMMs; leave out --precision bf16" evaluate --task ner --model m --data d --int8
             --precision bf16)
expect_error("--int8 is CPU inference" evaluate --task ner --model m --data d --int8 --device cuda)
expect_error("--dropout-stream torch draws the masks on the host" ${finetune} --device cuda --dropout-stream torch)
# no GPU here: either this program has no CUDA, or it has and finds no device; both before reading --model
expect_error("--device cuda:0: this tinybert was built without CUDA|cuda:0: no CUDA device is visible"
             ${finetune} --device cuda)
