// tinybert/nn/auto.hpp: the family of a checkpoint chosen at run time from config.json's model_type, for code that
// should run any supported encoder without naming its type (the CLI's commands, AutoModel-style C++):
//   tinybert::with_pretrained_family(dir, [&]<class F>(std::type_identity<F>) {
//       using Model = tinybert::EncoderModel<F, tinybert::Encoder<tinybert::dynamic>, tinybert::SequenceClassification>;
//       auto model = Model::from_pretrained(dir);
//       ...
//   });
// Every branch is instantiated, so f's result type must not depend on the family.
#pragma once

#include <filesystem>
#include <string>
#include <type_traits>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/nn/families/distilbert.hpp"
#include "tinybert/nn/families/electra.hpp"
#include "tinybert/nn/families/roberta.hpp"

namespace tinybert {

// f(std::type_identity<Family>{}) for the family that runs `model_type`; `source` names the config in the error for
// a model_type no family runs.
template <class F>
decltype(auto) with_family(const std::string& model_type, const std::string& source, F&& f) {
    if (BertFamily::accepts(model_type)) return f(std::type_identity<BertFamily>{});
    if (RobertaFamily::accepts(model_type)) return f(std::type_identity<RobertaFamily>{});
    if (DistilBertFamily::accepts(model_type)) return f(std::type_identity<DistilBertFamily>{});
    if (ElectraFamily::accepts(model_type)) return f(std::type_identity<ElectraFamily>{});
    TINYBERT_FAIL(source, ": model_type \"", model_type,
                  "\" is not supported; tinybert runs bert, roberta, xlm-roberta, distilbert and electra");
}

// The same for the checkpoint folder `dir` (its config.json is read and validated).
template <class F>
decltype(auto) with_pretrained_family(const std::string& dir, F&& f) {
    const std::string path = (std::filesystem::path(dir) / "config.json").string();
    return with_family(BertConfig::from_file(path).model_type, path, std::forward<F>(f));
}

}  // namespace tinybert
