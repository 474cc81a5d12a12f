#!/usr/bin/env python3
"""A go-plugin KV plugin in Python, written only from docs/protocol.md.

Serves `proto.KV` (cookie BASIC_PLUGIN=hello, app version 1) plus the services every plugin serves:
grpc.health.v1.Health and plugin.GRPCController. It does not serve plugin.GRPCStdio or the broker, which
hosts must tolerate (docs/protocol.md §3). Values are kept in memory.
"""
import os
import signal
import sys
import tempfile
import threading
import uuid
from concurrent import futures

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from health_v1 import health_pb2, health_pb2_grpc  # noqa: E402
from kv import kv_pb2, kv_pb2_grpc  # noqa: E402
from plugin import grpc_controller_pb2, grpc_controller_pb2_grpc  # noqa: E402

COOKIE_KEY, COOKIE_VALUE = "BASIC_PLUGIN", "hello"
SUPPORTED_VERSIONS = [1]
COOKIE_MESSAGE = (
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically\n"
)


class KV(kv_pb2_grpc.KVServicer):
    def __init__(self):
        self.store = {}
        self.lock = threading.Lock()

    def Get(self, request, context):
        with self.lock:
            return kv_pb2.GetResponse(value=self.store.get(request.key, b""))

    def Put(self, request, context):
        with self.lock:
            self.store[request.key] = request.value
        return kv_pb2.Empty()


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service in ("plugin", ""):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop):
        self.stop = stop

    def Shutdown(self, request, context):
        self.stop.set()
        return grpc_controller_pb2.Empty()


def choose_version():
    offered = []
    for part in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(","):
        part = part.strip()
        if part.isdigit():
            offered.append(int(part))
    common = [v for v in SUPPORTED_VERSIONS if v in offered]
    return max(common) if common else min(SUPPORTED_VERSIONS)


def main():
    # §2.1: the cookie first.
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        sys.stderr.write(COOKIE_MESSAGE)
        return 1
    # §2.2: the version.
    version = choose_version()
    # §2.3: a unix socket in PLUGIN_UNIX_SOCKET_DIR (or the temp dir).
    sock_dir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.gettempdir()
    path = os.path.join(sock_dir, "plugin" + uuid.uuid4().hex[:10])
    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    kv_pb2_grpc.add_KVServicer_to_server(KV(), server)
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stop), server)
    server.add_insecure_port("unix:" + path)
    server.start()
    # §2.6: ignore SIGINT; stop on SIGTERM or Shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # §2.5: the handshake line, the only thing ever written to stdout.
    sys.stdout.write(f"1|{version}|unix|{path}|grpc|\n")
    sys.stdout.flush()
    sys.stderr.write("[INFO] python kv plugin serving\n")
    sys.stderr.flush()
    stop.wait()
    server.stop(grace=1).wait()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
