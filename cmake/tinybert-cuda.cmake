# tinybert_cuda_usage(<target> <openmp>): the usage requirements of tinybert::cuda on the INTERFACE target <target>,
# which already links tinybert's CPU target. Shared by this tree (cmake/cuda.cmake) and the installed package
# (tinybertConfig.cmake, COMPONENTS cuda), which include() this file by path. <openmp> is ON when the CPU kernels'
# OpenMP pragmas are compiled in. Everything but the definition and the libraries applies to .cu sources only.
function(tinybert_cuda_usage target openmp)
    target_compile_definitions(${target} INTERFACE TINYBERT_WITH_CUDA=1)
    target_link_libraries(${target} INTERFACE CUDA::cudart CUDA::cublas CUDA::cublasLt)
    target_compile_options(${target} INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
    # C++20 in .cu files: cxx_std_20 covers CXX only, and some CMake versions (3.25 among them) know no C++20 flag
    # for nvcc, so cuda_std_20 is used only where CMake has one.
    if(DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
        target_compile_features(${target} INTERFACE cuda_std_20)
    else()
        target_compile_options(${target} INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20>)
    endif()
    # The CPU kernels' OpenMP pragmas, in .cu files too (OpenMP::OpenMP_CXX passes -fopenmp to CXX sources only);
    # without OpenMP they are skipped silently, as in CXX sources (-fopenmp-simd).
    if(openmp)
        target_compile_options(${target} INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-fopenmp>)
    else()
        target_compile_options(${target} INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-fopenmp-simd>)
    endif()
    # Eigen is host-only in tinybert: without this, nvcc warns (#20012-D) on Eigen's __host__ __device__ defaulted
    # members, which -Werror=all-warnings turns into errors.
    target_compile_definitions(${target} INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:EIGEN_NO_CUDA>)
    # simdjson.h (io/json.hpp) does not get through nvcc's host pass with its SSE/AVX2/AVX-512 kernels (vector-type
    # conversion errors), so .cu files compile only its portable "fallback" kernels. Without -march flags that is
    # also the built-in kernel set of .cpp files (see docs/cuda.md).
    target_compile_definitions(${target} INTERFACE
        $<$<COMPILE_LANGUAGE:CUDA>:SIMDJSON_IMPLEMENTATION_ICELAKE=0>
        $<$<COMPILE_LANGUAGE:CUDA>:SIMDJSON_IMPLEMENTATION_HASWELL=0>
        $<$<COMPILE_LANGUAGE:CUDA>:SIMDJSON_IMPLEMENTATION_WESTMERE=0>)
endfunction()
