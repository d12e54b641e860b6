#!/bin/sh
# Chromium at a low priority, for bench_classroom.py (DROPVIZ_CHROMIUM=bench/nice_chromium.sh): in a real
# classroom the students' browsers run on their own laptops, not on the server's cores.
exec nice -n "${DROPVIZ_BROWSER_NICE:-15}" /usr/bin/chromium "$@"
