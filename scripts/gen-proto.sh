#!/usr/bin/env bash
# Regenerates Sources/Sync/recolha_sync.pb.swift from proto/recolha_sync.proto.
# Needs protoc (apt: protobuf-compiler); builds protoc-gen-swift from the
# swift-protobuf version Package.swift names. The generated file is committed,
# so building Recolha never needs either.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "gen-proto: protoc is missing: apt-get install protobuf-compiler" >&2; exit 2; }
swift build --product protoc-gen-swift >/tmp/gen-proto-build.log 2>&1 || { echo "gen-proto: building protoc-gen-swift failed: see /tmp/gen-proto-build.log" >&2; exit 1; }
plugin="$(swift build --show-bin-path)/protoc-gen-swift"
protoc --plugin=protoc-gen-swift="$plugin" --swift_out=Sources/Sync --swift_opt=Visibility=Public -I proto proto/recolha_sync.proto
echo "gen-proto: wrote Sources/Sync/recolha_sync.pb.swift"
