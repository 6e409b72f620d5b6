"""UpstreamPlugin: a plugin that behaves exactly like the existing DTAC agent's plugins and calls
the broker exactly as that agent's broker feature branch does (its Go PluginBase.CallPlugin):
built on upstream/plugin.proto only, no stdin watch, TLS only when DTAC_TLS_CERT/DTAC_TLS_KEY are
set (then also to the broker, trusting the system's roots), no metadata and no deadline on broker
calls. It uses nothing of this project but the handshake the protocol defines.

Endpoints (root path "upstream"):
  read:relay  parameters target, method, action (default HelloPlugin, hello, READ): one CallPlugin;
              answers {"ok": true, "value": "..."} or {"ok": false, "code": "...", "details": "..."}
  read:list   answers {"plugin_names": [...]} from ListPlugins
  read:env    answers {"tls_material": bool, "broker_address": "..."}

Run as `python3 upstream.plugin --call ADDRESS TARGET METHOD ACTION`, it makes the same call as
relay from a process the agent did not launch, prints the same JSON and exits.
"""

import json
import os
import sys
import threading
from concurrent import futures

import grpc

import plugin_pb2
import plugin_pb2_grpc

ENV = os.environ


def broker_channel(address):
    if ENV.get("DTAC_TLS_CERT") and ENV.get("DTAC_TLS_KEY"):
        creds = grpc.ssl_channel_credentials(
            private_key=ENV["DTAC_TLS_KEY"].encode(), certificate_chain=ENV["DTAC_TLS_CERT"].encode())
        return grpc.secure_channel(address, creds)
    return grpc.insecure_channel(address)


def relay(stub, target, method, action):
    try:
        reply = stub.CallPlugin(plugin_pb2.PluginCallRequest(
            target_plugin=target, method=method, action=action, request=plugin_pb2.EndpointRequest()))
    except grpc.RpcError as e:
        return {"ok": False, "code": e.code().name, "details": e.details()}
    if reply.error:
        return {"ok": False, "code": "OK", "details": reply.error}
    return {"ok": True, "value": reply.response.value.decode()}


def param(request, name, default):
    values = request.parameters.get(name)
    return values.values[0] if values and values.values else default


class Upstream(plugin_pb2_grpc.PluginServiceServicer):
    def __init__(self):
        self.address = ""
        self.stub = None

    def Register(self, request, context):
        self.address = request.broker_address
        if self.address:
            self.stub = plugin_pb2_grpc.AgentServiceStub(broker_channel(self.address))
        return plugin_pb2.RegisterResponse(endpoints=[
            plugin_pb2.PluginEndpoint(path=p, action="read", secure=True, auth_group="user")
            for p in ("relay", "list", "env")])

    def Call(self, request, context):
        r = request.request
        if request.method == "read:relay":
            answer = relay(self.stub, param(r, "target", "HelloPlugin"), param(r, "method", "hello"),
                           param(r, "action", "READ"))
        elif request.method == "read:list":
            answer = {"plugin_names": list(self.stub.ListPlugins(plugin_pb2.ListPluginsRequest()).plugin_names)}
        elif request.method == "read:env":
            answer = {"tls_material": bool(ENV.get("DTAC_TLS_CERT")), "broker_address": self.address}
        else:
            context.abort(grpc.StatusCode.NOT_FOUND, "no endpoint " + request.method)
        return plugin_pb2.EndpointResponseMessage(
            response=plugin_pb2.EndpointResponse(value=json.dumps(answer).encode()))

    def LoggingStream(self, request, context):
        yield plugin_pb2.LogMessage(level=plugin_pb2.INFO, message="upstream plugin started")
        ended = threading.Event()
        context.add_callback(ended.set)
        ended.wait()


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--call":
        stub = plugin_pb2_grpc.AgentServiceStub(broker_channel(sys.argv[2]))
        print(json.dumps(relay(stub, *sys.argv[3:6])), flush=True)
        return
    if ENV.get("DTAC_PLUGINS") != "true":
        print("this plugin must be loaded by the DTAC agent", file=sys.stderr)
        sys.exit(1)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    plugin_pb2_grpc.add_PluginServiceServicer_to_server(Upstream(), server)
    cert, key = ENV.get("DTAC_TLS_CERT"), ENV.get("DTAC_TLS_KEY")
    if cert and key:
        port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key.encode(), cert.encode())]))
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"CONNECT{{{{UpstreamPlugin:upstream:grpc:tcp:127.0.0.1:{port}:plug_api_1.0:[tls={'true' if cert and key else 'false'}]}}}}",
          flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
