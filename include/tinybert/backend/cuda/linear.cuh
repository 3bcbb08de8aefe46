// tinybert/backend/cuda/linear.cuh: fully connected layer (nn.Linear) on the GPU: cuBLAS GEMMs + bias kernels, or
// with TINYBERT_CUDA_GEMM=lt the forward's bias in the GEMM's epilogue (cublaslt.cuh).
// Shapes: N = rows of the input (B*S for activations), IN/OUT features; W is stored [OUT, IN] as Hugging Face does.
// Backward accumulates (+=) into whichever gradients are non-null.
#pragma once

#include "tinybert/backend/cuda/cublas.cuh"
#include "tinybert/backend/cuda/cublaslt.cuh"
#include "tinybert/backend/cuda/reduce.cuh"
#include "tinybert/tensor/tensor16.hpp"

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

namespace detail {

// out (N,OUT) rows = bias, when bias is defined; returns the beta with which the GEMM then adds its product
template <class T>
T broadcast_bias(Tensor<T, Device>& out, const Tensor<T, Device>& bias) {
    if (!bias.defined()) return T{0};
    const std::int64_t n = out.shape().rows(), out_features = out.shape().back();
    broadcast_rows_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(
        out.data(), bias.data(), static_cast<std::size_t>(n), static_cast<std::size_t>(out_features));
    TINYBERT_CUDA_CHECK_LAUNCH();
    return T{1};
}

// The elements of a float tensor, for to_16bit_column_sum
struct Elements {
    const float* x;
    __device__ float operator()(std::size_t at) const { return x[at]; }
};

// The shapes of a linear layer: out (N,OUT), inp (N,IN), weight (OUT,IN), bias (OUT) when defined
template <class T>
void check_linear(const Shape& out, const Shape& inp, const Shape& weight, const Tensor<T, Device>& bias) {
    TINYBERT_CHECK(weight.back() == inp.back() && out.rows() == inp.rows() && out.back() == weight.dim(0),
                   "cuda::linear_forward: out ", out.str(), ", inp ", inp.str(), ", weight ", weight.str());
    TINYBERT_CHECK(!bias.defined() || static_cast<std::int64_t>(bias.numel()) == out.back(),
                   "cuda::linear_forward: bias ", bias.shape().str(), " for out ", out.str());
}

}  // namespace detail

// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
template <class T>
void linear_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                    const Tensor<T, Device>& bias) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    detail::check_linear(out.shape(), inp.shape(), weight.shape(), bias);
    if constexpr (std::is_same_v<T, float>) {
        if (bias.defined() && detail::lt::wanted() && !is_16bit(matmul_precision()) &&
            lt_linear_bias(out.data(), inp.data(), weight.data(), bias.data(), inp.shape().rows(), inp.shape().back(),
                           weight.shape().dim(0), CUDA_R_32F, gemm_traits<float>::compute()))
            return;
    }
    const T beta = detail::broadcast_bias(out, bias);
    gemm(out.data(), inp.data(), weight.data(), 1, inp.shape().rows(), weight.shape().dim(0), inp.shape().back(), false,
         true, T{1}, beta);
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

// The bf16/fp16 layer: the same products with the 16-bit operands made once by to_16bit (the forward's input and
// weight, kept for backward, and the output gradient), so no GEMM converts its inputs again.
// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
inline void linear_forward(Tensor<float, Device>& out, const Tensor16<Device>& inp, const Tensor16<Device>& weight,
                           const Tensor<float, Device>& bias) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_linear(out.shape(), inp.shape(), weight.shape(), bias);
    if (bias.defined() && detail::lt::wanted() &&
        lt_linear_bias(out.data(), inp.bits.data(), weight.bits.data(), bias.data(), inp.shape().rows(),
                       inp.shape().back(), weight.shape().dim(0), inp.half ? CUDA_R_16F : CUDA_R_16BF,
                       CUBLAS_COMPUTE_32F))
        return;
    const float beta = detail::broadcast_bias(out, bias);
    gemm16(out.data(), inp.bits.data(), weight.bits.data(), 1, inp.shape().rows(), weight.shape().dim(0),
           inp.shape().back(), false, true, inp.half, 1.f, beta);
}

// dinp (N,IN) += dout16·W;  dweight (OUT,IN) += dout16ᵀ·inp: the bf16/fp16 backward's GEMMs, from an output gradient
// already rounded to 16 bits
inline void linear_backward_gemms(Tensor<float, Device>* dinp, Tensor<float, Device>* dweight,
                                  const Tensor16<Device>& dout16, const Tensor16<Device>& inp,
                                  const Tensor16<Device>& weight) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), out_features = weight.shape().dim(0);
    TINYBERT_CHECK(dout16.shape().rows() == n && dout16.shape().back() == out_features, "cuda::linear_backward: dout ",
                   dout16.shape().str(), " for weight ", weight.shape().str());
    const std::uint16_t* d = dout16.bits.data();
    if (dinp) gemm16(dinp->data(), d, weight.bits.data(), 1, n, in, out_features, false, false, inp.half, 1.f, 1.f);
    if (dweight) gemm16(dweight->data(), d, inp.bits.data(), 1, out_features, in, n, true, false, inp.half, 1.f, 1.f);
}

// dinp (N,IN) += dout16·W;  dweight (OUT,IN) += dout16ᵀ·inp;  dbias (OUT) += Σ_rows dout (the float gradient), with
// dout16 = dout rounded to 16 bits once for both GEMMs (only when one of them is wanted); with a bias gradient, the
// rounding and the column sums' first pass are one kernel (one read of dout where there were two).
inline void linear_backward(Tensor<float, Device>* dinp, Tensor<float, Device>* dweight, Tensor<float, Device>* dbias,
                            const Tensor<float, Device>& dout, const Tensor16<Device>& inp,
                            const Tensor16<Device>& weight) {
    TINYBERT_NVTX_RANGE_FN();
    TINYBERT_CHECK(dout.shape().rows() == inp.shape().rows() && dout.shape().back() == weight.shape().dim(0),
                   "cuda::linear_backward: dout ", dout.shape().str(), " for weight ", weight.shape().str());
    if (!dinp && !dweight) {
        if (dbias)
            column_sum_accumulate(dbias->data(), dout.data(), static_cast<std::size_t>(dout.shape().rows()),
                                  static_cast<std::size_t>(dout.shape().back()));
        return;
    }
    linear_backward_gemms(dinp, dweight,
                          dbias ? to_16bit_column_sum(dout.shape(), inp.half, dbias, detail::Elements{dout.data()})
                                : to_16bit(dout, inp.half),
                          inp, weight);
}

}  // namespace tinybert::cuda
