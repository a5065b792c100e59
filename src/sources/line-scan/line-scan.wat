;; The line scanner of FileSource (line-scan.ts is its TypeScript side; CONTEXT.md explains the design).
;;
;; `next(from, to)` walks the complete lines in memory[from, to) (`to` just after a line feed) 16 bytes at a
;; time and stops at the first line that needs JavaScript: one holding a pattern of the first group (the
;; anchors of a search's raw prefilter and their other spellings) and a pattern of every other group (the
;; filter's other literal conjuncts), or one that is not shaped like a JSON object (first and last non-blank
;; bytes `{` and `}`), which FileSource reports as malformed. It returns that line's start (or `to`) and leaves
;; at LINES the number of lines it walked past: each was blank or object-shaped and lacked some group.
;;
;; Candidates of the first group come from "slots", each comparing two bytes 16 positions at once (the
;; "generic SIMD" substring search: two well-chosen bytes leave few false candidates), then the slot's patterns
;; are compared whole. A pattern byte with mask 0x20 matches either ASCII case (byte | 0x20 equals the
;; lower-case letter only for that letter's two cases); with mask 0 it must be equal.
;;
;; Patterns of the first group that begin with a non-ASCII byte (other spellings of letters: U+212A, U+017F) are
;; verified wherever a byte has its high bit set, which the block's load gives for free (rare in Tetragon data);
;; those beginning with a backslash (escapes: `\u`, `\/`) wherever a byte is one, a compare of the same load
;; (cheaper than a slot: backslashes are ~1 per line in Tetragon exports, in `\"`).
;;
;; Memory (set by line-scan.ts): 0: slot count (at most 4); 4: LINES (out); 12: group count (at most 4);
;; 16: the non-ASCII patterns [first, end) (i32, i32; empty: none); 24: the escape patterns [first, end);
;; 64 + 32 s: slot s: offsets of its two bytes (i32, i32), the bytes and their masks (4 x u8), its patterns
;; [first, end) (i32, i32); 192 + 8 g: group g's patterns [first, end) (i32, i32); 1024 + 256 k: pattern k:
;; length (i32), offsets of its two searched bytes (i32, i32), those bytes and masks (4 x u8 at +12), its bytes
;; (+16) and masks (+128), at most 112 bytes; at most 12 patterns. Data from DATA_START (line-scan.ts), with
;; at least 128 bytes after any `to` that may be read (loads run past `to`; their bits are dropped).
(module
  (memory (export "memory") 1)

  ;; Whether pattern k occurs at q.
  (func $verify (param $k i32) (param $q i32) (result i32)
    (local $rec i32) (local $len i32) (local $t i32)
    (local.set $rec (i32.add (i32.const 1024) (i32.shl (local.get $k) (i32.const 8))))
    (local.set $len (i32.load (local.get $rec)))
    (block $mismatch
      (loop $byte
        (if (i32.ge_u (local.get $t) (local.get $len)) (then (return (i32.const 1))))
        (br_if $mismatch
          (i32.ne
            (i32.or (i32.load8_u (i32.add (local.get $q) (local.get $t)))
                    (i32.load8_u offset=128 (i32.add (local.get $rec) (local.get $t))))
            (i32.load8_u offset=16 (i32.add (local.get $rec) (local.get $t)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $byte)))
    (i32.const 0))

  ;; Whether slot s has a candidate at q (`bit` non-zero) that one of its patterns verifies.
  (func $slotHit (param $bit i32) (param $s i32) (param $q i32) (result i32)
    (local $k i32) (local $end i32)
    (if (i32.eqz (local.get $bit)) (then (return (i32.const 0))))
    (local.set $k (i32.load offset=76 (i32.shl (local.get $s) (i32.const 5))))
    (local.set $end (i32.load offset=80 (i32.shl (local.get $s) (i32.const 5))))
    (block $done
      (loop $pattern
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (if (call $verify (local.get $k) (local.get $q)) (then (return (i32.const 1))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $pattern)))
    (i32.const 0))

  ;; Whether a byte at q found by its class (`bit` non-zero) begins one of the patterns [first, end) stored at
  ;; `range` (16: non-ASCII, 24: escapes).
  (func $classHit (param $bit i32) (param $q i32) (param $range i32) (result i32)
    (local $k i32) (local $end i32)
    (if (i32.eqz (local.get $bit)) (then (return (i32.const 0))))
    (local.set $k (i32.load (local.get $range)))
    (local.set $end (i32.load offset=4 (local.get $range)))
    (block $done
      (loop $pattern
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (if (call $verify (local.get $k) (local.get $q)) (then (return (i32.const 1))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $pattern)))
    (i32.const 0))

  ;; Where pattern k first occurs in memory[s, e), or -1. Exported: FileSource finds the keys of a search's
  ;; keyed regexes with it (line-scan.ts `find`).
  (func $find (export "find") (param $k i32) (param $s i32) (param $e i32) (result i32)
    (local $rec i32) (local $last i32) (local $p i32) (local $bits i32) (local $bit i32)
    (local $o1 i32) (local $o2 i32) (local $b1 v128) (local $m1 v128) (local $b2 v128) (local $m2 v128)
    (local.set $rec (i32.add (i32.const 1024) (i32.shl (local.get $k) (i32.const 8))))
    ;; The last position the pattern can start at.
    (local.set $last (i32.sub (local.get $e) (i32.load (local.get $rec))))
    (local.set $o1 (i32.load offset=4 (local.get $rec)))
    (local.set $o2 (i32.load offset=8 (local.get $rec)))
    (local.set $b1 (v128.load8_splat offset=12 (local.get $rec)))
    (local.set $m1 (v128.load8_splat offset=13 (local.get $rec)))
    (local.set $b2 (v128.load8_splat offset=14 (local.get $rec)))
    (local.set $m2 (v128.load8_splat offset=15 (local.get $rec)))
    (local.set $p (local.get $s))
    (block $end
      (loop $block
        (br_if $end (i32.gt_s (local.get $p) (local.get $last)))
        (local.set $bits
          (i8x16.bitmask
            (v128.and
              (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (local.get $o1))) (local.get $m1)) (local.get $b1))
              (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (local.get $o2))) (local.get $m2)) (local.get $b2)))))
        (if (i32.lt_s (i32.sub (local.get $last) (local.get $p)) (i32.const 15))
          (then (local.set $bits (i32.and (local.get $bits)
                  (i32.sub (i32.shl (i32.const 1) (i32.add (i32.sub (local.get $last) (local.get $p)) (i32.const 1))) (i32.const 1))))))
        (block $checked
          (loop $candidate
            (br_if $checked (i32.eqz (local.get $bits)))
            (local.set $bit (i32.and (local.get $bits) (i32.sub (i32.const 0) (local.get $bits))))
            (local.set $bits (i32.xor (local.get $bits) (local.get $bit)))
            (local.set $bit (i32.add (local.get $p) (i32.ctz (local.get $bit))))
            (if (call $verify (local.get $k) (local.get $bit)) (then (return (local.get $bit))))
            (br $candidate)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    (i32.const -1))

  ;; Whether memory[s, e) holds a pattern of every group after the first.
  (func $conjuncts (param $s i32) (param $e i32) (result i32)
    (local $g i32) (local $groups i32) (local $k i32) (local $end i32)
    (local.set $groups (i32.load (i32.const 12)))
    (local.set $g (i32.const 1))
    (block $all
      (loop $group
        (br_if $all (i32.ge_u (local.get $g) (local.get $groups)))
        (local.set $k (i32.load offset=192 (i32.shl (local.get $g) (i32.const 3))))
        (local.set $end (i32.load offset=196 (i32.shl (local.get $g) (i32.const 3))))
        (block $found
          (loop $pattern
            (if (i32.ge_u (local.get $k) (local.get $end)) (then (return (i32.const 0))))
            (br_if $found (i32.ge_s (call $find (local.get $k) (local.get $s) (local.get $e)) (i32.const 0)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $pattern)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $group)))
    (i32.const 1))

  ;; The first line feed at or after q (the data ends with one).
  (func $lineEnd (param $q i32) (result i32)
    (local $bits i32)
    (loop $block
      (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load (local.get $q)) (i8x16.splat (i32.const 10)))))
      (if (local.get $bits) (then (return (i32.add (local.get $q) (i32.ctz (local.get $bits))))))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br $block))
    (unreachable))

  ;; JSON's blanks: space, tab, carriage return (a line feed ends the line).
  (func $blank (param $c i32) (result i32)
    (i32.or (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
            (i32.eq (local.get $c) (i32.const 13))))

  ;; Whether the line memory[s, e) is blank or its first and last non-blank bytes are `{` and `}`.
  (func $shaped (param $s i32) (param $e i32) (result i32)
    (local $i i32) (local $j i32)
    (if (i32.eq (local.get $s) (local.get $e)) (then (return (i32.const 1))))
    (if (i32.and (i32.eq (i32.load8_u (local.get $s)) (i32.const 123))
                 (i32.eq (i32.load8_u (i32.sub (local.get $e) (i32.const 1))) (i32.const 125)))
      (then (return (i32.const 1))))
    (local.set $i (local.get $s))
    (local.set $j (i32.sub (local.get $e) (i32.const 1)))
    (block $done
      (loop $lead
        (br_if $done (i32.gt_s (local.get $i) (local.get $j)))
        (br_if $done (i32.eqz (call $blank (i32.load8_u (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $lead)))
    (if (i32.gt_s (local.get $i) (local.get $j)) (then (return (i32.const 1)))) ;; blank
    (block $done
      (loop $trail
        (br_if $done (i32.eqz (call $blank (i32.load8_u (local.get $j)))))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $trail)))
    (i32.and (i32.lt_s (local.get $i) (local.get $j))
             (i32.and (i32.eq (i32.load8_u (local.get $i)) (i32.const 123))
                      (i32.eq (i32.load8_u (local.get $j)) (i32.const 125)))))

  (func (export "next") (param $from i32) (param $to i32) (result i32)
    (local $p i32) (local $slots i32) (local $lines i32) (local $lineStart i32) (local $newlines i32)
    (local $any i32) (local $bit i32) (local $q i32) (local $e i32) (local $high i32) (local $highBits i32)
    (local $escapes i32) (local $escapeBits i32) (local $bytes v128)
    (local $fast i32) (local $acc v128) (local $nl v128) (local $highMask v128) (local $backslash v128)
    (local $o1_0 i32) (local $o2_0 i32) (local $b1_0 v128) (local $m1_0 v128) (local $b2_0 v128) (local $m2_0 v128) (local $bits0 i32)
    (local $o1_1 i32) (local $o2_1 i32) (local $b1_1 v128) (local $m1_1 v128) (local $b2_1 v128) (local $m2_1 v128) (local $bits1 i32)
    (local $o1_2 i32) (local $o2_2 i32) (local $b1_2 v128) (local $m1_2 v128) (local $b2_2 v128) (local $m2_2 v128) (local $bits2 i32)
    (local $o1_3 i32) (local $o2_3 i32) (local $b1_3 v128) (local $m1_3 v128) (local $b2_3 v128) (local $m2_3 v128) (local $bits3 i32)
    (local $four i32)
    ;; The first two slots' bytes, in locals for the whole call (more would not stay in registers); unused slots are
    ;; never compared.
    (local.set $slots (i32.load (i32.const 0)))
    (local.set $high (i32.lt_u (i32.load (i32.const 16)) (i32.load (i32.const 20))))
    (local.set $escapes (i32.lt_u (i32.load (i32.const 24)) (i32.load (i32.const 28))))
    ;; The 64-byte skip: with at most the two slots kept in locals (more: below); classes off are compared to what
    ;; never matches.
    (local.set $fast (i32.le_u (local.get $slots) (i32.const 2)))
    (local.set $nl (i8x16.splat (i32.const 10)))
    (local.set $highMask (i8x16.splat (select (i32.const 128) (i32.const 0) (local.get $high))))
    (local.set $backslash (i8x16.splat (select (i32.const 92) (i32.const 10) (local.get $escapes))))
    (local.set $o1_0 (i32.load (i32.const 64)))
    (local.set $o2_0 (i32.load (i32.const 68)))
    (local.set $b1_0 (v128.load8_splat (i32.const 72)))
    (local.set $m1_0 (v128.load8_splat (i32.const 73)))
    (local.set $b2_0 (v128.load8_splat (i32.const 74)))
    (local.set $m2_0 (v128.load8_splat (i32.const 75)))
    (local.set $o1_1 (i32.load (i32.const 96)))
    (local.set $o2_1 (i32.load (i32.const 100)))
    (local.set $b1_1 (v128.load8_splat (i32.const 104)))
    (local.set $m1_1 (v128.load8_splat (i32.const 105)))
    (local.set $b2_1 (v128.load8_splat (i32.const 106)))
    (local.set $m2_1 (v128.load8_splat (i32.const 107)))
    (local.set $p (local.get $from))
    (local.set $lineStart (local.get $from))
    (block $end
      (loop $block
        ;; Skip ahead 64 bytes at a time while they hold no line feed and no candidate (the usual case: a line feed
        ;; every ~1.7 KB, candidates rarer), with one test per 64 bytes; the blocks below take the rest 16 at a time.
        (if (local.get $fast)
          (then
            (block $found
              (loop $skip
                (br_if $found (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $to)))
                (local.set $acc (v128.const i64x2 0 0))
              (local.set $bytes (v128.load offset=0 (local.get $p)))
              (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
              (local.set $bytes (v128.load offset=16 (local.get $p)))
              (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
              (local.set $bytes (v128.load offset=32 (local.get $p)))
              (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
              (local.set $bytes (v128.load offset=48 (local.get $p)))
              (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
              (if (i32.gt_u (local.get $slots) (i32.const 0))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 1))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 0))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 1))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 0))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 1))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 0))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))))
              (if (i32.gt_u (local.get $slots) (i32.const 1))
                (then (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))))
                (br_if $found (v128.any_true (local.get $acc)))
                (local.set $p (i32.add (local.get $p) (i32.const 64)))
                (br $skip))))
          (else
            ;; 3 or 4 slots: the same skip, their bytes set here (set for the whole call, they made the loop above
            ;; slower: a scan of one slot, the seed's, took 100-110 ms instead of 60-75; a function of its own cost a
            ;; call and these loads at each of its ~10 calls a line).
            (local.set $four (i32.gt_u (local.get $slots) (i32.const 3)))
            (local.set $o1_2 (i32.load (i32.const 128)))
            (local.set $o2_2 (i32.load (i32.const 132)))
            (local.set $b1_2 (v128.load8_splat (i32.const 136)))
            (local.set $m1_2 (v128.load8_splat (i32.const 137)))
            (local.set $b2_2 (v128.load8_splat (i32.const 138)))
            (local.set $m2_2 (v128.load8_splat (i32.const 139)))
            (local.set $o1_3 (i32.load (i32.const 160)))
            (local.set $o2_3 (i32.load (i32.const 164)))
            (local.set $b1_3 (v128.load8_splat (i32.const 168)))
            (local.set $m1_3 (v128.load8_splat (i32.const 169)))
            (local.set $b2_3 (v128.load8_splat (i32.const 170)))
            (local.set $m2_3 (v128.load8_splat (i32.const 171)))
            (block $found
              (loop $skip
                (br_if $found (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $to)))
                (local.set $acc (v128.const i64x2 0 0))
                (local.set $bytes (v128.load offset=0 (local.get $p)))
                (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                  (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
                (local.set $bytes (v128.load offset=16 (local.get $p)))
                (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                  (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
                (local.set $bytes (v128.load offset=32 (local.get $p)))
                (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                  (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
                (local.set $bytes (v128.load offset=48 (local.get $p)))
                (local.set $acc (v128.or (local.get $acc) (v128.or (i8x16.eq (local.get $bytes) (local.get $nl))
                  (v128.or (v128.and (local.get $bytes) (local.get $highMask)) (i8x16.eq (local.get $bytes) (local.get $backslash))))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o1_2))) (local.get $m1_2)) (local.get $b1_2))
                  (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o2_2))) (local.get $m2_2)) (local.get $b2_2)))))
                (if (local.get $four)
                  (then (local.set $acc (v128.or (local.get $acc) (v128.and
                    (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o1_3))) (local.get $m1_3)) (local.get $b1_3))
                    (i8x16.eq (v128.or (v128.load offset=0 (i32.add (local.get $p) (local.get $o2_3))) (local.get $m2_3)) (local.get $b2_3)))))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o1_2))) (local.get $m1_2)) (local.get $b1_2))
                  (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o2_2))) (local.get $m2_2)) (local.get $b2_2)))))
                (if (local.get $four)
                  (then (local.set $acc (v128.or (local.get $acc) (v128.and
                    (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o1_3))) (local.get $m1_3)) (local.get $b1_3))
                    (i8x16.eq (v128.or (v128.load offset=16 (i32.add (local.get $p) (local.get $o2_3))) (local.get $m2_3)) (local.get $b2_3)))))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o1_2))) (local.get $m1_2)) (local.get $b1_2))
                  (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o2_2))) (local.get $m2_2)) (local.get $b2_2)))))
                (if (local.get $four)
                  (then (local.set $acc (v128.or (local.get $acc) (v128.and
                    (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o1_3))) (local.get $m1_3)) (local.get $b1_3))
                    (i8x16.eq (v128.or (v128.load offset=32 (i32.add (local.get $p) (local.get $o2_3))) (local.get $m2_3)) (local.get $b2_3)))))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))
                (local.set $acc (v128.or (local.get $acc) (v128.and
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o1_2))) (local.get $m1_2)) (local.get $b1_2))
                  (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o2_2))) (local.get $m2_2)) (local.get $b2_2)))))
                (if (local.get $four)
                  (then (local.set $acc (v128.or (local.get $acc) (v128.and
                    (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o1_3))) (local.get $m1_3)) (local.get $b1_3))
                    (i8x16.eq (v128.or (v128.load offset=48 (i32.add (local.get $p) (local.get $o2_3))) (local.get $m2_3)) (local.get $b2_3)))))))
                (br_if $found (v128.any_true (local.get $acc)))
                (local.set $p (i32.add (local.get $p) (i32.const 64)))
                (br $skip)))))
        (br_if $end (i32.ge_u (local.get $p) (local.get $to)))
        (local.set $bytes (v128.load (local.get $p)))
        (local.set $newlines (i8x16.bitmask (i8x16.eq (local.get $bytes) (i8x16.splat (i32.const 10)))))
        (local.set $any (local.get $newlines))
        (if (local.get $high)
          (then
            (local.set $highBits (i8x16.bitmask (local.get $bytes)))
            (local.set $any (i32.or (local.get $any) (local.get $highBits)))))
        (if (local.get $escapes)
          (then
            (local.set $escapeBits (i8x16.bitmask (i8x16.eq (local.get $bytes) (i8x16.splat (i32.const 92)))))
            (local.set $any (i32.or (local.get $any) (local.get $escapeBits)))))
        (if (i32.gt_u (local.get $slots) (i32.const 0))
          (then
            (local.set $bits0
              (i8x16.bitmask
                (v128.and
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (local.get $o1_0))) (local.get $m1_0)) (local.get $b1_0))
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (local.get $o2_0))) (local.get $m2_0)) (local.get $b2_0)))))
            (local.set $any (i32.or (local.get $any) (local.get $bits0)))))
        (if (i32.gt_u (local.get $slots) (i32.const 1))
          (then
            (local.set $bits1
              (i8x16.bitmask
                (v128.and
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (local.get $o1_1))) (local.get $m1_1)) (local.get $b1_1))
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (local.get $o2_1))) (local.get $m2_1)) (local.get $b2_1)))))
            (local.set $any (i32.or (local.get $any) (local.get $bits1)))))
        (if (i32.gt_u (local.get $slots) (i32.const 2))
          (then
            (local.set $bits2
              (i8x16.bitmask
                (v128.and
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (i32.load (i32.const 128)))) (v128.load8_splat (i32.const 137))) (v128.load8_splat (i32.const 136)))
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (i32.load (i32.const 132)))) (v128.load8_splat (i32.const 139))) (v128.load8_splat (i32.const 138))))))
            (local.set $any (i32.or (local.get $any) (local.get $bits2)))))
        (if (i32.gt_u (local.get $slots) (i32.const 3))
          (then
            (local.set $bits3
              (i8x16.bitmask
                (v128.and
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (i32.load (i32.const 160)))) (v128.load8_splat (i32.const 169))) (v128.load8_splat (i32.const 168)))
                  (i8x16.eq (v128.or (v128.load (i32.add (local.get $p) (i32.load (i32.const 164)))) (v128.load8_splat (i32.const 171))) (v128.load8_splat (i32.const 170))))))
            (local.set $any (i32.or (local.get $any) (local.get $bits3)))))
        ;; Positions at or past `to` are not this call's.
        (if (i32.lt_u (i32.sub (local.get $to) (local.get $p)) (i32.const 16))
          (then (local.set $any (i32.and (local.get $any)
                  (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $to) (local.get $p))) (i32.const 1))))))
        ;; Line feeds and candidates in position order.
        (block $positions
          (loop $position
            (br_if $positions (i32.eqz (local.get $any)))
            (local.set $bit (i32.and (local.get $any) (i32.sub (i32.const 0) (local.get $any))))
            (local.set $any (i32.xor (local.get $any) (local.get $bit)))
            (local.set $q (i32.add (local.get $p) (i32.ctz (local.get $bit))))
            (if (i32.and (local.get $newlines) (local.get $bit))
              (then
                (if (i32.eqz (call $shaped (local.get $lineStart) (local.get $q)))
                  (then
                    (i32.store (i32.const 4) (local.get $lines))
                    (return (local.get $lineStart))))
                (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
                (local.set $lineStart (i32.add (local.get $q) (i32.const 1))))
              (else
                (if (i32.or (i32.or (call $classHit (i32.and (local.get $highBits) (local.get $bit)) (local.get $q) (i32.const 16))
                                    (call $classHit (i32.and (local.get $escapeBits) (local.get $bit)) (local.get $q) (i32.const 24))) (i32.or (i32.or (call $slotHit (i32.and (local.get $bits0) (local.get $bit)) (i32.const 0) (local.get $q)) (call $slotHit (i32.and (local.get $bits1) (local.get $bit)) (i32.const 1) (local.get $q))) (i32.or (call $slotHit (i32.and (local.get $bits2) (local.get $bit)) (i32.const 2) (local.get $q)) (call $slotHit (i32.and (local.get $bits3) (local.get $bit)) (i32.const 3) (local.get $q)))))
                  (then
                    (local.set $e (call $lineEnd (local.get $q)))
                    (if (i32.or (call $conjuncts (local.get $lineStart) (local.get $e))
                                (i32.eqz (call $shaped (local.get $lineStart) (local.get $e))))
                      (then
                        (i32.store (i32.const 4) (local.get $lines))
                        (return (local.get $lineStart))))
                    ;; The line lacks a conjunct: walk on after it.
                    (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
                    (local.set $lineStart (i32.add (local.get $e) (i32.const 1)))
                    (local.set $p (local.get $lineStart))
                    (br $block)))))
            (br $position)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    (i32.store (i32.const 4) (local.get $lines))
    (local.get $to))
)
