// A fresh self-signed P-256 certificate for tests, made with OpenSSL (no files).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

namespace testing {

struct Identity {
  std::string certificate;
  std::string key;
  uint8_t sha256[32];
};

inline Identity MakeIdentity(const char* name) {
  Identity identity;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x509 = X509_new();
  X509_set_version(x509, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
  X509_set_pubkey(x509, key);
  X509_NAME* subject = X509_get_subject_name(x509);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
  X509_set_issuer_name(x509, subject);
  X509_sign(x509, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x509);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  identity.certificate.assign(data, static_cast<size_t>(length));
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  length = BIO_get_mem_data(bio, &data);
  identity.key.assign(data, static_cast<size_t>(length));
  BIO_free(bio);
  unsigned int digest_length = 0;
  X509_digest(x509, EVP_sha256(), identity.sha256, &digest_length);
  X509_free(x509);
  EVP_PKEY_free(key);
  return identity;
}

}  // namespace testing
