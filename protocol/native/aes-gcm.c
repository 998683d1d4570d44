/*
 * AES-256-GCM over the system's OpenSSL (libcrypto.so.3, loaded with dlopen, so that building
 * needs no OpenSSL headers), in place, for client/cipher.ts. Node's own crypto runs the same
 * cipher several times slower on some builds; this one takes the chunk in one call and writes the
 * result over its input.
 *
 * Exports (Node-API):
 *   available: boolean          whether libcrypto and its AES-256-GCM were found
 *   seal(key, iv, aad, data, tag): void      encrypts data in place, writes the 16-byte tag
 *   open(key, iv, aad, data, tag): boolean   decrypts data in place; false (and data zeroed)
 *                                            when the tag does not check out
 *   key 32 bytes, iv 12 bytes, tag 16 bytes, all Uint8Array.
 */
#include <dlfcn.h>
#include <limits.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include "napi-bytes.h"

typedef struct ctx_st CTX;
typedef struct cipher_st CIPHER;
static CTX *(*ctx_new)(void);
static void (*ctx_free)(CTX *);
static const CIPHER *(*aes_256_gcm)(void);
static int (*cipher_init)(CTX *, const CIPHER *, void *, const unsigned char *, const unsigned char *, int);
static int (*cipher_update)(CTX *, unsigned char *, int *, const unsigned char *, int);
static int (*cipher_final)(CTX *, unsigned char *, int *);
static int (*ctx_ctrl)(CTX *, int, int, void *);
/* EVP_CTRL_GCM_GET_TAG, EVP_CTRL_GCM_SET_TAG */
#define GET_TAG 0x10
#define SET_TAG 0x11

static int load(void) {
  const char *names[] = {"libcrypto.so.3", "libcrypto.so"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) continue;
    ctx_new = (CTX * (*)(void)) dlsym(lib, "EVP_CIPHER_CTX_new");
    ctx_free = (void (*)(CTX *))dlsym(lib, "EVP_CIPHER_CTX_free");
    aes_256_gcm = (const CIPHER *(*)(void))dlsym(lib, "EVP_aes_256_gcm");
    cipher_init = (int (*)(CTX *, const CIPHER *, void *, const unsigned char *, const unsigned char *, int))dlsym(lib, "EVP_CipherInit_ex");
    cipher_update = (int (*)(CTX *, unsigned char *, int *, const unsigned char *, int))dlsym(lib, "EVP_CipherUpdate");
    cipher_final = (int (*)(CTX *, unsigned char *, int *))dlsym(lib, "EVP_CipherFinal_ex");
    ctx_ctrl = (int (*)(CTX *, int, int, void *))dlsym(lib, "EVP_CIPHER_CTX_ctrl");
    if (ctx_new && ctx_free && aes_256_gcm && cipher_init && cipher_update && cipher_final && ctx_ctrl && aes_256_gcm()) return 1;
    dlclose(lib);
  }
  return 0;
}

/* Runs one seal (enc = 1) or open (enc = 0); returns 1 on success, 0 on a failed tag, -1 on bad arguments (thrown). */
static int run(napi_env env, napi_callback_info info, int enc) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    napi_throw_type_error(env, "ERR_ARGS", "takes key, iv, aad, data and tag");
    return -1;
  }
  uint8_t *key, *iv, *aad, *data, *tag;
  size_t key_len, iv_len, aad_len, data_len, tag_len;
  if (!bytes_of(env, argv[0], &key, &key_len) || !bytes_of(env, argv[1], &iv, &iv_len) || !bytes_of(env, argv[2], &aad, &aad_len) ||
      !bytes_of(env, argv[3], &data, &data_len) || !bytes_of(env, argv[4], &tag, &tag_len)) {
    napi_throw_type_error(env, "ERR_ARGS", "key, iv, aad, data and tag must be Uint8Arrays");
    return -1;
  }
  if (key_len != 32 || iv_len != 12 || tag_len != 16 || data_len > INT_MAX || aad_len > INT_MAX) {
    napi_throw_range_error(env, "ERR_RANGE", "key is 32 bytes, iv 12, tag 16; data and aad below 2 GiB");
    return -1;
  }
  CTX *ctx = ctx_new();
  if (!ctx) {
    napi_throw_error(env, "ERR_MEMORY", "cannot make a cipher context");
    return -1;
  }
  int ok = 0, len = 0;
  if (cipher_init(ctx, aes_256_gcm(), NULL, key, iv, enc) == 1 && (aad_len == 0 || cipher_update(ctx, NULL, &len, aad, (int)aad_len) == 1) &&
      (data_len == 0 || cipher_update(ctx, data, &len, data, (int)data_len) == 1)) {
    if (enc) {
      ok = cipher_final(ctx, data + len, &len) == 1 && ctx_ctrl(ctx, GET_TAG, 16, tag) == 1;
    } else {
      ok = ctx_ctrl(ctx, SET_TAG, 16, tag) == 1 && cipher_final(ctx, data + len, &len) == 1;
    }
  }
  ctx_free(ctx);
  if (!ok && !enc) memset(data, 0, data_len);
  if (!ok && enc) {
    napi_throw_error(env, "ERR_CIPHER", "AES-256-GCM encryption failed");
    return -1;
  }
  return ok;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  run(env, info, 1);
  return NULL;
}

static napi_value open_(napi_env env, napi_callback_info info) {
  int ok = run(env, info, 0);
  if (ok < 0) return NULL;
  napi_value result;
  napi_get_boolean(env, ok == 1, &result);
  return result;
}

NAPI_MODULE_INIT() {
  int found = load();
  napi_value flag, fn;
  napi_get_boolean(env, found, &flag);
  napi_set_named_property(env, exports, "available", flag);
  if (found) {
    napi_create_function(env, "seal", NAPI_AUTO_LENGTH, seal, NULL, &fn);
    napi_set_named_property(env, exports, "seal", fn);
    napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_, NULL, &fn);
    napi_set_named_property(env, exports, "open", fn);
  }
  return exports;
}
