#!/usr/bin/env bash
# GStreamer's webrtcbin (libnice ICE) and `parley call`, both ways, with and
# without a=end-of-candidates in webrtcbin's SDP:
# test_gstreamer.sh [offer|answer eoc|noeoc]; see peer_call.sh.
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/peer_call.sh" gst_peer.py gstreamer "$@"
