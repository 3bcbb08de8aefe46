// apps/tinybert/serve/service.hpp: the model side of `tinybert serve`: the loaded model and tokenizer, the token
// count of an input (for the batcher's budget, on the request thread), and the batch function the batcher's worker
// runs. The results are those of `tinybert predict` (same library calls); classification and embed inputs of a batch
// share one padded forward, ner and qa inputs run one by one as predict runs them.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "../cmd_predict.hpp"
#include "request.hpp"
#include "tinybert/quant/model.hpp"
#include "tinybert/tasks/embed.hpp"

namespace tinybert::cli::serve {

struct ServiceOptions {
    std::string model_dir;
    ServeTask task = ServeTask::embed;
    std::size_t max_length = 256;
    std::size_t doc_stride = 128;  // qa windows, as `tinybert predict --doc-stride`
    bool int8 = false;             // quantise the encoder's linears on load (`--int8`; an int8 folder is int8 anyway)
};

// The model type that serves task K with a model of Family (config.json's model_type, nn/auto.hpp).
template <ServeTask K, class Family = BertFamily>
using ServeModel = EncoderModel<Family, Encoder<dynamic>,
                                std::conditional_t<K == ServeTask::classification, SequenceClassification,
                                std::conditional_t<K == ServeTask::ner, TokenClassification,
                                std::conditional_t<K == ServeTask::qa, QuestionAnswering, NoHead>>>>;

template <ServeTask K, class Family = BertFamily>
class Service {
public:
    using Model = ServeModel<K, Family>;

    explicit Service(ServiceOptions o)
        : opts_(std::move(o)),
          tok_(Tokenizer::from_pretrained(opts_.model_dir)),
          model_(Model::from_pretrained(opts_.model_dir)),
          pooling_(K == ServeTask::embed ? pooling_of(opts_.model_dir) : Pooling::mean) {
        if (opts_.int8) quantize_dynamic(model_);
        model_.eval();  // eval mode: the forward only reads the model (docs/reliability.md, "Thread safety")
    }

    // Tokens of the input's (first) window: its share of the batch's padded size. Tokenizes on the calling thread.
    std::size_t tokens(const Input& in) const {
        const EncodeOptions o{.max_length = opts_.max_length, .truncation = Truncation::longest_first};
        if (K == ServeTask::qa) return tok_.encode_pair(in.question, in.context, o).front().size();
        return (in.pre_split ? tok_.encode_words(in.words, o) : tok_.encode(in.text, o)).front().size();
    }

    // One result per input (the batcher's run function; worker thread only).
    std::vector<json::Value> run(const std::vector<Input>& inputs) {
        std::vector<json::Value> out;
        if constexpr (K == ServeTask::classification) {
            for (const ClassPrediction& p : classify(model_, tok_, texts(inputs), opts_.max_length, inputs.size()))
                out.emplace_back(json::Array{json::Object{{"label", p.label_name}, {"score", p.score}}});
        } else if constexpr (K == ServeTask::embed) {
            auto es = embed(model_, tok_, texts(inputs), opts_.max_length, false, pooling_, inputs.size());
            for (std::size_t i = 0; i < es.size(); ++i) {
                if (inputs[i].normalize) l2_normalize(es[i]);
                out.emplace_back(json::Array(es[i].begin(), es[i].end()));
            }
        } else if constexpr (K == ServeTask::ner) {
            for (const Input& in : inputs)
                out.push_back(cli::detail::entities_json(in.pre_split
                                                             ? find_entities(model_, tok_, in.words, opts_.max_length)
                                                             : find_entities(model_, tok_, in.text, opts_.max_length)));
        } else {
            for (const Input& in : inputs) {
                const QaAnswer a = answer_question(model_, tok_, in.question, in.context,
                                                   {.max_length = opts_.max_length, .doc_stride = opts_.doc_stride});
                out.emplace_back(json::Object{{"answer", a.text},
                                              {"start", static_cast<std::int64_t>(a.start)},
                                              {"end", static_cast<std::int64_t>(a.end)},
                                              {"score", a.score}});
            }
        }
        return out;
    }

    // GET /info (batching settings are added by the HTTP layer).
    json::Object info() const {
        json::Array labels;
        if (K == ServeTask::classification || K == ServeTask::ner)
            for (const auto& l : model_.config().id2label) labels.emplace_back(l);
        json::Object o{{"model", opts_.model_dir},
                       {"task", serve_task_name(K)},
                       {"labels", json::Value(std::move(labels))},
                       {"max_length", static_cast<std::int64_t>(opts_.max_length)},
                       {"hidden_size", static_cast<std::int64_t>(model_.config().hidden_size)},
                       {"int8", is_quantized(model_)}};
        if (K == ServeTask::qa) o.emplace_back("doc_stride", static_cast<std::int64_t>(opts_.doc_stride));
        if (K == ServeTask::embed) o.emplace_back("pooling", pooling_name(pooling_));
        return o;
    }

    const ServiceOptions& options() const { return opts_; }

private:
    static std::vector<std::string> texts(const std::vector<Input>& inputs) {
        std::vector<std::string> t;
        for (const Input& in : inputs) t.push_back(in.text);
        return t;
    }

    ServiceOptions opts_;
    Tokenizer tok_;
    Model model_;
    Pooling pooling_;
};

}  // namespace tinybert::cli::serve
