{
  "targets": [
    {
      "target_name": "keccak_tree",
      "sources": ["keccak-tree.c"],
      "cflags": ["-O3", "-std=gnu11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
