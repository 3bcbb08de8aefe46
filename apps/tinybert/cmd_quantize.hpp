// tinybert quantize --model DIR --out DIR2
// Writes an int8 copy of a model folder for CPU inference (docs/tasks.md, "int8 inference"): the encoder's linears as
// I8 weights with F32 per-channel scales, everything else F32, config.json marked (quant/checkpoint.hpp), the
// tokenizer, and sentence-transformers' pooling files when the folder has them. The head follows config.json's
// architectures (BertModel when none is known). `evaluate`, `predict` and `serve` load DIR2 as int8 without a flag.
// Prints {"out","head","quantized_weights","bytes","float_bytes"}.
#pragma once

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tasks.hpp"
#include "tinybert/quant/cpu_features.hpp"
#include "tinybert/quant/model.hpp"

namespace tinybert::cli {

namespace detail {

// The loaded model's int8 note on stderr: what ran and with how many activation bits.
template <class Model>
void print_int8_note(const Model& model, std::ostream& os) {
    if (!is_quantized(model)) return;
    os << "int8: encoder linears in int8 (" << quant::igemm_engine() << ", "
       << (quant::activation_qmax() == 255 ? "8" : "7") << "-bit activations)\n";
}

// --int8 of `evaluate` and `predict`, after loading: quantise a CPU model's encoder linears when asked, then say on
// `note` (when given) what runs. A GPU model is left alone (device_args.hpp refuses --int8 with --device cuda).
template <class Model>
void apply_int8(Model& model, bool int8, std::ostream* note) {
    if constexpr (Model::device_type::is_host) {
        if (int8) quantize_dynamic(model);
        if (note) print_int8_note(model, *note);
    }
}

// Copies `rel` from `from` to `to` (durably) when it exists: sentence-transformers' files that pick the pooling.
inline void copy_if_present(const std::filesystem::path& from, const std::filesystem::path& to,
                            const std::string& rel) {
    if (!std::filesystem::is_regular_file(from / rel)) return;
    tinybert::detail::create_directories_durable((to / rel).parent_path());
    const std::string text = json::read_file((from / rel).string());
    tinybert::detail::AtomicWriter f((to / rel).string());
    f.write(text.data(), text.size());
    f.commit();
}

template <class Model>
json::Object quantize_folder(const std::string& model_dir, const std::string& out_dir) {
    Model model = Model::from_pretrained(model_dir);
    quantize_dynamic(model);
    model.save_pretrained(out_dir);
    Tokenizer::from_pretrained(model_dir).save_pretrained(out_dir);
    for (const char* rel :
         {"modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"})
        copy_if_present(model_dir, out_dir, rel);
    const auto size = [](const std::filesystem::path& dir) {
        std::uintmax_t n = 0;
        for (const char* f : {"model.safetensors", "pytorch_model.bin"})
            if (std::filesystem::exists(dir / f)) n += std::filesystem::file_size(dir / f);
        return static_cast<std::int64_t>(n);
    };
    return {{"out", out_dir},
            {"head", model.architecture()},
            {"quantized_weights", static_cast<std::int64_t>(6 * model.encoder.layers.size())},
            {"bytes", size(out_dir)},
            {"float_bytes", size(model_dir)}};
}

}  // namespace detail

inline int run_quantize(int argc, char** argv) {
    Args args(argc, argv, "tinybert quantize --model DIR --out DIR");
    const std::string model_dir = args.required("--model"), out_dir = args.required("--out");
    args.finish();
    TINYBERT_CHECK(std::filesystem::weakly_canonical(model_dir) != std::filesystem::weakly_canonical(out_dir),
                   "--out must differ from --model (", out_dir, ")");
    const BertConfig c = BertConfig::from_file((std::filesystem::path(model_dir) / "config.json").string());
    const std::string arch = c.architectures.empty() ? "" : c.architectures.front();
    const auto is = [&](const char* suffix) { return std::string_view(arch).ends_with(suffix); };
    const auto quantize = [&]<class Head>() {
        return with_model<Head>(model_dir, [&]<class Model>(std::type_identity<Model>) {
            print_result(detail::quantize_folder<Model>(model_dir, out_dir));
            return 0;
        });
    };
    if (is(SequenceClassification::suffix)) return quantize.template operator()<SequenceClassification>();
    if (is(TokenClassification::suffix)) return quantize.template operator()<TokenClassification>();
    if (is(QuestionAnswering::suffix)) return quantize.template operator()<QuestionAnswering>();
    return quantize.template operator()<NoHead>();
}

}  // namespace tinybert::cli
