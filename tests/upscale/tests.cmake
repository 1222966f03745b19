# Super-resolution (ai/upscale): C against PyTorch on the shipped model, and
# the app-level checks of `parley upscale` (bad input, sizes, table script).
set(PL_UPSCALE_TESTS ${CMAKE_CURRENT_LIST_DIR})
add_test(NAME upscale/parity
         COMMAND /usr/bin/python3 ${PL_UPSCALE_TESTS}/test_parity.py --parley $<TARGET_FILE:parley_app>)
add_test(NAME upscale/cli COMMAND bash ${PL_UPSCALE_TESTS}/test_cli.sh)
set_tests_properties(upscale/parity upscale/cli PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR};OMP_NUM_THREADS=2;PARLEY=$<TARGET_FILE:parley_app>"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} TIMEOUT 300 LABELS "ai;upscale")
