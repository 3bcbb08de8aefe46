# cmake -P: the same commands as for BERT on a folder of another family (FAMILY: roberta, xlm-roberta, distilbert,
# electra): `tinybert finetune` for each task on a few data/samples examples, `evaluate` and `predict` on the saved
# folder, and `tokenize`. The folder is a tiny random base model (tests/fixtures/families/<family>, made by
# tools/make_family_folders.py) plus its tokenizer (byte-level BPE, Unigram or WordPiece) and the tokenizer_config.json
# of the family's checkpoints (RoBERTa, XLM-R and DistilBERT models take no token types); the numbers are those of
# an untrained model, the test proves the flow: heads created for the family, checkpoints saved with its classes and
# tokenizer files, reloaded and run. Math parity with transformers is the parity:<family>:* tests.
# PRECISION (optional: tf32, bf16 or fp16) runs every command with --precision PRECISION (the CPU's emulation of the
# GPU's GEMM rounding, core/precision.hpp); an fp16 finetune must log its loss scale in metrics.jsonl.
include(${CMAKE_CURRENT_LIST_DIR}/../support/cli_script.cmake)  # run()
include(${CMAKE_CURRENT_LIST_DIR}/../support/task_inputs.cmake)  # task_inputs()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/model)
file(COPY ${FIXTURES}/families/${FAMILY}/config.json ${FIXTURES}/families/${FAMILY}/model.safetensors
     DESTINATION ${WORK}/model)
if(FAMILY STREQUAL "roberta")
    set(tokenizer ${FIXTURES}/tokenizer/bpe)
    set(class Roberta)
elseif(FAMILY STREQUAL "xlm-roberta")
    set(tokenizer ${FIXTURES}/tokenizer/unigram)
    set(class XLMRoberta)
elseif(FAMILY STREQUAL "distilbert")
    set(tokenizer ${FIXTURES}/families/wordpiece)
    set(class DistilBert)
else()
    set(tokenizer ${FIXTURES}/families/wordpiece)
    set(class Electra)
endif()
file(GLOB tokenizer_files ${tokenizer}/*.json ${tokenizer}/*.txt)
list(FILTER tokenizer_files EXCLUDE REGEX "conformance")
file(COPY ${tokenizer_files} DESTINATION ${WORK}/model)
# the family's class, over the tokenizer's own file (COPY_FILE: file(COPY) skips files of equal timestamps, as a fresh
# checkout makes them)
file(COPY_FILE ${FIXTURES}/families/${FAMILY}/tokenizer_config.json ${WORK}/model/tokenizer_config.json)

set(precision)
if(DEFINED PRECISION)
    set(precision --precision ${PRECISION})
endif()
file(WRITE ${WORK}/input.jsonl "{\"text\": \"A wonderful, moving film.\"}\n")
run(0 "\"input_ids\":\\[" ignored ${TINYBERT} tokenize --model ${WORK}/model)

foreach(task classification ner qa)
    task_inputs(${task})
    file(WRITE ${WORK}/input.jsonl "${input}\n")
    set(out ${WORK}/${task})
    run(0 "\"train_examples\":16,.*\"eval_" ignored
        ${TINYBERT} finetune --task ${task} --model ${WORK}/model --train ${train} --eval ${eval} --out ${out}
        --epochs 1 --batch-size 8 --max-train-examples 16 --max-eval-examples 8 --max-length 96 ${extra} --quiet
        --logging-steps 1 ${precision})
    file(READ ${out}/metrics.jsonl log)
    if(PRECISION STREQUAL "fp16" AND NOT log MATCHES "\"loss_scale\":")
        message(FATAL_ERROR "an fp16 finetune logged no loss_scale: ${log}")
    elseif(NOT PRECISION STREQUAL "fp16" AND log MATCHES "loss_scale")
        message(FATAL_ERROR "a finetune without fp16 logged a loss scale: ${log}")
    endif()
    file(READ ${out}/config.json config)
    string(JSON arch GET "${config}" architectures 0)
    string(JSON model_type GET "${config}" model_type)
    if(NOT arch STREQUAL "${class}${head}" OR NOT model_type STREQUAL FAMILY)
        message(FATAL_ERROR "finetune saved ${arch} (model_type ${model_type}), expected ${class}${head} (${FAMILY})")
    endif()
    foreach(f ${tokenizer_files})
        get_filename_component(name ${f} NAME)
        if(name MATCHES "^(tokenizer.json|vocab.txt)$" AND NOT EXISTS ${out}/${name})
            message(FATAL_ERROR "finetune did not save the tokenizer's ${name}")
        endif()
    endforeach()
    run(0 "${expect_eval}" ignored ${TINYBERT} evaluate --task ${task} --model ${out} --data ${eval} --max-examples 8
        --max-length 96 ${extra} ${precision})
    run(0 "${expect_pred}" ignored ${TINYBERT} predict --task ${task} --model ${out} --max-length 96 ${extra}
        ${precision})
endforeach()
