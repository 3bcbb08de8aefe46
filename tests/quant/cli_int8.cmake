# cmake -P: `tinybert quantize` and `--int8` end to end on the real all-MiniLM-L6-v2 (skips without it): a one-step
# fine-tune on data/samples, then the int8 folder; `evaluate --int8` / `predict --int8` on the float folder must print
# exactly what the int8 folder prints (quantising on load gives the same integers), and bad input is a clear error.
include(${CMAKE_CURRENT_LIST_DIR}/../support/cli_script.cmake)  # MODEL, run()
if(NOT EXISTS ${MODEL}/model.safetensors)
    message("SKIPPED: no all-MiniLM-L6-v2 checkpoint (run scripts/fetch_minilm.sh)")
    return()
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(train ${SAMPLES}/imdb/aclImdb/train)
set(eval ${SAMPLES}/imdb/aclImdb/test)
file(WRITE ${WORK}/input.jsonl "{\"text\": \"A wonderful, moving film.\"}\n{\"text\": \"Dull and far too long.\"}\n")

run(0 "\"train_examples\":8" ignored ${TINYBERT} finetune --task classification --model ${MODEL} --train ${train}
    --eval ${eval} --out ${WORK}/float --epochs 1 --batch-size 8 --max-train-examples 8 --max-eval-examples 8
    --max-length 64 --quiet)
run(0 "\"head\":\"BertForSequenceClassification\",\"quantized_weights\":36" ignored
    ${TINYBERT} quantize --model ${WORK}/float --out ${WORK}/int8)
foreach(f config.json model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json)
    if(NOT EXISTS ${WORK}/int8/${f})
        message(FATAL_ERROR "quantize did not write ${f}")
    endif()
endforeach()
file(READ ${WORK}/int8/config.json config)
if(NOT config MATCHES "\"quant_method\": \"tinybert_int8_dynamic\"")
    message(FATAL_ERROR "int8 config.json has no quantization_config marker:\n${config}")
endif()

set(eval_args evaluate --task classification --data ${eval} --max-examples 24 --max-length 64)
run(0 "\"accuracy\":" fp32 ${TINYBERT} ${eval_args} --model ${WORK}/float)
run(0 "int8: encoder linears in int8.*\"accuracy\":|\"accuracy\":.*int8: encoder linears in int8" on_load
    ${TINYBERT} ${eval_args} --model ${WORK}/float --int8)
run(0 "\"accuracy\":" folder ${TINYBERT} ${eval_args} --model ${WORK}/int8)
run(0 "\"accuracy\":" folder_flag ${TINYBERT} ${eval_args} --model ${WORK}/int8 --int8)
if(NOT on_load STREQUAL folder OR NOT folder STREQUAL folder_flag)
    message(FATAL_ERROR "evaluate --int8 on the float folder (${on_load}) differs from the int8 folder (${folder}, "
                        "with --int8: ${folder_flag})")
endif()

set(pred_args predict --task classification --max-length 64)
run(0 "\"label\":\"(neg|pos)\",\"score\":" pred_on_load ${TINYBERT} ${pred_args} --model ${WORK}/float --int8)
run(0 "\"label\":\"(neg|pos)\",\"score\":" pred_folder ${TINYBERT} ${pred_args} --model ${WORK}/int8)
if(NOT pred_on_load STREQUAL pred_folder)
    message(FATAL_ERROR "predict --int8 on the float folder differs from the int8 folder:\n${pred_on_load}\n${pred_folder}")
endif()

# bad input
run(1 "--out must differ from --model" ignored ${TINYBERT} quantize --model ${WORK}/int8 --out ${WORK}/int8)
run(1 "--int8 takes no value" ignored ${TINYBERT} ${eval_args} --model ${WORK}/int8 --int8 yes)
file(MAKE_DIRECTORY ${WORK}/truncated)
file(COPY ${WORK}/int8/config.json ${WORK}/int8/vocab.txt ${WORK}/int8/tokenizer_config.json
     ${WORK}/int8/special_tokens_map.json DESTINATION ${WORK}/truncated)
# the first megabyte of the weights only
execute_process(COMMAND head -c 1000000 ${WORK}/int8/model.safetensors OUTPUT_FILE ${WORK}/truncated/model.safetensors)
run(1 "model.safetensors.*truncated" ignored ${TINYBERT} ${eval_args} --model ${WORK}/truncated)
file(REMOVE_RECURSE ${WORK})
