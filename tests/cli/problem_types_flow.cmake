# cmake -P: `tinybert finetune` → evaluate → predict for the multi_label_classification and regression problem types
# on the small fixtures tests/fixtures/datasets/{multi_label,regression} (JSONL train, CSV eval), with a tiny random
# DistilBERT folder (tests/fixtures/families/distilbert + the WordPiece vocab). Checks the problem type saved in
# config.json, the metrics printed, predict's output shape, --threshold, --class-weights and the errors of bad flags.
# Numbers are those of an untrained model; parity:multi_label / parity:regression prove the math.
include(${CMAKE_CURRENT_LIST_DIR}/../support/cli_script.cmake)  # run()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/model)
file(COPY ${FIXTURES}/families/distilbert/config.json ${FIXTURES}/families/distilbert/model.safetensors
          ${FIXTURES}/families/distilbert/tokenizer_config.json ${FIXTURES}/families/wordpiece/vocab.txt
     DESTINATION ${WORK}/model)
set(data ${FIXTURES}/datasets)

# expect_saved(dir problem_type n_labels): the config.json finetune saved in dir has them
function(expect_saved dir expected_problem expected_labels)
    file(READ ${dir}/config.json config)
    string(JSON problem GET "${config}" problem_type)
    string(JSON labels LENGTH "${config}" id2label)
    if(NOT problem STREQUAL expected_problem OR NOT labels EQUAL expected_labels)
        message(FATAL_ERROR "saved problem_type ${problem} with ${labels} labels, expected ${expected_problem}, "
                            "${expected_labels}")
    endif()
endfunction()
set(common --epochs 1 --batch-size 4 --max-length 32 --quiet)

# multi-label: lists in JSONL, '|' in CSV; problem type inferred from the file, saved in config.json
file(WRITE ${WORK}/input.jsonl "{\"text\": \"The minister praised the striker.\"}\n")
run(0 "\"problem_type\":\"multi_label_classification\",\"eval_f1_micro\":[0-9.e-]+,\"eval_f1_macro\":[0-9.e-]+,\"eval_subset_accuracy\":"
    ignored ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/multi_label/train.jsonl
    --eval ${data}/multi_label/eval.csv --out ${WORK}/ml ${common})
expect_saved(${WORK}/ml multi_label_classification 3)
run(0 "^{\"f1_micro\":[0-9.e-]+,\"f1_macro\":[0-9.e-]+,\"subset_accuracy\":[0-9.e-]+}" ignored
    ${TINYBERT} evaluate --task classification --model ${WORK}/ml --data ${data}/multi_label/eval.csv --max-length 32)
# every label's score; threshold 0 puts every label in "labels", threshold 1 none
run(0 "\"labels\":\\[\"politics\",\"sports\",\"tech\"\\],\"scores\":{\"politics\":[0-9.e-]+,\"sports\":[0-9.e-]+,\"tech\":[0-9.e-]+}"
    ignored ${TINYBERT} predict --task classification --model ${WORK}/ml --threshold 0)
run(0 "\"labels\":\\[\\],\"scores\":{" ignored ${TINYBERT} predict --task classification --model ${WORK}/ml --threshold 1)
run(1 "--threshold needs a number in \\[0, 1\\]" ignored
    ${TINYBERT} predict --task classification --model ${WORK}/ml --threshold 1.5)
run(1 "--class-weights are for single_label_classification" ignored
    ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/multi_label/train.jsonl
    --eval ${data}/multi_label/eval.csv --out ${WORK}/bad --class-weights 1,2,3 ${common})

# regression: numbers with a fraction; pairs; saved as one output "LABEL_0"
file(WRITE ${WORK}/input.jsonl "{\"text\": \"A man is singing.\", \"text_pair\": \"A man sings a song.\"}\n")
run(0 "\"problem_type\":\"regression\",\"eval_mse\":[0-9.e-]+,\"eval_mae\":[0-9.e-]+,\"eval_pearson\":.*,\"eval_spearman\":"
    ignored ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/regression/train.jsonl
    --eval ${data}/regression/eval.csv --out ${WORK}/reg ${common})
expect_saved(${WORK}/reg regression 1)
run(0 "^{\"mse\":[0-9.e-]+,\"mae\":[0-9.e-]+,\"pearson\":.*,\"spearman\":.*}" ignored
    ${TINYBERT} evaluate --task classification --model ${WORK}/reg --data ${data}/regression/eval.csv --max-length 32)
run(0 "\"text_pair\":\"A man sings a song.\",\"value\":-?[0-9.e-]+}" ignored
    ${TINYBERT} predict --task classification --model ${WORK}/reg)

# single-label with class weights (torch's weighted mean); a wrong count or an unknown problem type is an error
file(WRITE ${WORK}/input.jsonl "{\"text\": \"fine\"}\n")
run(0 "\"problem_type\":\"single_label_classification\",\"eval_accuracy\":" ignored
    ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/text.csv --eval ${data}/text.csv
    --out ${WORK}/cw --class-weights 1,2.5,0.5 ${common})
run(1 "class weights: 2 weights for 3 labels" ignored
    ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/text.csv --eval ${data}/text.csv
    --out ${WORK}/cw2 --class-weights 1,2 ${common})
run(1 "--problem-type: \"ranking\" is not a problem type" ignored
    ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/text.csv --eval ${data}/text.csv
    --out ${WORK}/pt --problem-type ranking ${common})
# --problem-type regression reads integer-looking CSV labels as numbers
run(0 "\"problem_type\":\"regression\",\"eval_mse\":" ignored
    ${TINYBERT} finetune --task classification --model ${WORK}/model --train ${data}/regression/eval.csv
    --eval ${data}/regression/eval.csv --out ${WORK}/reg2 --problem-type regression ${common})
