/*
 * Shared by the dhost addons: the bytes of a Uint8Array argument.
 */
#ifndef DHOST_NAPI_BYTES_H
#define DHOST_NAPI_BYTES_H

#include <node_api.h>
#include <stdint.h>

/* Points *data and *length at the bytes of `value`; 0 when it is not a Uint8Array. */
static inline int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = (uint8_t *)raw;
  return 1;
}

#endif
