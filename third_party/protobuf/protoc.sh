#!/bin/sh
# Debian's protoc (package protobuf-compiler), matching libprotobuf-dev's runtime.
exec /usr/bin/protoc "$@"
