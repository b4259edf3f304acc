// Which copies of OpenSSL and nghttp2 an addon is bound to. Node exports its own OpenSSL and
// most nghttp2 symbols; an addon loaded the ordinary way would call some functions in Node's
// copies and some in Debian's. This reports the versions the addon's calls reach and, for each
// function, the file dladdr() names for the address the dynamic linker bound in the addon: the
// proof (test/unit/native-binding.test.ts) that RTLD_DEEPBIND binds every call to one copy.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace passerelle::core {

struct LibraryInfo {
  std::string openssl_version;  // OpenSSL_version(OPENSSL_VERSION) as called from the addon
  std::string nghttp2_version;  // nghttp2_version(0)->version_str
  // function name → the shared object its bound address lies in
  std::vector<std::pair<std::string, std::string>> bindings;
};

LibraryInfo DescribeLibraries();

}  // namespace passerelle::core
