#!/bin/sh
# Writes the parley(1) man page to stdout from the program's own --help
# texts (`parley --help` and `parley COMMAND --help` for every command), so
# the page and the help cannot disagree. Run at build time by CMake
# (cmake/install.cmake) with the freshly built program:
#   scripts/gen-man.sh build/bin/parley > build/man/parley.1
set -eu
parley=$1
version=$("$parley" version | awk '{print $2}')

# roff escapes: backslashes, hyphens (so they copy and paste as ASCII), and
# a leading dot or quote that would read as a request.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }

cat <<HDR
.TH PARLEY 1 "" "parley $version" "User Commands"
.SH NAME
parley \- a WebRTC-style real-time call engine: calls, the loopback lab, quality metrics
.SH SYNOPSIS
.B parley
.I COMMAND
[\fIoptions\fR]
.br
.B parley
.I COMMAND
.B \-\-help
.SH DESCRIPTION
Parley makes two-party audio, video and data calls (WebRTC: ICE, DTLS-SRTP, WHIP signaling), runs
both ends of a call through an emulated network on a simulated clock, and measures the quality of
what was received. Each command below is described by its own \fB\-\-help\fR text. The engine itself
is a C library, libparley (\fIparley.h\fR, \fBpkg-config parley\fR).
.SH COMMANDS
HDR

"$parley" --help 2>/dev/null | awk 'NR > 2 && NF { print $1 }' | while read -r cmd; do
  printf '.SS "parley %s"\n' "$cmd"
  "$parley" "$cmd" --help 2>/dev/null | esc | awk '
    # "usage: ..." lines: the synopsis, in bold.
    /^usage: / { sub(/^usage: /, ""); printf ".PP\n.B %s\n.PP\n", $0; intag = 0; next }
    # "  --opt ARG    text": a tagged paragraph. The option ends at the
    # first run of two spaces, else after the option word and one argument
    # word (upper case, or with | or =).
    /^  +\\-/ {
      line = $0; sub(/^ +/, "", line)
      if (match(line, /  +/)) { opt = substr(line, 1, RSTART - 1); text = substr(line, RSTART + RLENGTH) }
      else {
        n = split(line, w, " "); opt = w[1]; k = 2
        if (n >= 2 && w[2] ~ /^[A-Z[]|[|=]/) { opt = opt " " w[2]; k = 3 }
        text = ""; for (i = k; i <= n; i++) text = text (i > k ? " " : "") w[i]
      }
      printf ".TP\n.B %s\n%s\n", opt, text; intag = 1; next
    }
    # Deeper-indented lines continue the paragraph above.
    /^    / && intag { sub(/^ +/, ""); print; next }
    /^ *$/ { print ".PP"; intag = 0; next }
    { sub(/^ +/, ""); if (intag) { print ".PP"; intag = 0 } print; print ".br" }
  '
done

cat <<'FTR'
.SH ENVIRONMENT
.TP
.B PARLEY_LOG
log level: trace, debug, info, warn (default), error or off.
.TP
.B PULSE_SERVER
the PulseAudio server that \fB\-\-mic\fR, \fB\-\-speaker\fR and \fB\-\-list\-devices\fR use.
.SH EXIT STATUS
0 on success, 1 when the work failed (a call that did not connect, unreadable input), 2 for a usage error.
.SH SEE ALSO
The library's API: docs/api.md in the source tree; the design: docs/architecture.md.
FTR
