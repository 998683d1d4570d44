/*
 * Native segment-tree hashing for dhost (DESIGN.md, "Merkle trees"): the root of a complete,
 * aligned subtree of 2^height segments, leaf = keccak(0x00 || uint64 BE index || segment),
 * inner node = keccak(0x01 || left || right), hashed several leaves at a time in SIMD lanes.
 * protocol/merkle.ts uses it when it loads and checks it against its WASM keccak in tests.
 *
 * Exports (Node-API):
 *   subtree(segments: Uint8Array, first: number, height: number, keptLevel: number,
 *           out: Uint8Array, impl?: string): void
 *     segments: 2^height * 512 bytes; out: the root (32 bytes), then when keptLevel <= height
 *     the 2^(height - keptLevel) nodes of level keptLevel in order (32 bytes each).
 *   implementations: string[]  the lane widths this CPU runs, fastest first
 *     ("avx512" 8 lanes, "avx2" 4 lanes, "scalar" 1 lane); impl picks one (tests compare them).
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "napi-bytes.h"

#define SEGMENT 512
#define RATE 136
#define LEAF_BYTES (9 + SEGMENT)
#define LEAF_PADDED (4 * RATE)
#define NODE_BYTES 65
#define MAX_HEIGHT 20

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
/* Rotation of lane x + 5y (rho). */
static const int RHO[25] = {0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14};
/* Where pi moves lane x + 5y: to y + 5 * ((2x + 3y) mod 5). */
static const int PI_TO[25] = {0, 10, 20, 5, 15, 16, 1, 11, 21, 6, 7, 17, 2, 12, 22, 23, 8, 18, 3, 13, 14, 24, 9, 19, 4};

#define ROL(x, r) (((x) << (r)) | ((x) >> ((64 - (r)) & 63)))

#define V uint64_t
#define W 1
#define NAME scalar
#define ATTR
#include "keccak-lanes.h"
#undef V
#undef W
#undef NAME
#undef ATTR

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_X86_LANES 1
typedef uint64_t v4u64 __attribute__((vector_size(32)));
#define V v4u64
#define W 4
#define NAME avx2
#define ATTR __attribute__((target("avx2")))
#include "keccak-lanes.h"
#undef V
#undef W
#undef NAME
#undef ATTR

typedef uint64_t v8u64 __attribute__((vector_size(64)));
#define V v8u64
#define W 8
#define NAME avx512
#define ATTR __attribute__((target("avx512f,avx512vl")))
#include "keccak-lanes.h"
#undef V
#undef W
#undef NAME
#undef ATTR
#endif

typedef void (*leaves_fn)(const uint8_t *, uint64_t, size_t, uint8_t *);
typedef void (*nodes_fn)(const uint8_t *, size_t, uint8_t *);
struct impl {
  const char *name;
  leaves_fn leaves;
  nodes_fn nodes;
};

static const struct impl SCALAR = {"scalar", leaves_scalar, nodes_scalar};
#ifdef HAVE_X86_LANES
static const struct impl AVX2 = {"avx2", leaves_avx2, nodes_avx2};
static const struct impl AVX512 = {"avx512", leaves_avx512, nodes_avx512};
#endif

/* The implementations this CPU runs, fastest first; returns how many. */
static int available(const struct impl **out) {
  int n = 0;
#ifdef HAVE_X86_LANES
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) out[n++] = &AVX512;
  if (__builtin_cpu_supports("avx2")) out[n++] = &AVX2;
#endif
  out[n++] = &SCALAR;
  return n;
}

static napi_value throw_error(napi_env env, const char *code, const char *message, int range) {
  if (range)
    napi_throw_range_error(env, code, message);
  else
    napi_throw_type_error(env, code, message);
  return NULL;
}

static napi_value subtree(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return throw_error(env, "ERR_ARGS", "subtree takes 5 or 6 arguments", 0);
  uint8_t *segments = NULL, *out = NULL;
  size_t segments_length = 0, out_length = 0;
  if (!bytes_of(env, argv[0], &segments, &segments_length)) return throw_error(env, "ERR_ARGS", "segments must be a Uint8Array", 0);
  if (!bytes_of(env, argv[4], &out, &out_length)) return throw_error(env, "ERR_ARGS", "out must be a Uint8Array", 0);
  double first_number = 0;
  int32_t height = 0, kept = 0;
  if (napi_get_value_double(env, argv[1], &first_number) != napi_ok || napi_get_value_int32(env, argv[2], &height) != napi_ok ||
      napi_get_value_int32(env, argv[3], &kept) != napi_ok)
    return throw_error(env, "ERR_ARGS", "first, height and keptLevel must be numbers", 0);
  if (height < 0 || height > MAX_HEIGHT) return throw_error(env, "ERR_RANGE", "height must be 0 to 20", 1);
  if (kept < 0) return throw_error(env, "ERR_RANGE", "keptLevel must not be negative", 1);
  if (!(first_number >= 0 && first_number <= 9007199254740991.0) || first_number != (double)(uint64_t)first_number)
    return throw_error(env, "ERR_RANGE", "first must be a safe non-negative integer", 1);
  size_t count = (size_t)1 << height;
  if (segments_length != count * SEGMENT) return throw_error(env, "ERR_RANGE", "segments must be 2^height * 512 bytes", 1);
  size_t kept_count = kept <= height ? (size_t)1 << (height - kept) : 0;
  if (out_length != 32 * (1 + kept_count)) return throw_error(env, "ERR_RANGE", "out must hold the root and the kept nodes", 1);

  const struct impl *impls[3];
  int n = available(impls);
  const struct impl *use = impls[0];
  if (argc >= 6) {
    napi_valuetype t;
    napi_typeof(env, argv[5], &t);
    if (t != napi_undefined) {
      char name[16] = {0};
      size_t len = 0;
      if (napi_get_value_string_utf8(env, argv[5], name, sizeof name, &len) != napi_ok) return throw_error(env, "ERR_ARGS", "impl must be a string", 0);
      use = NULL;
      for (int i = 0; i < n; i++)
        if (strcmp(impls[i]->name, name) == 0) use = impls[i];
      if (use == NULL) return throw_error(env, "ERR_RANGE", "this CPU does not run that implementation", 1);
    }
  }

  uint8_t *level = (uint8_t *)malloc(count * 32);
  if (level == NULL) return throw_error(env, "ERR_MEMORY", "out of memory", 1);
  use->leaves(segments, (uint64_t)first_number, count, level);
  if (kept == 0) memcpy(out + 32, level, count * 32);
  for (int h = 1; h <= height; h++) {
    use->nodes(level, count >> h, level);
    if (kept == h) memcpy(out + 32, level, (count >> h) * 32);
  }
  memcpy(out, level, 32);
  free(level);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn, list;
  napi_create_function(env, "subtree", NAPI_AUTO_LENGTH, subtree, NULL, &fn);
  napi_set_named_property(env, exports, "subtree", fn);
  const struct impl *impls[3];
  int n = available(impls);
  napi_create_array_with_length(env, (size_t)n, &list);
  for (int i = 0; i < n; i++) {
    napi_value name;
    napi_create_string_utf8(env, impls[i]->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, list, (uint32_t)i, name);
  }
  napi_set_named_property(env, exports, "implementations", list);
  return exports;
}
