# Speech/music classifier script tests (included by tests/CMakeLists.txt):
# PyTorch parity (needs /usr/bin/python3 with numpy and torch) and the CLI.
set(PL_CL_TESTS ${CMAKE_CURRENT_LIST_DIR})

add_executable(cl_run ${PL_CL_TESTS}/cl_run.c)
target_link_libraries(cl_run PRIVATE parley)
set_target_properties(cl_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

add_test(NAME classify/parity
         COMMAND /usr/bin/python3 ${PL_CL_TESTS}/test_parity.py --cl-run $<TARGET_FILE:cl_run>)
add_test(NAME classify/cli
         COMMAND /usr/bin/python3 ${PL_CL_TESTS}/test_cli.py --parley $<TARGET_FILE:parley_app>)
set_tests_properties(classify/parity classify/cli PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS classify)
