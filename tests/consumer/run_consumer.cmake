# cmake -P script: configure+install tinybert (headers, CMake package, pkg-config file; no tests) to WORK_DIR/prefix
# with the compiler CXX, then build and run the consumer project in CONSUMER_DIR against that prefix twice: through
# find_package(tinybert CONFIG) (with OpenMP and with TINYBERT_OPENMP=OFF) and through pkg-config. Checks that the
# package adds no -march flag and leaves the consumer's CMAKE_MODULE_PATH and find modules alone.
function(run)
    execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
    endif()
    set(run_out "${out}" PARENT_SCOPE)
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

# 1. CMake: find_package(tinybert CONFIG REQUIRED) in a project with its own CMAKE_MODULE_PATH.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer --verbose)
if(run_out MATCHES "-march=")
    message(FATAL_ERROR "the CMake package passed a -march flag to the consumer:\n${run_out}")
endif()
run(${WORK_DIR}/consumer/consumer)
if(NOT run_out MATCHES "consumer: y = 11.5, ok")
    message(FATAL_ERROR "unexpected consumer output: ${run_out}")
endif()

# 1b. The same consumer without OpenMP (TINYBERT_OPENMP=OFF): the parallel loops run serially, nothing links OpenMP.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer_serial -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release -DTINYBERT_OPENMP=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer_serial --verbose)
if(NOT run_out MATCHES "-fopenmp-simd" OR run_out MATCHES "-fopenmp[ =]|libgomp|libomp")
    message(FATAL_ERROR "TINYBERT_OPENMP=OFF consumer: expected -fopenmp-simd and no OpenMP runtime:\n${run_out}")
endif()
run(${WORK_DIR}/consumer_serial/consumer)

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
run(${WORK_DIR}/consumer_pkgconfig)
