# CUDA: detected (TINYBERT_CUDA=AUTO) or forced. Defines the INTERFACE target tinybert::cuda
# (TINYBERT_WITH_CUDA + cuBLAS/cuBLASLt, cmake/tinybert-cuda.cmake) and TINYBERT_HAVE_CUDA for the rest of the build.
set(TINYBERT_HAVE_CUDA OFF)
if(NOT TINYBERT_CUDA STREQUAL "OFF")
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
        # Unless the user chose: machine code for Ampere (A100: 80, RTX 30xx/A10: 86), Ada (RTX 40xx/L4/L40: 89) and
        # Hopper (H100/H200: 90), plus PTX of the newest for later GPUs (the driver compiles it on first use).
        if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
            set(CMAKE_CUDA_ARCHITECTURES 80-real 86-real 89-real 90-real 90-virtual)
        endif()
        enable_language(CUDA)
        message(STATUS "tinybert: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}")
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
    target_link_libraries(tinybert_cuda INTERFACE tinybert)
    include(tinybert-cuda)
    tinybert_cuda_usage(tinybert_cuda ${TINYBERT_OPENMP})
endif()
