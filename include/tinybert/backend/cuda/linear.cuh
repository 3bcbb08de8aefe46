// tinybert/backend/cuda/linear.cuh: fully connected layer (nn.Linear) on the GPU: cuBLAS GEMMs + bias kernels.
// Shapes: N = rows of the input (B*S for activations), IN/OUT features; W is stored [OUT, IN] as Hugging Face does.
// Backward accumulates (+=) into whichever gradients are non-null.
#pragma once

#include "tinybert/backend/cuda/cublas.cuh"
#include "tinybert/backend/cuda/reduce.cuh"

namespace tinybert::cuda {

namespace detail {

// out (N,C) row i = bias (C)
template <class T>
__global__ void broadcast_rows_kernel(T* __restrict__ out, const T* __restrict__ bias, std::size_t rows,
                                      std::size_t cols) {
    const std::size_t idx = global_index();
    if (idx < rows * cols) out[idx] = bias[idx % cols];
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
template <class T>
void linear_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                    const Tensor<T, Device>& bias) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), out_features = weight.shape().dim(0);
    TINYBERT_CHECK(weight.shape().back() == in && out.shape().rows() == n && out.shape().back() == out_features,
                   "cuda::linear_forward: out ", out.shape().str(), ", inp ", inp.shape().str(), ", weight ",
                   weight.shape().str());
    T beta = 0;
    if (bias.defined()) {
        TINYBERT_CHECK(static_cast<std::int64_t>(bias.numel()) == out_features, "cuda::linear_forward: bias ",
                       bias.shape().str());
        detail::broadcast_rows_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(
            out.data(), bias.data(), static_cast<std::size_t>(n), static_cast<std::size_t>(out_features));
        TINYBERT_CUDA_CHECK_LAUNCH();
        beta = 1;
    }
    gemm(out.data(), inp.data(), weight.data(), 1, n, out_features, in, false, true, T{1}, beta);
}

// dinp (N,IN) += dout·W;  dweight (OUT,IN) += doutᵀ·inp;  dbias (OUT) += Σ_rows dout
template <class T>
void linear_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                     const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), out_features = weight.shape().dim(0);
    TINYBERT_CHECK(dout.shape().rows() == n && dout.shape().back() == out_features, "cuda::linear_backward: dout ",
                   dout.shape().str(), " for weight ", weight.shape().str());
    if (dinp) gemm(dinp->data(), dout.data(), weight.data(), 1, n, in, out_features, false, false, T{1}, T{1});
    if (dweight) gemm(dweight->data(), dout.data(), inp.data(), 1, out_features, in, n, true, false, T{1}, T{1});
    if (dbias)
        column_sum_accumulate(dbias->data(), dout.data(), static_cast<std::size_t>(n),
                              static_cast<std::size_t>(out_features));
}

}  // namespace tinybert::cuda
