// tinybert/ops/attention.hpp: differentiable fused self-attention core of BertSelfAttention: per head,
// softmax(Q·Kᵀ/√HD + mask_add)·V with attention-probability dropout, heads split from and merged back into H.
// Saved for backward: what the device's attention_forward returns (AttentionSaved: the probabilities P (B,NH,S,S)
// before dropout and q, k, v, on the GPU as split heads, in 16 bits under bf16/fp16) and the DropoutMask.
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/attention.hpp"
#include "tinybert/core/rng.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/attention.cuh"
#endif

namespace tinybert {

// q, k, v (B,S,H); mask_add (B,S) added to the scores of every key (0 or lowest(), no gradient) -> context (B,S,H)
// Dropout on P applies iff gen != nullptr and dropout_p > 0; it takes the mask of B·NH·S·S elements from gen.
template <class T, class D>
Var<T, D> attention(const Var<T, D>& q, const Var<T, D>& k, const Var<T, D>& v, const Tensor<T, D>& mask_add,
                    int num_heads, double dropout_p, Generator* gen) {
    const Shape& s = q.shape();
    TINYBERT_CHECK(s.rank() == 3 && k.shape() == s && v.shape() == s, "attention: q ", s.str(), ", k ",
                   k.shape().str(), ", v ", v.shape().str(), " must all be (B,S,H)");
    TINYBERT_CHECK(num_heads > 0 && s[2] % num_heads == 0, "attention: hidden size ", s[2],
                   " is not a multiple of num_heads ", num_heads);
    TINYBERT_CHECK(mask_add.shape() == Shape({s[0], s[1]}), "attention: mask ", mask_add.shape().str(),
                   " must be (B,S) = ", Shape({s[0], s[1]}).str());
    TINYBERT_CHECK(dropout_p >= 0 && dropout_p < 1, "attention: dropout probability ", dropout_p, " not in [0,1)");
    auto ctx = Tensor<T, D>::empty(s);
    const auto probs_numel = static_cast<std::uint64_t>(s[0] * num_heads * s[1] * s[1]);
    const DropoutMask mask = gen != nullptr && dropout_p > 0 ? gen->mask(probs_numel, dropout_p) : DropoutMask{};
    auto saved = attention_forward(ctx, q.value(), k.value(), v.value(), mask_add, num_heads, mask);
    Var<T, D> out = make_output(ctx, q, k, v);
    record_backward(out, [gq = q.grad_ref(), gk = k.grad_ref(), gv = v.grad_ref(), saved = std::move(saved),
                          mask](const Tensor<T, D>& dout) {
        attention_backward(gq.ptr(), gk.ptr(), gv.ptr(), dout, saved, mask);
    });
    return out;
}

}  // namespace tinybert
