#!/usr/bin/env bash
# Broken on purpose: saves whatever the API answers as the image and exits 0.
set -uo pipefail
operation=$1 image=$2 output=$3
curl -sS -o "$output" -H "Authorization: Bearer $STABILITY_API_KEY" -F "image=@$image" \
  --form-string prompt=x "$STABILITY_API_BASE/v2beta/stable-image/upscale/$operation"
exit 0
