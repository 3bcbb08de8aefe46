# cmake -P: `tinybert finetune` on a few sample examples, then `evaluate` on the saved folder and `predict` on new
# input; checks exit codes and the JSON printed. Then bad input: a missing file and an unknown task give exit 1/2
# and a message naming the problem, not a crash.
include(${CMAKE_CURRENT_LIST_DIR}/../support/cli_script.cmake)  # MODEL, run()
include(${CMAKE_CURRENT_LIST_DIR}/../support/task_inputs.cmake)  # task_inputs()
if(NOT EXISTS ${MODEL}/model.safetensors)
    message("SKIPPED: no all-MiniLM-L6-v2 checkpoint (run scripts/fetch_minilm.sh)")
    return()
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
task_inputs(${TASK})

file(WRITE ${WORK}/input.jsonl "${input}\n")
run(0 "\"train_examples\":16,.*\"eval_" ignored
    ${TINYBERT} finetune --task ${TASK} --model ${MODEL} --train ${train} --eval ${eval} --out ${WORK}/out
    --epochs 1 --batch-size 8 --max-train-examples 16 --max-eval-examples 8 --max-length 128 ${extra} --quiet)
foreach(f config.json model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json
          checkpoint/trainer_state.json checkpoint/optimizer.safetensors metrics.jsonl)
    if(NOT EXISTS ${WORK}/out/${f})
        message(FATAL_ERROR "finetune did not write ${f}")
    endif()
endforeach()
run(0 "${expect_eval}" ignored ${TINYBERT} evaluate --task ${TASK} --model ${WORK}/out --data ${eval} --max-examples 8
    --max-length 128 ${extra})
run(0 "${expect_pred}" ignored ${TINYBERT} predict --task ${TASK} --model ${WORK}/out --max-length 128 ${extra})
run(1 "no-such-file.*no such file" ignored ${TINYBERT} evaluate --task ${TASK} --model ${WORK}/out --data ${WORK}/no-such-file.json)
run(1 "--task must be classification, ner or qa" ignored ${TINYBERT} evaluate --task poetry --model ${WORK}/out --data ${eval})
