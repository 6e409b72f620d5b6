package io.dtac.broker.server.internal;

import com.google.common.io.ByteStreams;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.PluginServiceGrpc;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The broker forwards a call's request body and its answer as bytes: {@code AgentService/CallPlugin}
 * and {@code PluginService/Call} with marshallers that read only what the broker routes on
 * ({@code plugin_name}, {@code method}, {@code action}) and keep the {@code EndpointRequest} and
 * the {@code EndpointResponse} as the bytes they arrived as, re-framed into the next hop's message
 * without a parse and re-serialisation of their maps and body.
 *
 * <p>The broker still checks them as it did when it parsed them: every map entry of a request or
 * answer is walked and its strings checked for UTF-8 (the body and unknown fields are skipped, not
 * copied), so a target never receives, and a caller never gets back, a message that protobuf
 * would refuse; the {@code dtac-*} metadata of a request is replaced ({@link #stamp}). A request
 * that is not a valid message fails its parse with INVALID_ARGUMENT (which {@link RequestGuard}
 * reports and audits); an answer that is not one fails with INTERNAL.
 */
public final class ByteForwarding {
  private static final int PLUGIN_NAME = tag(1);
  private static final int METHOD = tag(2);
  private static final int ACTION = tag(3);
  private static final int REQUEST = tag(4);
  /** EndpointRequest and EndpointResponse share their layout: three maps, then the body. */
  private static final int METADATA = tag(1);
  private static final int HEADERS = tag(2);
  private static final int PARAMETERS = tag(3);
  private static final int ENTRY_KEY = tag(1);
  private static final int ENTRY_VALUE = tag(2);
  private static final int LIST_VALUES = tag(1);
  /** EndpointRequestMessage.method and .request; EndpointResponseMessage.response. */
  private static final int MESSAGE_METHOD = tag(1);
  private static final int MESSAGE_REQUEST = tag(2);
  private static final int MESSAGE_RESPONSE = tag(2);
  /** PluginCallResponse.response. */
  private static final int CALL_RESPONSE = tag(1);

  /** {@code AgentService/CallPlugin}: a {@link PluginCall} in, an EndpointResponse's bytes out. */
  public static final MethodDescriptor<PluginCall, ByteString> CALL_PLUGIN =
      AgentServiceGrpc.getCallPluginMethod()
          .toBuilder(new PluginCallMarshaller(), new FramingMarshaller(CALL_RESPONSE, "PluginCallResponse"))
          .build();

  /**
   * {@code PluginService/Call}: an EndpointRequestMessage's bytes ({@link #endpointRequestMessage})
   * in, the answer's EndpointResponse's bytes out.
   */
  public static final MethodDescriptor<ByteString, ByteString> CALL =
      PluginServiceGrpc.getCallMethod()
          .toBuilder(BytesMarshaller.INSTANCE, new FramingMarshaller(MESSAGE_RESPONSE, "EndpointResponseMessage"))
          .build();

  private ByteForwarding() {}

  /** A {@code CallPlugin} request: its routing fields, and its EndpointRequest as bytes. */
  public record PluginCall(String pluginName, String method, String action, ByteString request) {
    /** The same call, from a parsed message. */
    public static PluginCall of(io.dtac.broker.api.PluginCallRequest call) {
      return new PluginCall(call.getPluginName(), call.getMethod(), call.getAction(), call.getRequest().toByteString());
    }
  }

  /**
   * {@code request} with every metadata entry whose key {@code reserved} matches removed and
   * {@code stamped} added after the rest, otherwise byte for byte as it came (unknown fields, the
   * order of entries and the body included).
   *
   * @param request an EndpointRequest's bytes, already checked by a parse of this class
   */
  public static ByteString stamp(ByteString request, Predicate<String> reserved, Map<String, String> stamped) {
    ByteString kept = ByteString.EMPTY;
    int keptFrom = 0;
    try {
      CodedInputStream in = input(request);
      int start = 0;
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == METADATA) {
          ByteString entry = in.readBytes();
          if (reserved.test(key(entry))) {
            kept = kept.concat(request.substring(keptFrom, start));
            keptFrom = in.getTotalBytesRead();
          }
        } else {
          in.skipField(tag);
        }
        start = in.getTotalBytesRead();
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("the request was not checked before it was stamped", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    kept = keptFrom == 0 ? request : kept.concat(request.substring(keptFrom));
    return kept.concat(entries(stamped));
  }

  /** An EndpointRequestMessage for endpoint key {@code method}, around {@code request}'s bytes. */
  public static ByteString endpointRequestMessage(String method, ByteString request) {
    int head = CodedOutputStream.computeStringSize(1, method) + lengthPrefix(request);
    byte[] bytes = new byte[head];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeString(1, method);
      writeLengthPrefix(out, 2, request);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return UnsafeByteOperations.unsafeWrap(bytes).concat(request);
  }

  /**
   * The EndpointResponse {@code bytes} hold.
   *
   * @throws io.grpc.StatusRuntimeException INTERNAL if they are not one (they were checked when
   *     they arrived, so this does not happen)
   */
  public static EndpointResponse endpointResponse(ByteString bytes) {
    try {
      return EndpointResponse.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL.withDescription("the plugin's answer is not a valid EndpointResponse").withCause(e)
          .asRuntimeException();
    }
  }

  private static int tag(int field) {
    return field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  private static CodedInputStream input(ByteString bytes) {
    CodedInputStream in = bytes.newCodedInput();
    // Fields read are slices of the message, not copies (a ByteString is immutable).
    in.enableAliasing(true);
    return in;
  }

  private static int lengthPrefix(ByteString value) {
    return CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(value.size());
  }

  private static void writeLengthPrefix(CodedOutputStream out, int field, ByteString value) throws IOException {
    out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(value.size());
  }

  /** Field {@code field} of a message, length-delimited, holding {@code value}. */
  private static ByteString framed(int field, ByteString value) {
    byte[] head = new byte[lengthPrefix(value)];
    CodedOutputStream out = CodedOutputStream.newInstance(head);
    try {
      writeLengthPrefix(out, field, value);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return UnsafeByteOperations.unsafeWrap(head).concat(value);
  }

  /** Metadata map entries of an EndpointRequest, one per key, in the map's order. */
  private static ByteString entries(Map<String, String> metadata) {
    ByteString.Output bytes = ByteString.newOutput(64 * metadata.size());
    CodedOutputStream out = CodedOutputStream.newInstance(bytes, 256);
    try {
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        int size = CodedOutputStream.computeStringSize(1, e.getKey()) + CodedOutputStream.computeStringSize(2, e.getValue());
        out.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        out.writeString(1, e.getKey());
        out.writeString(2, e.getValue());
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteString();
  }

  /** The key of a map entry (the last one, as protobuf reads a repeated field). */
  private static String key(ByteString entry) throws IOException {
    CodedInputStream in = input(entry);
    String key = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == ENTRY_KEY) {
        key = in.readStringRequireUtf8();
      } else {
        in.skipField(tag);
      }
    }
    return key;
  }

  /**
   * Checks an EndpointRequest's or EndpointResponse's bytes the way its parse would: every map
   * entry well-formed, every string UTF-8; the body and unknown fields only skipped.
   */
  static void check(ByteString message) throws IOException {
    CodedInputStream in = input(message);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == METADATA) {
        checkEntry(in, false);
      } else if (tag == HEADERS || tag == PARAMETERS) {
        checkEntry(in, true);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static void checkEntry(CodedInputStream in, boolean listValue) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == ENTRY_KEY || (tag == ENTRY_VALUE && !listValue)) {
        checkUtf8(in);
      } else if (tag == ENTRY_VALUE) {
        int list = in.pushLimit(in.readRawVarint32());
        for (int t = in.readTag(); t != 0; t = in.readTag()) {
          if (t == LIST_VALUES) {
            checkUtf8(in);
          } else {
            in.skipField(t);
          }
        }
        in.popLimit(list);
      } else {
        in.skipField(tag);
      }
    }
    in.popLimit(limit);
  }

  private static void checkUtf8(CodedInputStream in) throws IOException {
    if (!in.readBytes().isValidUtf8()) {
      throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
    }
  }

  /** All of a message's bytes, read once into one array. */
  private static ByteString readAll(InputStream stream) throws IOException {
    if (stream instanceof KnownLength) {
      byte[] bytes = new byte[stream.available()];
      ByteStreams.readFully(stream, bytes);
      if (stream.read() == -1) {
        return UnsafeByteOperations.unsafeWrap(bytes);
      }
      // More than announced: read the rest the slow way.
      return UnsafeByteOperations.unsafeWrap(bytes).concat(ByteString.readFrom(stream));
    }
    return UnsafeByteOperations.unsafeWrap(stream.readAllBytes());
  }

  /** {@code AgentService/CallPlugin}'s request: routing fields parsed, the EndpointRequest not. */
  private static final class PluginCallMarshaller implements MethodDescriptor.Marshaller<PluginCall> {
    @Override
    public InputStream stream(PluginCall call) {
      ByteString.Output bytes = ByteString.newOutput();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes, 256);
      try {
        out.writeString(1, call.pluginName());
        out.writeString(2, call.method());
        out.writeString(3, call.action());
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new BytesStream(bytes.toByteString().concat(framed(4, call.request())));
    }

    @Override
    public PluginCall parse(InputStream stream) {
      try {
        CodedInputStream in = input(readAll(stream));
        String pluginName = "";
        String method = "";
        String action = "";
        ByteString request = ByteString.EMPTY;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
          if (tag == PLUGIN_NAME) {
            pluginName = in.readStringRequireUtf8();
          } else if (tag == METHOD) {
            method = in.readStringRequireUtf8();
          } else if (tag == ACTION) {
            action = in.readStringRequireUtf8();
          } else if (tag == REQUEST) {
            // A message field that repeats is merged: its occurrences, concatenated.
            request = request.concat(in.readBytes());
          } else {
            in.skipField(tag);
          }
        }
        check(request);
        return new PluginCall(pluginName, method, action, request);
      } catch (IOException e) {
        throw Status.INVALID_ARGUMENT.withDescription("the request is not a valid PluginCallRequest")
            .withCause(e).asRuntimeException();
      }
    }
  }

  /**
   * A message whose one field the broker uses is an EndpointResponse ({@code PluginCallResponse}
   * field 1, {@code EndpointResponseMessage} field 2): parse takes that field's bytes (checked),
   * stream frames bytes as that field.
   */
  private static final class FramingMarshaller implements MethodDescriptor.Marshaller<ByteString> {
    private final int tag;
    private final String name;

    FramingMarshaller(int tag, String name) {
      this.tag = tag;
      this.name = name;
    }

    @Override
    public InputStream stream(ByteString response) {
      return new BytesStream(framed(WireFormat.getTagFieldNumber(tag), response));
    }

    @Override
    public ByteString parse(InputStream stream) {
      try {
        CodedInputStream in = input(readAll(stream));
        ByteString response = ByteString.EMPTY;
        for (int t = in.readTag(); t != 0; t = in.readTag()) {
          if (t == tag) {
            response = response.concat(in.readBytes());
          } else {
            in.skipField(t);
          }
        }
        check(response);
        return response;
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("the plugin's answer is not a valid " + name).withCause(e)
            .asRuntimeException();
      }
    }
  }

  /** Bytes as they are: an EndpointRequestMessage the broker framed. */
  static final class BytesMarshaller implements MethodDescriptor.Marshaller<ByteString> {
    static final BytesMarshaller INSTANCE = new BytesMarshaller();

    @Override
    public InputStream stream(ByteString value) {
      return new BytesStream(value);
    }

    @Override
    public ByteString parse(InputStream stream) {
      try {
        return readAll(stream);
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read the message").withCause(e).asRuntimeException();
      }
    }
  }

  /**
   * Bytes to send: of known length, so gRPC frames them without a copy to measure them, and
   * drained straight into the transport's buffer.
   */
  private static final class BytesStream extends InputStream implements KnownLength, Drainable {
    private ByteString bytes;
    private InputStream reading;

    BytesStream(ByteString bytes) {
      this.bytes = bytes;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (reading != null) {
        return (int) ByteStreams.copy(reading, target);
      }
      int n = bytes.size();
      bytes.writeTo(target);
      bytes = ByteString.EMPTY;
      return n;
    }

    private InputStream reading() {
      if (reading == null) {
        reading = bytes.newInput();
      }
      return reading;
    }

    @Override
    public int read() throws IOException {
      return reading().read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return reading().read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      return reading == null ? bytes.size() : reading.available();
    }
  }
}
