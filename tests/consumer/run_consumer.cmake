# cmake -P script: configure+install tinybert (headers, CMake package, pkg-config file; no tests) to WORK_DIR/prefix
# with the compiler CXX, then build and run the consumer project in CONSUMER_DIR against that prefix twice: through
# find_package(tinybert CONFIG) (with OpenMP and with TINYBERT_OPENMP=OFF) and through pkg-config; with MODE=cuda,
# the .cu consumer of cuda_project/ instead. Checks that the
# package adds no -march flag and leaves the consumer's CMAKE_MODULE_PATH and find modules alone.
function(run)
    execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
    endif()
    set(run_out "${out}" PARENT_SCOPE)
endfunction()

# Runs a built consumer program; fails unless its output matches the regex `expect`.
function(run_consumer program expect)
    run(${program})
    if(NOT run_out MATCHES "${expect}")
        message(FATAL_ERROR "unexpected output of ${program}: ${run_out}")
    endif()
    set(run_out "${run_out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -G ${GENERATOR} -DCMAKE_INSTALL_PREFIX=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DTINYBERT_BUILD_TESTS=OFF -DTINYBERT_BUILD_EXAMPLES=OFF -DTINYBERT_CUDA=OFF)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/lib)
foreach(f include/tinybert/tinybert.hpp share/doc/tinybert/LICENSE lib/pkgconfig/tinybert.pc
          lib/cmake/tinybert/tinybertConfig.cmake)
    if(NOT EXISTS ${prefix}/${f})
        message(FATAL_ERROR "the install has no ${f}")
    endif()
endforeach()

# MODE=cuda: a .cu consumer through find_package(tinybert CONFIG REQUIRED COMPONENTS cuda), built with CUDA_COMPILER
# for the first of CUDA_ARCHITECTURES and run (it checks its numbers on a GPU and says "not run" without one).
if(MODE STREQUAL "cuda")
    list(GET CUDA_ARCHITECTURES 0 arch)
    run(${CMAKE_COMMAND} -S ${CONSUMER_DIR}/../cuda_project -B ${WORK_DIR}/cuda_consumer -G ${GENERATOR}
        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_CUDA_COMPILER=${CUDA_COMPILER}
        -DCMAKE_CUDA_ARCHITECTURES=${arch} -DCMAKE_BUILD_TYPE=Release)
    run(${CMAKE_COMMAND} --build ${WORK_DIR}/cuda_consumer --verbose)
    set(link_libs "${run_out}")
    set(rsp ${WORK_DIR}/cuda_consumer/CMakeFiles/cuda_consumer.dir/linkLibs.rsp)  # Makefiles put the libraries here
    if(EXISTS ${rsp})
        file(READ ${rsp} link_libs)
    endif()
    if(NOT run_out MATCHES "TINYBERT_WITH_CUDA=1" OR NOT link_libs MATCHES "cublasLt")
        message(FATAL_ERROR "tinybert::cuda did not pass TINYBERT_WITH_CUDA and cuBLASLt:\n${run_out}\n${link_libs}")
    endif()
    run_consumer(${WORK_DIR}/cuda_consumer/cuda_consumer
                 "cuda consumer: (built; no CUDA device|y = 11.5 on the GPU, ok)")
    message(STATUS "${run_out}")
    return()
endif()

# 0. Asking for the cuda component in a project that did not enable CUDA fails, with a sentence saying what to do.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer_no_cuda -G ${GENERATOR}
                        -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCONSUMER_ASK_CUDA=ON
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "enable CUDA")
    message(FATAL_ERROR "find_package(tinybert COMPONENTS cuda) without CUDA enabled: expected a failure saying "
                        "'enable CUDA', got (${rc}):\n${out}\n${err}")
endif()

# 1. CMake: find_package(tinybert CONFIG REQUIRED) in a project with its own CMAKE_MODULE_PATH.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer --verbose)
if(run_out MATCHES "-march=")
    message(FATAL_ERROR "the CMake package passed a -march flag to the consumer:\n${run_out}")
endif()
run_consumer(${WORK_DIR}/consumer/consumer "consumer: y = 11.5, ok")

# 1b. The same consumer without OpenMP (TINYBERT_OPENMP=OFF): the parallel loops run serially, nothing links OpenMP.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer_serial -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release -DTINYBERT_OPENMP=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer_serial --verbose)
if(NOT run_out MATCHES "-fopenmp-simd" OR run_out MATCHES "-fopenmp[ =]|libgomp|libomp")
    message(FATAL_ERROR "TINYBERT_OPENMP=OFF consumer: expected -fopenmp-simd and no OpenMP runtime:\n${run_out}")
endif()
run_consumer(${WORK_DIR}/consumer_serial/consumer "consumer: y = 11.5, ok")

# 2. pkg-config: c++ $(pkg-config --cflags tinybert) main.cpp $(pkg-config --libs tinybert)
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
run(${PKG_CONFIG} --cflags tinybert)
string(STRIP "${run_out}" cflags)
run(${PKG_CONFIG} --libs tinybert)
string(STRIP "${run_out}" libs)
if("${cflags} ${libs}" MATCHES "-march=")
    message(FATAL_ERROR "tinybert.pc adds a -march flag: ${cflags} ${libs}")
endif()
separate_arguments(cflags UNIX_COMMAND "${cflags}")
separate_arguments(libs UNIX_COMMAND "${libs}")
run(${CXX} ${cflags} -O1 ${CONSUMER_DIR}/main.cpp -o ${WORK_DIR}/consumer_pkgconfig ${libs})
run_consumer(${WORK_DIR}/consumer_pkgconfig "consumer: y = 11.5, ok")
