// tinybert/nn/batch.hpp: the tensors of one model call, as Hugging Face models take them: int64 inputs and class
// labels, float32 labels for regression and multi-label classification (as transformers' collator makes them).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

template <class Device = Cpu>
struct Batch {
    Tensor<std::int64_t, Device> input_ids;       // (B,S)
    Tensor<std::int64_t, Device> attention_mask;  // (B,S) 1 = real token; undefined = all ones
    Tensor<std::int64_t, Device> token_type_ids;  // (B,S); undefined = all zeros
    Tensor<std::int64_t, Device> labels;          // (B) class ids or (B,S) tags with -100; undefined = no loss
    Tensor<std::int64_t, Device> start_positions, end_positions;  // (B) QA answer tokens; undefined = no loss
    // (B) regression targets or (B,C) multi-hot multi-label targets; undefined = none. Defined instead of `labels`:
    // float labels are what makes transformers pick multi_label_classification when problem_type is null.
    Tensor<float, Device> float_labels{};

    std::int64_t batch_size() const { return input_ids.shape().dim(0); }
    std::int64_t seq_len() const { return input_ids.shape().dim(1); }
};

// How many terms the loss of a host batch averages: its labelled tokens for token labels (-100 is ignored), else its
// examples (class, regression and multi-label targets, QA spans). Data parallelism weighs each process's loss by it,
// so that the update of N processes is that of one process on the whole global batch (trainer.hpp).
inline std::int64_t loss_items(const Batch<Cpu>& b) {
    if (!b.labels.defined() || b.labels.rank() != 2) return b.batch_size();
    const std::int64_t* y = b.labels.data();
    return static_cast<std::int64_t>(std::count_if(y, y + b.labels.numel(), [](std::int64_t v) { return v != -100; }));
}

// A host batch (the data loader's) on Device: the same batch for Cpu, each defined tensor copied otherwise.
template <class Device>
Batch<Device> to_device(const Batch<Cpu>& b) {
    if constexpr (std::is_same_v<Device, Cpu>) {
        return b;
    } else {
        const auto move = []<class V>(const Tensor<V, Cpu>& t) {
            return t.defined() ? t.template to<Device>() : Tensor<V, Device>();
        };
        return {move(b.input_ids),       move(b.attention_mask), move(b.token_type_ids), move(b.labels),
                move(b.start_positions), move(b.end_positions),  move(b.float_labels)};
    }
}

}  // namespace tinybert
