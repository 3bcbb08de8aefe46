// tinybert/backend/cuda/attention.cuh: multi-head scaled dot-product attention on the GPU (the core of
// BertSelfAttention, after the Q/K/V projections and before the output dense layer).
// Shapes: q, k, v, ctx (B,S,H); mask_add (B,S) additive key mask ((1−m)·lowest()); probs (B,NH,S,S) saved for backward
// (softmax output before dropout); head h uses features h·HD … h·HD+HD−1, HD = H/NH.
// Heads are split into contiguous (B,NH,S,HD) copies so each product is one strided-batched cuBLAS GEMM over (b,h);
// the forward keeps those copies (in 16 bits under bf16/fp16) for backward in AttentionSaved, instead of q, k and v.
// The attention-probability dropout uses counters offset + flat index of (b,h,i,j), as on the CPU.
// With TINYBERT_CUDA_ATTENTION=flash a bf16/fp16 attention of head size 32 or 64 runs flash_attention.cuh instead:
// no P in memory, its backward recomputes P from saved row statistics.
#pragma once

#include <cmath>
#include <type_traits>

#include "tinybert/backend/cuda/cublas.cuh"
#include "tinybert/backend/cuda/dropout.cuh"
#include "tinybert/backend/cuda/flash_attention.cuh"
#include "tinybert/backend/cuda/softmax.cuh"

namespace tinybert::cuda {

namespace detail {

// dst (B,NH,S,HD) = src (B,S,H) split into heads; one thread per element of src
template <class T>
__global__ void split_heads_kernel(T* __restrict__ dst, const T* __restrict__ src, std::size_t b_count, std::size_t s,
                                   std::size_t nh, std::size_t hd) {
    const std::size_t idx = global_index();
    const std::size_t h = nh * hd;
    if (idx >= b_count * s * h) return;
    const std::size_t b = idx / (s * h), si = (idx / h) % s, head = (idx % h) / hd, d = idx % hd;
    dst[((b * nh + head) * s + si) * hd + d] = src[idx];
}

// dst (B,S,H) (+)= src (B,NH,S,HD) with heads concatenated; one thread per element of dst
template <class T>
__global__ void merge_heads_kernel(T* __restrict__ dst, const T* __restrict__ src, std::size_t b_count, std::size_t s,
                                   std::size_t nh, std::size_t hd, bool accumulate) {
    const std::size_t idx = global_index();
    const std::size_t h = nh * hd;
    if (idx >= b_count * s * h) return;
    const std::size_t b = idx / (s * h), si = (idx / h) % s, head = (idx % h) / hd, d = idx % hd;
    const T value = src[((b * nh + head) * s + si) * hd + d];
    dst[idx] = accumulate ? dst[idx] + value : value;
}

// probs row (b,h,i) (S) = softmax(scores row + mask_add[b,:]), in place; one warp per row. mask_add may be null.
template <class T>
__global__ void attention_softmax_kernel(T* probs, const T* __restrict__ mask_add, std::size_t rows,
                                         std::size_t rows_per_batch, std::size_t s) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(softmax_rows_per_block) + threadIdx.x / warp_size;
    if (row >= rows) return;
    const T* add = mask_add ? mask_add + (row / rows_per_batch) * s : nullptr;
    warp_softmax_row(probs + row * s, probs + row * s, add, s, threadIdx.x % warp_size);
}

// In place on one row of dP (B,NH,S,S): g = dP' ⊙ dropout factor (the gradient w.r.t. the softmax output P), then
// dscores = P ⊙ (g − Σ_j P_j·g_j). One warp per row; the factor is 1 when p == 0.
template <class T>
__global__ void attention_softmax_backward_kernel(T* dp, const T* __restrict__ probs, std::size_t rows, std::size_t s,
                                                  double p, T scale, std::uint64_t seed, std::uint64_t offset) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(softmax_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    T* g = dp + row * s;
    const T* y = probs + row * s;
    T dot{};
    for (std::size_t j = lane; j < s; j += warp_size) {
        const T gj = p > 0 ? g[j] * dropout_factor(seed, offset + row * s + j, p, scale) : g[j];
        g[j] = gj;
        dot += y[j] * gj;
    }
    dot = warp_sum(dot);
    for (std::size_t j = lane; j < s; j += warp_size) g[j] = y[j] * (g[j] - dot);
}

struct AttentionDims {
    std::size_t b, s, h, nh, hd;
    std::size_t heads_numel() const { return b * s * h; }
    std::size_t probs_rows() const { return b * nh * s; }
};

template <class T>
AttentionDims attention_dims(const Tensor<T, Device>& q, const Tensor<T, Device>& k, const Tensor<T, Device>& v,
                             int num_heads) {
    TINYBERT_CHECK(q.rank() == 3, "cuda::attention: q must be (B,S,H), got ", q.shape().str());
    check_same_shape(q, k, "cuda::attention (q vs k)");
    check_same_shape(q, v, "cuda::attention (q vs v)");
    const auto b = static_cast<std::size_t>(q.dim(0)), s = static_cast<std::size_t>(q.dim(1)),
               h = static_cast<std::size_t>(q.dim(2));
    TINYBERT_CHECK(num_heads > 0 && h % static_cast<std::size_t>(num_heads) == 0, "cuda::attention: hidden size ", h,
                   " is not a multiple of num_heads ", num_heads);
    const auto nh = static_cast<std::size_t>(num_heads);
    return {b, s, h, nh, h / nh};
}

template <class T>
void split_heads(T* dst, const T* src, const AttentionDims& d) {
    split_heads_kernel<<<grid_for(d.heads_numel()), block_size, 0, current_stream()>>>(dst, src, d.b, d.s, d.nh, d.hd);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

template <class T>
void merge_heads(T* dst, const T* src, const AttentionDims& d, bool accumulate) {
    merge_heads_kernel<<<grid_for(d.heads_numel()), block_size, 0, current_stream()>>>(dst, src, d.b, d.s, d.nh, d.hd,
                                                                                       accumulate);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// One GEMM operand of the attention: T data, or its 16-bit copy when the GEMMs are bf16/fp16 (then `wide` is empty).
template <class T>
struct Operand {
    Tensor<T, Device> wide;
    Tensor16<Device> narrow;
};

// t as an operand: itself (a handle, no copy), or rounded once to 16 bits when `narrow`
template <class T>
Operand<T> operand(const Tensor<T, Device>& t, bool narrow, bool half) {
    if constexpr (std::is_same_v<T, float>)
        if (narrow) return {{}, to_16bit(t, half)};
    return {t, {}};
}

// src (B,S,H) split into heads (B·NH,S,HD), as an operand
template <class T>
Operand<T> split_operand(const Tensor<T, Device>& src, const AttentionDims& d, bool narrow, bool half) {
    auto heads = Tensor<T, Device>::empty(
        {static_cast<std::int64_t>(d.b * d.nh), static_cast<std::int64_t>(d.s), static_cast<std::int64_t>(d.hd)});
    split_heads(heads.data(), src.data(), d);
    return operand(heads, narrow, half);
}

// C[i] (M,N) = alpha·op(A[i])·op(B[i]) + beta·C[i] over the batch (cublas.cuh's gemm or gemm16)
template <class T>
void gemm(T* c, const Operand<T>& a, const Operand<T>& b, std::int64_t batch, std::int64_t m, std::int64_t n,
          std::int64_t k, bool trans_a, bool trans_b, T alpha, T beta) {
    if constexpr (std::is_same_v<T, float>) {
        if (a.narrow.bits.defined())
            return gemm16(c, a.narrow.bits.data(), b.narrow.bits.data(), batch, m, n, k, trans_a, trans_b,
                          a.narrow.half, alpha, beta);
    }
    cuda::gemm(c, a.wide.data(), b.wide.data(), batch, m, n, k, trans_a, trans_b, alpha, beta);
}

// dropout(P) (B,NH,S,S) with the forward's counters, as an operand (P itself when p == 0)
template <class T>
Operand<T> dropped_operand(const Tensor<T, Device>& probs, const DropoutMask& mask, bool narrow, bool half) {
    if (mask.p == 0) return operand(probs, narrow, half);
    auto dropped = Tensor<T, Device>::empty(probs.shape());  // every element written below
    dropout_forward_raw(dropped.data(), probs.data(), probs.numel(), mask.p, mask.seed, mask.offset);
    return operand(dropped, narrow, half);
}

}  // namespace detail

// What attention_backward reads: the softmax output and the heads of Q, K and V, split (B·NH,S,HD) and, in a
// bf16/fp16 precision, already in 16 bits (half the bytes of the float q, k, v, which the forward does not keep).
// Under flash attention (flash_attention.cuh) there is no P: the softmax statistics, the 16-bit output and the mask
// instead.
template <class T>
struct AttentionSaved {
    Tensor<T, Device> probs;  // (B,NH,S,S) softmax before dropout (empty under flash attention)
    detail::Operand<T> q_heads, k_heads, v_heads;
    detail::AttentionDims dims{};
    bool narrow = false, half = false;  // 16-bit GEMMs (IEEE half when `half`, else bf16)
    bool flash = false;
    FlashSaved flash_saved;
    Tensor<T, Device> mask_add;  // (B,S), what the flash backward adds to the scores again
};

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// probs (B,NH,S,S) = softmax(Q·Kᵀ/√HD + mask_add[b, key]) per head;  ctx (B,S,H) = dropout(probs)·V, heads
// concatenated. Float GEMMs follow the matmul precision: in bf16/fp16 the heads and dropout(P) are rounded to 16 bits
// once.
template <class T>
AttentionSaved<T> attention_forward(Tensor<T, Device>& ctx, const Tensor<T, Device>& q, const Tensor<T, Device>& k,
                                    const Tensor<T, Device>& v, const Tensor<T, Device>& mask_add, int num_heads,
                                    const DropoutMask& mask) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const auto d = detail::attention_dims(q, k, v, num_heads);
    check_same_shape(ctx, q, "cuda::attention_forward (ctx)");
    TINYBERT_CHECK(!mask_add.defined() || mask_add.numel() == d.b * d.s, "cuda::attention_forward: mask_add ",
                   mask_add.shape().str(), " is not (B,S)");
    detail::check_counter_mask(mask, "cuda::attention_forward");
    const Precision p = matmul_precision();
    AttentionSaved<T> saved;
    saved.dims = d;
    saved.narrow = std::is_same_v<T, float> && is_16bit(p);
    saved.half = p == Precision::fp16;
    const auto b = static_cast<std::int64_t>(d.b), nh = static_cast<std::int64_t>(d.nh),
               s = static_cast<std::int64_t>(d.s), hd = static_cast<std::int64_t>(d.hd);
    if (d.heads_numel() == 0) {
        saved.probs = Tensor<T, Device>::empty({b, nh, s, s});
        return saved;
    }
    saved.q_heads = detail::split_operand(q, d, saved.narrow, saved.half);
    saved.k_heads = detail::split_operand(k, d, saved.narrow, saved.half);
    saved.v_heads = detail::split_operand(v, d, saved.narrow, saved.half);
    if constexpr (std::is_same_v<T, float>) {
        if (saved.narrow && detail::flash::wanted(d.hd)) {
            saved.flash = true;
            saved.mask_add = mask_add;
            saved.flash_saved = flash_attention_forward(ctx, saved.q_heads.narrow, saved.k_heads.narrow,
                                                        saved.v_heads.narrow, mask_add, d.b, d.nh, mask);
            return saved;
        }
    }
    saved.probs = Tensor<T, Device>::empty({b, nh, s, s});
    // scores (B·NH,S,S) = Q·Kᵀ/√HD, written straight into probs, then the masked softmax in place
    const T scale = T(1) / std::sqrt(static_cast<T>(d.hd));
    detail::gemm(saved.probs.data(), saved.q_heads, saved.k_heads, b * nh, s, s, hd, false, true, scale, T{0});
    detail::attention_softmax_kernel<<<grid_for(d.probs_rows(), detail::softmax_rows_per_block), block_size, 0,
                                       current_stream()>>>(
        saved.probs.data(), mask_add.defined() ? mask_add.data() : nullptr, d.probs_rows(), d.nh * d.s, d.s);
    TINYBERT_CUDA_CHECK_LAUNCH();
    // ctx heads (B·NH,S,HD) = dropout(P)·V
    const auto pv = detail::dropped_operand(saved.probs, mask, saved.narrow, saved.half);
    auto ctxh = Tensor<T, Device>::empty({b * nh, s, hd});
    detail::gemm(ctxh.data(), pv, saved.v_heads, b * nh, s, hd, s, false, false, T{1}, T{0});
    detail::merge_heads(ctx.data(), ctxh.data(), d, false);
    return saved;
}

// With P' = dropout(P), dP' = dctx·Vᵀ, dS = P ⊙ (dP − Σ P·dP) where dP = dP' ⊙ keep/(1−p):
//   dv += P'ᵀ·dctx;  dq += dS·K/√HD;  dk += dSᵀ·Q/√HD   (per head; accumulated into the non-null gradients)
// In a bf16/fp16 forward, dctx, P' and dS are rounded to 16 bits once for the GEMMs that read them.
template <class T>
void attention_backward(Tensor<T, Device>* dq, Tensor<T, Device>* dk, Tensor<T, Device>* dv,
                        const Tensor<T, Device>& dctx, const AttentionSaved<T>& saved, const DropoutMask& mask) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const detail::AttentionDims& d = saved.dims;
    TINYBERT_CHECK(dctx.rank() == 3 && dctx.numel() == d.heads_numel() && static_cast<std::size_t>(dctx.dim(2)) == d.h,
                   "cuda::attention_backward: dctx ", dctx.shape().str(), " does not match the forward's (B,S,H)");
    for (const Tensor<T, Device>* g : {dq, dk, dv})
        if (g) check_same_shape(*g, dctx, "cuda::attention_backward (gradient)");
    detail::check_counter_mask(mask, "cuda::attention_backward");
    if (d.heads_numel() == 0 || (!dq && !dk && !dv)) return;
    const auto bnh = static_cast<std::int64_t>(d.b * d.nh), s = static_cast<std::int64_t>(d.s),
               hd = static_cast<std::int64_t>(d.hd);
    const auto dc = detail::split_operand(dctx, d, saved.narrow, saved.half);
    if constexpr (std::is_same_v<T, float>) {
        if (saved.flash)
            return flash_attention_backward(dq, dk, dv, dc.narrow, saved.flash_saved, saved.q_heads.narrow,
                                            saved.k_heads.narrow, saved.v_heads.narrow, saved.mask_add, d.b, d.nh,
                                            mask);
    }
    auto dhead = Tensor<T, Device>::empty({bnh, s, hd});  // each GEMM below overwrites it (beta = 0)
    if (dv) {
        // dV (B·NH,S,HD) = P'ᵀ · dctx
        const auto pv = detail::dropped_operand(saved.probs, mask, saved.narrow, saved.half);
        detail::gemm(dhead.data(), pv, dc, bnh, s, hd, s, true, false, T{1}, T{0});
        detail::merge_heads(dv->data(), dhead.data(), d, true);
    }
    if (!dq && !dk) return;
    // dP' (B·NH,S,S) = dctx · Vᵀ, then dscores = softmax backward of the dropout backward, in place
    auto dscores = Tensor<T, Device>::empty(saved.probs.shape());
    detail::gemm(dscores.data(), dc, saved.v_heads, bnh, s, s, hd, false, true, T{1}, T{0});
    detail::attention_softmax_backward_kernel<<<grid_for(d.probs_rows(), detail::softmax_rows_per_block), block_size, 0,
                                                current_stream()>>>(dscores.data(), saved.probs.data(), d.probs_rows(),
                                                                    d.s, mask.p, detail::dropout_scale<T>(mask.p),
                                                                    mask.seed, mask.offset);
    TINYBERT_CUDA_CHECK_LAUNCH();
    const auto ds = detail::operand(dscores, saved.narrow, saved.half);
    const T scale = T(1) / std::sqrt(static_cast<T>(d.hd));
    if (dq) {  // dQ = dS · K / √HD
        detail::gemm(dhead.data(), ds, saved.k_heads, bnh, s, hd, s, false, false, scale, T{0});
        detail::merge_heads(dq->data(), dhead.data(), d, true);
    }
    if (dk) {  // dK = dSᵀ · Q / √HD
        detail::gemm(dhead.data(), ds, saved.q_heads, bnh, s, hd, s, true, false, scale, T{0});
        detail::merge_heads(dk->data(), dhead.data(), d, true);
    }
}

}  // namespace tinybert::cuda
