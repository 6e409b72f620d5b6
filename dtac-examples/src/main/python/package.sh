#!/bin/sh
# Packages a Python example plugin as one executable file, OUT: launcher.sh followed by a zip of
# SOURCE_DIR's *.py and the Python stubs protoc generates from PROTO_DIR's plugin.proto and
# agent.proto. Without protoc, grpc_python_plugin, or a python3 on PATH with the grpc and protobuf
# modules (what the plugin runs with), it writes nothing and says so: the example agent then runs
# without the plugin. The zip's entries are sorted and dated 1980-02-01,
# so the same sources give the same file.
# Usage: package.sh PROTO_DIR SOURCE_DIR WORK_DIR OUT [PROTO_FILE...] (default: plugin.proto agent.proto)
set -eu
proto=$1 src=$2 work=$3 out=$4
shift 4
[ $# -gt 0 ] || set -- plugin.proto agent.proto
missing=
for tool in protoc grpc_python_plugin; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
python=
IFS=:
for dir in $PATH; do
  if [ -z "$python" ] && [ -x "$dir/python3" ] && "$dir/python3" -c 'import grpc, google.protobuf' >/dev/null 2>&1; then
    python="$dir/python3"
  fi
done
unset IFS
[ -n "$python" ] || missing="$missing python3-grpcio/python3-protobuf"
if [ -n "$missing" ]; then
  echo "[WARNING] $(basename "$out") not built: missing$missing (Debian: apt-get install protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf)"
  rm -f "$out"
  exit 0
fi
rm -rf "$work"
mkdir -p "$work/stubs" "$(dirname "$out")"
protoc -I "$proto" --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" "$@"
"$python" - "$work/app.zip" "$src" "$work/stubs" <<'PY'
import os, sys, zipfile
out, *dirs = sys.argv[1:]
files = sorted((name, os.path.join(d, name)) for d in dirs for name in os.listdir(d) if name.endswith(".py"))
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, path in files:
        info = zipfile.ZipInfo(name, date_time=(1980, 2, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
PY
cat "$(dirname "$0")/launcher.sh" "$work/app.zip" > "$out.tmp"
chmod 755 "$out.tmp"
mv "$out.tmp" "$out"
echo "[INFO] wrote $out"
