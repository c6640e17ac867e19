// OpenSSL objects owned by std::unique_ptr: one deleter template and an alias per type, so
// that no file has to spell out its own deleter structs.
//
// Header only. The libcrypto types need OpenSSL::Crypto (which vigil_common links); the
// libssl ones (SSL_CTX, SSL) are only named here, so a target that owns them must link
// OpenSSL::SSL itself.
#ifndef VIGIL_COMMON_OPENSSL_PTR_H_
#define VIGIL_COMMON_OPENSSL_PTR_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace vigil {

// A std::unique_ptr deleter that hands the pointer to OpenSSL's `Free` for its type (for
// example &BN_free). Stateless, so the smart pointer stays the size of a raw pointer.
template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* ptr) const {
    Free(ptr);
  }
};

namespace openssl_internal {
// OPENSSL_free as a function (it is a macro, which cannot be a template argument).
inline void FreeBuffer(void* ptr) { OPENSSL_free(ptr); }
}  // namespace openssl_internal

// Owners of one OpenSSL object each (null when the constructor function failed).
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<&BN_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<&BIO_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslFree<&ECDSA_SIG_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<&EVP_MD_CTX_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<&EVP_PKEY_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<&EVP_PKEY_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslFree<&OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslFree<&OSSL_PARAM_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<&X509_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<&X509_EXTENSION_free>>;
// libssl objects (see the file comment).
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslFree<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslFree<&SSL_free>>;

// Owner of memory OpenSSL allocated for the caller (PEM names and headers, DER and text
// buffers), released with OPENSSL_free.
template <typename T>
using OpenSslBufferPtr = std::unique_ptr<T, OpenSslFree<&openssl_internal::FreeBuffer>>;

}  // namespace vigil

#endif  // VIGIL_COMMON_OPENSSL_PTR_H_
