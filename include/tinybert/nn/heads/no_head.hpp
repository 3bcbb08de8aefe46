// tinybert/nn/heads/no_head.hpp: the bare base model (BertModel, RobertaModel, …; no task head): last_hidden_state
// and, for the families that have a pooler (BERT, RoBERTa), pooler_output.
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/module.hpp"

namespace tinybert {

struct NoHead {
    static constexpr bool has_pooler = true;
    static constexpr const char* architecture = "BertModel";
    static constexpr const char* suffix = "Model";  // the class name after the family's: RobertaModel

    template <class T, class D>
    struct Output {
        Var<T, D> last_hidden_state;  // (B,S,H)
        Var<T, D> pooler_output;      // (B,H), undefined for families without a pooler
    };

    template <class T, class D>
    struct Layer {
        explicit Layer(const BertConfig&) {}
        template <class F>
        void visit(const std::string&, F&&) {}
        Output<T, D> forward(const Var<T, D>& hidden, const Var<T, D>& pooled, const Batch<D>&,
                             const ForwardContext&) const {
            return {hidden, pooled};
        }
    };
};

}  // namespace tinybert
