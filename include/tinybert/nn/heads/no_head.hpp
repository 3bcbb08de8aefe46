// tinybert/nn/heads/no_head.hpp: the bare BertModel (no task head): last_hidden_state and pooler_output.
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/module.hpp"

namespace tinybert {

struct NoHead {
    static constexpr bool has_pooler = true;
    static constexpr const char* architecture = "BertModel";

    template <class T, class D>
    struct Output {
        Var<T, D> last_hidden_state;  // (B,S,H)
        Var<T, D> pooler_output;      // (B,H)
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
