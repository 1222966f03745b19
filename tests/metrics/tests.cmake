# Script tests of the media-file and metrics component (see docs/metrics.md).
foreach(t vs_ffmpeg cli)
  add_test(NAME metrics/${t}
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_${t}.sh $<TARGET_FILE:parley_app>)
  set_tests_properties(metrics/${t} PROPERTIES TIMEOUT 300 LABELS metrics
    SKIP_RETURN_CODE 77)
endforeach()
add_test(NAME metrics/stoi_ref
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_stoi_ref.sh ${PL_FIXTURES}/metrics)
set_tests_properties(metrics/stoi_ref PROPERTIES TIMEOUT 300 LABELS metrics
  SKIP_RETURN_CODE 77)
