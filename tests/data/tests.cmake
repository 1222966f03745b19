# ai/data pipeline: builds a --small corpus twice in a temp dir and checks
# determinism, SNR, RT60, loss traces, manifests and train/eval disjointness.
# Exit 77 = data packages absent and not installable (ai/data/install.sh);
# the timeout leaves room for that install when make check did not do it.
add_test(NAME data/corpus COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_data.py)
set_tests_properties(data/corpus PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS data)
