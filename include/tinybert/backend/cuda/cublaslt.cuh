// tinybert/backend/cuda/cublaslt.cuh: a linear layer's forward GEMM with the bias added in cuBLASLt's epilogue
// (CUBLASLT_EPILOGUE_BIAS): out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) as one kernel, where linear.cuh's
// default path first writes the bias into every row of out and the GEMM then reads it back (beta = 1). The epilogue
// computes alpha·acc + bias in fp32, as the default path's beta·C + alpha·acc; only the GEMM algorithm (the
// accumulation order) may differ. Opt-in with TINYBERT_CUDA_GEMM=lt (read at each call) until a GPU run has compared
// the two; a shape for which cuBLASLt offers no algorithm takes the default path.
// Layout: row-major out (N,OUT) is column-major D (OUT×N, ld OUT) = op(A)·B with A the weight stored column-major as
// (IN×OUT, ld IN) and transposed, B the input (IN×N, ld IN); the bias runs along D's rows, as the epilogue wants.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <memory>
#include <string_view>
#include <tuple>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail::lt {

// cuBLASLt's workspace for one matmul (what cuBLAS itself reserves on Hopper); from the caching allocator, per call.
inline constexpr std::size_t workspace_bytes = std::size_t{32} << 20;

class Handle {
public:
    Handle() { TINYBERT_CUBLAS_CHECK(cublasLtCreate(&handle_)); }
    ~Handle() { (void)cublasLtDestroy(handle_); }  // at exit the runtime may be gone: never throws
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    cublasLtHandle_t get() const { return handle_; }

private:
    cublasLtHandle_t handle_ = nullptr;
};

// The calling thread's cuBLASLt handle (the stream is an argument of each matmul)
inline cublasLtHandle_t handle() {
    thread_local Handle h;
    return h.get();
}

// Owners of the descriptors of one call
struct MatmulDescFree {
    void operator()(cublasLtMatmulDescOpaque_t* d) const { (void)cublasLtMatmulDescDestroy(d); }
};
struct LayoutFree {
    void operator()(cublasLtMatrixLayoutOpaque_t* d) const { (void)cublasLtMatrixLayoutDestroy(d); }
};
struct PreferenceFree {
    void operator()(cublasLtMatmulPreferenceOpaque_t* d) const { (void)cublasLtMatmulPreferenceDestroy(d); }
};
using MatmulDesc = std::unique_ptr<cublasLtMatmulDescOpaque_t, MatmulDescFree>;
using Layout = std::unique_ptr<cublasLtMatrixLayoutOpaque_t, LayoutFree>;
using Preference = std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, PreferenceFree>;

// A column-major rows×cols matrix of `type` with leading dimension ld
inline Layout layout(cudaDataType_t type, std::uint64_t rows, std::uint64_t cols, std::int64_t ld) {
    cublasLtMatrixLayout_t l = nullptr;
    TINYBERT_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&l, type, rows, cols, ld));
    return Layout(l);
}

template <class V>
void set(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attribute, const V& value) {
    TINYBERT_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof(value)));
}

// One linear forward: the device, sizes, operand type, compute type and the pointers' common alignment (the heuristic
// assumes 256 bytes unless told less), which is what the chosen algorithm is cached by.
using Key = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, int, int, std::uint32_t>;  // device first

// The largest power of two, at most 256, that divides every address
inline std::uint32_t common_alignment(std::initializer_list<const void*> pointers) {
    std::uintptr_t bits = 256;
    for (const void* p : pointers) bits |= reinterpret_cast<std::uintptr_t>(p);
    return static_cast<std::uint32_t>(bits & (~bits + 1));
}

// The opt-in: TINYBERT_CUDA_GEMM=lt
inline bool wanted() {
    const char* choice = std::getenv("TINYBERT_CUDA_GEMM");
    return choice != nullptr && std::string_view(choice) == "lt";
}

// Bias-epilogue matmuls run so far in this process (a test checks with it that the epilogue path was taken)
inline std::atomic<std::uint64_t> bias_calls{0};

}  // namespace detail::lt

// out (N,OUT) float = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) float, with inp and weight of `input` type (32F,
// 16BF or 16F), in one cuBLASLt matmul with the bias epilogue. Returns false, having done nothing, when cuBLASLt
// offers no algorithm (then the caller takes the broadcast path).
inline bool lt_linear_bias(float* out, const void* inp, const void* weight, const float* bias, std::int64_t n,
                           std::int64_t in, std::int64_t out_features, cudaDataType_t input,
                           cublasComputeType_t compute) {
    namespace lt = detail::lt;
    TINYBERT_CHECK(n >= 0 && in >= 0 && out_features >= 0, "cuda::lt_linear_bias: negative size");
    if (n == 0 || out_features == 0) return true;
    if (in == 0) return false;  // out = bias: the broadcast path handles the empty product
    cublasLtMatmulDesc_t raw = nullptr;
    TINYBERT_CUBLAS_CHECK(cublasLtMatmulDescCreate(&raw, compute, CUDA_R_32F));
    const lt::MatmulDesc desc(raw);
    lt::set(raw, CUBLASLT_MATMUL_DESC_TRANSA, static_cast<std::int32_t>(CUBLAS_OP_T));
    lt::set(raw, CUBLASLT_MATMUL_DESC_TRANSB, static_cast<std::int32_t>(CUBLAS_OP_N));
    lt::set(raw, CUBLASLT_MATMUL_DESC_EPILOGUE, static_cast<std::uint32_t>(CUBLASLT_EPILOGUE_BIAS));
    lt::set(raw, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias));
    const auto un = static_cast<std::uint64_t>(n), uin = static_cast<std::uint64_t>(in),
               uout = static_cast<std::uint64_t>(out_features);
    const lt::Layout a = lt::layout(input, uin, uout, in), b = lt::layout(input, uin, un, in),
                     d = lt::layout(CUDA_R_32F, uout, un, out_features);

    const std::uint32_t alignment = lt::common_alignment({out, inp, weight, bias});
    int device = 0;
    TINYBERT_CUDA_CHECK(cudaGetDevice(&device));
    const lt::Key key{device, n, in, out_features, static_cast<int>(input), static_cast<int>(compute), alignment};
    thread_local std::map<lt::Key, std::pair<bool, cublasLtMatmulAlgo_t>> algos;  // found?, the algorithm
    auto found = algos.find(key);
    if (found == algos.end()) {
        cublasLtMatmulPreference_t pref_raw = nullptr;
        TINYBERT_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref_raw));
        const lt::Preference pref(pref_raw);
        TINYBERT_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref_raw, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                                   &lt::workspace_bytes, sizeof(lt::workspace_bytes)));
        for (const auto attribute :
             {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
              CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
            TINYBERT_CUBLAS_CHECK(
                cublasLtMatmulPreferenceSetAttribute(pref_raw, attribute, &alignment, sizeof(alignment)));
        cublasLtMatmulHeuristicResult_t result{};
        int count = 0;
        const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(lt::handle(), raw, a.get(), b.get(), d.get(),
                                                                     d.get(), pref_raw, 1, &result, &count);
        const bool usable = status == CUBLAS_STATUS_SUCCESS && count > 0 && result.state == CUBLAS_STATUS_SUCCESS;
        found = algos.emplace(key, std::pair{usable, result.algo}).first;
    }
    if (!found->second.first) return false;
    const float alpha = 1.f, beta = 0.f;
    void* workspace = Device::allocate<unsigned char>(lt::workspace_bytes);
    const cublasStatus_t status =
        cublasLtMatmul(lt::handle(), raw, &alpha, weight, a.get(), inp, b.get(), &beta, out, d.get(), out, d.get(),
                       &found->second.second, workspace, lt::workspace_bytes, current_stream());
    Device::deallocate(static_cast<unsigned char*>(workspace));
    TINYBERT_CUBLAS_CHECK(status);
    ++lt::bias_calls;
    return true;
}

}  // namespace tinybert::cuda
