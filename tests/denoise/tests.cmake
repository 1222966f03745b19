# Noise suppression script tests (included by tests/CMakeLists.txt). They
# need /usr/bin/python3 with numpy (and torch for the parity test).
set(PL_DN_TESTS ${CMAKE_CURRENT_LIST_DIR})

add_executable(dn_run ${PL_DN_TESTS}/dn_run.c)
target_link_libraries(dn_run PRIVATE parley)
set_target_properties(dn_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# The shipped model: file, hash, compiled-in bytes, PyTorch vs C within 1e-4.
add_test(NAME denoise/parity
         COMMAND /usr/bin/python3 ${PL_DN_TESTS}/test_parity.py --dn-run $<TARGET_FILE:dn_run>)
# parley denoise on bad and unusual input.
add_test(NAME denoise/cli
         COMMAND /usr/bin/python3 ${PL_DN_TESTS}/test_cli.py --parley $<TARGET_FILE:parley_app>)
set_tests_properties(denoise/parity denoise/cli PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS denoise)
