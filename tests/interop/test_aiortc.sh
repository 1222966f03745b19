#!/usr/bin/env bash
# aiortc (Debian's python3-aiortc) and `parley call`, both ways, with and
# without a=end-of-candidates in aiortc's SDP (it writes the line in every
# SDP): test_aiortc.sh [offer|answer eoc|noeoc]; see peer_call.sh.
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/peer_call.sh" aiortc_peer.py aiortc "$@"
