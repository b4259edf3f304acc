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
