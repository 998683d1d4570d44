/*
 * One lane-parallel implementation of the segment-tree hashing, included once per lane width by
 * keccak-tree.c with these macros defined:
 *   V      the lane type: uint64_t (one message at a time) or a GCC vector of W uint64_t lanes
 *   W      messages hashed at once (1, 4 or 8)
 *   NAME   suffix of the functions it defines
 *   ATTR   target attribute of those functions (empty, or the instruction set the vector needs)
 *
 * Keccak-f[1600] with the state held as 25 lanes, each lane of type V carrying the same lane of W
 * independent states, so that W leaves (or W inner nodes) of a tree are hashed in one pass.
 * Written from the Keccak reference (FIPS 202, section 3.2): theta, rho, pi, chi, iota.
 */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

ATTR static inline void CAT(permute_, NAME)(V *A) {
#pragma GCC unroll 24
  for (int round = 0; round < 24; round++) {
    V C[5], D[5], B[25];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) C[x] = A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) D[x] = C[(x + 4) % 5] ^ ROL(C[(x + 1) % 5], 1);
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) A[i] ^= D[i % 5];
    /* rho and pi: B[y, 2x + 3y] = ROL(A[x, y], r[x, y]) */
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) B[PI_TO[i]] = ROL(A[i], RHO[i]);
    /* chi */
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
      for (int x = 0; x < 5; x++) A[y + x] = B[y + x] ^ (~B[y + (x + 1) % 5] & B[y + (x + 2) % 5]);
    }
    /* iota */
    A[0] ^= RC[round];
  }
}

/* XORs lane `lane` of each of the W messages (little-endian 8 bytes at msg[w] + offset) into A. */
ATTR static inline void CAT(absorb_lane_, NAME)(V *A, int lane, uint8_t msg[W][LEAF_PADDED], size_t offset) {
  union {
    V v;
    uint64_t u[W];
  } t;
  for (int w = 0; w < W; w++) memcpy(&t.u[w], msg[w] + offset, 8);
  A[lane] ^= t.v;
}

/* Writes the 32-byte digest of each of the first `count` states to out + w * 32. */
ATTR static inline void CAT(squeeze_, NAME)(const V *A, size_t count, uint8_t *out) {
  for (int lane = 0; lane < 4; lane++) {
    union {
      V v;
      uint64_t u[W];
    } t;
    t.v = A[lane];
    for (size_t w = 0; w < count; w++) memcpy(out + w * 32 + lane * 8, &t.u[w], 8);
  }
}

/*
 * Leaves of `count` segments: leaf i = keccak(0x00 || uint64 BE (first + i) || segment i), each
 * 32 bytes at out + i * 32. `segments` holds count * SEGMENT bytes.
 */
ATTR static void CAT(leaves_, NAME)(const uint8_t *segments, uint64_t first, size_t count, uint8_t *out) {
  uint8_t msg[W][LEAF_PADDED];
  for (size_t done = 0; done < count; done += W) {
    size_t n = count - done < W ? count - done : W;
    for (int w = 0; w < W; w++) {
      /* Unused messages of the last group hash a zero segment; their digests are not written. */
      uint64_t index = first + done + (size_t)w;
      memset(msg[w], 0, LEAF_PADDED);
      msg[w][0] = 0x00;
      for (int b = 0; b < 8; b++) msg[w][1 + b] = (uint8_t)(index >> (56 - 8 * b));
      if ((size_t)w < n) memcpy(msg[w] + 9, segments + (done + (size_t)w) * SEGMENT, SEGMENT);
      /* pad10*1 with Keccak's (not SHA-3's) domain byte */
      msg[w][LEAF_BYTES] ^= 0x01;
      msg[w][LEAF_PADDED - 1] ^= 0x80;
    }
    V A[25];
    memset(A, 0, sizeof A);
    for (int block = 0; block < LEAF_PADDED / RATE; block++) {
      for (int lane = 0; lane < RATE / 8; lane++) CAT(absorb_lane_, NAME)(A, lane, msg, (size_t)block * RATE + (size_t)lane * 8);
      CAT(permute_, NAME)(A);
    }
    CAT(squeeze_, NAME)(A, n, out + done * 32);
  }
}

/*
 * Inner nodes of `count` pairs: node i = keccak(0x01 || pairs[2i] || pairs[2i + 1]) (32-byte
 * hashes), written at out + i * 32. out may be pairs itself: every group is read before it is
 * written, and group g writes only below where group g + 1 reads.
 */
ATTR static void CAT(nodes_, NAME)(const uint8_t *pairs, size_t count, uint8_t *out) {
  uint8_t msg[W][LEAF_PADDED];
  for (size_t done = 0; done < count; done += W) {
    size_t n = count - done < W ? count - done : W;
    for (int w = 0; w < W; w++) {
      memset(msg[w], 0, RATE);
      msg[w][0] = 0x01;
      if ((size_t)w < n) memcpy(msg[w] + 1, pairs + (done + (size_t)w) * 64, 64);
      msg[w][NODE_BYTES] ^= 0x01;
      msg[w][RATE - 1] ^= 0x80;
    }
    V A[25];
    memset(A, 0, sizeof A);
    for (int lane = 0; lane < RATE / 8; lane++) CAT(absorb_lane_, NAME)(A, lane, msg, (size_t)lane * 8);
    CAT(permute_, NAME)(A);
    CAT(squeeze_, NAME)(A, n, out + done * 32);
  }
}

#undef CAT
#undef CAT_
