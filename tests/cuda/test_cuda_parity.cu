// CPU vs CUDA parity for every kernel pair of backend/cpu and backend/cuda: the same random inputs (and the same
// random starting gradients, so that += accumulation is checked too) go through both; results must agree within
// rtol 1e-4 / atol 1e-5 in float and 1e-10 / 1e-12 in double. Every test case passes with a warning when the
// machine has no CUDA device.
#include <catch2/catch.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/cuda_test_support.cuh"
#include "tinybert/backend/cpu/adamw.hpp"
#include "tinybert/backend/cpu/attention.hpp"
#include "tinybert/backend/cpu/batch_inputs.hpp"
#include "tinybert/backend/cpu/bce_with_logits.hpp"
#include "tinybert/backend/cpu/cross_entropy.hpp"
#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/backend/cpu/elementwise.hpp"
#include "tinybert/backend/cpu/embedding.hpp"
#include "tinybert/backend/cpu/embedding_layernorm.hpp"
#include "tinybert/backend/cpu/layernorm.hpp"
#include "tinybert/backend/cpu/linear.hpp"
#include "tinybert/backend/cpu/matmul.hpp"
#include "tinybert/backend/cpu/mse_loss.hpp"
#include "tinybert/backend/cpu/multi_tensor.hpp"
#include "tinybert/backend/cpu/reduce.hpp"
#include "tinybert/backend/cpu/residual_layernorm.hpp"
#include "tinybert/backend/cpu/select.hpp"
#include "tinybert/backend/cpu/softmax.hpp"
#include "tinybert/backend/cuda/adamw.cuh"
#include "tinybert/backend/cuda/attention.cuh"
#include "tinybert/backend/cuda/batch_inputs.cuh"
#include "tinybert/backend/cuda/bce_with_logits.cuh"
#include "tinybert/backend/cuda/cross_entropy.cuh"
#include "tinybert/backend/cuda/dropout.cuh"
#include "tinybert/backend/cuda/elementwise.cuh"
#include "tinybert/backend/cuda/embedding.cuh"
#include "tinybert/backend/cuda/embedding_layernorm.cuh"
#include "tinybert/backend/cuda/feed_forward.cuh"
#include "tinybert/backend/cuda/layernorm.cuh"
#include "tinybert/backend/cuda/linear.cuh"
#include "tinybert/backend/cuda/matmul.cuh"
#include "tinybert/backend/cuda/mse_loss.cuh"
#include "tinybert/backend/cuda/multi_tensor.cuh"
#include "tinybert/backend/cuda/reduce.cuh"
#include "tinybert/backend/cuda/residual_layernorm.cuh"
#include "tinybert/backend/cuda/select.cuh"
#include "tinybert/backend/cuda/softmax.cuh"
#include "tinybert/core/precision.hpp"
#include "tinybert/core/rng.hpp"

namespace {

using tinybert::Cpu;
using tinybert::Cuda;
using tinybert::Shape;
template <class T>
using CpuTensor = tinybert::Tensor<T, Cpu>;
template <class T>
using CudaTensor = tinybert::Tensor<T, Cuda>;

template <class T>
struct Tolerance;
template <>
struct Tolerance<float> {
    static constexpr double rtol = 1e-4, atol = 1e-5;
};
template <>
struct Tolerance<double> {
    static constexpr double rtol = 1e-10, atol = 1e-12;
};

// Uniform values in [lo, hi) from the library's counter-based generator (reproducible, no global state).
template <class T>
CpuTensor<T> random_tensor(const Shape& shape, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    std::vector<T> values(shape.numel());
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<T>(lo + (hi - lo) * tinybert::random_uniform(seed, i));
    return CpuTensor<T>::from_vector(shape, values);
}

inline CpuTensor<std::int64_t> random_ids(const Shape& shape, std::uint64_t seed, std::int64_t n) {
    std::vector<std::int64_t> values(shape.numel());
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<std::int64_t>(tinybert::random_uniform(seed, i) * static_cast<double>(n));
    return CpuTensor<std::int64_t>::from_vector(shape, values);
}

template <class T>
CudaTensor<T> to_cuda(const CpuTensor<T>& t) {
    return t.template to<Cuda>();
}

// got (CUDA) ≈ want (CPU) elementwise: |got − want| <= atol + rtol·|want|, NaN only where want is NaN; `extra_atol`
// widens atol (sums over many terms).
template <class T>
void check_close(const CudaTensor<T>& got_tensor, const CpuTensor<T>& want_tensor, const std::string& what,
                 double extra_atol = 0) {
    INFO(what << ": shape " << want_tensor.shape().str());
    REQUIRE(got_tensor.shape() == want_tensor.shape());
    const std::vector<T> got = got_tensor.to_vector();
    const T* want = want_tensor.data();
    std::size_t bad = 0, first_bad = got.size();
    double max_err = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
        const bool both_nan = std::isnan(g) && std::isnan(w);
        const double err = std::abs(g - w);
        if (!both_nan && !(err <= Tolerance<T>::atol + extra_atol + Tolerance<T>::rtol * std::abs(w))) {
            if (bad++ == 0) first_bad = i;
        }
        if (!both_nan && std::isfinite(err) && err > max_err) max_err = err;
    }
    std::string detail = "max |diff| " + std::to_string(max_err);
    if (bad > 0)
        detail += "; " + std::to_string(bad) + " of " + std::to_string(got.size()) + " elements differ, first at " +
                  std::to_string(first_bad) + ": cuda " + std::to_string(static_cast<double>(got[first_bad])) +
                  " vs cpu " + std::to_string(static_cast<double>(want[first_bad]));
    INFO(detail);
    CHECK(bad == 0);
}

// The row-major reference product for the GEMM wrapper test.
template <class T>
std::vector<T> reference_gemm(const std::vector<T>& a, const std::vector<T>& b, const std::vector<T>& c0,
                              std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k, bool ta, bool tb,
                              double alpha, double beta) {
    std::vector<T> c(c0);
    for (std::int64_t z = 0; z < batch; ++z)
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) {
                double sum = 0;
                for (std::int64_t p = 0; p < k; ++p) {
                    const double av =
                        static_cast<double>(a[static_cast<std::size_t>(z * m * k + (ta ? p * m + i : i * k + p))]);
                    const double bv =
                        static_cast<double>(b[static_cast<std::size_t>(z * k * n + (tb ? j * k + p : p * n + j))]);
                    sum += av * bv;
                }
                auto& out = c[static_cast<std::size_t>(z * m * n + i * n + j)];
                out = static_cast<T>(alpha * sum + beta * static_cast<double>(out));
            }
    return c;
}

}  // namespace

TEST_CASE("cuda device: allocate, fill, copy, host transfers", "[cuda]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const auto f = CudaTensor<float>::full(Shape{3, 5}, 1.5f);
    CHECK(f.to_vector() == std::vector<float>(15, 1.5f));
    const auto d = CudaTensor<double>::full(Shape{7}, -2.25);
    CHECK(d.to_vector() == std::vector<double>(7, -2.25));
    const auto ids = CudaTensor<std::int64_t>::full(Shape{4}, std::int64_t{1} << 40);
    CHECK(ids.to_vector() == std::vector<std::int64_t>(4, std::int64_t{1} << 40));
    CHECK(CudaTensor<float>(Shape{2, 2}).to_vector() == std::vector<float>(4, 0.0f));
    const auto host = random_tensor<float>(Shape{4, 6}, 1);
    const auto dev = to_cuda(host);
    const auto copy = dev.clone();
    CHECK(copy.to_vector() == dev.to_vector());
    CHECK(dev.template to<Cpu>().to_vector() == host.to_vector());
    CHECK(dev.slice(1, 3).to_vector() == host.slice(1, 3).to_vector());
    CHECK(CudaTensor<float>(Shape{0}).to_vector().empty());
}

TEST_CASE("cuda caching allocator: a freed block is reused for the same rounded size, zero-filled again, released "
          "by empty_cache",
          "[cuda]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    auto& cache = tinybert::cuda::BlockCache::instance();
    if (!cache.caching()) {
        WARN("TINYBERT_CUDA_NO_CACHE is set: caching off, skipped");
        return;
    }
    cache.empty_cache();
    const std::size_t in_use = cache.bytes_in_use();
    const float* first = nullptr;
    {
        auto t = CudaTensor<float>::full(Shape{1000}, 7.0f);  // 4000 bytes -> a 4096-byte block
        first = t.data();
        CHECK(cache.bytes_in_use() == in_use + 4096);
    }
    CHECK(cache.bytes_in_use() == in_use);
    CHECK(cache.bytes_cached() == 4096);
    {
        const CudaTensor<float> again(Shape{1010});  // 4040 bytes: the same 4096-byte block, zero-filled
        CHECK(again.data() == first);
        CHECK(again.to_vector() == std::vector<float>(1010, 0.0f));
        CHECK(cache.bytes_cached() == 0);
        const CudaTensor<float> other(Shape{1000});  // the block is taken: a new one
        CHECK(other.data() != first);
    }
    CHECK(cache.bytes_cached() == 2 * 4096);
    cache.empty_cache();
    CHECK(cache.bytes_cached() == 0);
    CHECK(cache.bytes_in_use() == in_use);
}

TEST_CASE("cuda streams: work under a StreamScope equals the default stream's, and blocks stay with their stream",
          "[cuda]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    cudaStream_t stream = nullptr;
    REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
    const auto x = random_tensor<float>(Shape{6, 40}, 1), w = random_tensor<float>(Shape{24, 40}, 2),
               b = random_tensor<float>(Shape{24}, 3);
    const auto forward = [&] {  // cuBLAS (linear), a kernel (softmax) and both copy directions
        CudaTensor<float> y(Shape{6, 24}), p(Shape{6, 24});
        tinybert::cuda::linear_forward(y, to_cuda(x), to_cuda(w), to_cuda(b));
        tinybert::cuda::softmax_forward(p, y);
        return p.to_vector();
    };
    const std::vector<float> on_default = forward();
    {
        const tinybert::cuda::StreamScope scope(stream);
        CHECK(tinybert::cuda::current_stream() == stream);
        CHECK(forward() == on_default);
    }
    CHECK(tinybert::cuda::current_stream() == nullptr);

    auto& cache = tinybert::cuda::BlockCache::instance();
    if (!cache.caching()) {
        WARN("TINYBERT_CUDA_NO_CACHE is set: caching off, the allocator part skipped");
    } else {
        const float* on_stream = nullptr;
        {
            const tinybert::cuda::StreamScope scope(stream);
            on_stream = CudaTensor<float>(Shape{3001}).data();  // freed at once, kept in the stream's pool
        }
        const CudaTensor<float> on_legacy(Shape{3001});  // the same size on the default stream: another block
        CHECK(on_legacy.data() != on_stream);
        {
            const tinybert::cuda::StreamScope scope(stream);
            CHECK(CudaTensor<float>(Shape{3001}).data() == on_stream);  // back on its stream: reused
        }
        // a block of the default stream used on `stream` waits for that work before it is handed out again
        const float* shared = nullptr;
        {
            const CudaTensor<float> t(Shape{5003});
            shared = t.data();
            cache.record_stream(const_cast<float*>(shared), stream);
        }
        REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
        CHECK(CudaTensor<float>(Shape{5003}).data() == shared);
    }
    REQUIRE(cudaStreamDestroy(stream) == cudaSuccess);
}

TEMPLATE_TEST_CASE("cuda gemm wrapper: row-major layout, transposes, batch, alpha/beta", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t batch = 3, m = 5, n = 7, k = 4;
    for (const bool ta : {false, true})
        for (const bool tb : {false, true}) {
            INFO("trans_a " << ta << ", trans_b " << tb);
            const auto a = random_tensor<T>(Shape{batch, ta ? k : m, ta ? m : k}, 11);
            const auto b = random_tensor<T>(Shape{batch, tb ? n : k, tb ? k : n}, 12);
            const auto c0 = random_tensor<T>(Shape{batch, m, n}, 13);
            auto c = to_cuda(c0);
            tinybert::cuda::gemm(c.data(), to_cuda(a).data(), to_cuda(b).data(), batch, m, n, k, ta, tb, T(0.5), T(2));
            const auto want =
                reference_gemm(a.to_vector(), b.to_vector(), c0.to_vector(), batch, m, n, k, ta, tb, 0.5, 2.0);
            check_close(c, CpuTensor<T>::from_vector(c0.shape(), want), "gemm");
        }
}

TEMPLATE_TEST_CASE("cuda linear forward/backward match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t n = 37, in = 29, out = 23;
    const auto x = random_tensor<T>(Shape{n, in}, 1), w = random_tensor<T>(Shape{out, in}, 2),
               b = random_tensor<T>(Shape{out}, 3), dy = random_tensor<T>(Shape{n, out}, 4);
    for (const bool with_bias : {true, false}) {
        INFO("bias " << with_bias);
        CpuTensor<T> y(Shape{n, out});
        CudaTensor<T> yc(Shape{n, out});
        tinybert::cpu::linear_forward(y, x, w, with_bias ? b : CpuTensor<T>());
        tinybert::cuda::linear_forward(yc, to_cuda(x), to_cuda(w), with_bias ? to_cuda(b) : CudaTensor<T>());
        check_close(yc, y, "linear out");
    }
    auto dx = random_tensor<T>(x.shape(), 5), dw = random_tensor<T>(w.shape(), 6), db = random_tensor<T>(b.shape(), 7);
    auto dxc = to_cuda(dx), dwc = to_cuda(dw), dbc = to_cuda(db);
    tinybert::cpu::linear_backward(&dx, &dw, &db, dy, x, w);
    tinybert::cuda::linear_backward(&dxc, &dwc, &dbc, to_cuda(dy), to_cuda(x), to_cuda(w));
    check_close(dxc, dx, "linear dinp");
    check_close(dwc, dw, "linear dweight");
    check_close(dbc, db, "linear dbias");
}

TEMPLATE_TEST_CASE("cuda matmul forward/backward match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t bt = 3, m = 5, k = 7, n = 6;
    for (const bool tb : {false, true}) {
        INFO("transpose_b " << tb);
        const auto a = random_tensor<T>(Shape{bt, m, k}, 1),
                   b = random_tensor<T>(tb ? Shape{bt, n, k} : Shape{bt, k, n}, 2);
        const auto dy = random_tensor<T>(Shape{bt, m, n}, 3);
        CpuTensor<T> y(Shape{bt, m, n});
        CudaTensor<T> yc(Shape{bt, m, n});
        tinybert::cpu::matmul_forward(y, a, b, tb);
        tinybert::cuda::matmul_forward(yc, to_cuda(a), to_cuda(b), tb);
        check_close(yc, y, "matmul out");
        auto da = random_tensor<T>(a.shape(), 4), db = random_tensor<T>(b.shape(), 5);
        auto dac = to_cuda(da), dbc = to_cuda(db);
        tinybert::cpu::matmul_backward(&da, &db, dy, a, b, tb);
        tinybert::cuda::matmul_backward(&dac, &dbc, to_cuda(dy), to_cuda(a), to_cuda(b), tb);
        check_close(dac, da, "matmul da");
        check_close(dbc, db, "matmul db");
    }
}

// bf16/fp16/tf32 GEMMs (core/precision.hpp) against the CPU's emulation: both multiply the same rounded inputs
// exactly (a product of two 8- or 11-bit significands fits a float) and sum in float, so linear layers agree to
// float summation (atol 1e-5·K). TF32 may round its inputs differently from the CPU's ties-away emulation (cuBLAS does
// not document it): up to one TF32 step per input, 2·2^-11 per unit product. In attention the probabilities of the
// two sides may differ by a float step and round to neighbouring 16-bit values: up to 2^-8 of Σ p·|v| <= 1.
TEST_CASE("cuda bf16, fp16 and tf32 GEMMs match the cpu's rounding of the inputs", "[cuda][precision]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const std::int64_t n = 64, in = 96, out = 48;
    const auto x = random_tensor<float>(Shape{n, in}, 1), w = random_tensor<float>(Shape{out, in}, 2),
               bias = random_tensor<float>(Shape{out}, 3), dy = random_tensor<float>(Shape{n, out}, 4);
    CpuTensor<float> fp32_y(Shape{n, out});
    tinybert::cpu::linear_forward(fp32_y, x, w, bias);
    for (const tinybert::Precision p :
         {tinybert::Precision::bf16, tinybert::Precision::fp16, tinybert::Precision::tf32}) {
        INFO("precision " << tinybert::precision_name(p));
        const tinybert::PrecisionScope scope(p);
        const double per_term = p == tinybert::Precision::tf32 ? 2 * std::ldexp(1.0, -11) : 1e-5;
        const double sum_atol = per_term * in;
        CpuTensor<float> y(Shape{n, out});
        CudaTensor<float> yc(Shape{n, out});
        tinybert::cpu::linear_forward(y, x, w, bias);
        tinybert::cuda::linear_forward(yc, to_cuda(x), to_cuda(w), to_cuda(bias));
        check_close(yc, y, "linear out", sum_atol);
        double off_fp32 = 0;  // the GPU did not compute in fp32
        const std::vector<float> got = yc.to_vector();
        for (std::size_t i = 0; i < got.size(); ++i)
            off_fp32 = std::max(off_fp32, std::abs(static_cast<double>(got[i] - fp32_y.data()[i])));
        CHECK(off_fp32 > 1e-4);
        auto dx = random_tensor<float>(x.shape(), 5), dw = random_tensor<float>(w.shape(), 6),
             db = random_tensor<float>(bias.shape(), 7);
        auto dxc = to_cuda(dx), dwc = to_cuda(dw), dbc = to_cuda(db);
        tinybert::cpu::linear_backward(&dx, &dw, &db, dy, x, w);
        tinybert::cuda::linear_backward(&dxc, &dwc, &dbc, to_cuda(dy), to_cuda(x), to_cuda(w));
        check_close(dxc, dx, "linear dinp", per_term * out);
        check_close(dwc, dw, "linear dweight", per_term * n);
        check_close(dbc, db, "linear dbias");

        const std::int64_t b = 2, s = 24, nh = 2, h = 16;
        const auto q = random_tensor<float>(Shape{b, s, h}, 8), k = random_tensor<float>(Shape{b, s, h}, 9),
                   v = random_tensor<float>(Shape{b, s, h}, 10);
        std::vector<float> mask(static_cast<std::size_t>(b * s), 0.0f);
        for (std::int64_t j = s - 7; j < s; ++j)
            mask[static_cast<std::size_t>(s + j)] = std::numeric_limits<float>::lowest();
        const auto mask_add = CpuTensor<float>::from_vector(Shape{b, s}, mask);
        const tinybert::DropoutMask none{0.0, 1, 0, nullptr};
        CpuTensor<float> ctx(Shape{b, s, h});
        CudaTensor<float> ctxc(Shape{b, s, h});
        const auto saved = tinybert::cpu::attention_forward(ctx, q, k, v, mask_add, static_cast<int>(nh), none);
        const auto savedc = tinybert::cuda::attention_forward(ctxc, to_cuda(q), to_cuda(k), to_cuda(v),
                                                              to_cuda(mask_add), static_cast<int>(nh), none);
        check_close(savedc.probs, saved.probs, "attention probs", sum_atol);
        check_close(ctxc, ctx, "attention ctx", std::ldexp(1.0, -8));
        // Backward reads the forward's 16-bit heads and rounds dctx, P' and dS once (AttentionSaved): inputs that
        // differ by a float step may round to neighbouring 16-bit values, so a gradient may differ by a few 16-bit
        // steps of its largest element: atol 2^-6·max|g| (tf32: the GEMMs round as in linear above).
        const auto dctx = random_tensor<float>(Shape{b, s, h}, 11);
        CpuTensor<float> dq(Shape{b, s, h}), dk(Shape{b, s, h}), dv(Shape{b, s, h});
        CudaTensor<float> dqc(Shape{b, s, h}), dkc(Shape{b, s, h}), dvc(Shape{b, s, h});
        tinybert::cpu::attention_backward(&dq, &dk, &dv, dctx, saved, none);
        tinybert::cuda::attention_backward(&dqc, &dkc, &dvc, to_cuda(dctx), savedc, none);
        const auto check_gradient = [](const CudaTensor<float>& got, const CpuTensor<float>& want, const char* what) {
            double largest = 0;
            for (const float g : want.to_vector()) largest = std::max(largest, std::abs(static_cast<double>(g)));
            check_close(got, want, what, std::ldexp(largest, -6));
        };
        check_gradient(dqc, dq, "attention dq");
        check_gradient(dkc, dk, "attention dk");
        check_gradient(dvc, dv, "attention dv");
    }
}

// Sets an environment variable for one scope (the CUDA input checks read it on every call).
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() { ::unsetenv(name_); }

private:
    const char* name_;
};

// TINYBERT_CUDA_GEMM=lt: the linear forward adds its bias in cuBLASLt's epilogue (cublaslt.cuh) instead of writing it
// into the output first. Against the default path on the same inputs, in fp32, tf32, bf16 and fp16: both round the
// inputs alike and add the bias in fp32, so only the accumulation order may differ, by a few fp32 steps of the sum
// (atol 2^-22·IN with |x|, |w| <= 1). BERT's shapes (IN 768, OUT 2304/3072, 256 rows) must take the epilogue; odd
// shapes (rows of 29 16-bit values are not 16-byte aligned) may fall back, with the same numbers.
TEST_CASE("cuda linear with the bias in the cuBLASLt epilogue equals the broadcast path", "[cuda][precision][fused]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    struct Size {
        std::int64_t n, in, out;
        bool must_fuse;
    };
    for (const Size size : {Size{37, 29, 23, false}, Size{256, 768, 3072, true}, Size{256, 3072, 768, true}}) {
        INFO("n " << size.n << ", in " << size.in << ", out " << size.out);
        const auto x = to_cuda(random_tensor<float>(Shape{size.n, size.in}, 1)),
                   w = to_cuda(random_tensor<float>(Shape{size.out, size.in}, 2)),
                   bias = to_cuda(random_tensor<float>(Shape{size.out}, 3));
        for (const tinybert::Precision p : {tinybert::Precision::fp32, tinybert::Precision::tf32,
                                            tinybert::Precision::bf16, tinybert::Precision::fp16}) {
            INFO("precision " << tinybert::precision_name(p));
            const tinybert::PrecisionScope scope(p);
            const auto run = [&](bool lt) {
                CudaTensor<float> y(Shape{size.n, size.out});
                const std::unique_ptr<ScopedEnv> env =
                    lt ? std::make_unique<ScopedEnv>("TINYBERT_CUDA_GEMM", "lt") : nullptr;
                if (tinybert::is_16bit(p)) {
                    const bool half = p == tinybert::Precision::fp16;
                    tinybert::cuda::linear_forward(y, tinybert::cuda::to_16bit(x, half),
                                                   tinybert::cuda::to_16bit(w, half), bias);
                } else {
                    tinybert::cuda::linear_forward(y, x, w, bias);
                }
                return y;
            };
            const CudaTensor<float> want = run(false);
            const std::uint64_t before = tinybert::cuda::detail::lt::bias_calls;
            const CudaTensor<float> got = run(true);
            if (size.must_fuse) CHECK(tinybert::cuda::detail::lt::bias_calls == before + 1);
            check_close(got, want.to<Cpu>(), "linear out", std::ldexp(1.0, -22) * static_cast<double>(size.in));
        }
    }
}

// The bf16/fp16 linear backward rounds the output gradient for its GEMMs and sums it for the bias gradient in one
// kernel (linear.cuh to_16bit_column_sum): the 16-bit copy and the bias gradient must be bitwise those of to_16bit and
// column_sum_accumulate, and the whole backward must match the CPU's (rows spanning several column-sum chunks).
TEST_CASE("cuda 16-bit linear backward: the rounding and the bias gradient in one pass equal the two kernels",
          "[cuda][precision][fused]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using Sizes = std::array<std::int64_t, 3>;  // rows, in, out
    for (const auto& [n, in, out] : {Sizes{37, 29, 23}, Sizes{300, 64, 97}}) {
        INFO("n " << n << ", in " << in << ", out " << out);
        const auto x = random_tensor<float>(Shape{n, in}, 1), w = random_tensor<float>(Shape{out, in}, 2),
                   dy = random_tensor<float>(Shape{n, out}, 3), db0 = random_tensor<float>(Shape{out}, 4);
        const auto dyc = to_cuda(dy);
        for (const bool half : {false, true}) {
            INFO("half " << half);
            auto dbc = to_cuda(db0), db_ref = to_cuda(db0);
            const auto dy16 = tinybert::cuda::to_16bit_column_sum(dyc.shape(), half, &dbc,
                                                                   tinybert::cuda::detail::Elements{dyc.data()});
            CHECK(dy16.bits.to_vector() == tinybert::cuda::to_16bit(dyc, half).bits.to_vector());
            tinybert::cuda::column_sum_accumulate(db_ref.data(), dyc.data(), static_cast<std::size_t>(n),
                                                  static_cast<std::size_t>(out));
            CHECK(dbc.to_vector() == db_ref.to_vector());

            const auto x16 = tinybert::cpu::to_16bit(x, half), w16 = tinybert::cpu::to_16bit(w, half);
            auto dx = random_tensor<float>(x.shape(), 5), dw = random_tensor<float>(w.shape(), 6), db = db0.clone();
            auto dxc = to_cuda(dx), dwc = to_cuda(dw);
            dbc = to_cuda(db0);
            tinybert::cpu::linear_backward(&dx, &dw, &db, dy, x16, w16);
            tinybert::cuda::linear_backward(&dxc, &dwc, &dbc, dyc, tinybert::cuda::to_16bit(to_cuda(x), half),
                                            tinybert::cuda::to_16bit(to_cuda(w), half));
            check_close(dxc, dx, "linear dinp", 1e-5 * static_cast<double>(out));
            check_close(dwc, dw, "linear dweight", 1e-5 * static_cast<double>(n));
            check_close(dbc, db, "linear dbias");
        }
    }
}

// The bf16/fp16 feed-forward op's GELU passes (feed_forward.cuh), each one pass where the separate kernels take
// several, must give their bits: forward h and GELU(h) in 16 bits as to_16bit and gelu_forward + to_16bit; backward
// dh = dy·GELU'(h) in 16 bits and b1's gradient as gelu_backward into a zeroed gradient, to_16bit and
// column_sum_accumulate (row counts spanning several column-sum chunks, a tail for the packed forward).
TEST_CASE("cuda feed-forward GELU passes equal the separate kernels bitwise", "[cuda][precision][fused]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    for (const Shape shape : {Shape{37, 99}, Shape{300, 128}}) {
        INFO("shape " << shape.str());
        const auto hc = to_cuda(random_tensor<float>(shape, 1, -6, 6)), dyc = to_cuda(random_tensor<float>(shape, 2));
        const auto db0 = random_tensor<float>(Shape{shape.back()}, 3);
        for (const bool half : {false, true}) {
            INFO("half " << half);
            const auto g = tinybert::cuda::gelu_to_16bit(hc, half, true);
            CudaTensor<float> y(shape);
            tinybert::cuda::gelu_forward(y, hc);
            CHECK(g.input.bits.to_vector() == tinybert::cuda::to_16bit(hc, half).bits.to_vector());
            CHECK(g.output.bits.to_vector() == tinybert::cuda::to_16bit(y, half).bits.to_vector());
            const auto g_no_input = tinybert::cuda::gelu_to_16bit(hc, half, false);
            CHECK_FALSE(g_no_input.input.bits.defined());
            CHECK(g_no_input.output.bits.to_vector() == g.output.bits.to_vector());

            auto db = to_cuda(db0), db_ref = to_cuda(db0);
            const auto dh16 = tinybert::cuda::gelu_backward_to_16bit(dyc, g.input, &db);
            CudaTensor<float> dh(shape);
            tinybert::cuda::gelu_backward(&dh, dyc, g.input);
            tinybert::cuda::column_sum_accumulate(db_ref.data(), dh.data(), static_cast<std::size_t>(shape.rows()),
                                                  static_cast<std::size_t>(shape.back()));
            const auto dh16_ref = tinybert::cuda::to_16bit(dh, half).bits.to_vector();
            CHECK(dh16.bits.to_vector() == dh16_ref);
            CHECK(db.to_vector() == db_ref.to_vector());
            CHECK(tinybert::cuda::gelu_backward_to_16bit(dyc, g.input, nullptr).bits.to_vector() == dh16_ref);
        }
    }
}

// Flash attention (flash_attention.cuh, TINYBERT_CUDA_ATTENTION=flash) against the CPU's attention in the same 16-bit
// precision: head sizes 32 and 64, lengths that leave partial 32- and 64-row tiles, a padded sequence and a fully
// masked one (uniform attention, as HF eager), dropout off and at 0.1 (the same counter masks), bf16 and fp16.
// Tolerances: the flash kernel rounds P' to 16 bits before normalising it and the CPU after, each within 2^-9 of P'
// (bf16), so ctx may differ by 2·2^-9·Σ|P'||v| ≤ 2^-8/(1−p) (|v| ≤ 1): atol 2^-7. Gradients as the test above
// (neighbouring 16-bit roundings of dctx, P' and dS): atol 2^-6·max|g|. The flash forward must keep no S×S tensor:
// after it, the allocator holds less than a quarter of P's bytes, where the GEMM path holds at least P.
TEST_CASE("cuda flash attention matches the cpu's attention in bf16 and fp16 and keeps no S×S matrix",
          "[cuda][precision][flash]") {
    TINYBERT_REQUIRE_FLASH_DEVICE();
    struct Case {
        std::int64_t b, s, nh, hd;
    };
    for (const Case c : {Case{3, 77, 2, 32}, Case{2, 128, 3, 64}, Case{1, 512, 2, 32}})
        for (const tinybert::Precision precision : {tinybert::Precision::bf16, tinybert::Precision::fp16})
            for (const double p : {0.0, 0.1}) {
                INFO("B " << c.b << " S " << c.s << " NH " << c.nh << " HD " << c.hd << ", "
                          << tinybert::precision_name(precision) << ", dropout " << p);
                const tinybert::PrecisionScope scope(precision);
                const std::int64_t h = c.nh * c.hd;
                const Shape shape{c.b, c.s, h};
                const auto q = random_tensor<float>(shape, 21), k = random_tensor<float>(shape, 22),
                           v = random_tensor<float>(shape, 23), dctx = random_tensor<float>(shape, 24);
                std::vector<float> mask(static_cast<std::size_t>(c.b * c.s), 0.0f);
                const float lowest = std::numeric_limits<float>::lowest();
                if (c.b > 1)
                    for (std::int64_t j = c.s - 10; j < c.s; ++j) mask[static_cast<std::size_t>(c.s + j)] = lowest;
                if (c.b > 2)
                    for (std::int64_t j = 0; j < c.s; ++j) mask[static_cast<std::size_t>(2 * c.s + j)] = lowest;
                const auto mask_add = CpuTensor<float>::from_vector(Shape{c.b, c.s}, mask);
                const tinybert::DropoutMask drop{p, 5, 1234, nullptr};
                CpuTensor<float> ctx(shape);
                const auto saved =
                    tinybert::cpu::attention_forward(ctx, q, k, v, mask_add, static_cast<int>(c.nh), drop);
                const auto qc = to_cuda(q), kc = to_cuda(k), vc = to_cuda(v), mc = to_cuda(mask_add);
                const std::size_t p_bytes = static_cast<std::size_t>(c.b * c.nh * c.s * c.s) * sizeof(float);
                CudaTensor<float> ctxc(shape);
                std::size_t held_flash = 0, held_gemm = 0;
                {
                    const auto before = tinybert::cuda::BlockCache::instance().bytes_in_use();
                    const auto gemm_saved = tinybert::cuda::attention_forward(ctxc, qc, kc, vc, mc,
                                                                              static_cast<int>(c.nh), drop);
                    held_gemm = tinybert::cuda::BlockCache::instance().bytes_in_use() - before;
                    CHECK_FALSE(gemm_saved.flash);
                }
                const ScopedEnv flash("TINYBERT_CUDA_ATTENTION", "flash");
                const auto before = tinybert::cuda::BlockCache::instance().bytes_in_use();
                const auto savedc =
                    tinybert::cuda::attention_forward(ctxc, qc, kc, vc, mc, static_cast<int>(c.nh), drop);
                held_flash = tinybert::cuda::BlockCache::instance().bytes_in_use() - before;
                REQUIRE(savedc.flash);
                CHECK(savedc.probs.numel() == 0);
                if (tinybert::cuda::BlockCache::instance().caching()) {  // bytes are counted only with the cache
                    CHECK(held_gemm >= p_bytes);
                    if (c.s >= 512) CHECK(held_flash < p_bytes / 4);
                }
                check_close(ctxc, ctx, "flash ctx", std::ldexp(1.0, -7));
                CpuTensor<float> dq(shape), dk(shape), dv(shape);
                CudaTensor<float> dqc(shape), dkc(shape), dvc(shape);
                tinybert::cpu::attention_backward(&dq, &dk, &dv, dctx, saved, drop);
                tinybert::cuda::attention_backward(&dqc, &dkc, &dvc, to_cuda(dctx), savedc, drop);
                const auto check_gradient = [](const CudaTensor<float>& got, const CpuTensor<float>& want,
                                               const char* what) {
                    double largest = 0;
                    for (const float g : want.to_vector())
                        largest = std::max(largest, std::abs(static_cast<double>(g)));
                    check_close(got, want, what, std::ldexp(largest, -6));
                };
                check_gradient(dqc, dq, "flash dq");
                check_gradient(dkc, dk, "flash dk");
                check_gradient(dvc, dv, "flash dv");
            }
}

// Operands kept in 16 bits (tensor/tensor16.hpp): the conversion is bitwise the CPU's (round to nearest even), and
// GELU's backward from a 16-bit input agrees as the float kernels do (erf/exp of the two libraries, float tolerance).
TEST_CASE("cuda 16-bit copies and the GELU backward that reads one match the cpu", "[cuda][precision]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const Shape shape{19, 53};
    const auto x = random_tensor<float>(shape, 1, -6, 6), dy = random_tensor<float>(shape, 2);
    for (const bool half : {false, true}) {
        INFO("half " << half);
        const auto x16 = tinybert::cpu::to_16bit(x, half);
        const auto x16c = tinybert::cuda::to_16bit(to_cuda(x), half);
        CHECK(x16c.bits.to_vector() == x16.bits.to_vector());
        auto dx = random_tensor<float>(shape, 3);
        auto dxc = to_cuda(dx);
        tinybert::cpu::gelu_backward(&dx, dy, x16);
        tinybert::cuda::gelu_backward(&dxc, to_cuda(dy), x16c);
        check_close(dxc, dx, "gelu backward from 16 bits");
    }
}

TEMPLATE_TEST_CASE("cuda elementwise kernels match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const Shape shape{19, 53};
    const auto a = random_tensor<T>(shape, 1, -4, 4), b = random_tensor<T>(shape, 2), dy = random_tensor<T>(shape, 3);
    const auto ac = to_cuda(a), bc = to_cuda(b), dyc = to_cuda(dy);
    CpuTensor<T> y(shape);
    CudaTensor<T> yc(shape);

    tinybert::cpu::add_forward(y, a, b);
    tinybert::cuda::add_forward(yc, ac, bc);
    check_close(yc, y, "add out");
    auto da = random_tensor<T>(shape, 4), db = random_tensor<T>(shape, 5);
    auto dac = to_cuda(da), dbc = to_cuda(db);
    tinybert::cpu::add_backward(&da, &db, dy);
    tinybert::cuda::add_backward(&dac, &dbc, dyc);
    check_close(dac, da, "add da");
    check_close(dbc, db, "add db");

    tinybert::cpu::scale_forward(y, a, T(0.125));
    tinybert::cuda::scale_forward(yc, ac, T(0.125));
    check_close(yc, y, "scale out");
    tinybert::cpu::scale_backward(&da, dy, T(-3));
    tinybert::cuda::scale_backward(&dac, dyc, T(-3));
    check_close(dac, da, "scale dinp");

    tinybert::cpu::gelu_forward(y, a);
    tinybert::cuda::gelu_forward(yc, ac);
    check_close(yc, y, "gelu out");
    tinybert::cpu::gelu_backward(&da, dy, a);
    tinybert::cuda::gelu_backward(&dac, dyc, ac);
    check_close(dac, da, "gelu dinp");

    tinybert::cpu::tanh_forward(y, a);
    tinybert::cuda::tanh_forward(yc, ac);
    check_close(yc, y, "tanh out");
    tinybert::cpu::tanh_backward(&da, dy, y);
    tinybert::cuda::tanh_backward(&dac, dyc, yc);
    check_close(dac, da, "tanh dinp");
}

// The elementwise launchers run one kernel (vectorized.cuh) that reads and writes packs of 16 bytes when every pointer
// is aligned and element by element otherwise or at the tail. The same values from an aligned tensor and from a slice
// one element further (misaligned: the element-wise kernel) must be bitwise equal, and both equal the CPU's, for
// lengths below, at and above a pack and with a tail.
TEMPLATE_TEST_CASE("cuda elementwise kernels give the same values packed, misaligned and at the tail", "[cuda]", float,
                   double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    for (const std::int64_t n : {1, 3, 4, 5, 8, 1023}) {
        INFO("n " << n);
        const auto x = random_tensor<T>(Shape{n + 1}, 1, -4, 4), dy = random_tensor<T>(Shape{n + 1}, 2),
                   acc = random_tensor<T>(Shape{n + 1}, 3);
        const tinybert::DropoutMask dm{0.3, 7, 11, nullptr};
        std::vector<std::vector<T>> results[2];  // [first element 0 or 1][op]
        for (const std::int64_t first : {0, 1}) {
            INFO("first element " << first);
            const auto in = [&](const CpuTensor<T>& t) { return t.slice(first, first + n); };
            const CudaTensor<T> xc = to_cuda(x).slice(first, first + n), dyc = to_cuda(dy).slice(first, first + n);
            const auto fresh = [&] { return CudaTensor<T>(Shape{n + 1}).slice(first, first + n); };
            const auto accumulator = [&] { return to_cuda(acc).slice(first, first + n); };
            auto& got = results[first];
            // one op on both devices, into a fresh output or (accumulate) into copies of acc; the CUDA values kept
            const auto check = [&](const char* what, bool accumulate, const auto& cpu_op, const auto& cuda_op) {
                CpuTensor<T> y = accumulate ? in(acc).clone() : CpuTensor<T>(Shape{n});
                CudaTensor<T> yc = accumulate ? accumulator() : fresh();
                cpu_op(y);
                cuda_op(yc);
                check_close(yc, y, what);
                got.push_back(yc.to_vector());
            };
            namespace cpu = tinybert::cpu;
            namespace cuda = tinybert::cuda;
            check(
                "gelu out", false, [&](auto& y) { cpu::gelu_forward(y, in(x)); },
                [&](auto& y) { cuda::gelu_forward(y, xc); });
            check(
                "gelu dinp (accumulated)", true, [&](auto& d) { cpu::gelu_backward(&d, in(dy), in(x)); },
                [&](auto& d) { cuda::gelu_backward(&d, dyc, xc); });
            check(
                "add out", false, [&](auto& y) { cpu::add_forward(y, in(x), in(dy)); },
                [&](auto& y) { cuda::add_forward(y, xc, dyc); });
            check(
                "dropout out", false, [&](auto& y) { cpu::dropout_forward(y, in(x), dm); },
                [&](auto& y) { cuda::dropout_forward(y, xc, dm); });
            check(
                "dropout dinp (accumulated)", true, [&](auto& d) { cpu::dropout_backward(&d, in(dy), dm); },
                [&](auto& d) { cuda::dropout_backward(&d, dyc, dm); });
            if constexpr (std::is_same_v<T, float>) {
                for (const bool half : {false, true}) {
                    const auto x16 = cpu::to_16bit(in(x), half);
                    const auto x16c = cuda::to_16bit(xc, half);
                    CHECK(x16c.bits.to_vector() == x16.bits.to_vector());
                    check(
                        "gelu dinp from 16 bits", true, [&](auto& d) { cpu::gelu_backward(&d, in(dy), x16); },
                        [&](auto& d) { cuda::gelu_backward(&d, dyc, x16c); });
                }
            }
        }
        REQUIRE(results[0].size() == results[1].size());
        for (std::size_t op = 0; op < results[0].size(); ++op) {
            INFO("op " << op << " (gelu, gelu dinp, add, dropout, dropout dinp, gelu dinp from bf16 / half)");
            CHECK(results[0][op] == results[1][op]);
        }
    }
}

// LayerNorm inputs (N,H) and the forward on both devices, for the backward checks.
template <class T>
struct LayerNormCase {
    CpuTensor<T> x, w, b, dy, y, mean, rstd;
    CudaTensor<T> yc, meanc, rstdc;
};
template <class T>
LayerNormCase<T> layernorm_case(std::int64_t n, std::int64_t h) {
    LayerNormCase<T> c{random_tensor<T>(Shape{n, h}, 1, -2, 3),
                       random_tensor<T>(Shape{h}, 2, 0.5, 1.5),
                       random_tensor<T>(Shape{h}, 3),
                       random_tensor<T>(Shape{n, h}, 4),
                       CpuTensor<T>(Shape{n, h}),
                       CpuTensor<T>(Shape{n}),
                       CpuTensor<T>(Shape{n}),
                       CudaTensor<T>(Shape{n, h}),
                       CudaTensor<T>(Shape{n}),
                       CudaTensor<T>(Shape{n})};
    tinybert::cpu::layernorm_forward(c.y, c.mean, c.rstd, c.x, c.w, c.b, T(1e-12));
    tinybert::cuda::layernorm_forward(c.yc, c.meanc, c.rstdc, to_cuda(c.x), to_cuda(c.w), to_cuda(c.b), T(1e-12));
    return c;
}

TEMPLATE_TEST_CASE("cuda layernorm forward/backward match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const auto c = layernorm_case<T>(19, 70);  // h not a multiple of the warp size
    check_close(c.yc, c.y, "layernorm out");
    check_close(c.meanc, c.mean, "layernorm mean");
    check_close(c.rstdc, c.rstd, "layernorm rstd");
    auto dx = random_tensor<T>(c.x.shape(), 5), dw = random_tensor<T>(c.w.shape(), 6),
         db = random_tensor<T>(c.b.shape(), 7);
    auto dxc = to_cuda(dx), dwc = to_cuda(dw), dbc = to_cuda(db);
    tinybert::cpu::layernorm_backward(&dx, &dw, &db, c.dy, c.x, c.w, c.mean, c.rstd);
    tinybert::cuda::layernorm_backward(&dxc, &dwc, &dbc, to_cuda(c.dy), to_cuda(c.x), to_cuda(c.w), c.meanc, c.rstdc);
    check_close(dxc, dx, "layernorm dinp");
    check_close(dwc, dw, "layernorm dweight");
    check_close(dbc, db, "layernorm dbias");
}

// The fused LayerNorm(dropout(x) + residual) against (a) the dropout, add and LayerNorm kernels run one after the
// other on the GPU: bitwise equal, since it does the same arithmetic per element (the dropout product is rounded
// before the add, the input gradient is rounded before it is accumulated) and the same warp reductions; (b) the CPU's
// fused op within the usual tolerance. Rows of 70 (a partial warp) and 384 (MiniLM) features, a constant row (zero
// variance: a padded position's row), dropout off and at 0.1, gradients accumulated onto random starting values.
TEMPLATE_TEST_CASE("cuda fused residual + dropout + LayerNorm equals its three kernels and the cpu", "[cuda][fused]",
                   float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    for (const std::int64_t h : {70, 384})
        for (const double p : {0.0, 0.1}) {
            INFO("h " << h << ", p " << p);
            const std::int64_t n = 19;
            const Shape shape{n, h};
            auto x = random_tensor<T>(shape, 1, -2, 2), residual = random_tensor<T>(shape, 2, -2, 3);
            for (std::int64_t c = 0; c < h; ++c) x.data()[3 * h + c] = T(0.5), residual.data()[3 * h + c] = T(0.25);
            const auto w = random_tensor<T>(Shape{h}, 3, 0.5, 1.5), b = random_tensor<T>(Shape{h}, 4);
            const auto dy = random_tensor<T>(shape, 5);
            const tinybert::DropoutMask mask{p, 77, 1000, nullptr};
            const T eps(1e-12);
            // fused on the CPU
            CpuTensor<T> y(shape), sum(shape), mean(Shape{n}), rstd(Shape{n});
            tinybert::cpu::residual_layernorm_forward(y, sum, mean, rstd, x, residual, mask, w, b, eps);
            auto dx = random_tensor<T>(shape, 6), dres = random_tensor<T>(shape, 7);
            auto dw = random_tensor<T>(Shape{h}, 8), db = random_tensor<T>(Shape{h}, 9);
            tinybert::cpu::residual_layernorm_backward(&dx, &dres, &dw, &db, dy, sum, mask, w, mean, rstd);
            // fused on the GPU
            const auto xc = to_cuda(x), rc = to_cuda(residual), wc = to_cuda(w), bc = to_cuda(b), dyc = to_cuda(dy);
            CudaTensor<T> yc(shape), sumc(shape), meanc(Shape{n}), rstdc(Shape{n});
            tinybert::cuda::residual_layernorm_forward(yc, sumc, meanc, rstdc, xc, rc, mask, wc, bc, eps);
            auto dxc = to_cuda(random_tensor<T>(shape, 6)), dresc = to_cuda(random_tensor<T>(shape, 7));
            auto dwc = to_cuda(random_tensor<T>(Shape{h}, 8)), dbc = to_cuda(random_tensor<T>(Shape{h}, 9));
            tinybert::cuda::residual_layernorm_backward(&dxc, &dresc, &dwc, &dbc, dyc, sumc, mask, wc, meanc, rstdc);
            check_close(yc, y, "fused out"), check_close(sumc, sum, "fused sum");
            check_close(dxc, dx, "fused dx"), check_close(dresc, dres, "fused dresidual");
            check_close(dwc, dw, "fused dweight"), check_close(dbc, db, "fused dbias");
            // the three kernels on the GPU
            CudaTensor<T> dropped(shape), sum3(shape), y3(shape), mean3(Shape{n}), rstd3(Shape{n});
            tinybert::cuda::dropout_forward(dropped, xc, mask);
            tinybert::cuda::add_forward(sum3, dropped, rc);
            tinybert::cuda::layernorm_forward(y3, mean3, rstd3, sum3, wc, bc, eps);
            CudaTensor<T> dsum3(shape), ddropped3(shape);  // zero-filled, as the tape's fresh gradients
            auto dx3 = to_cuda(random_tensor<T>(shape, 6)), dres3 = to_cuda(random_tensor<T>(shape, 7));
            auto dw3 = to_cuda(random_tensor<T>(Shape{h}, 8)), db3 = to_cuda(random_tensor<T>(Shape{h}, 9));
            tinybert::cuda::layernorm_backward(&dsum3, &dw3, &db3, dyc, sum3, wc, mean3, rstd3);
            tinybert::cuda::add_backward(&ddropped3, &dres3, dsum3);
            tinybert::cuda::dropout_backward(&dx3, ddropped3, mask);
            CHECK(yc.to_vector() == y3.to_vector());
            CHECK(sumc.to_vector() == sum3.to_vector());
            CHECK(dxc.to_vector() == dx3.to_vector());
            CHECK(dresc.to_vector() == dres3.to_vector());
            CHECK(dwc.to_vector() == dw3.to_vector());
            CHECK(dbc.to_vector() == db3.to_vector());
        }
}

// Bias and LayerNorm parameter gradients are two-pass column sums over chunks of 64 rows (at most 1024 chunks):
// row counts that leave a short last chunk, and one past the chunk cap. The CPU sums the rows in another order; in
// float a sum of n terms of size ~1 that cancels to ~0.1 differs by up to ~n·2⁻²⁴ between the two orders (seen on an
// H200: 2.6e-5 at n = 4099), so float gets an extra atol of 2e-8·n; double keeps rtol 1e-10.
TEMPLATE_TEST_CASE("cuda column reductions (dbias, LayerNorm dweight/dbias) over many row chunks", "[cuda]", float,
                   double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const auto sum_atol = [](std::int64_t rows) {
        return std::is_same_v<T, float> ? 2e-8 * static_cast<double>(rows) : 0.0;
    };
    CpuTensor<T>* const no_cpu = nullptr;  // gradients not asked for (typed, for deduction)
    CudaTensor<T>* const no_cuda = nullptr;
    for (const std::int64_t n : {std::int64_t{1000}, std::int64_t{4099}, std::int64_t{70001}}) {
        INFO("rows " << n);
        const std::int64_t in = 5, out = 3;
        const auto x = random_tensor<T>(Shape{n, in}, 1), w = random_tensor<T>(Shape{out, in}, 2),
                   dy = random_tensor<T>(Shape{n, out}, 3);
        auto db = random_tensor<T>(Shape{out}, 4);
        auto dbc = to_cuda(db);
        tinybert::cpu::linear_backward(no_cpu, no_cpu, &db, dy, x, w);
        tinybert::cuda::linear_backward(no_cuda, no_cuda, &dbc, to_cuda(dy), to_cuda(x), to_cuda(w));
        check_close(dbc, db, "linear dbias", sum_atol(n));
    }
    const std::int64_t n = 4099;
    const auto c = layernorm_case<T>(n, 70);
    for (const int which : {0, 1, 2}) {  // both, dweight only, dbias only
        INFO("outputs " << which);
        auto dw = random_tensor<T>(c.w.shape(), 6), db = random_tensor<T>(c.b.shape(), 7);
        auto dwc = to_cuda(dw), dbc = to_cuda(db);
        tinybert::cpu::layernorm_backward(no_cpu, which != 2 ? &dw : no_cpu, which != 1 ? &db : no_cpu, c.dy, c.x, c.w,
                                          c.mean, c.rstd);
        tinybert::cuda::layernorm_backward(no_cuda, which != 2 ? &dwc : no_cuda, which != 1 ? &dbc : no_cuda,
                                           to_cuda(c.dy), to_cuda(c.x), to_cuda(c.w), c.meanc, c.rstdc);
        check_close(dwc, dw, "layernorm dweight", sum_atol(n));
        check_close(dbc, db, "layernorm dbias", sum_atol(n));
    }
}

TEMPLATE_TEST_CASE("cuda softmax forward/backward match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const Shape shape{13, 45};
    const auto x = random_tensor<T>(shape, 1, -6, 6), dy = random_tensor<T>(shape, 2);
    CpuTensor<T> y(shape);
    CudaTensor<T> yc(shape);
    tinybert::cpu::softmax_forward(y, x);
    tinybert::cuda::softmax_forward(yc, to_cuda(x));
    check_close(yc, y, "softmax out");
    auto dx = random_tensor<T>(shape, 3);
    auto dxc = to_cuda(dx);
    tinybert::cpu::softmax_backward(&dx, dy, y);
    tinybert::cuda::softmax_backward(&dxc, to_cuda(dy), yc);
    check_close(dxc, dx, "softmax dinp");
}

TEMPLATE_TEST_CASE("cuda attention forward/backward match cpu (mask, dropout)", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t b = 3, s = 40, nh = 3, hd = 8, h = nh * hd;
    const auto q = random_tensor<T>(Shape{b, s, h}, 1), k = random_tensor<T>(Shape{b, s, h}, 2),
               v = random_tensor<T>(Shape{b, s, h}, 3), dctx = random_tensor<T>(Shape{b, s, h}, 4);
    // batch 0: no padding; batch 1: last 15 keys padded; batch 2: every key padded (rows must be uniform, finite)
    std::vector<T> mask(static_cast<std::size_t>(b * s), T(0));
    for (std::int64_t j = s - 15; j < s; ++j) mask[static_cast<std::size_t>(s + j)] = std::numeric_limits<T>::lowest();
    for (std::int64_t j = 0; j < s; ++j) mask[static_cast<std::size_t>(2 * s + j)] = std::numeric_limits<T>::lowest();
    const auto mask_add = CpuTensor<T>::from_vector(Shape{b, s}, mask);
    for (const T p : {T(0), T(0.1)}) {
        INFO("dropout p " << static_cast<double>(p));
        const tinybert::DropoutMask dm{static_cast<double>(p), 1234, 777, nullptr};
        CpuTensor<T> ctx(Shape{b, s, h});
        CudaTensor<T> ctxc(Shape{b, s, h});
        const auto saved = tinybert::cpu::attention_forward(ctx, q, k, v, mask_add, static_cast<int>(nh), dm);
        const auto savedc = tinybert::cuda::attention_forward(ctxc, to_cuda(q), to_cuda(k), to_cuda(v),
                                                              to_cuda(mask_add), static_cast<int>(nh), dm);
        const CudaTensor<T>& probsc = savedc.probs;
        check_close(probsc, saved.probs, "attention probs");
        check_close(ctxc, ctx, "attention ctx");
        const std::vector<T> pv = probsc.to_vector();
        const std::size_t masked_row = static_cast<std::size_t>(2 * nh * s * s);  // batch 2, head 0, row 0
        for (std::int64_t j = 0; j < s; ++j)
            CHECK(std::abs(static_cast<double>(pv[masked_row + static_cast<std::size_t>(j)]) -
                           1.0 / static_cast<double>(s)) < 1e-6);
        auto dq = random_tensor<T>(q.shape(), 5), dk = random_tensor<T>(k.shape(), 6),
             dv = random_tensor<T>(v.shape(), 7);
        auto dqc = to_cuda(dq), dkc = to_cuda(dk), dvc = to_cuda(dv);
        tinybert::cpu::attention_backward(&dq, &dk, &dv, dctx, saved, dm);
        tinybert::cuda::attention_backward(&dqc, &dkc, &dvc, to_cuda(dctx), savedc, dm);
        check_close(dqc, dq, "attention dq");
        check_close(dkc, dk, "attention dk");
        check_close(dvc, dv, "attention dv");
    }
}

TEMPLATE_TEST_CASE("cuda embedding forward/backward match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t vocab = 11, h = 33, n = 50;  // n > vocab: repeated ids accumulate
    const auto table = random_tensor<T>(Shape{vocab, h}, 1), dy = random_tensor<T>(Shape{n, h}, 2);
    const auto ids = random_ids(Shape{n}, 3, vocab);
    CpuTensor<T> y(Shape{n, h});
    CudaTensor<T> yc(Shape{n, h});
    tinybert::cpu::embedding_forward(y, ids, table);
    tinybert::cuda::embedding_forward(yc, to_cuda(ids), to_cuda(table));
    check_close(yc, y, "embedding out");
    for (const std::int64_t padding_idx : {std::int64_t{-1}, std::int64_t{2}}) {
        INFO("padding_idx " << padding_idx);
        auto dt = random_tensor<T>(table.shape(), 4);
        auto dtc = to_cuda(dt);
        tinybert::cpu::embedding_backward(&dt, dy, ids, padding_idx);
        tinybert::cuda::embedding_backward(&dtc, to_cuda(dy), to_cuda(ids), padding_idx);
        check_close(dtc, dt, "embedding dtable");
    }
}

// The fused embeddings (Σ three table lookups, LayerNorm, dropout) against (a) the gather, add, LayerNorm and dropout
// kernels on the GPU: the forward bitwise (the same arithmetic per element and the same warp reductions); the
// backward's LayerNorm parameter gradients bitwise, the tables within the usual tolerance (their scatter uses atomics,
// whose order varies); (b) the CPU's fused op within the usual tolerance. 50 ids with repeats and a padding id.
TEMPLATE_TEST_CASE("cuda fused embeddings + LayerNorm + dropout equal their kernels and the cpu", "[cuda][fused]",
                   float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t n = 50, h = 72;
    const CpuTensor<T> word = random_tensor<T>(Shape{11, h}, 1), type = random_tensor<T>(Shape{2, h}, 2),
                       position = random_tensor<T>(Shape{9, h}, 3);
    const auto word_ids = random_ids(Shape{n}, 4, 11), type_ids = random_ids(Shape{n}, 5, 2),
               position_ids = random_ids(Shape{n}, 6, 9);
    const auto w = random_tensor<T>(Shape{h}, 7, 0.5, 1.5), b = random_tensor<T>(Shape{h}, 8);
    const auto dy = random_tensor<T>(Shape{n, h}, 9);
    const T eps(1e-12);
    for (const double p : {0.0, 0.1}) {
        INFO("p " << p);
        const tinybert::DropoutMask mask{p, 31, 500, nullptr};
        tinybert::EmbeddingSum<T, Cpu> e;
        e.add(word_ids, word, 2), e.add(type_ids, type, -1), e.add(position_ids, position, -1);
        tinybert::EmbeddingSum<T, Cuda> ec;
        ec.add(to_cuda(word_ids), to_cuda(word), 2), ec.add(to_cuda(type_ids), to_cuda(type), -1);
        ec.add(to_cuda(position_ids), to_cuda(position), -1);
        // fused on both devices
        CpuTensor<T> y(Shape{n, h}), sum(Shape{n, h}), mean(Shape{n}), rstd(Shape{n});
        tinybert::cpu::embedding_layernorm_forward(y, sum, mean, rstd, e, mask, w, b, eps);
        CudaTensor<T> yc(Shape{n, h}), sumc(Shape{n, h}), meanc(Shape{n}), rstdc(Shape{n});
        const auto wc = to_cuda(w), bc = to_cuda(b), dyc = to_cuda(dy);
        tinybert::cuda::embedding_layernorm_forward(yc, sumc, meanc, rstdc, ec, mask, wc, bc, eps);
        check_close(yc, y, "fused out"), check_close(sumc, sum, "fused sum");
        std::vector<CpuTensor<T>> d{random_tensor<T>(word.shape(), 10), random_tensor<T>(type.shape(), 11),
                                    random_tensor<T>(position.shape(), 12), random_tensor<T>(Shape{h}, 13),
                                    random_tensor<T>(Shape{h}, 14)};
        std::vector<CudaTensor<T>> dc, d3;
        for (const auto& t : d) dc.push_back(to_cuda(t)), d3.push_back(to_cuda(t));
        CpuTensor<T>* const tables[] = {&d[0], &d[1], &d[2]};
        tinybert::cpu::embedding_layernorm_backward<T>(tables, &d[3], &d[4], dy, sum, e, mask, w, mean, rstd);
        CudaTensor<T>* const tables_c[] = {&dc[0], &dc[1], &dc[2]};
        tinybert::cuda::embedding_layernorm_backward<T>(tables_c, &dc[3], &dc[4], dyc, sumc, ec, mask, wc, meanc,
                                                        rstdc);
        const char* names[] = {"dword", "dtype", "dposition", "dweight", "dbias"};
        for (std::size_t i = 0; i < d.size(); ++i) check_close(dc[i], d[i], names[i]);
        // the separate kernels on the GPU
        CudaTensor<T> gw(Shape{n, h}), gt(Shape{n, h}), gp(Shape{n, h}), s1(Shape{n, h}), s2(Shape{n, h});
        tinybert::cuda::embedding_forward(gw, ec.ids[0], ec.tables[0]);
        tinybert::cuda::embedding_forward(gt, ec.ids[1], ec.tables[1]);
        tinybert::cuda::embedding_forward(gp, ec.ids[2], ec.tables[2]);
        tinybert::cuda::add_forward(s1, gw, gt), tinybert::cuda::add_forward(s2, s1, gp);
        CudaTensor<T> normed(Shape{n, h}), y3(Shape{n, h}), mean3(Shape{n}), rstd3(Shape{n});
        tinybert::cuda::layernorm_forward(normed, mean3, rstd3, s2, wc, bc, eps);
        tinybert::cuda::dropout_forward(y3, normed, mask);
        CHECK(yc.to_vector() == y3.to_vector());
        CHECK(sumc.to_vector() == s2.to_vector());
        CudaTensor<T> dnormed(Shape{n, h}), ds2(Shape{n, h}), ds1(Shape{n, h});  // zeros, as fresh gradients
        tinybert::cuda::dropout_backward(&dnormed, dyc, mask);
        tinybert::cuda::layernorm_backward(&ds2, &d3[3], &d3[4], dnormed, s2, wc, mean3, rstd3);
        tinybert::cuda::add_backward(&ds1, static_cast<CudaTensor<T>*>(nullptr), ds2);  // the sum's first term
        tinybert::cuda::embedding_backward(&d3[2], ds2, ec.ids[2], -1);
        tinybert::cuda::embedding_backward(&d3[1], ds1, ec.ids[1], -1);
        tinybert::cuda::embedding_backward(&d3[0], ds1, ec.ids[0], 2);
        CHECK(dc[3].to_vector() == d3[3].to_vector());
        CHECK(dc[4].to_vector() == d3[4].to_vector());
        for (std::size_t i = 0; i < 3; ++i) {
            const auto host = d3[i].to_vector();
            check_close(dc[i], CpuTensor<T>::from_vector(d3[i].shape(), host), std::string("separate ") + names[i]);
        }
    }
}

TEMPLATE_TEST_CASE("cuda dropout forward/backward match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const Shape shape{17, 61};
    const auto x = random_tensor<T>(shape, 1), dy = random_tensor<T>(shape, 2);
    for (const T p : {T(0), T(0.3)}) {
        INFO("p " << static_cast<double>(p));
        const tinybert::DropoutMask dm{static_cast<double>(p), 99, 5, nullptr};
        CpuTensor<T> y(shape);
        CudaTensor<T> yc(shape);
        tinybert::cpu::dropout_forward(y, x, dm);
        tinybert::cuda::dropout_forward(yc, to_cuda(x), dm);
        check_close(yc, y, "dropout out");
        auto dx = random_tensor<T>(shape, 3);
        auto dxc = to_cuda(dx);
        tinybert::cpu::dropout_backward(&dx, dy, dm);
        tinybert::cuda::dropout_backward(&dxc, to_cuda(dy), dm);
        check_close(dxc, dx, "dropout dinp");
    }
}

TEMPLATE_TEST_CASE("cuda cross-entropy forward/backward match cpu (ignore_index)", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t n = 37, c = 45, ignore = -100;
    const auto logits = random_tensor<T>(Shape{n, c}, 1, -5, 5);
    auto targets_host = random_ids(Shape{n}, 2, c).to_vector();
    for (std::size_t i = 0; i < targets_host.size(); i += 4) targets_host[i] = ignore;
    const auto dloss = CpuTensor<T>::from_vector(Shape{1}, {T(0.75)});
    for (const bool all_ignored : {false, true}) {
        INFO("all ignored " << all_ignored);
        std::vector<std::int64_t> t = targets_host;
        if (all_ignored) t.assign(t.size(), ignore);
        const auto targets = CpuTensor<std::int64_t>::from_vector(Shape{n}, t);
        CpuTensor<T> loss(Shape{1}), probs(Shape{n, c});
        CudaTensor<T> lossc(Shape{1}), probsc(Shape{n, c});
        tinybert::cpu::cross_entropy_forward(loss, probs, logits, targets, ignore);
        tinybert::cuda::cross_entropy_forward(lossc, probsc, to_cuda(logits), to_cuda(targets), ignore);
        check_close(lossc, loss, "cross-entropy loss");
        check_close(probsc, probs, "cross-entropy probs");
        CHECK(std::isnan(static_cast<double>(lossc.to_vector()[0])) == all_ignored);
        auto dz = random_tensor<T>(Shape{n, c}, 3);
        auto dzc = to_cuda(dz);
        tinybert::cpu::cross_entropy_backward(&dz, dloss, probs, targets, ignore);
        tinybert::cuda::cross_entropy_backward(&dzc, to_cuda(dloss), probsc, to_cuda(targets), ignore);
        check_close(dzc, dz, "cross-entropy dlogits");
    }
}

TEMPLATE_TEST_CASE("cuda weighted cross-entropy matches cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t n = 29, c = 6, ignore = -100;
    const auto logits = random_tensor<T>(Shape{n, c}, 11, -5, 5);
    auto t = random_ids(Shape{n}, 12, c).to_vector();
    for (std::size_t i = 0; i < t.size(); i += 5) t[i] = ignore;
    const auto targets = CpuTensor<std::int64_t>::from_vector(Shape{n}, t);
    const auto weight = random_tensor<T>(Shape{c}, 13, 0.2, 3);
    const auto dloss = CpuTensor<T>::from_vector(Shape{1}, {T(0.75)});
    CpuTensor<T> loss(Shape{1}), probs(Shape{n, c});
    CudaTensor<T> lossc(Shape{1}), probsc(Shape{n, c});
    tinybert::cpu::cross_entropy_forward(loss, probs, logits, targets, ignore, weight);
    tinybert::cuda::cross_entropy_forward(lossc, probsc, to_cuda(logits), to_cuda(targets), ignore, to_cuda(weight));
    check_close(lossc, loss, "weighted cross-entropy loss");
    auto dz = random_tensor<T>(Shape{n, c}, 14);
    auto dzc = to_cuda(dz);
    tinybert::cpu::cross_entropy_backward(&dz, dloss, probs, targets, ignore, weight);
    tinybert::cuda::cross_entropy_backward(&dzc, to_cuda(dloss), probsc, to_cuda(targets), ignore, to_cuda(weight));
    check_close(dzc, dz, "weighted cross-entropy dlogits");
}

TEMPLATE_TEST_CASE("cuda mse and bce-with-logits losses match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const auto dloss = CpuTensor<T>::from_vector(Shape{1}, {T(1.5)});
    for (const std::int64_t n : {1, 7, 3000}) {
        INFO("n " << n);
        const auto x = random_tensor<T>(Shape{n}, 21, -40, 40), y = random_tensor<T>(Shape{n}, 22, 0, 1);
        CpuTensor<T> loss(Shape{1});
        CudaTensor<T> lossc(Shape{1});
        tinybert::cpu::mse_loss_forward(loss, x, y);
        tinybert::cuda::mse_loss_forward(lossc, to_cuda(x), to_cuda(y));
        check_close(lossc, loss, "mse loss");
        auto dx = random_tensor<T>(Shape{n}, 23);
        auto dxc = to_cuda(dx);
        tinybert::cpu::mse_loss_backward(&dx, dloss, x, y);
        tinybert::cuda::mse_loss_backward(&dxc, to_cuda(dloss), to_cuda(x), to_cuda(y));
        check_close(dxc, dx, "mse dinput");
        tinybert::cpu::bce_with_logits_forward(loss, x, y);
        tinybert::cuda::bce_with_logits_forward(lossc, to_cuda(x), to_cuda(y));
        check_close(lossc, loss, "bce loss");
        tinybert::cpu::bce_with_logits_backward(&dx, dloss, x, y);
        tinybert::cuda::bce_with_logits_backward(&dxc, to_cuda(dloss), to_cuda(x), to_cuda(y));
        check_close(dxc, dx, "bce dlogits");
    }
}

// What the CPU throws for the same call (its message is what the CUDA debug checks must give).
template <class F>
std::string cpu_error(F&& f) {
    try {
        f();
    } catch (const tinybert::Error& e) {
        return e.what();
    }
    FAIL("the CPU op did not throw");
    return {};
}


TEST_CASE("cuda out-of-range ids and targets: the CPU's error with TINYBERT_CUDA_CHECK_INPUTS, else a zero row and a "
          "NaN loss",
          "[cuda]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const std::int64_t vocab = 5, h = 3, c = 4, ignore = -100;
    const auto table = random_tensor<float>(Shape{vocab, h}, 1);
    const auto ids = CpuTensor<std::int64_t>::from_vector(Shape{3}, {1, 7, 2});  // 7 >= vocab, at position 1
    const auto logits = random_tensor<float>(Shape{3, c}, 2);
    const auto targets = CpuTensor<std::int64_t>::from_vector(Shape{3}, {0, ignore, c});  // c is out of range, row 2
    CpuTensor<float> y(Shape{3, h}), loss(Shape{1}), probs(Shape{3, c});
    CudaTensor<float> yc(Shape{3, h}), lossc(Shape{1}), probsc(Shape{3, c});
    const std::string id_error = cpu_error([&] { tinybert::cpu::embedding_forward(y, ids, table); });
    const std::string target_error =
        cpu_error([&] { tinybert::cpu::cross_entropy_forward(loss, probs, logits, targets, ignore); });
    CHECK(id_error.find("id 7 at position 1") != std::string::npos);
    CHECK(target_error.find("target 4 at row 2") != std::string::npos);
    {
        const ScopedEnv on("TINYBERT_CUDA_CHECK_INPUTS", "1");
        CHECK_THROWS_WITH(tinybert::cuda::embedding_forward(yc, to_cuda(ids), to_cuda(table)), id_error);
        CHECK_THROWS_WITH(tinybert::cuda::cross_entropy_forward(lossc, probsc, to_cuda(logits), to_cuda(targets), ignore),
                          target_error);
    }
#ifndef TINYBERT_ENABLE_ASSERT
    const ScopedEnv off("TINYBERT_CUDA_CHECK_INPUTS", "0");
    tinybert::cuda::embedding_forward(yc, to_cuda(ids), to_cuda(table));
    const auto out = yc.to_vector();
    for (std::int64_t j = 0; j < h; ++j) CHECK(out[static_cast<std::size_t>(h + j)] == 0.0f);  // the documented zero row
    tinybert::cuda::cross_entropy_forward(lossc, probsc, to_cuda(logits), to_cuda(targets), ignore);
    CHECK(std::isnan(lossc.to_vector()[0]));  // the documented NaN loss
#endif
}

TEMPLATE_TEST_CASE("cuda select_row and column match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const std::int64_t b = 4, s = 9, h = 35, c = 2;
    const auto x = random_tensor<T>(Shape{b, s, h}, 1), dy = random_tensor<T>(Shape{b, h}, 2);
    CpuTensor<T> y(Shape{b, h});
    CudaTensor<T> yc(Shape{b, h});
    tinybert::cpu::select_row_forward(y, x, 3);
    tinybert::cuda::select_row_forward(yc, to_cuda(x), 3);
    check_close(yc, y, "select_row out");
    auto dx = random_tensor<T>(x.shape(), 3);
    auto dxc = to_cuda(dx);
    tinybert::cpu::select_row_backward(&dx, dy, 3);
    tinybert::cuda::select_row_backward(&dxc, to_cuda(dy), 3);
    check_close(dxc, dx, "select_row dinp");

    const auto logits = random_tensor<T>(Shape{b * s, c}, 4), dcol = random_tensor<T>(Shape{b * s}, 5);
    CpuTensor<T> col(Shape{b * s});
    CudaTensor<T> colc(Shape{b * s});
    tinybert::cpu::column_forward(col, logits, 1);
    tinybert::cuda::column_forward(colc, to_cuda(logits), 1);
    check_close(colc, col, "column out");
    auto dl = random_tensor<T>(logits.shape(), 6);
    auto dlc = to_cuda(dl);
    tinybert::cpu::column_backward(&dl, dcol, 1);
    tinybert::cuda::column_backward(&dlc, to_cuda(dcol), 1);
    check_close(dlc, dl, "column dinp");
}

TEMPLATE_TEST_CASE("cuda sum_squares, scale_inplace and adamw_update match cpu", "[cuda]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    const Shape shape{300, 1001};  // more elements than one grid-stride pass of the reduction covers
    auto g = random_tensor<T>(shape, 1);
    auto gc = to_cuda(g);
    const double want = tinybert::cpu::sum_squares(g), got = tinybert::cuda::sum_squares(gc);
    CHECK(std::abs(got - want) <= 1e-9 * std::abs(want));
    tinybert::cpu::scale_inplace(g, T(0.3));
    tinybert::cuda::scale_inplace(gc, T(0.3));
    check_close(gc, g, "scale_inplace");

    auto p = random_tensor<T>(shape, 2), m = CpuTensor<T>(shape), v = CpuTensor<T>(shape);
    auto pc = to_cuda(p), mc = to_cuda(m), vc = to_cuda(v);
    for (std::int64_t step = 1; step <= 3; ++step) {
        const auto grad = random_tensor<T>(shape, 10 + static_cast<std::uint64_t>(step));
        tinybert::cpu::adamw_update(p, grad, m, v, T(1e-3), T(0.9), T(0.999), T(1e-8), T(0.01), step);
        tinybert::cuda::adamw_update(pc, to_cuda(grad), mc, vc, T(1e-3), T(0.9), T(0.999), T(1e-8), T(0.01), step);
    }
    check_close(pc, p, "adamw param");
    check_close(mc, m, "adamw m");
    check_close(vc, v, "adamw v");
}

TEMPLATE_TEST_CASE("cuda whole-model kernels over a tensor list match cpu, with the chunk table re-uploaded on change",
                   "[cuda][multi_tensor]", float, double) {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    using T = TestType;
    // sizes: one element, empty, one chunk of 2^16 plus a tail, a large tensor of many chunks (16-byte packs), and
    // the last one a slice one element into its storage (misaligned: element by element)
    const std::vector<std::int64_t> sizes{1, 0, 65536 + 3, 300 * 1001, 1000};
    std::vector<CpuTensor<T>> g, p, m, v;
    std::vector<CudaTensor<T>> gc, pc, mc, vc;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const std::int64_t first = i + 1 == sizes.size() ? 1 : 0, n = sizes[i];  // first: the slice's offset
        const auto place = [&](const CpuTensor<T>& t, std::vector<CpuTensor<T>>& cpu,
                               std::vector<CudaTensor<T>>& cuda) {
            cpu.push_back(t.slice(first, first + n).clone());
            cuda.push_back(to_cuda(t).slice(first, first + n));
        };
        place(random_tensor<T>(Shape{first + n}, 30 + i), g, gc);
        place(random_tensor<T>(Shape{first + n}, 40 + i), p, pc);
        place(CpuTensor<T>(Shape{first + n}), m, mc);
        place(CpuTensor<T>(Shape{first + n}), v, vc);
    }
    const auto lists = [&] {
        tinybert::TensorList<T, Cpu> lg;
        tinybert::TensorList<T, Cuda> lgc;
        for (std::size_t i = 0; i < sizes.size(); ++i) lg.push_back(&g[i]), lgc.push_back(&gc[i]);
        return std::pair{lg, lgc};
    };
    for (int round = 0; round < 2; ++round) {  // round 1: a new gradient tensor, so a new table
        if (round == 1) {
            g[2] = random_tensor<T>(Shape{sizes[2]}, 99);
            gc[2] = to_cuda(g[2]);
        }
        const auto [lg, lgc] = lists();
        const double want = tinybert::cpu::sum_squares(lg), got = tinybert::cuda::sum_squares(lgc);
        CHECK(std::abs(got - want) <= 1e-9 * std::abs(want));
        tinybert::cpu::scale_inplace(lg, T(0.7));
        tinybert::cuda::scale_inplace(lgc, T(0.7));
        for (std::size_t i = 0; i < sizes.size(); ++i) check_close(gc[i], g[i], "list scale_inplace");

        std::vector<tinybert::AdamWTensors<T, Cpu>> params;
        std::vector<tinybert::AdamWTensors<T, Cuda>> params_c;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            params.push_back({&p[i], &g[i], &m[i], &v[i], i % 2 == 0});
            params_c.push_back({&pc[i], &gc[i], &mc[i], &vc[i], i % 2 == 0});
        }
        for (std::int64_t step = 1; step <= 2; ++step) {
            tinybert::cpu::adamw_update(params, T(1e-3), T(0.9), T(0.999), T(1e-8), T(0.1), step + 2 * round);
            tinybert::cuda::adamw_update(params_c, T(1e-3), T(0.9), T(0.999), T(1e-8), T(0.1), step + 2 * round);
        }
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            check_close(pc[i], p[i], "list adamw param");
            check_close(mc[i], m[i], "list adamw m");
            check_close(vc[i], v[i], "list adamw v");
        }
    }
    // one read-back per norm, however many tensors
    const auto reads = tinybert::cuda::Device::copies_to_host.load();
    (void)tinybert::cuda::sum_squares(lists().second);
    CHECK(tinybert::cuda::Device::copies_to_host.load() == reads + 1);
}

TEST_CASE("cuda batch inputs (additive mask, position ids, clamps, label conversion) equal the cpu's", "[cuda]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const auto mask = CpuTensor<std::int64_t>::from_vector({2, 3}, {1, 1, 0, 1, 0, 0});
    CpuTensor<float> add_f(mask.shape());
    CpuTensor<double> add_d(mask.shape());
    tinybert::cpu::additive_mask(add_f, mask);
    tinybert::cpu::additive_mask(add_d, mask);
    CudaTensor<float> add_fc(mask.shape());
    CudaTensor<double> add_dc(mask.shape());
    tinybert::cuda::additive_mask(add_fc, to_cuda(mask));
    tinybert::cuda::additive_mask(add_dc, to_cuda(mask));
    CHECK(add_fc.to_vector() == add_f.to_vector());
    CHECK(add_dc.to_vector() == add_d.to_vector());

    std::vector<std::int64_t> id_values(5 * 130);
    for (std::size_t i = 0; i < id_values.size(); ++i)
        id_values[i] = static_cast<std::int64_t>((i * 7) % 5);  // id 1 (RoBERTa's padding id) included
    const auto ids = CpuTensor<std::int64_t>::from_vector({5, 130}, id_values);
    for (const std::int64_t pad : {std::int64_t{-1}, std::int64_t{1}}) {
        CpuTensor<std::int64_t> pos(ids.shape());
        CudaTensor<std::int64_t> pos_c(ids.shape());
        tinybert::cpu::position_ids(pos, ids, pad);
        tinybert::cuda::position_ids(pos_c, to_cuda(ids), pad);
        CHECK(pos_c.to_vector() == pos.to_vector());
    }

    const auto x = CpuTensor<std::int64_t>::from_vector({5}, {-3, 0, 4, 7, 200});
    CpuTensor<std::int64_t> y(x.shape());
    CudaTensor<std::int64_t> yc(x.shape());
    tinybert::cpu::clamp(y, x, 0, 7);
    tinybert::cuda::clamp(yc, to_cuda(x), 0, 7);
    CHECK(yc.to_vector() == y.to_vector());

    const auto labels = random_tensor<float>(Shape{9}, 5);
    CpuTensor<double> l(labels.shape());
    CudaTensor<double> lc(labels.shape());
    tinybert::cpu::convert(l, labels);
    tinybert::cuda::convert(lc, to_cuda(labels));
    CHECK(lc.to_vector() == l.to_vector());
}
