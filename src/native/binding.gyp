# Builds the Passerelle native addon (DESIGN §4): TUN device and ICMP echo socket.
# N-API only, so the same binary serves Node and Electron. Linux has the real
# implementation; other platforms build a stub whose functions throw until their
# backends (macOS utun, Windows wintun) land behind the same interface.
{
  'targets': [
    {
      'target_name': 'passerelle_native',
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': [
        'NAPI_VERSION=8',
        # Errors are reported as pending JS exceptions, never as C++ exceptions.
        'NAPI_DISABLE_CPP_EXCEPTIONS',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
      ],
      'sources': ['addon/addon.cc', 'addon/errors.cc'],
      'conditions': [
        [
          'OS=="linux"',
          {
            'sources': ['addon/fd_poller.cc', 'addon/tun_linux.cc', 'addon/icmp_socket_linux.cc'],
            'cflags_cc': ['-Wall', '-Wextra', '-Wno-missing-field-initializers'],
          },
          {
            'sources': ['addon/unsupported.cc'],
          },
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
}
