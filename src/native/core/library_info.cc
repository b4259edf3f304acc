#include "library_info.h"

#include <dlfcn.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

namespace passerelle::core {

namespace {

std::string ObjectOf(const void* address) {
  Dl_info info;
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "?";
  return info.dli_fname;
}

template <typename F>
const void* AddressOf(F* function) {
  return reinterpret_cast<const void*>(function);
}

}  // namespace

LibraryInfo DescribeLibraries() {
  LibraryInfo info;
  info.openssl_version = OpenSSL_version(OPENSSL_VERSION);
  info.nghttp2_version = nghttp2_version(0)->version_str;
  info.bindings = {
      {"OpenSSL_version", ObjectOf(AddressOf(&OpenSSL_version))},
      {"EVP_EncryptUpdate", ObjectOf(AddressOf(&EVP_EncryptUpdate))},
      {"SSL_CTX_new", ObjectOf(AddressOf(&SSL_CTX_new))},
      {"SSL_write_ex", ObjectOf(AddressOf(&SSL_write_ex))},
      {"nghttp2_version", ObjectOf(AddressOf(&nghttp2_version))},
      {"nghttp2_session_client_new2", ObjectOf(AddressOf(&nghttp2_session_client_new2))},
      {"nghttp2_session_server_new2", ObjectOf(AddressOf(&nghttp2_session_server_new2))},
      {"nghttp2_submit_request", ObjectOf(AddressOf(&nghttp2_submit_request))},
      {"nghttp2_session_mem_recv", ObjectOf(AddressOf(&nghttp2_session_mem_recv))},
  };
  return info;
}

}  // namespace passerelle::core
