#!/usr/bin/env bash
# One self-contained GPU check (issue #15). Two modes:
#   bash bench/gpu-check.sh [--pack-only] [--pack DIR]   in the repo: build the pack (esbuild bundle of
#        bench/gpu-check/main.ts + the linux-x64 dawn.node + python/medimg_shards + bench/torch_loader.py;
#        < 64 MiB), then run it unless --pack-only.
#   bash gpu-check.sh [--out DIR]                        inside a pack (e.g. carried to a GPU machine):
#        no network, no npm; a small 224² shard set is made on the spot; ends within 8 minutes.
# Prints one table and writes gpu-check.json ($OUT, --out, or the current directory).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -f "$here/gpu-check.mjs" ]; then   # ── run mode (inside a pack) ──
  out="${OUT:-$PWD}"
  [ "${1:-}" = "--out" ] && out="$2"
  if ! command -v node >/dev/null; then
    echo "gpu-check: Node.js not found (need Node >= 20; nothing else is required). Nothing ran." >&2
    exit 2
  fi
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then echo "gpu-check: Node $(node -v) is too old (need >= 20). Nothing ran." >&2; exit 2; fi
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
  cd "$here" && exec timeout -k 10 470 node gpu-check.mjs --out "$out" --budget-s 420 2> >(grep -v -E '^(Warning: max|error: XDG_RUNTIME_DIR)' >&2)
fi

# ── pack mode (in the repo) ──
repo="$(cd "$here/.." && pwd)"
pack="$repo/out/gpu-check"
run=1
while [ $# -gt 0 ]; do
  case "$1" in
    --pack-only) run=0 ;;
    --pack) pack="$2"; shift ;;
    *) echo "usage: bash bench/gpu-check.sh [--pack-only] [--pack DIR]" >&2; exit 2 ;;
  esac
  shift
done
cd "$repo"
dawn="node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || { echo "gpu-check: $dawn missing (run npm ci; the webgpu package is an optionalDependency)" >&2; exit 2; }
rm -rf "$pack" && mkdir -p "$pack/node_modules/webgpu/dist/linux-x64" "$pack/python"
# One ESM bundle; `webgpu` stays external (its index.js loads dawn.node next to it); sharp is never
# loaded on this path; tfjs-backend-wasm is not needed (the CPU reference uses the cpu backend).
npx esbuild bench/gpu-check/main.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --outfile="$pack/gpu-check.mjs" --external:webgpu --external:sharp --external:@tensorflow/tfjs-backend-wasm \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" || exit 1
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$pack/node_modules/webgpu/"
cp "$dawn" "$pack/node_modules/webgpu/dist/linux-x64/"
cp -r python/medimg_shards "$pack/python/" && rm -rf "$pack/python/medimg_shards/__pycache__"
cp bench/torch_loader.py "$pack/torch_loader.py"
cp bench/gpu-check.sh "$pack/gpu-check.sh"
bytes=$(du -sb "$pack" | cut -f1)
echo "pack: $pack ($(( bytes / 1024 / 1024 )) MiB, $bytes bytes; limit 64 MiB)"
[ "$bytes" -lt $((64 * 1024 * 1024)) ] || { echo "gpu-check: pack exceeds 64 MiB" >&2; exit 1; }
[ "$run" = 1 ] && exec bash "$pack/gpu-check.sh" --out "${OUT:-$repo/out}"
exit 0
