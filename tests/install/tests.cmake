# The installable library and what is built against it (cmake/install.cmake).
# Not under sanitizers: an ASan-built libparley cannot be linked by a plain
# cc, and installing adds nothing for ASan to find.
if(NOT PL_SANITIZE)
  add_test(NAME app/exports COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_exports.sh)
  set_tests_properties(app/exports PROPERTIES
    ENVIRONMENT "PL_SOURCE_DIR=${CMAKE_SOURCE_DIR};PL_LIB_DIR=${CMAKE_BINARY_DIR}/lib"
    TIMEOUT 60 LABELS app)
  # Install into a temporary prefix, build every example there with cc and
  # pkg-config (and statically, and with find_package), run each.
  add_test(NAME app/examples COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_examples.sh)
  set_tests_properties(app/examples PROPERTIES
    ENVIRONMENT "PL_SOURCE_DIR=${CMAKE_SOURCE_DIR};PL_BUILD_DIR=${CMAKE_BINARY_DIR}"
    TIMEOUT 240 SKIP_RETURN_CODE 77 LABELS app RUN_SERIAL TRUE)
  add_test(NAME app/man COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_man.sh)
  set_tests_properties(app/man PROPERTIES
    ENVIRONMENT "PARLEY=${CMAKE_BINARY_DIR}/bin/parley;PL_MAN=${CMAKE_BINARY_DIR}/man/parley.1"
    TIMEOUT 60 SKIP_RETURN_CODE 77 LABELS app)
endif()
