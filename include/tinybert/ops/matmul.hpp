// tinybert/ops/matmul.hpp: differentiable batched matrix product, c = a·b or a·bᵀ (3-D batched, 2-D as batch 1).
// Saved for backward: a and b (shared references, no copies).
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/matmul.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/matmul.cuh"
#endif

namespace tinybert {

// a (BT,M,K), b (BT,K,N) [or (BT,N,K) when transpose_b] -> (BT,M,N); 2-D operands give (M,N)
template <class T, class D>
Var<T, D> matmul(const Var<T, D>& a, const Var<T, D>& b, bool transpose_b = false) {
    const Shape& as = a.shape();
    const Shape& bs = b.shape();
    TINYBERT_CHECK((as.rank() == 2 || as.rank() == 3) && as.rank() == bs.rank() && (as.rank() == 2 || as[0] == bs[0]) &&
                       as.dim(-1) == (transpose_b ? bs.dim(-1) : bs.dim(-2)),
                   "matmul: cannot multiply ", as.str(), " by ", bs.str(), transpose_b ? "ᵀ" : "");
    Tensor<T, D> y(as.with_last(transpose_b ? bs.dim(-2) : bs.dim(-1)));
    matmul_forward(y, a.value(), b.value(), transpose_b);
    Var<T, D> out = make_output(y, a, b);
    record_backward(out,
                    [ga = a.grad_ref(), gb = b.grad_ref(), av = a.value(), bv = b.value(), transpose_b](
                        const Tensor<T, D>& dout) { matmul_backward(ga.ptr(), gb.ptr(), dout, av, bv, transpose_b); });
    return out;
}

}  // namespace tinybert
