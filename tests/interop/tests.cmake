# Interop with real peers: headless Chromium (playwright-core from npm, installed
# by the test into tests/interop/node_modules) and coturn as a STUN server.
set(PL_INTEROP_ENV "PARLEY=${CMAKE_BINARY_DIR}/bin/parley;PL_SOURCE_DIR=${CMAKE_SOURCE_DIR};PL_BIN_DIR=${CMAKE_BINARY_DIR}")
foreach(t chromium_call chromium_red chromium_data coturn_two_engines)
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
# Chromium's send rate follows our TWCC feedback through `parley relay` (a
# capacity step down with a 5 s queue: only delay-based control can react).
add_test(NAME interop/chromium_cc COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_chromium_cc.sh)
set_tests_properties(interop/chromium_cc PROPERTIES ENVIRONMENT "${PL_INTEROP_ENV}" TIMEOUT 90
                     LABELS interop RUN_SERIAL TRUE)
# aiortc and GStreamer's webrtcbin (Python peers, Debian packages): each
# offers to the listener and answers `parley call --connect` through a tiny
# WHIP server, with and without a=end-of-candidates; audio checked both ways.
foreach(stack aiortc gstreamer)
  foreach(who offer answer)
    foreach(eoc eoc noeoc)
      add_test(NAME interop/${stack}_${who}_${eoc}
               COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_${stack}.sh ${who} ${eoc})
      set_tests_properties(interop/${stack}_${who}_${eoc} PROPERTIES
                           ENVIRONMENT "${PL_INTEROP_ENV}" TIMEOUT 60 SKIP_RETURN_CODE 77
                           LABELS interop RUN_SERIAL TRUE)
    endforeach()
  endforeach()
endforeach()
# Two aiortc clients at once on one `parley serve` (issue 17): each hears the
# file the server plays, the server records each caller's tone.
add_test(NAME interop/aiortc_serve COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_aiortc_serve.sh)
set_tests_properties(interop/aiortc_serve PROPERTIES ENVIRONMENT "${PL_INTEROP_ENV}" TIMEOUT 90
                     SKIP_RETURN_CODE 77 LABELS interop RUN_SERIAL TRUE)
