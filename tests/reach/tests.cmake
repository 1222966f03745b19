# Reach (docs/reach.md): NAT traversal between two `parley call` processes
# in network namespaces the script builds and removes itself (two private
# LANs behind nftables NAT routers, coturn on the public side). Needs root,
# nft and coturn; exits 77 (skipped) where it cannot make namespaces.
set(PL_REACH_ENV "PARLEY=${CMAKE_BINARY_DIR}/bin/parley;PL_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
foreach(c cone symmetric udp udp-noturn ula rebind restart)
  add_test(NAME reach/nat_${c} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_nat.sh ${c})
  set_tests_properties(reach/nat_${c} PROPERTIES ENVIRONMENT "${PL_REACH_ENV}" TIMEOUT 60
                       LABELS interop SKIP_RETURN_CODE 77)
endforeach()
# Headless Chromium behind natA, relay only through coturn, calling the
# engine behind natB (issue 22).
add_test(NAME reach/nat_chromium COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_nat.sh chromium)
set_tests_properties(reach/nat_chromium PROPERTIES ENVIRONMENT "${PL_REACH_ENV}" TIMEOUT 120
                     LABELS interop SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
# IPv6 host candidates over ::1 (no namespaces needed).
add_test(NAME reach/ipv6 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_ipv6.sh)
set_tests_properties(reach/ipv6 PROPERTIES ENVIRONMENT "${PL_REACH_ENV}" TIMEOUT 60
                     LABELS interop SKIP_RETURN_CODE 77)
# Headless Chromium with iceTransportPolicy 'relay' <-> parley --ice-relay-only,
# through coturn on loopback.
add_test(NAME reach/chromium_relay COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_chromium_relay.sh)
set_tests_properties(reach/chromium_relay PROPERTIES ENVIRONMENT "${PL_REACH_ENV}" TIMEOUT 120
                     LABELS interop RUN_SERIAL TRUE)
# REST-API (use-auth-secret) credentials against coturn, on loopback.
add_test(NAME reach/turn_rest COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_turn_rest.sh)
set_tests_properties(reach/turn_rest PROPERTIES ENVIRONMENT "${PL_REACH_ENV}" TIMEOUT 60
                     LABELS interop)
# TURN over TLS (turns:) to coturn on loopback, a certificate made by the test.
add_test(NAME reach/turn_tls COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_turn_tls.sh)
set_tests_properties(reach/turn_tls PROPERTIES ENVIRONMENT "${PL_REACH_ENV}" TIMEOUT 60
                     LABELS interop SKIP_RETURN_CODE 77)
