#!/bin/sh
# A DTAC plugin in Python: this launcher, then a zip of the plugin's code (__main__.py and the stubs
# protoc made from the .proto files). Python runs a zip's __main__.py, finding the archive from its
# end, so it skips these lines. The first python3 on PATH that has the grpc and protobuf modules
# runs it (Debian: apt-get install python3-grpcio python3-protobuf).
IFS=:
for dir in $PATH; do
  if [ -x "$dir/python3" ] && "$dir/python3" -c 'import grpc, google.protobuf' >/dev/null 2>&1; then
    exec "$dir/python3" "$0" "$@"
  fi
done
echo "$0 needs python3 with the grpc and protobuf modules, and no python3 on PATH has them (Debian: apt-get install python3-grpcio python3-protobuf)" >&2
exit 3
