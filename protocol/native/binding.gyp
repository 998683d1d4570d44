{
  "targets": [
    {
      "target_name": "keccak_tree",
      "sources": ["keccak-tree.c"],
      "cflags": ["-O3", "-std=gnu11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    },
    {
      "target_name": "aes_gcm",
      "sources": ["aes-gcm.c"],
      "cflags": ["-O2", "-std=gnu11"],
      "libraries": ["-ldl"]
    }
  ]
}
