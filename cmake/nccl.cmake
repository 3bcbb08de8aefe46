# NCCL (data parallelism on GPUs, include/tinybert/dist/nccl.cuh): looked for when the CUDA targets are built, in
# CUDAToolkit's directories (NVIDIA's packages install it there), NCCL_HOME, then the usual prefixes. Defines the
# INTERFACE target tinybert::nccl (tinybert::cuda + libnccl + TINYBERT_WITH_NCCL, with which dist/grad_buckets.hpp
# sums Cuda gradients through NCCL) and TINYBERT_HAVE_NCCL for the rest of the build. Without it, Cuda gradients are
# summed through host memory and the host communicator (grad_buckets.hpp's primary template).
set(TINYBERT_HAVE_NCCL OFF)
if(TINYBERT_HAVE_CUDA)
    find_path(TINYBERT_NCCL_INCLUDE_DIR nccl.h
        HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV NCCL_HOME
        PATH_SUFFIXES include)
    find_library(TINYBERT_NCCL_LIBRARY nccl
        HINTS ${CUDAToolkit_LIBRARY_DIR} ENV NCCL_HOME
        PATH_SUFFIXES lib lib64)
    set(tinybert_nccl_version "")
    if(TINYBERT_NCCL_INCLUDE_DIR AND EXISTS ${TINYBERT_NCCL_INCLUDE_DIR}/nccl.h)
        file(STRINGS ${TINYBERT_NCCL_INCLUDE_DIR}/nccl.h tinybert_nccl_defines
             REGEX "^#define NCCL_(MAJOR|MINOR|PATCH) ")
        foreach(part MAJOR MINOR PATCH)
            string(REGEX REPLACE ".*#define NCCL_${part} +([0-9]+).*" "\\1" tinybert_nccl_${part}
                   "${tinybert_nccl_defines}")
        endforeach()
        set(tinybert_nccl_version "${tinybert_nccl_MAJOR}.${tinybert_nccl_MINOR}.${tinybert_nccl_PATCH}")
    endif()
    if(NOT tinybert_nccl_version MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$" OR NOT EXISTS "${TINYBERT_NCCL_LIBRARY}")
        message(STATUS "tinybert: NCCL not found (nccl.h: ${TINYBERT_NCCL_INCLUDE_DIR}, libnccl: "
                       "${TINYBERT_NCCL_LIBRARY}; NCCL_HOME=<prefix> to point at it); "
                       "GPU gradients go through the host")
    elseif(tinybert_nccl_version VERSION_LESS 2.14)
        # dist/nccl.cuh uses non-blocking communicators and ncclCommFinalize (NCCL 2.14)
        message(STATUS "tinybert: NCCL ${tinybert_nccl_version} at ${TINYBERT_NCCL_INCLUDE_DIR} is older than "
                       "2.14; not used, GPU gradients go through the host")
    else()
        set(TINYBERT_HAVE_NCCL ON)
        add_library(tinybert_nccl INTERFACE)
        add_library(tinybert::nccl ALIAS tinybert_nccl)
        target_compile_definitions(tinybert_nccl INTERFACE TINYBERT_WITH_NCCL=1)
        target_include_directories(tinybert_nccl SYSTEM INTERFACE ${TINYBERT_NCCL_INCLUDE_DIR})
        target_link_libraries(tinybert_nccl INTERFACE tinybert::cuda ${TINYBERT_NCCL_LIBRARY})
        message(STATUS "tinybert: NCCL ${tinybert_nccl_version}: ${TINYBERT_NCCL_LIBRARY}")
    endif()
endif()
message(STATUS "tinybert: NCCL ${TINYBERT_HAVE_NCCL}")
