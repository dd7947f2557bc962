#pragma once

// Key objects on a PKCS#11 session, as hsm::Token's files share them (internal to hsm/): object
// search and attributes, an owner that destroys an object, a key pair's type and public half, the
// RFC 5280 key identifier, and key-pair generation.

#include <openssl/types.h>

#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/handle.hpp"
#include "hsm/pkcs11.hpp"
#include "hsm/signer.hpp"

namespace signet::hsm {

// Plain (non-HSM) keys are always made by OpenSSL's default provider, never by the bridge.
inline constexpr const char* kDefaultProvider = "provider=default";

// --- Object search and attributes ----------------------------------------------------------

std::vector<CK_OBJECT_HANDLE> find_objects(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                                           std::vector<CK_ATTRIBUTE> query);

Bytes get_attribute(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object,
                    CK_ATTRIBUTE_TYPE type);

template <class T>
T get_scalar(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object,
             CK_ATTRIBUTE_TYPE type) {
    T value{};
    CK_ATTRIBUTE attribute{type, &value, sizeof value};
    check_rv(api.C_GetAttributeValue(s, object, &attribute, 1), "C_GetAttributeValue");
    return value;
}

// Destroys a (session) object when the scope ends, whatever happens in between.
class ObjectGuard {
  public:
    ObjectGuard(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object)
        : api_(api), s_(s), object_(object) {}
    ~ObjectGuard() {
        if (object_ != CK_INVALID_HANDLE)
            api_.C_DestroyObject(s_, object_);
    }
    ObjectGuard(const ObjectGuard&) = delete;
    ObjectGuard& operator=(const ObjectGuard&) = delete;
    void release() noexcept { object_ = CK_INVALID_HANDLE; }

  private:
    const CK_FUNCTION_LIST& api_;
    CK_SESSION_HANDLE s_;
    CK_OBJECT_HANDLE object_;
};

// Token objects of a class by CKA_LABEL or CKA_ID.
std::vector<CK_OBJECT_HANDLE> find_by_label(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                                            CK_OBJECT_CLASS object_class, const std::string& label);
std::vector<CK_OBJECT_HANDLE> find_by_id(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                                         CK_OBJECT_CLASS object_class, ByteView id);
// The one secret key labelled `label`: Errc::not_found, or failed_precondition for several.
CK_OBJECT_HANDLE find_kek(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                          const std::string& label);

// --- Public keys ---------------------------------------------------------------------------

// What kind of key pair an object holds, from its attributes.
KeyType read_key_type(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE object);

EvpPkeyPtr read_public_key(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s,
                           CK_OBJECT_HANDLE public_object, KeyType type);

Bytes spki_der(EVP_PKEY* key);
EvpPkeyPtr parse_spki(ByteView der);

// RFC 5280 §4.2.1.2 method 1: the SHA-1 of the subjectPublicKey BIT STRING's value.
Bytes key_identifier(EVP_PKEY* key);

// --- Key generation ------------------------------------------------------------------------

struct KeyPairHandles {
    CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
};

// Generates a key pair. `on_token` makes token objects (CA/TSA/OCSP keys: never extractable);
// otherwise session objects whose private half may leave only wrapped (user keys).
KeyPairHandles generate_pair(const CK_FUNCTION_LIST& api, CK_SESSION_HANDLE s, KeyType type,
                             const std::string& label, bool on_token);

}  // namespace signet::hsm
