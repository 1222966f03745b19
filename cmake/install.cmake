# The installable library: libparley.so and libparley.a from the objects of
# parley_obj, parley.h, parley.pc and the CMake package Parley::parley,
# placed by `cmake --install` (or `make install PREFIX=...`).

# Shared: exports exactly the PL_API functions (tests/install/test_exports.sh).
# libopus 1.5 from build-deps is a static, PIC archive: it is linked in,
# and --exclude-libs keeps its symbols (and any other archive's) out of the
# dynamic symbol table, so an app's own libopus cannot collide with ours.
add_library(parley_shared SHARED)
target_link_libraries(parley_shared PRIVATE parley_obj)
set_target_properties(parley_shared PROPERTIES
  OUTPUT_NAME parley
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
target_link_options(parley_shared PRIVATE -Wl,--exclude-libs,ALL)
if(NOT PL_SANITIZE)
  # Every symbol resolved at link time: a missing dependency fails here,
  # not in an app.
  target_link_options(parley_shared PRIVATE -Wl,--no-undefined)
endif()

# Static: one relocatable object (the same objects plus libopus 1.5 when it
# is ours) in which only the exported names stay global, so static linking
# hides the internals and the bundled libopus just as the shared library does.
set(PL_STATIC_EXTRA "")
if(PL_OPUS_TARGET STREQUAL "pl_opus")
  set(PL_STATIC_EXTRA -Wl,--whole-archive ${PL_OPUS_PREFIX}/lib/libopus.a -Wl,--no-whole-archive)
endif()
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/lib/libparley.a
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/lib
  COMMAND sh ${CMAKE_SOURCE_DIR}/cmake/static-lib.sh ${CMAKE_C_COMPILER} ${CMAKE_OBJCOPY}
          ${CMAKE_AR} $<TARGET_FILE:parley_shared> ${CMAKE_BINARY_DIR}/lib/libparley.a
          $<TARGET_OBJECTS:parley_obj> ${PL_STATIC_EXTRA}
  DEPENDS parley_obj parley_shared $<TARGET_OBJECTS:parley_obj> ${CMAKE_SOURCE_DIR}/cmake/static-lib.sh
  COMMAND_EXPAND_LISTS
  COMMENT "Linking the installable static library lib/libparley.a")
add_custom_target(parley_static_lib ALL DEPENDS ${CMAKE_BINARY_DIR}/lib/libparley.a)

# pkg-config: what a static link needs beyond -lparley.
set(PL_PC_REQUIRES_PRIVATE "libsrtp2 vpx openssl speexdsp usrsctp")
if(NOT PL_OPUS_TARGET STREQUAL "pl_opus")
  string(APPEND PL_PC_REQUIRES_PRIVATE " opus")
endif()
if(PL_PULSE)
  string(APPEND PL_PC_REQUIRES_PRIVATE " libpulse")
endif()
set(PL_PC_LIBS_PRIVATE "-lhttp_parser -lyuv -lm -lpthread")
# Relocatable: the prefix is found from the .pc file's own place.
file(RELATIVE_PATH PL_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
file(RELATIVE_PATH PL_CMAKE_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/cmake/Parley" "/p")
configure_file(${CMAKE_SOURCE_DIR}/cmake/parley.pc.in ${CMAKE_BINARY_DIR}/parley.pc @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/cmake/ParleyConfig.cmake.in
               ${CMAKE_BINARY_DIR}/ParleyConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
# 0.x: minor versions may break the API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ParleyConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)

install(TARGETS parley_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_BINARY_DIR}/lib/libparley.a DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/parley.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/parley.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_BINARY_DIR}/ParleyConfig.cmake ${CMAKE_BINARY_DIR}/ParleyConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Parley)

# parley(1), written at build time from the program's own --help texts
# (scripts/gen-man.sh), so the page says what the binary does.
if(TARGET parley_app)
  add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/man/parley.1
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    # (An ASan build's program must not fail the build over a leak report.)
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
            sh ${CMAKE_SOURCE_DIR}/scripts/gen-man.sh $<TARGET_FILE:parley_app>
            > ${CMAKE_BINARY_DIR}/man/parley.1
    DEPENDS parley_app ${CMAKE_SOURCE_DIR}/scripts/gen-man.sh
    COMMENT "Writing man/parley.1 from parley --help")
  add_custom_target(parley_man ALL DEPENDS ${CMAKE_BINARY_DIR}/man/parley.1)
  install(FILES ${CMAKE_BINARY_DIR}/man/parley.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
