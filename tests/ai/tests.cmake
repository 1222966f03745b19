# AI foundation script tests (included by tests/CMakeLists.txt). They need
# /usr/bin/python3 with torch and numpy (python3-torch, python3-numpy) and
# fail with a clear message when those are missing.
set(PL_AI_TESTS ${CMAKE_CURRENT_LIST_DIR})
set(PL_PY /usr/bin/python3)

add_executable(nn_run ${PL_AI_TESTS}/nn_run.c)
target_link_libraries(nn_run PRIVATE parley)
set_target_properties(nn_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# PyTorch layer-by-layer parity of ai/nn, both ISAs.
add_test(NAME ai/parity COMMAND ${PL_PY} ${PL_AI_TESTS}/parity.py --nn-run $<TARGET_FILE:nn_run>)
# Train a tiny GRU stack, check the loss falls, run the export in C.
add_test(NAME ai/train_smoke
         COMMAND ${PL_PY} ${PL_AI_TESTS}/test_train_smoke.py --nn-run $<TARGET_FILE:nn_run>)
# ai.train.embed output compiles and loads with pl_model_load_static.
set(PL_EMBED_FLAGS "")
if(PL_SANITIZE)
  set(PL_EMBED_FLAGS "-fsanitize=address,undefined")
endif()
add_test(NAME ai/embed
         COMMAND ${PL_PY} ${PL_AI_TESTS}/test_embed.py --cc ${CMAKE_C_COMPILER}
                 --lib $<TARGET_FILE:parley> --src ${CMAKE_SOURCE_DIR}
                 "--flags=${PL_EMBED_FLAGS}")
set_tests_properties(ai/parity ai/train_smoke ai/embed PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS ai)
set_tests_properties(ai/train_smoke PROPERTIES LABELS "ai;slow")
# The trainer's switches (cells, optimizers, losses, schedules, L1/L2,
# dropout, TBPTT resets) on a few steps each.
add_test(NAME ai/trainer_options COMMAND ${PL_PY} ${PL_AI_TESTS}/test_trainer_options.py)
set_tests_properties(ai/trainer_options PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS "ai;slow")

# ai/nn conv2d against XNNPACK (libxnnpack-dev, libpthreadpool-dev), built
# as a benchmark so `make bench` runs it; skipped when XNNPACK is absent.
find_library(PL_XNNPACK_LIB XNNPACK)
find_path(PL_XNNPACK_INC xnnpack.h)
find_path(PL_PTHREADPOOL_INC pthreadpool.h)
if(PL_XNNPACK_LIB AND PL_XNNPACK_INC AND PL_PTHREADPOOL_INC)
  add_executable(bench_nn_xnnpack ${PL_AI_TESTS}/bench_xnnpack.c)
  target_include_directories(bench_nn_xnnpack PRIVATE ${PL_XNNPACK_INC} ${PL_PTHREADPOOL_INC})
  target_link_libraries(bench_nn_xnnpack PRIVATE parley ${PL_XNNPACK_LIB})
  set_target_properties(bench_nn_xnnpack PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
else()
  message(STATUS "XNNPACK comparison not built (need libxnnpack-dev and libpthreadpool-dev)")
endif()

# The learned bandwidth estimator: C (pl_nn_seq, and the whole controller in
# a simulated call) against PyTorch on the shipped weights.
add_test(NAME ai/bwe_parity
         COMMAND ${PL_PY} ${PL_AI_TESTS}/test_bwe_parity.py --nn-run $<TARGET_FILE:nn_run>
                 --gen $<TARGET_FILE:bench_bwe_gen> --model ${CMAKE_SOURCE_DIR}/ai/models/bwe.plmd)
set_tests_properties(ai/bwe_parity PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS ai)
