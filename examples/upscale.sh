#!/usr/bin/env bash
# A command-line client of the upscale API in plain bash + curl, for the contract
# suite's command adapter:
#   stability-mock contract --client-cmd "bash examples/upscale.sh {operation} {image} {output} {fields}"
# Usage: upscale.sh OPERATION IMAGE OUTPUT FIELDS_JSON
# STABILITY_API_BASE (default https://api.stability.ai) and STABILITY_API_KEY come from the environment.
set -euo pipefail

operation=$1 image=$2 output=$3 fields_json=$4
base=${STABILITY_API_BASE:-https://api.stability.ai}
key=${STABILITY_API_KEY:?set STABILITY_API_KEY}
poll_seconds=${STABILITY_POLL_SECONDS:-10}
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# Each JSON field becomes a --form-string (never read as @file or <file by curl).
form=()
while IFS= read -r -d '' pair; do
  form+=(--form-string "$pair")
done < <(python3 -c 'import json, sys
for name, value in json.load(open(sys.argv[1])).items():
    sys.stdout.write(f"{name}={value}\0")' "$fields_json")

call() { # METHOD PATH [curl args...] -> prints the HTTP status and content type, body in $body
  local method=$1 path=$2
  shift 2
  curl -sS -X "$method" -o "$body" -w '%{http_code} %{content_type}' \
    -H "Authorization: Bearer $key" -H "Accept: image/*" "$@" "$base$path"
}

fail() {
  echo "upscale.sh: $1: $(head -c 500 "$body")" >&2
  exit 1
}

read -r status content_type <<<"$(call POST "/v2beta/stable-image/upscale/$operation" -F "image=@$image" "${form[@]}")"
[ "$status" = 200 ] || fail "start answered $status"

# Conservative answers the image at once on the live API (and the mock's live
# profile), a generation id under the seed spec: only a JSON answer is polled.
if [[ "$content_type" == application/json* ]]; then
  id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$body")
  while :; do
    read -r status content_type <<<"$(call GET "/v2beta/results/$id")"
    [ "$status" = 202 ] || break
    sleep "$poll_seconds"
  done
  [ "$status" = 200 ] || fail "poll answered $status"
fi

# Written only once complete, so a failure never leaves a partial output file.
mv "$body" "$output"
trap - EXIT
