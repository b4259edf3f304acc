# Builds the Passerelle native code (DESIGN §4). N-API only, so one binary serves Node and
# Electron.
# - passerelle_core: the native core both data planes share (event loop, TLS, nghttp2 glue,
#   capsules, packets, byte queues), a static library compiled position-independent so that it
#   can go into the addons. Linked against Debian's OpenSSL 3 and nghttp2 (shared libraries:
#   Debian's libnghttp2.a is not PIC).
# - passerelle_client: the client's data plane (src/native/client/). Loaded with RTLD_DEEPBIND
#   by src/native/load.ts so its calls reach Debian's libraries, not Node's own copies.
# - passerelle_native: the TUN device and ICMP echo socket used by the rest of the app (the
#   gateway's ICMP echo, the native lab tests).
# - passerelle_peer: SO_PEERCRED for the privileged helper, which loads nothing else.
# Linux has the real implementations; other platforms build stubs until their backends (macOS
# utun, Windows wintun) land behind the same interfaces.
{
  'target_defaults': {
    'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
    'defines': [
      'NAPI_VERSION=8',
      # Errors are reported as pending JS exceptions, never as C++ exceptions.
      'NAPI_DISABLE_CPP_EXCEPTIONS',
      'NODE_ADDON_API_DISABLE_DEPRECATED',
    ],
    'cflags_cc': ['-Wall', '-Wextra', '-Wno-missing-field-initializers'],
  },
  'targets': [
    {
      'target_name': 'passerelle_native',
      'sources': ['addon/addon.cc', 'addon/errors.cc'],
      'conditions': [
        [
          'OS=="linux"',
          {'sources': ['addon/fd_poller.cc', 'addon/tun_linux.cc', 'addon/icmp_socket_linux.cc']},
          {'sources': ['addon/unsupported.cc']},
        ],
      ],
    },
    {
      # The privileged helper's only native code (SO_PEERCRED): a module of its own, so the
      # helper never loads the client's data plane.
      'target_name': 'passerelle_peer',
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'conditions': [
        [
          'OS=="linux"',
          {
            'sources': ['addon/unix_peer_linux.cc'],
            'cflags_cc': ['-Wall', '-Wextra', '-Wno-missing-field-initializers'],
          },
        ],
      ],
    },
  ],
  'conditions': [
    [
      'OS=="linux"',
      {
        'targets': [
          {
            'target_name': 'passerelle_core',
            'type': 'static_library',
            'cflags': ['-fPIC'],
            'sources': [
              'core/byte_queue.cc',
              'core/capsule.cc',
              'core/checksum.cc',
              'core/h2_transport.cc',
              'core/ipv4_text.cc',
              'core/library_info.cc',
              'core/loop.cc',
              'core/packet.cc',
              'core/tls.cc',
            ],
            'direct_dependent_settings': {
              'include_dirs': ['core'],
              'libraries': ['-lssl', '-lcrypto', '-lnghttp2'],
            },
          },
          {
            # The gateway's data plane: an executable, not an addon. The TypeScript control
            # plane starts it as a child process with least rights (docs/gateway-dataplane.md),
            # so it links Debian's OpenSSL and nghttp2 with no Node in the process.
            'target_name': 'passerelle_gateway',
            'type': 'executable',
            'dependencies': ['passerelle_core'],
            'include_dirs': ['gateway'],
            'sources': [
              'gateway/main.cc',
              'gateway/admission/bearer.cc',
              'gateway/admission/caps.cc',
              'gateway/admission/front_door.cc',
              'gateway/admission/masque_path.cc',
              'gateway/admission/policy.cc',
              'gateway/admission/tables.cc',
              'gateway/admission/target.cc',
              'gateway/control/codec.cc',
              'gateway/control/control_thread.cc',
              'gateway/control/wire.cc',
              'gateway/flows/admission_steps.cc',
              'gateway/flows/flow_record.cc',
              'gateway/flows/icmp_echo.cc',
              'gateway/flows/icmp_filter.cc',
              'gateway/flows/proxy_status.cc',
              'gateway/flows/tcp_target.cc',
              'gateway/http1/chunked.cc',
              'gateway/http1/front.cc',
              'gateway/http1/request_head.cc',
              'gateway/http2/api_stream.cc',
              'gateway/http2/datagram_downlink.cc',
              'gateway/http2/ip_stream.cc',
              'gateway/http2/session.cc',
              'gateway/http2/tcp_stream.cc',
              'gateway/http2/tunnel.cc',
              'gateway/http2/udp_stream.cc',
              'gateway/process/privilege.cc',
              'gateway/process/seccomp.cc',
              'gateway/worker/connection.cc',
              'gateway/worker/events.cc',
              'gateway/worker/tls_server.cc',
              'gateway/worker/worker.cc',
            ],
            'libraries': ['-lpthread'],
          },
          {
            'target_name': 'passerelle_client',
            'dependencies': ['passerelle_core'],
            'sources': [
              'client/addon.cc',
              'client/connection.cc',
              'client/data_plane.cc',
              'client/gateway_link.cc',
              'client/icmp_relay.cc',
              'client/link_streams.cc',
              'client/packet_router.cc',
              'client/stats.cc',
              'client/tcp_flow.cc',
              'client/tcp_stack.cc',
              'client/tun_device.cc',
              'client/udp_flows.cc',
            ],
          },
        ],
      },
    ],
  ],
}
