# App-level tests: real processes, real sockets, real files, a real browser.
set(PL_APP_TEST_ENV "PARLEY=${CMAKE_BINARY_DIR}/bin/parley;PL_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
foreach(t call_two_process loopback_report loopback_plc loopback_denoise cli_errors loopback_video
          call_video listener_hostile
          whip_client call_data loopback_cc_drop serve)
  add_test(NAME app/${t} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_${t}.sh)
  set_tests_properties(app/${t} PROPERTIES ENVIRONMENT "${PL_APP_TEST_ENV}" TIMEOUT 240
                       SKIP_RETURN_CODE 77 LABELS app RUN_SERIAL TRUE)
endforeach()
# Quality figures of a real-time call between two processes hold on the
# release build; under ASan the processes run 2-3x slower and a loaded
# machine makes their media threads miss ticks, so `make asan` leaves these
# out (-LE realtime). The same code paths run under ASan in the
# deterministic simulated-clock tests (tests/e2e).
set_tests_properties(app/call_two_process app/call_video PROPERTIES LABELS "app;realtime")
# Memory stays flat over a simulated call (tests/bench/soak.c).
add_test(NAME app/soak COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_soak.sh)
set_tests_properties(app/soak PROPERTIES ENVIRONMENT "${PL_APP_TEST_ENV}" TIMEOUT 300
                     SKIP_RETURN_CODE 77 LABELS app RUN_SERIAL TRUE)
