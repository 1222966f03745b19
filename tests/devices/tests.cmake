# Sound devices (engine/audio_pulse.c) against a PulseAudio server the test
# starts itself. Real time: not under ASan (-LE realtime).
add_test(NAME app/pulse_call COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_pulse_call.sh)
set_tests_properties(app/pulse_call PROPERTIES
  ENVIRONMENT "PARLEY=${CMAKE_BINARY_DIR}/bin/parley;PL_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS "app;realtime" RUN_SERIAL TRUE)
