# MPI (data parallelism, docs/distributed.md): detected (TINYBERT_MPI=AUTO) or forced. Defines the INTERFACE target
# tinybert::mpi (TINYBERT_WITH_MPI + MPI::MPI_CXX: dist/mpi.hpp compiles) and TINYBERT_HAVE_MPI for the rest of the
# build. Without MPI every program runs as a group of one (dist::single_process()).
set(TINYBERT_HAVE_MPI OFF)
if(NOT TINYBERT_MPI STREQUAL "OFF")
    find_package(MPI COMPONENTS CXX QUIET)
    if(MPI_CXX_FOUND)
        set(TINYBERT_HAVE_MPI ON)
        add_library(tinybert_mpi INTERFACE)
        add_library(tinybert::mpi ALIAS tinybert_mpi)
        target_compile_definitions(tinybert_mpi INTERFACE TINYBERT_WITH_MPI=1)
        target_link_libraries(tinybert_mpi INTERFACE tinybert MPI::MPI_CXX)
    elseif(TINYBERT_MPI STREQUAL "ON")
        message(FATAL_ERROR "TINYBERT_MPI=ON but MPI was not found (Debian: libopenmpi-dev openmpi-bin)")
    endif()
endif()
message(STATUS "tinybert: MPI ${TINYBERT_HAVE_MPI}")
