# Sourced by the test scripts that need a TCP/UDP port on 127.0.0.1.
#
# pl_free_port: prints a port nothing on 127.0.0.1 holds now, for TCP or
# UDP. It is drawn below the kernel's ephemeral range (ip_local_port_range):
# a port inside it can be taken at any moment by some process's outgoing
# connection, which is how a WHIP peer once failed to bind with "Address
# already in use" in CI. Checked by binding both protocols, so a port a test
# running beside this one already holds is passed over. A port can still be
# taken between this check and its use; the scripts that start a server
# retry with a new port when that happens.
pl_free_port() {
  local lo=32768 hi p i
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  hi=$((lo - 1))
  [ "$hi" -gt 12000 ] || hi=32767
  for i in $(seq 50); do
    p=$((10000 + RANDOM % (hi - 10000)))
    if python3 - "$p" 2>/dev/null <<'PY'
import socket, sys
p = int(sys.argv[1])
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", p))
    s.close()
PY
    then
      echo "$p"
      return 0
    fi
  done
  echo "pl_free_port: no free port below $lo after 50 tries" >&2
  return 1
}
