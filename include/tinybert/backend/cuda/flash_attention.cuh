// tinybert/backend/cuda/flash_attention.cuh: attention without the S×S matrix in memory, for bf16/fp16 heads on
// tensor cores: FlashAttention-2's algorithm (Dao, 2023) written with WMMA 16×16×16 fragments and fp32 accumulation.
// The forward streams key tiles through shared memory with an online softmax and keeps per row only its maximum m
// and 1/l, l = Σ exp(score − m); the backward recomputes P = exp(score − m)/l tile by tile. (Not one logsumexp
// m + log l: in a fully masked row m ≈ lowest() absorbs log l, and P must stay 1/S there.) Same math as
// attention.cuh: scores = Q·Kᵀ/√HD + mask_add[b, key], the same dropout decisions (counter offset + flat index of
// (b,h,i,j) in P) applied to P before the product with V, a fully masked row uniform (its scores all ≈ lowest()).
// Rounding differs: P' is rounded to 16 bits before it is normalised, dS with the 1/√HD folded in.
// Shapes: heads (B·NH,S,HD) 16-bit, HD ∈ {32, 64}; mask_add (B,S); ctx and its gradient (B,S,H), H = NH·HD;
// row_max, row_inv_sum and D (B·NH·S). Blocks of 4 warps, each warp 16 rows; key/query tiles of 32 (Bc) and 64 (Br)
// rows. Needs sm_80 (bf16 WMMA): a kernel built for an older architecture traps instead of computing.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <type_traits>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/dropout.cuh"
#include "tinybert/core/rng.hpp"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cuda {

namespace detail {

namespace flash {

inline constexpr int warps = 4, threads = warps * warp_size;
inline constexpr int rows_per_warp = 16;                  // a WMMA fragment's rows
inline constexpr int block_rows = warps * rows_per_warp;  // Br: rows a block owns (queries forward, keys in dK/dV)
inline constexpr int tile = warp_size;                    // Bc: rows of the tiles streamed past them; lane = column

template <bool Half>
using Element = std::conditional_t<Half, __half, __nv_bfloat16>;

__device__ inline __nv_bfloat16 to_element(float x, __nv_bfloat16) {
    return __float2bfloat16_rn(x);
}
__device__ inline __half to_element(float x, __half) {
    return __float2half_rn(x);
}

// The keep factor of P element (row, key) of head bh: 1/(1−p) or 0 (dropout.cuh's decision), 1 when p == 0.
__device__ inline float keep_factor(double p, float scale, std::uint64_t seed, std::uint64_t offset, std::size_t bh,
                                    std::size_t s, std::size_t row, std::size_t key) {
    if (p <= 0) return 1.f;
    return random_uniform(seed, offset + (bh * s + row) * s + key) >= p ? scale : 0.f;
}

// dst (Rows,HD) = rows row0.. of head (S,HD); rows at or past S are zeros. All threads of the block, 16 bytes each.
template <class E, int HD, int Rows>
__device__ inline void load_rows(E* dst, const E* head, std::size_t row0, std::size_t s) {
    constexpr int per_vector = 16 / sizeof(E);
    const std::size_t valid = row0 < s ? (s - row0 < Rows ? s - row0 : Rows) * HD : 0;
    const auto* src = reinterpret_cast<const uint4*>(head + row0 * HD);
    auto* out = reinterpret_cast<uint4*>(dst);
    for (int t = static_cast<int>(threadIdx.x); t < Rows * HD / per_vector; t += static_cast<int>(blockDim.x))
        out[t] = static_cast<std::size_t>(t) * per_vector < valid ? src[t] : make_uint4(0, 0, 0, 0);
}

using namespace nvcuda;
template <class E>
using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 16, E, wmma::row_major>;
template <class E, class Layout>
using FragB = wmma::fragment<wmma::matrix_b, 16, 16, 16, E, Layout>;
using FragC = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

// out (16,32) fp32 (ld 32) = a (16,HD) · bᵀ, b (32,HD): both row-major in shared memory with ld HD
template <class E, int HD>
__device__ inline void product_abt(float* out, const E* a, const E* b) {
    for (int n = 0; n < tile / 16; ++n) {
        FragC acc;
        wmma::fill_fragment(acc, 0.f);
        for (int kk = 0; kk < HD / 16; ++kk) {
            FragA<E> fa;
            FragB<E, wmma::col_major> fb;  // bᵀ: column j of bᵀ is row j of b
            wmma::load_matrix_sync(fa, a + kk * 16, HD);
            wmma::load_matrix_sync(fb, b + n * 16 * HD + kk * 16, HD);
            wmma::mma_sync(acc, fa, fb, acc);
        }
        wmma::store_matrix_sync(out + n * 16, acc, tile, wmma::mem_row_major);
    }
}

// acc[nf] (16,16) += a (16,32) (ld 32) · b (32,HD) (ld HD) columns nf·16.., for every nf < HD/16
template <class E, int HD>
__device__ inline void accumulate_ab(FragC (&acc)[HD / 16], const E* a, const E* b) {
    for (int nf = 0; nf < HD / 16; ++nf)
        for (int kk = 0; kk < tile / 16; ++kk) {
            FragA<E> fa;
            FragB<E, wmma::row_major> fb;
            wmma::load_matrix_sync(fa, a + kk * 16, tile);
            wmma::load_matrix_sync(fb, b + kk * 16 * HD + nf * 16, HD);
            wmma::mma_sync(acc[nf], fa, fb, acc[nf]);
        }
}

// grad (B,S,H) of sequence b, positions row0.. (< S), columns col0.. (head h: h·HD) += the warp's 16 rows of acc
// (staged through `stage`, 16×HD floats of shared memory); nothing when grad is null
template <int HD>
__device__ inline void add_rows(float* grad, FragC (&acc)[HD / 16], float* stage, std::size_t b, std::size_t row0,
                                std::size_t s, std::size_t h_total, std::size_t col0, unsigned int lane) {
    if (!grad) return;
    for (int nf = 0; nf < HD / 16; ++nf) wmma::store_matrix_sync(stage + nf * 16, acc[nf], HD, wmma::mem_row_major);
    __syncwarp();
    for (int r = 0; r < rows_per_warp; ++r) {
        const std::size_t row = row0 + static_cast<std::size_t>(r);
        if (row >= s) break;
        for (unsigned int c = lane; c < static_cast<unsigned int>(HD); c += warp_size)
            grad[(b * s + row) * h_total + col0 + c] += stage[r * HD + static_cast<int>(c)];
    }
}

// The arguments every kernel shares.
struct Problem {
    std::size_t s = 0, nh = 0, h = 0;  // sequence length, heads, hidden size
    const float* mask_add = nullptr;   // (B,S) or null
    float softmax_scale = 1;           // 1/√HD
    double p = 0;                      // dropout probability on P
    float drop_scale = 1;              // 1/(1−p)
    std::uint64_t seed = 0, offset = 0;

    __device__ float mask(std::size_t b, std::size_t key) const { return mask_add ? mask_add[b * s + key] : 0.f; }
};

// Where a thread works: head bh = blockIdx.y of sequence b, its warp and lane, and the warp's first row (w0) in the
// block's 64-row tiles.
struct Place {
    std::size_t bh, b, head;
    unsigned int warp, lane;
    int w0;

    __device__ explicit Place(std::size_t nh)
        : bh(blockIdx.y),
          b(bh / nh),
          head(bh % nh),
          warp(threadIdx.x / warp_size),
          lane(threadIdx.x % warp_size),
          w0(static_cast<int>(warp) * rows_per_warp) {}
};

// Forward, one block per (64 query rows, head bh): ctx rows (B,S,H) = dropout(softmax(scores))·V, out16
// (B·NH,S,HD) the same in 16 bits, row_max and row_inv_sum (B·NH·S) of the softmax.
template <class E, int HD>
__global__ void __launch_bounds__(threads)
    forward_kernel(float* __restrict__ ctx, E* __restrict__ out16, float* __restrict__ row_max,
                   float* __restrict__ row_inv_sum, const E* __restrict__ q, const E* __restrict__ k,
                   const E* __restrict__ v, Problem pr) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ __align__(32) E q_s[block_rows * HD];
    __shared__ __align__(32) E k_s[tile * HD];
    __shared__ __align__(32) E v_s[tile * HD];
    __shared__ __align__(32) float s_s[block_rows * tile];
    __shared__ __align__(32) E p_s[block_rows * tile];
    __shared__ __align__(32) float o_s[block_rows * HD];
    __shared__ float m_s[block_rows], l_s[block_rows], alpha_s[block_rows];
    const Place place(pr.nh);
    const std::size_t bh = place.bh, b = place.b, head = place.head, s = pr.s;
    const std::size_t row0 = static_cast<std::size_t>(blockIdx.x) * block_rows;
    const unsigned int lane = place.lane;
    const int w0 = place.w0;
    const E* qh = q + bh * s * HD;
    const E* kh = k + bh * s * HD;
    const E* vh = v + bh * s * HD;
    load_rows<E, HD, block_rows>(q_s, qh, row0, s);
    for (int t = static_cast<int>(threadIdx.x); t < block_rows * HD; t += threads) o_s[t] = 0.f;
    if (threadIdx.x < block_rows) m_s[threadIdx.x] = -INFINITY, l_s[threadIdx.x] = 0.f;
    for (std::size_t j0 = 0; j0 < s; j0 += tile) {
        __syncthreads();  // the previous tile's products are done with k_s and v_s
        load_rows<E, HD, tile>(k_s, kh, j0, s);
        load_rows<E, HD, tile>(v_s, vh, j0, s);
        __syncthreads();
        product_abt<E, HD>(s_s + w0 * tile, q_s + w0 * HD, k_s);
        __syncwarp();
        // online softmax over the tile, one row at a time; lane = key j0 + lane
        const std::size_t key = j0 + lane;
        const float mask = key < s ? pr.mask(b, key) : 0.f;
        for (int r = 0; r < rows_per_warp; ++r) {
            const int rr = w0 + r;
            const float x = key < s ? s_s[rr * tile + static_cast<int>(lane)] * pr.softmax_scale + mask : -INFINITY;
            const float m_old = m_s[rr], l_old = l_s[rr];
            const float m_new = fmaxf(m_old, warp_max(x));
            const float e = key < s ? expf(x - m_new) : 0.f;
            const float sum = warp_sum(e);
            const float kept = e * keep_factor(pr.p, pr.drop_scale, pr.seed, pr.offset, bh, s,
                                               row0 + static_cast<std::size_t>(rr), key < s ? key : 0);
            p_s[rr * tile + static_cast<int>(lane)] = to_element(key < s ? kept : 0.f, E{});
            if (lane == 0) {
                const float alpha = expf(m_old - m_new);  // 0 on the first tile (m_old = −inf)
                m_s[rr] = m_new, l_s[rr] = l_old * alpha + sum, alpha_s[rr] = alpha;
            }
        }
        __syncwarp();
        for (int r = 0; r < rows_per_warp; ++r)
            for (unsigned int c = lane; c < static_cast<unsigned int>(HD); c += warp_size)
                o_s[(w0 + r) * HD + static_cast<int>(c)] *= alpha_s[w0 + r];
        __syncwarp();
        // O (16,HD) += P' (16,32) · V tile (32,HD), the accumulator loaded from and stored back to o_s
        FragC acc[HD / 16];
        for (int nf = 0; nf < HD / 16; ++nf)
            wmma::load_matrix_sync(acc[nf], o_s + w0 * HD + nf * 16, HD, wmma::mem_row_major);
        accumulate_ab<E, HD>(acc, p_s + w0 * tile, v_s);
        for (int nf = 0; nf < HD / 16; ++nf)
            wmma::store_matrix_sync(o_s + w0 * HD + nf * 16, acc[nf], HD, wmma::mem_row_major);
    }
    __syncwarp();
    for (int r = 0; r < rows_per_warp; ++r) {
        const std::size_t row = row0 + static_cast<std::size_t>(w0 + r);
        if (row >= s) break;
        const float inv_l = 1.f / l_s[w0 + r];
        for (unsigned int c = lane; c < static_cast<unsigned int>(HD); c += warp_size) {
            const float o = o_s[(w0 + r) * HD + static_cast<int>(c)] * inv_l;
            ctx[(b * s + row) * pr.h + head * HD + c] = o;
            out16[(bh * s + row) * HD + c] = to_element(o, E{});
        }
        if (lane == 0) row_max[bh * s + row] = m_s[w0 + r], row_inv_sum[bh * s + row] = inv_l;
    }
#else
    __trap();  // bf16/fp16 WMMA needs sm_80 (the host refuses flash attention on older devices)
#endif
}

// D (B·NH·S) = Σ_d dO·O per row (the softmax backward's Σ_j P'·dP'), from the 16-bit heads; one warp per row
template <class E, int HD>
__global__ void row_dot_kernel(float* __restrict__ d, const E* __restrict__ dout, const E* __restrict__ out,
                               std::size_t rows) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(block_size / warp_size) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    float sum = 0.f;
    for (unsigned int c = lane; c < static_cast<unsigned int>(HD); c += warp_size)
        sum += static_cast<float>(dout[row * HD + c]) * static_cast<float>(out[row * HD + c]);
    sum = warp_sum(sum);
    if (lane == 0) d[row] = sum;
}

// The softmax statistics of one row for the backward: m and 1/l, or (+inf, 0) past the end (then P = 0).
struct RowStats {
    float max, inv_sum;
};
__device__ inline RowStats row_stats(const float* row_max, const float* row_inv_sum, std::size_t at, bool valid) {
    return valid ? RowStats{row_max[at], row_inv_sum[at]} : RowStats{INFINITY, 0.f};
}

// stats[t], d[t] for t < Rows: the softmax statistics and D of rows row0 + t of head bh ((+inf, 0) and 0 past the end)
template <int Rows>
__device__ inline void load_row_stats(RowStats* stats, float* d, const float* row_max, const float* row_inv_sum,
                                      const float* dsum, std::size_t bh, std::size_t row0, std::size_t s) {
    if (threadIdx.x >= Rows) return;
    const std::size_t row = row0 + threadIdx.x;
    stats[threadIdx.x] = row_stats(row_max, row_inv_sum, bh * s + row, row < s);
    d[threadIdx.x] = row < s ? dsum[bh * s + row] : 0.f;
}

// dK, dV for 64 keys of head bh (one block), streaming query tiles of 32:
//   Pᵀ = exp(scoresᵀ − m)/l, dV += P'ᵀ·dO, dP'ᵀ = V·dOᵀ, dSᵀ = Pᵀ ⊙ (dP'ᵀ ⊙ keep − D)/√HD, dK += dSᵀ·Q
template <class E, int HD>
__global__ void __launch_bounds__(threads)
    backward_kv_kernel(float* __restrict__ dk, float* __restrict__ dv, const E* __restrict__ q, const E* __restrict__ k,
                       const E* __restrict__ v, const E* __restrict__ dout, const float* __restrict__ row_max,
                       const float* __restrict__ row_inv_sum, const float* __restrict__ dsum, Problem pr) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ __align__(32) E k_s[block_rows * HD];
    __shared__ __align__(32) E v_s[block_rows * HD];
    __shared__ __align__(32) E q_s[tile * HD];
    __shared__ __align__(32) E do_s[tile * HD];
    __shared__ __align__(32) float st_s[block_rows * tile];   // scoresᵀ, then Pᵀ
    __shared__ __align__(32) float dpt_s[block_rows * tile];  // dP'ᵀ
    __shared__ __align__(32) E pt_s[block_rows * tile];       // P'ᵀ, then dSᵀ
    __shared__ RowStats stats_s[tile];
    __shared__ float d_s[tile];
    const Place place(pr.nh);
    const std::size_t bh = place.bh, b = place.b, head = place.head, s = pr.s;
    const std::size_t key0 = static_cast<std::size_t>(blockIdx.x) * block_rows;
    const unsigned int warp = place.warp, lane = place.lane;
    const int w0 = place.w0;
    load_rows<E, HD, block_rows>(k_s, k + bh * s * HD, key0, s);
    load_rows<E, HD, block_rows>(v_s, v + bh * s * HD, key0, s);
    FragC dk_acc[HD / 16], dv_acc[HD / 16];
    for (int nf = 0; nf < HD / 16; ++nf) wmma::fill_fragment(dk_acc[nf], 0.f), wmma::fill_fragment(dv_acc[nf], 0.f);
    for (std::size_t i0 = 0; i0 < s; i0 += tile) {
        __syncthreads();  // the previous tile's products are done with q_s and do_s
        load_rows<E, HD, tile>(q_s, q + bh * s * HD, i0, s);
        load_rows<E, HD, tile>(do_s, dout + bh * s * HD, i0, s);
        load_row_stats<tile>(stats_s, d_s, row_max, row_inv_sum, dsum, bh, i0, s);
        __syncthreads();
        product_abt<E, HD>(st_s + w0 * tile, k_s + w0 * HD, q_s);    // scoresᵀ (16 keys, 32 queries)
        product_abt<E, HD>(dpt_s + w0 * tile, v_s + w0 * HD, do_s);  // dP'ᵀ = V·dOᵀ
        __syncwarp();
        const std::size_t row = i0 + lane;  // lane = query
        for (int r = 0; r < rows_per_warp; ++r) {
            const int rr = w0 + r;
            const std::size_t key = key0 + static_cast<std::size_t>(rr);
            const bool valid = row < s && key < s;
            const float x =
                st_s[rr * tile + static_cast<int>(lane)] * pr.softmax_scale + (key < s ? pr.mask(b, key) : 0.f);
            const float prob = valid ? expf(x - stats_s[lane].max) * stats_s[lane].inv_sum : 0.f;
            const float f = valid ? keep_factor(pr.p, pr.drop_scale, pr.seed, pr.offset, bh, s, row, key) : 0.f;
            st_s[rr * tile + static_cast<int>(lane)] = prob;
            pt_s[rr * tile + static_cast<int>(lane)] = to_element(prob * f, E{});
            dpt_s[rr * tile + static_cast<int>(lane)] *= f;  // dP = dP' ⊙ keep/(1−p)
        }
        __syncwarp();
        accumulate_ab<E, HD>(dv_acc, pt_s + w0 * tile, do_s);  // dV += P'ᵀ·dO
        __syncwarp();
        for (int r = 0; r < rows_per_warp; ++r) {
            const int at = (w0 + r) * tile + static_cast<int>(lane);
            pt_s[at] = to_element(st_s[at] * (dpt_s[at] - d_s[lane]) * pr.softmax_scale, E{});  // dSᵀ/√HD
        }
        __syncwarp();
        accumulate_ab<E, HD>(dk_acc, pt_s + w0 * tile, q_s);  // dK += dSᵀ·Q
    }
    __syncthreads();  // st_s and dpt_s become the staging buffers of the result
    float* stage = (warp < 2 ? st_s : dpt_s) + (warp % 2) * rows_per_warp * HD;
    static_assert(2 * rows_per_warp * HD <= block_rows * tile, "add_rows staging must fit the score buffers");
    add_rows<HD>(dk, dk_acc, stage, b, key0 + static_cast<std::size_t>(w0), s, pr.h, head * HD, lane);
    __syncwarp();
    add_rows<HD>(dv, dv_acc, stage, b, key0 + static_cast<std::size_t>(w0), s, pr.h, head * HD, lane);
#else
    __trap();
#endif
}

// dQ for 64 query rows of head bh (one block), streaming key tiles of 32:
//   P = exp(scores − m)/l, dP' = dO·Vᵀ, dS = P ⊙ (dP' ⊙ keep − D)/√HD, dQ += dS·K
template <class E, int HD>
__global__ void __launch_bounds__(threads)
    backward_q_kernel(float* __restrict__ dq, const E* __restrict__ q, const E* __restrict__ k, const E* __restrict__ v,
                      const E* __restrict__ dout, const float* __restrict__ row_max,
                      const float* __restrict__ row_inv_sum, const float* __restrict__ dsum, Problem pr) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ __align__(32) E q_s[block_rows * HD];
    __shared__ __align__(32) E do_s[block_rows * HD];
    __shared__ __align__(32) E k_s[tile * HD];
    __shared__ __align__(32) E v_s[tile * HD];
    __shared__ __align__(32) float s_s[block_rows * tile];
    __shared__ __align__(32) float dp_s[block_rows * tile];
    __shared__ __align__(32) E ds_s[block_rows * tile];
    __shared__ RowStats stats_s[block_rows];
    __shared__ float d_s[block_rows];
    const Place place(pr.nh);
    const std::size_t bh = place.bh, b = place.b, head = place.head, s = pr.s;
    const std::size_t row0 = static_cast<std::size_t>(blockIdx.x) * block_rows;
    const unsigned int warp = place.warp, lane = place.lane;
    const int w0 = place.w0;
    load_rows<E, HD, block_rows>(q_s, q + bh * s * HD, row0, s);
    load_rows<E, HD, block_rows>(do_s, dout + bh * s * HD, row0, s);
    load_row_stats<block_rows>(stats_s, d_s, row_max, row_inv_sum, dsum, bh, row0, s);
    FragC dq_acc[HD / 16];
    for (int nf = 0; nf < HD / 16; ++nf) wmma::fill_fragment(dq_acc[nf], 0.f);
    for (std::size_t j0 = 0; j0 < s; j0 += tile) {
        __syncthreads();
        load_rows<E, HD, tile>(k_s, k + bh * s * HD, j0, s);
        load_rows<E, HD, tile>(v_s, v + bh * s * HD, j0, s);
        __syncthreads();
        product_abt<E, HD>(s_s + w0 * tile, q_s + w0 * HD, k_s);    // scores (16 queries, 32 keys)
        product_abt<E, HD>(dp_s + w0 * tile, do_s + w0 * HD, v_s);  // dP' = dO·Vᵀ
        __syncwarp();
        const std::size_t key = j0 + lane;  // lane = key
        const float mask = key < s ? pr.mask(b, key) : 0.f;
        for (int r = 0; r < rows_per_warp; ++r) {
            const int rr = w0 + r, at = rr * tile + static_cast<int>(lane);
            const std::size_t row = row0 + static_cast<std::size_t>(rr);
            const bool valid = row < s && key < s;
            const float prob =
                valid ? expf(s_s[at] * pr.softmax_scale + mask - stats_s[rr].max) * stats_s[rr].inv_sum : 0.f;
            const float f = valid ? keep_factor(pr.p, pr.drop_scale, pr.seed, pr.offset, bh, s, row, key) : 0.f;
            ds_s[at] = to_element(prob * (dp_s[at] * f - d_s[rr]) * pr.softmax_scale, E{});
        }
        __syncwarp();
        accumulate_ab<E, HD>(dq_acc, ds_s + w0 * tile, k_s);  // dQ += dS·K
    }
    __syncthreads();  // s_s and dp_s become the staging buffers of the result
    float* stage = (warp < 2 ? s_s : dp_s) + (warp % 2) * rows_per_warp * HD;
    add_rows<HD>(dq, dq_acc, stage, b, row0 + static_cast<std::size_t>(w0), s, pr.h, head * HD, lane);
#else
    __trap();
#endif
}

// ----------------------------------------------------------------------------------------------------------------
// host side

// Whether flash attention serves an attention with 16-bit heads of size hd: asked for with the environment variable
// TINYBERT_CUDA_ATTENTION=flash (read at each call, as TINYBERT_CUDA_CHECK_INPUTS), hd 32 or 64, and a device of
// compute capability 8.0 or newer. Otherwise attention.cuh's GEMM path runs (also for fp32 and f64).
inline bool wanted(std::size_t hd) {
    const char* choice = std::getenv("TINYBERT_CUDA_ATTENTION");
    if (choice == nullptr || std::string_view(choice) != "flash" || (hd != 32 && hd != 64)) return false;
    int device = 0, major = 0;
    TINYBERT_CUDA_CHECK(cudaGetDevice(&device));
    TINYBERT_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    return major >= 8;
}

// Flash forwards run so far in this process (a test checks with it that a model took the flash path).
inline std::atomic<std::uint64_t> forward_calls{0};

// f(HD, Half) with both as compile-time constants (std::integral_constant / std::bool_constant)
template <class F>
void dispatch(std::size_t hd, bool half, F&& f) {
    const auto with_hd = [&](auto hd_constant) {
        if (half)
            f(hd_constant, std::true_type{});
        else
            f(hd_constant, std::false_type{});
    };
    TINYBERT_CHECK(hd == 32 || hd == 64, "cuda flash attention: head size ", hd, " (32 or 64 are built)");
    if (hd == 32)
        with_hd(std::integral_constant<int, 32>{});
    else
        with_hd(std::integral_constant<int, 64>{});
}

// The problem of an attention over (B,S) with NH heads of HD features, its mask and its dropout.
inline Problem problem(std::size_t b, std::size_t s, std::size_t nh, std::size_t hd,
                       const Tensor<float, Device>& mask_add, const DropoutMask& mask) {
    TINYBERT_CHECK(b * nh <= 65535, "cuda flash attention: ", b, " sequences × ", nh,
                   " heads exceed the grid's 65535 (use a smaller batch)");
    Problem pr;
    pr.s = s, pr.nh = nh, pr.h = nh * hd;
    pr.mask_add = mask_add.defined() ? mask_add.data() : nullptr;
    pr.softmax_scale = 1.f / std::sqrt(static_cast<float>(hd));
    pr.p = mask.p, pr.drop_scale = dropout_scale<float>(mask.p), pr.seed = mask.seed, pr.offset = mask.offset;
    return pr;
}

template <class E>
const E* elements(const Tensor16<Device>& t) {
    return reinterpret_cast<const E*>(t.bits.data());
}

}  // namespace flash

}  // namespace detail

// What the flash backward reads besides the 16-bit heads: the forward's output in 16 bits (for D = Σ dO·O) and each
// row's softmax maximum and 1/sum.
struct FlashSaved {
    Tensor16<Device> out16;                      // (B·NH,S,HD)
    Tensor<float, Device> row_max, row_inv_sum;  // (B·NH·S)
};

// ctx (B,S,H) = dropout(softmax(Q·Kᵀ/√HD + mask_add[b, key]))·V per head, from the 16-bit heads q, k, v (B·NH,S,HD)
inline FlashSaved flash_attention_forward(Tensor<float, Device>& ctx, const Tensor16<Device>& q,
                                          const Tensor16<Device>& k, const Tensor16<Device>& v,
                                          const Tensor<float, Device>& mask_add, std::size_t b, std::size_t nh,
                                          const DropoutMask& mask) {
    TINYBERT_NVTX_RANGE_FN();
    const auto s = static_cast<std::size_t>(q.shape().dim(1)), hd = static_cast<std::size_t>(q.shape().dim(2));
    TINYBERT_CHECK(q.shape() == k.shape() && q.shape() == v.shape() &&
                       q.shape().dim(0) == static_cast<std::int64_t>(b * nh) && ctx.numel() == b * s * nh * hd,
                   "cuda::flash_attention_forward: heads ", q.shape().str(), ", ctx ", ctx.shape().str());
    detail::check_counter_mask(mask, "cuda::flash_attention_forward");
    FlashSaved saved{{Tensor<std::uint16_t, Device>::empty(q.shape()), q.half},
                     Tensor<float, Device>::empty(Shape{static_cast<std::int64_t>(b * nh * s)}),
                     Tensor<float, Device>::empty(Shape{static_cast<std::int64_t>(b * nh * s)})};
    if (b * nh * s == 0) return saved;
    ++detail::flash::forward_calls;
    const detail::flash::Problem pr = detail::flash::problem(b, s, nh, hd, mask_add, mask);
    const dim3 grid(static_cast<unsigned int>((s + detail::flash::block_rows - 1) / detail::flash::block_rows),
                    static_cast<unsigned int>(b * nh));
    detail::flash::dispatch(hd, q.half, [&](auto hd_constant, auto half_constant) {
        using E = detail::flash::Element<decltype(half_constant)::value>;
        detail::flash::forward_kernel<E, decltype(hd_constant)::value>
            <<<grid, detail::flash::threads, 0, current_stream()>>>(
                ctx.data(), reinterpret_cast<E*>(saved.out16.bits.data()), saved.row_max.data(),
                saved.row_inv_sum.data(), detail::flash::elements<E>(q), detail::flash::elements<E>(k),
                detail::flash::elements<E>(v), pr);
        TINYBERT_CUDA_CHECK_LAUNCH();
    });
    return saved;
}

// With P' = dropout(P) recomputed tile by tile and D = Σ dO·O per row:
//   dv += P'ᵀ·dO;  dq += dS·K/√HD;  dk += dSᵀ·Q/√HD,  dS = P ⊙ (dP' ⊙ keep/(1−p) − D)   (per head; (B,S,H) gradients
// accumulated where non-null), dout the gradient of ctx as 16-bit heads (B·NH,S,HD)
inline void flash_attention_backward(Tensor<float, Device>* dq, Tensor<float, Device>* dk, Tensor<float, Device>* dv,
                                     const Tensor16<Device>& dout, const FlashSaved& saved, const Tensor16<Device>& q,
                                     const Tensor16<Device>& k, const Tensor16<Device>& v,
                                     const Tensor<float, Device>& mask_add, std::size_t b, std::size_t nh,
                                     const DropoutMask& mask) {
    TINYBERT_NVTX_RANGE_FN();
    const auto s = static_cast<std::size_t>(q.shape().dim(1)), hd = static_cast<std::size_t>(q.shape().dim(2));
    TINYBERT_CHECK(dout.shape() == q.shape() && saved.out16.shape() == q.shape(),
                   "cuda::flash_attention_backward: dout ", dout.shape().str(), " for heads ", q.shape().str());
    detail::check_counter_mask(mask, "cuda::flash_attention_backward");
    if (b * nh * s == 0 || (!dq && !dk && !dv)) return;
    const detail::flash::Problem pr = detail::flash::problem(b, s, nh, hd, mask_add, mask);
    const dim3 grid(static_cast<unsigned int>((s + detail::flash::block_rows - 1) / detail::flash::block_rows),
                    static_cast<unsigned int>(b * nh));
    auto dsum = Tensor<float, Device>::empty(Shape{static_cast<std::int64_t>(b * nh * s)});
    detail::flash::dispatch(hd, q.half, [&](auto hd_constant, auto half_constant) {
        using E = detail::flash::Element<decltype(half_constant)::value>;
        constexpr int HD = decltype(hd_constant)::value;
        const E* qe = detail::flash::elements<E>(q);
        const E* ke = detail::flash::elements<E>(k);
        const E* ve = detail::flash::elements<E>(v);
        const E* de = detail::flash::elements<E>(dout);
        const std::size_t rows = b * nh * s;
        detail::flash::row_dot_kernel<E, HD>
            <<<grid_for(rows, block_size / warp_size), block_size, 0, current_stream()>>>(
                dsum.data(), de, detail::flash::elements<E>(saved.out16), rows);
        TINYBERT_CUDA_CHECK_LAUNCH();
        if (dk || dv) {
            detail::flash::backward_kv_kernel<E, HD><<<grid, detail::flash::threads, 0, current_stream()>>>(
                dk ? dk->data() : nullptr, dv ? dv->data() : nullptr, qe, ke, ve, de, saved.row_max.data(),
                saved.row_inv_sum.data(), dsum.data(), pr);
            TINYBERT_CUDA_CHECK_LAUNCH();
        }
        if (dq) {
            detail::flash::backward_q_kernel<E, HD><<<grid, detail::flash::threads, 0, current_stream()>>>(
                dq->data(), qe, ke, ve, de, saved.row_max.data(), saved.row_inv_sum.data(), dsum.data(), pr);
            TINYBERT_CUDA_CHECK_LAUNCH();
        }
    });
}

}  // namespace tinybert::cuda
