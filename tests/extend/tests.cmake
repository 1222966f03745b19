# Bandwidth extension: tools and script tests (included by tests/CMakeLists.txt).
set(PL_EXTEND_TESTS ${CMAKE_CURRENT_LIST_DIR})

# The table of docs/bwe.md: none / folding / model on held-out speech.
add_executable(extend_eval ${PL_EXTEND_TESTS}/extend_eval.c)
target_link_libraries(extend_eval PRIVATE parley)
set_target_properties(extend_eval PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# Pieces of ai/extend on raw float files, for the PyTorch/numpy parity test.
add_executable(extend_run ${PL_EXTEND_TESTS}/extend_run.c)
target_link_libraries(extend_run PRIVATE parley)
set_target_properties(extend_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

add_test(NAME extend/parity
         COMMAND /usr/bin/python3 ${PL_EXTEND_TESTS}/test_extend_parity.py --extend-run $<TARGET_FILE:extend_run>)
set_tests_properties(extend/parity PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS "extend;ai")

# parley extend on bad and unusual files.
add_test(NAME extend/cli
         COMMAND /usr/bin/python3 ${PL_EXTEND_TESTS}/test_cli.py --parley $<TARGET_FILE:parley_app>)
set_tests_properties(extend/cli PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300
  LABELS "extend")

# A 12 kbit/s call with the stage off and auto: LSD against the full band drops.
add_test(NAME extend/loopback
         COMMAND /usr/bin/python3 ${PL_EXTEND_TESTS}/test_loopback.py --parley $<TARGET_FILE:parley_app>)
set_tests_properties(extend/loopback PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300
  LABELS "extend")

# Trainer -> PLMD -> C on a tiny synthetic corpus; two runs identical.
add_test(NAME extend/train
         COMMAND /usr/bin/python3 ${PL_EXTEND_TESTS}/test_train.py --extend-run $<TARGET_FILE:extend_run>)
set_tests_properties(extend/train PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS "extend;ai")
