# cmake -P: runs COMMAND (a ;-list: mpirun ... fault_rank MODE) and passes when the job ended with a non-zero status
# without reporting success, and its output matches EXPECT (when given). The ctest TIMEOUT bounds how long it may take.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("exit status ${rc}\n${out}${err}")
if(rc EQUAL 0 OR "${out}${err}" MATCHES "the failure went unnoticed")
    message(FATAL_ERROR "the job did not fail although a rank failed")
endif()
if(DEFINED EXPECT AND NOT "${out}${err}" MATCHES "${EXPECT}")
    message(FATAL_ERROR "the job failed without the expected message '${EXPECT}'")
endif()
