# Neural packet-loss concealment: tools and script tests (included by
# tests/CMakeLists.txt).
set(PL_PLC_TESTS ${CMAKE_CURRENT_LIST_DIR})

# Opus round trip with a loss mask: the trainer's decoded material.
add_executable(plc_codec ${PL_PLC_TESTS}/plc_codec.c)
target_link_libraries(plc_codec PRIVATE parley)
set_target_properties(plc_codec PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# Opus PLC vs the neural concealer on the held-out speech (STOI, LSD).
add_executable(plc_eval ${PL_PLC_TESTS}/plc_eval.c)
target_link_libraries(plc_eval PRIVATE parley)
set_target_properties(plc_eval PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# Pieces of ai/plc on raw float files, for the PyTorch/numpy parity test.
add_executable(plc_run ${PL_PLC_TESTS}/plc_run.c)
target_link_libraries(plc_run PRIVATE parley)
set_target_properties(plc_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# C runtime vs PyTorch (model) and numpy (features); embedded == committed.
add_test(NAME plc/parity
         COMMAND /usr/bin/python3 ${PL_PLC_TESTS}/test_plc_parity.py --plc-run $<TARGET_FILE:plc_run>)
set_tests_properties(plc/parity PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS "plc;ai")
