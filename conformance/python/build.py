"""Generates the Python protobuf/gRPC modules the KV plugin needs into ./gen (gitignored).

Run: python3 conformance/python/build.py  (needs grpcio-tools, see requirements.txt)
"""
import pathlib
import shutil
import sys
import tempfile

from grpc_tools import protoc

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "gen"

SOURCES = [
    (ROOT / "examples/go-plugin-kv/proto", "kv/kv.proto"),
    (ROOT / "packages/contract/proto-vendor", "plugin/grpc_controller.proto"),
]
# The health proto's path (grpc/health/v1/...) would generate a `grpc` package shadowing grpcio's own;
# compile a copy under another path (the proto package, and so the wire names, stay grpc.health.v1).
HEALTH = ROOT / "packages/contract/proto-vendor/grpc/health/v1/health.proto"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    include = str(pathlib.Path(protoc.__file__).parent / "_proto")
    staged = pathlib.Path(tempfile.mkdtemp())
    (staged / "health_v1").mkdir()
    shutil.copy(HEALTH, staged / "health_v1" / "health.proto")
    for proto_root, rel in [*SOURCES, (staged, "health_v1/health.proto")]:
        args = ["protoc", f"-I{proto_root}", f"-I{include}", f"--python_out={OUT}", f"--grpc_python_out={OUT}", rel]
        if protoc.main(args) != 0:
            print(f"build.py: protoc failed for {rel}", file=sys.stderr)
            return 1
    shutil.rmtree(staged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
