"""WordCountPlugin: a DTAC plugin in Python, written from docs/PROTOCOL.md and the .proto files alone.

It counts the words of a text and asks another plugin for a greeting through the agent's broker
(HelloPlugin's read:hello by default), passing on the call token so that the broker sees one call
chain. The example agent loads it next to the Java plugins; CalculatorPlugin calls it.

Endpoints (root path "wordcount"):
  create:count  body {"text": "..."}: answers {"words": N, "greeting": "...", "greeting_error": null}

Configuration (RegisterRequest.config, a JSON object; every key optional):
  greeting_plugin, greeting_path, greeting_action: the endpoint to ask for a greeting
  (default HelloPlugin, hello, read); its answer's "message" is the greeting.

Generated stubs: plugin_pb2, plugin_pb2_grpc, agent_pb2, agent_pb2_grpc, made by protoc from
dtac-broker-api/src/main/proto when the build packages this file (see package.sh).
"""

import json
import os
import queue
import socket
import sys
import threading
from concurrent import futures

import grpc

import agent_pb2
import agent_pb2_grpc
import plugin_pb2
import plugin_pb2_grpc

NAME = "WordCountPlugin"
ROOT_PATH = "wordcount"
API_VERSION = "plug_api_1.0"
ENV = os.environ


def log(level, message, **fields):
    """A log record for the agent (LoggingStream); dropped when the queue is full, never blocks."""
    record = plugin_pb2.LogMessage(
        level=level, message=message,
        fields=[plugin_pb2.LogField(key=k, value=str(v)) for k, v in fields.items()])
    try:
        LOG_QUEUE.put_nowait(record)
    except queue.Full:
        pass


LOG_QUEUE = queue.Queue(maxsize=10000)


# --- Who may call: PROTOCOL.md, "Identity" -------------------------------------------------------

def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def agent_pid():
    """DTAC_AGENT_PID when that process is an ancestor of this one, else the parent process."""
    try:
        named = int(ENV.get("DTAC_AGENT_PID", ""))
    except ValueError:
        named = 0
    pid = os.getppid()
    while pid > 1:
        if pid == named:
            return named
        pid = parent_of(pid)
    return os.getppid()


def proc_hex(host, port):
    """The forms in which /proc/net/tcp and tcp6 print an address: each 32-bit word in host
    (little-endian) byte order; an IPv4 address also as IPv4-mapped IPv6 (dual-stack sockets)."""
    def words(raw):
        return "".join(raw[i:i + 4][::-1].hex().upper() for i in range(0, len(raw), 4))
    if ":" in host:
        return {f"{words(socket.inet_pton(socket.AF_INET6, host))}:{port:04X}"}
    v4 = socket.inet_pton(socket.AF_INET, host)
    mapped = bytes(10) + bytes([0xFF, 0xFF]) + v4
    return {f"{words(v4)}:{port:04X}", f"{words(mapped)}:{port:04X}"}


def parse_peer(peer):
    """grpc's peer string, "ipv4:127.0.0.1:5555" or "ipv6:[::1]:5555", as (host, port); else None."""
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host, _, port = rest.rpartition(":")
    return host.strip("[]"), int(port)


def caller_is(pid, peer, server_port):
    """Whether process pid holds the client end of the connection from peer to our server_port."""
    parsed = parse_peer(peer)
    if parsed is None:
        return False
    host, port = parsed
    local = proc_hex(host, port)
    remote = proc_hex(host, server_port)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) >= 10 and f[1] in local and f[2] in remote:
                link = f"socket:[{f[9]}]"
                try:
                    fds = os.listdir(f"/proc/{pid}/fd")
                except OSError:
                    return False
                for fd in fds:
                    try:
                        if os.readlink(f"/proc/{pid}/fd/{fd}") == link:
                            return True
                    except OSError:
                        pass
                return False
    return False


def pem_blocks(data):
    """The base64 bodies of the PEM certificates in data, in order."""
    text = data.decode() if isinstance(data, bytes) else data
    return ["".join(block.split("-----BEGIN CERTIFICATE-----", 1)[1].split())
            for block in text.split("-----END CERTIFICATE-----") if "-----BEGIN CERTIFICATE-----" in block]


class AgentOnly:
    """Refuses (UNAUTHENTICATED) every call that does not come from the agent: over TLS with
    DTAC_TLS_CA, one whose client certificate is not exactly the agent's; where the kernel
    attests (Linux), one whose connection another process opened."""

    def __init__(self):
        self.agent = agent_pid()
        self.attested = os.path.exists("/proc/net/tcp")
        self.port = 0
        self.agent_certificate = None

    def check(self, context):
        if self.agent_certificate is not None:
            presented = context.auth_context().get("x509_pem_cert", [b""])[0]
            if pem_blocks(presented)[:1] != [self.agent_certificate]:
                context.abort(grpc.StatusCode.UNAUTHENTICATED,
                              f"plugin {NAME} accepts calls from its agent only: not the agent's certificate")
        if self.attested and not caller_is(self.agent, context.peer(), self.port):
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          f"plugin {NAME} accepts calls from its agent only (process {self.agent})")


# --- The broker: PROTOCOL.md, "Calling another plugin" ------------------------------------------

def pem(value):
    """DTAC_TLS_* hold PEM text; a value that is not PEM is read as a file path."""
    if not value:
        return None
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    with open(value, "rb") as f:
        return f.read()


class Broker:
    def __init__(self, address, credential):
        self.credential = credential
        options = []
        if ENV.get("DTAC_TLS_CA"):
            creds = grpc.ssl_channel_credentials(
                root_certificates=pem(ENV["DTAC_TLS_CA"]),
                private_key=pem(ENV.get("DTAC_TLS_KEY")),
                certificate_chain=pem(ENV.get("DTAC_TLS_CERT")))
            # The agent's certificate names localhost, 127.0.0.1 and ::1; a socket path is no name.
            options.append(("grpc.ssl_target_name_override", "localhost"))
            self.channel = grpc.secure_channel(address, creds, options)
        else:
            self.channel = grpc.insecure_channel(address, options)
        self.stub = agent_pb2_grpc.AgentServiceStub(self.channel)

    def call(self, plugin, path, action, request, served):
        """Calls plugin's endpoint within the call being served (its token, its remaining time)."""
        metadata = []
        if served.token:
            metadata.append(("dtac-call-token", served.token))
        if self.credential:
            metadata.append(("dtac-broker-credential", self.credential))
        # W3C trace context: copied unchanged, so that the chain stays one trace (docs/PROTOCOL.md).
        metadata.extend(served.trace_headers)
        reply = self.stub.CallPlugin(
            agent_pb2.PluginCallRequest(plugin_name=plugin, method=path, action=action, request=request),
            timeout=served.time_remaining(), metadata=metadata)
        if reply.error:  # an agent with the Go broker reports failures here, with an OK status
            raise BrokerError(grpc.StatusCode.UNKNOWN, reply.error)
        return reply.response


class BrokerError(Exception):
    def __init__(self, code, details):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


class Served:
    """What a nested broker call inherits from the endpoint call being served."""

    def __init__(self, request, context):
        self.token = request.metadata.get("dtac-call-token", "")
        self.context = context
        self.trace_headers = [(k, v) for k, v in context.invocation_metadata()
                              if k in ("traceparent", "tracestate")]

    def time_remaining(self):
        return self.context.time_remaining()


# --- The plugin service ---------------------------------------------------------------------------

class WordCount(plugin_pb2_grpc.PluginServiceServicer):
    def __init__(self, guard, credential):
        self.guard = guard
        self.credential = credential
        self.registered = False
        self.lock = threading.Lock()
        self.broker = None
        self.greeting = ("HelloPlugin", "hello", "read")

    def Register(self, request, context):
        self.guard.check(context)
        with self.lock:
            if self.registered:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                              f"plugin {NAME} is already registered; Register is accepted once per process")
            self.registered = True
        config = json.loads(request.config or "{}")
        self.greeting = (config.get("greeting_plugin", "HelloPlugin"),
                         config.get("greeting_path", "hello"),
                         config.get("greeting_action", "read"))
        if request.broker_address:
            self.broker = Broker(request.broker_address, self.credential)
            log(plugin_pb2.INFO, "broker client initialized", address=request.broker_address)
        return plugin_pb2.RegisterResponse(endpoints=[plugin_pb2.PluginEndpoint(
            path="count", action="create", secure=request.default_secure, auth_group="user",
            description='Counts the words of {"text": ...} and asks HelloPlugin for a greeting;'
                        ' answers {"words": N, "greeting": ..., "greeting_error": ...}',
            expected_body_schema='{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}')])

    def Call(self, request, context):
        self.guard.check(context)
        if request.method != "create:count":
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"plugin {NAME} has no endpoint '{request.method}'; endpoints: create:count")
        try:
            body = json.loads(request.request.body or b"{}")
        except ValueError as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the body is not JSON: {e}")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "field 'text' must be a string")
        answer = {"words": len(text.split()), "greeting": None, "greeting_error": None}
        try:
            answer["greeting"] = self.ask_greeting(request.request, context)
        except (BrokerError, grpc.RpcError, ValueError) as e:
            answer["greeting_error"] = describe(e)
            log(plugin_pb2.WARNING, "greeting call failed", error=answer["greeting_error"])
        return plugin_pb2.EndpointResponseMessage(response=plugin_pb2.EndpointResponse(
            value=json.dumps(answer).encode()))

    def ask_greeting(self, served_request, context):
        if self.broker is None:
            raise ValueError("broker client is not initialized")
        plugin, path, action = self.greeting
        reply = self.broker.call(plugin, path, action, plugin_pb2.EndpointRequest(),
                                 Served(served_request, context))
        return json.loads(reply.value or b"{}").get("message")

    def LoggingStream(self, request, context):
        self.guard.check(context)
        while context.is_active():
            try:
                yield LOG_QUEUE.get(timeout=1)
            except queue.Empty:
                pass


def describe(e):
    if isinstance(e, grpc.RpcError):
        return f"{e.code().name}: {e.details()}"
    return str(e)


# --- Launch and handshake: PROTOCOL.md, "Launch" --------------------------------------------------

def read_line_from_stdin():
    """The first line of stdin, unbuffered, so the watch below sees everything after it."""
    line = bytearray()
    while True:
        b = os.read(0, 1)
        if not b or b == b"\n":
            return line.decode().strip()
        line += b


def exit_when_stdin_closes():
    while os.read(0, 4096):
        pass
    os._exit(0)


def main():
    if ENV.get("DTAC_PLUGINS") != "true":
        print(f"{NAME} is a DTAC plugin: only the agent starts it (DTAC_PLUGINS=true is not set)",
              file=sys.stderr)
        sys.exit(1)
    credential = read_line_from_stdin() if ENV.get("DTAC_BROKER_CREDENTIAL_STDIN") == "true" else None
    if ENV.get("DTAC_WATCH_STDIN") == "true":
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()

    guard = AgentOnly()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    plugin_pb2_grpc.add_PluginServiceServicer_to_server(WordCount(guard, credential), server)
    cert, key, ca = ENV.get("DTAC_TLS_CERT"), ENV.get("DTAC_TLS_KEY"), ENV.get("DTAC_TLS_CA")
    tls = bool(cert and key)
    if tls:
        chain = pem(cert)
        # The client certificate must come from the CA that issued ours (the last one in
        # DTAC_TLS_CERT), and check() pins it to the agent's own (DTAC_TLS_CA). The CA, not the
        # agent's certificate, is the trust root here: a TLS client offers a certificate only
        # when its issuer is among the server's acceptable CAs.
        issuer = "-----BEGIN CERTIFICATE-----\n" + pem_blocks(chain)[-1] + "\n-----END CERTIFICATE-----\n"
        if ca:
            guard.agent_certificate = pem_blocks(pem(ca))[0]
        creds = grpc.ssl_server_credentials(
            [(pem(key), chain)], root_certificates=issuer.encode() if ca else None, require_client_auth=bool(ca))
        guard.port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        guard.port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"CONNECT{{{{{NAME}:{ROOT_PATH}:grpc:tcp:127.0.0.1:{guard.port}:{API_VERSION}:"
          f"[tls={'true' if tls else 'false'}]}}}}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
