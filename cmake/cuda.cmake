# CUDA: detected (TINYBERT_CUDA=AUTO) or forced. Defines the INTERFACE target tinybert::cuda
# (TINYBERT_WITH_CUDA + cuBLAS/cuBLASLt) and TINYBERT_HAVE_CUDA for the rest of the build.
set(TINYBERT_HAVE_CUDA OFF)
if(NOT TINYBERT_CUDA STREQUAL "OFF")
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
        if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
            set(CMAKE_CUDA_ARCHITECTURES 90-real 90-virtual)
        endif()
        enable_language(CUDA)
        find_package(CUDAToolkit REQUIRED)
        set(TINYBERT_HAVE_CUDA ON)
    elseif(TINYBERT_CUDA STREQUAL "ON")
        message(FATAL_ERROR "TINYBERT_CUDA=ON but no CUDA compiler was found")
    endif()
endif()
message(STATUS "tinybert: CUDA targets ${TINYBERT_HAVE_CUDA}")

if(TINYBERT_HAVE_CUDA)
    # tinybert_cuda_all: every CUDA translation unit of this tree (CI compiles it; the folders that add .cu targets
    # hang them on it with add_dependencies).
    add_custom_target(tinybert_cuda_all)
    add_library(tinybert_cuda INTERFACE)
    add_library(tinybert::cuda ALIAS tinybert_cuda)
    target_compile_definitions(tinybert_cuda INTERFACE TINYBERT_WITH_CUDA=1)
    target_link_libraries(tinybert_cuda INTERFACE tinybert CUDA::cudart CUDA::cublas CUDA::cublasLt)
    target_compile_options(tinybert_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
    # C++20 in .cu files: cxx_std_20 on tinybert covers CXX only, and some CMake versions (3.25 among them) know
    # no C++20 flag for nvcc, so cuda_std_20 is used only where CMake has one.
    if(DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
        target_compile_features(tinybert_cuda INTERFACE cuda_std_20)
    else()
        target_compile_options(tinybert_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20>)
    endif()
    # The CPU kernels' OpenMP pragmas, in .cu files too (OpenMP::OpenMP_CXX passes -fopenmp to CXX sources only);
    # with TINYBERT_OPENMP=OFF they are skipped silently, as in CXX sources (-fopenmp-simd).
    if(TINYBERT_OPENMP)
        target_compile_options(tinybert_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=${OpenMP_CXX_FLAGS}>)
    else()
        target_compile_options(tinybert_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-fopenmp-simd>)
    endif()
    # Eigen is host-only in tinybert: without this, nvcc warns (#20012-D) on Eigen's __host__ __device__ defaulted
    # members, which -Werror=all-warnings turns into errors.
    target_compile_definitions(tinybert_cuda INTERFACE $<$<COMPILE_LANGUAGE:CUDA>:EIGEN_NO_CUDA>)
    # simdjson.h (io/json.hpp) does not get through nvcc's host pass with its SSE/AVX2/AVX-512 kernels (vector-type
    # conversion errors), so .cu files compile only its portable "fallback" kernels. Without -march flags that is
    # also the built-in kernel set of .cpp files; with TINYBERT_NATIVE they differ (see docs/cuda.md).
    target_compile_definitions(tinybert_cuda INTERFACE
        $<$<COMPILE_LANGUAGE:CUDA>:SIMDJSON_IMPLEMENTATION_ICELAKE=0>
        $<$<COMPILE_LANGUAGE:CUDA>:SIMDJSON_IMPLEMENTATION_HASWELL=0>
        $<$<COMPILE_LANGUAGE:CUDA>:SIMDJSON_IMPLEMENTATION_WESTMERE=0>)
endif()
