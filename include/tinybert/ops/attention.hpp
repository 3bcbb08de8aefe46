// tinybert/ops/attention.hpp: differentiable fused self-attention core of BertSelfAttention: per head,
// softmax(Q·Kᵀ/√HD + mask_add)·V with attention-probability dropout, heads split from and merged back into H.
// Saved for backward: q, k, v, the probabilities P (B,NH,S,S) before dropout, and the dropout (seed, offset).
#pragma once

#include <cstdint>
#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/attention.hpp"
#include "tinybert/core/rng.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/attention.cuh"
#endif

namespace tinybert {

// q, k, v (B,S,H); mask_add (B,S) added to the scores of every key (0 or lowest(), no gradient) -> context (B,S,H)
// Dropout on P applies iff gen != nullptr and dropout_p > 0; it reserves B·NH·S·S counters of gen.
template <class T, class D>
Var<T, D> attention(const Var<T, D>& q, const Var<T, D>& k, const Var<T, D>& v, const Tensor<T, D>& mask_add,
                    int num_heads, std::type_identity_t<T> dropout_p, Generator* gen) {
    const Shape& s = q.shape();
    TINYBERT_CHECK(s.rank() == 3 && k.shape() == s && v.shape() == s, "attention: q ", s.str(), ", k ",
                   k.shape().str(), ", v ", v.shape().str(), " must all be (B,S,H)");
    TINYBERT_CHECK(num_heads > 0 && s[2] % num_heads == 0, "attention: hidden size ", s[2],
                   " is not a multiple of num_heads ", num_heads);
    TINYBERT_CHECK(mask_add.shape() == Shape({s[0], s[1]}), "attention: mask ", mask_add.shape().str(),
                   " must be (B,S) = ", Shape({s[0], s[1]}).str());
    TINYBERT_CHECK(dropout_p >= T(0) && dropout_p < T(1), "attention: dropout probability ", dropout_p, " not in [0,1)");
    const bool drop = gen != nullptr && dropout_p > T(0);
    const T p = drop ? T(dropout_p) : T(0);
    auto ctx = Tensor<T, D>::empty(s), probs = Tensor<T, D>::empty(Shape{s[0], num_heads, s[1], s[1]});
    const std::uint64_t seed = drop ? gen->seed() : 0;
    const std::uint64_t offset = drop ? gen->take(probs.numel()) : 0;
    attention_forward(ctx, probs, q.value(), k.value(), v.value(), mask_add, num_heads, p, seed, offset);
    Var<T, D> out = make_output(ctx, q, k, v);
    record_backward(out, [q, k, v, probs, num_heads, p, seed, offset](const Tensor<T, D>& dout) mutable {
        attention_backward(q.grad_ptr(), k.grad_ptr(), v.grad_ptr(), dout, q.value(), k.value(), v.value(), probs,
                           num_heads, p, seed, offset);
    });
    return out;
}

}  // namespace tinybert
