// tinybert/backend/cpu/attention.hpp: fused scaled dot-product self-attention over heads (BertSelfAttention core),
// BERT layout: head h of (B,S,H) is features h·HD … h·HD+HD−1, HD = H/NH. Per (b,h): S = Q·Kᵀ/√HD + mask_add[b,key],
// P = softmax(S) (saved), P' = inverted dropout of P, ctx = P'·V. Element (b,h,i,j) of P is element
// ((b·NH+h)·S+i)·S+j of the DropoutMask (core/rng.hpp; no dropout when mask.p = 0). OpenMP over b·h.
#pragma once

#include <cmath>
#include <cstdint>

#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/gemm.hpp"
#include "tinybert/backend/cpu/softmax.hpp"
#include "tinybert/core/rng.hpp"

namespace tinybert::cpu {

namespace detail {

// Head h of batch b of a (B,S,H) tensor: the first element of an (S,HD) matrix with row stride H.
template <class T>
const T* head(const Tensor<T, Device>& t, std::int64_t b, std::int64_t h, std::int64_t hd) {
    return t.data() + b * t.dim(1) * t.dim(2) + h * hd;
}
template <class T>
T* head(Tensor<T, Device>& t, std::int64_t b, std::int64_t h, std::int64_t hd) {
    return t.data() + b * t.dim(1) * t.dim(2) + h * hd;
}

// dst (S,S) = dropout of src (S,S); `first` is the mask index of (0,0).
template <class T>
void dropout_matrix(RowMatrix<T>& dst, const ConstMatrixMap<T>& src, const DropoutMask& mask, std::uint64_t first) {
    dst.resize(src.rows(), src.cols());
    dropout_span<false>(dst.data(), src.data(), src.rows() * src.cols(), mask, first);
}

}  // namespace detail

// What attention_backward reads: the inputs (shared handles, no copies) and the softmax output before dropout.
template <class T>
struct AttentionSaved {
    Tensor<T, Device> q, k, v;  // (B,S,H)
    Tensor<T, Device> probs;    // (B,NH,S,S)
};

// ctx (B,S,H) = concat_h( dropout(softmax(Q_h·K_hᵀ/√HD + mask_add)) · V_h );  saved.probs (B,NH,S,S) = P before
// dropout. q, k, v (B,S,H); mask_add (B,S) is added to every query row of batch b (0 keeps a key, lowest() masks it)
template <class T>
AttentionSaved<T> attention_forward(Tensor<T, Device>& ctx, const Tensor<T, Device>& q, const Tensor<T, Device>& k,
                                    const Tensor<T, Device>& v, const Tensor<T, Device>& mask_add, int num_heads,
                                    const DropoutMask& mask) {
    const std::int64_t batch = q.dim(0), s = q.dim(1), nh = num_heads, hd = q.dim(2) / nh, hidden = q.dim(2);
    AttentionSaved<T> saved{q, k, v, Tensor<T, Device>::empty({batch, nh, s, s})};
    Tensor<T, Device>& probs = saved.probs;
    const T scale = T(1) / std::sqrt(static_cast<T>(hd));
#pragma omp parallel
    {
        RowMatrix<T> pd;  // this thread's P' (S,S)
#pragma omp for schedule(static)
        for (std::int64_t bh = 0; bh < batch * nh; ++bh) {
            const std::int64_t b = bh / nh, h = bh % nh;
            MatrixMap<T> p(probs.data() + bh * s * s, s, s);
            const ConstVectorMap<T> key_add(mask_add.data() + b * s, s);
            // P (S,S) = Q_h · K_hᵀ
            gemm(Op::none, Op::transpose, s, s, hd, T(1), detail::head(q, b, h, hd), hidden, detail::head(k, b, h, hd),
                 hidden, T(0), p.data(), s);
            for (std::int64_t i = 0; i < s; ++i) {
                p.row(i) = p.row(i) * scale + key_add;
                detail::softmax_row(p.row(i));
            }
            if (mask.p > 0)
                detail::dropout_matrix(pd, ConstMatrixMap<T>(p.data(), s, s), mask,
                                       static_cast<std::uint64_t>(bh * s * s));
            // ctx_h (S,HD) = P' · V_h
            gemm(Op::none, Op::none, s, hd, s, T(1), mask.p > 0 ? pd.data() : p.data(), s, detail::head(v, b, h, hd),
                 hidden, T(0), detail::head(ctx, b, h, hd), hidden);
        }
    }
    return saved;
}

// Per (b,h), with P' = dropout(P) under the forward's mask (P' = P without dropout) and scale = 1/√HD:
//   dv (B,S,H) += P'ᵀ·dctx                                 (value path)
//   G = dctx·Vᵀ  (the gradient w.r.t. P')
//   dS = P' ⊙ G − P ⊙ rowsum(P' ⊙ G)                        (dropout and softmax together: with the mask D and
//        keep scale k, P' = k·D⊙P and dP = k·D⊙G, so P ⊙ (dP − Σ_j dP⊙P) is this; the additive mask has no gradient)
//   dq (B,S,H) += scale·dS·K;  dk (B,S,H) += scale·dSᵀ·Q
template <class T>
void attention_backward(Tensor<T, Device>* dq, Tensor<T, Device>* dk, Tensor<T, Device>* dv,
                        const Tensor<T, Device>& dctx, const AttentionSaved<T>& saved, const DropoutMask& mask) {
    const Tensor<T, Device>& q = saved.q;
    const Tensor<T, Device>& k = saved.k;
    const Tensor<T, Device>& v = saved.v;
    const Tensor<T, Device>& probs = saved.probs;
    const std::int64_t batch = q.dim(0), s = q.dim(1), nh = probs.dim(1), hd = q.dim(2) / nh, hidden = q.dim(2);
    const T scale = T(1) / std::sqrt(static_cast<T>(hd));
#pragma omp parallel
    {
        RowMatrix<T> dropped, ds;  // this thread's dropout(P) and dS (S,S)
#pragma omp for schedule(static)
        for (std::int64_t bh = 0; bh < batch * nh; ++bh) {
            const std::int64_t b = bh / nh, h = bh % nh;
            const ConstMatrixMap<T> p(probs.data() + bh * s * s, s, s);
            if (mask.p > 0) detail::dropout_matrix(dropped, p, mask, static_cast<std::uint64_t>(bh * s * s));
            const ConstMatrixMap<T> pd(mask.p > 0 ? dropped.data() : p.data(), s, s);  // P'
            const T* dc = detail::head(dctx, b, h, hd);
            if (dv) gemm(Op::transpose, Op::none, s, hd, s, T(1), pd.data(), s, dc, hidden, T(1), detail::head(*dv, b, h, hd),
                         hidden);
            if (!dq && !dk) continue;
            ds.resize(s, s);  // G (S,S) = dctx_h · V_hᵀ, then dS in place
            gemm(Op::none, Op::transpose, s, s, hd, T(1), dc, hidden, detail::head(v, b, h, hd), hidden, T(0), ds.data(), s);
            for (std::int64_t i = 0; i < s; ++i) {
                ds.row(i) = ds.row(i).cwiseProduct(pd.row(i));
                ds.row(i) -= ds.row(i).sum() * p.row(i);
            }
            if (dq) gemm(Op::none, Op::none, s, hd, s, scale, ds.data(), s, detail::head(k, b, h, hd), hidden, T(1),
                         detail::head(*dq, b, h, hd), hidden);
            if (dk) gemm(Op::transpose, Op::none, s, hd, s, scale, ds.data(), s, detail::head(q, b, h, hd), hidden, T(1),
                         detail::head(*dk, b, h, hd), hidden);
        }
    }
}

}  // namespace tinybert::cpu
