// tinybert/ops/dropout.hpp: differentiable inverted dropout (nn.Dropout): zero with probability p, scale survivors by
// 1/(1−p); the identity in evaluation. Saved for backward: only the (seed, offset) that regenerate the mask.
#pragma once

#include <cstdint>
#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/core/rng.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/dropout.cuh"
#endif

namespace tinybert {

// x (...) -> dropout(x) (...); returns x itself (nothing recorded) when !training or p == 0.
// requires: 0 <= p < 1; gen != nullptr when it applies (it reserves numel(x) counters of gen).
template <class T, class D>
Var<T, D> dropout(const Var<T, D>& x, std::type_identity_t<T> p, Generator* gen, bool training) {
    TINYBERT_CHECK(p >= T(0) && p < T(1), "dropout: probability ", p, " not in [0,1)");
    if (!training || p == T(0)) return x;
    TINYBERT_CHECK(gen != nullptr, "dropout: training with p = ", p, " needs a Generator");
    const std::uint64_t seed = gen->seed(), offset = gen->take(x.value().numel());
    auto y = Tensor<T, D>::empty(x.shape());
    dropout_forward(y, x.value(), T(p), seed, offset);
    Var<T, D> out = make_output(y, x);
    record_backward(out, [x, p, seed, offset](const Tensor<T, D>& dout) mutable {
        dropout_backward(x.grad_ptr(), dout, T(p), seed, offset);
    });
    return out;
}

}  // namespace tinybert
