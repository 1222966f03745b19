# Interop with real peers: headless Chromium (playwright-core from npm, installed
# by the test into tests/interop/node_modules) and coturn as a STUN server.
set(PL_INTEROP_ENV "PARLEY=${CMAKE_BINARY_DIR}/bin/parley;PL_SOURCE_DIR=${CMAKE_SOURCE_DIR};PL_BIN_DIR=${CMAKE_BINARY_DIR}")
foreach(t chromium_call coturn_two_engines)
  add_test(NAME interop/${t} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_${t}.sh)
  set_tests_properties(interop/${t} PROPERTIES ENVIRONMENT "${PL_INTEROP_ENV}" TIMEOUT 180
                       LABELS interop RUN_SERIAL TRUE)
endforeach()
# Video both ways with Chromium (fake camera in, test pattern out), per codec.
foreach(codec vp8 vp9)
  add_test(NAME interop/chromium_video_${codec}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_chromium_video.sh ${codec})
  set_tests_properties(interop/chromium_video_${codec} PROPERTIES ENVIRONMENT "${PL_INTEROP_ENV}"
                       TIMEOUT 180 LABELS interop RUN_SERIAL TRUE)
endforeach()
