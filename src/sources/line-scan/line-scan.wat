;; The line scanner of FileSource (line-scan.ts is its TypeScript side; CONTEXT.md explains the design).
;;
;; `next(from, to)` walks the complete lines in memory[from, to) (`to` just after a line feed) 16 bytes at a
;; time and stops at the first line that needs JavaScript: one holding a match of a pattern (an anchor of the
;; search's raw prefilter, or another spelling of one), or one that is not shaped like a JSON object (first and
;; last non-blank bytes `{` and `}`), which FileSource reports as malformed. It returns that line's start (or
;; `to`) and leaves at LINES the number of lines it walked past. Every line it walks past is object-shaped or
;; blank and holds no pattern: the prefilter rejects it unread.
;;
;; Candidates come from two bytes of each pattern compared 16 positions at once (the "generic SIMD" substring
;; search: two well-chosen bytes leave few false candidates), then the whole pattern is compared byte by byte.
;; A pattern byte with mask 0x20 matches either ASCII case (byte | 0x20 equals the lower-case letter only for
;; that letter's two cases); with mask 0 it must be equal.
;;
;; Memory (set by line-scan.ts): 0: pattern count; 4: LINES (out); 16..63: scratch, one candidate mask per pattern;
;; 1024 + 256 k: pattern k: length (i32), offsets of its two compared bytes (i32, i32), those bytes and their masks
;; (4 × u8 at +12), its bytes (+16) and masks (+128), at most 112 bytes. Data from DATA_START (line-scan.ts), with
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
    (local $p i32) (local $n i32) (local $k i32) (local $rec i32) (local $lines i32) (local $lineStart i32)
    (local $newlines i32) (local $any i32) (local $bits i32) (local $bit i32) (local $q i32)
    (local.set $n (i32.load (i32.const 0)))
    (local.set $p (local.get $from))
    (local.set $lineStart (local.get $from))
    (block $end
      (loop $block
        (br_if $end (i32.ge_u (local.get $p) (local.get $to)))
        (local.set $newlines (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 10)))))
        (local.set $any (local.get $newlines))
        (local.set $k (i32.const 0))
        (block $patterns
          (loop $pattern
            (br_if $patterns (i32.ge_u (local.get $k) (local.get $n)))
            (local.set $rec (i32.add (i32.const 1024) (i32.shl (local.get $k) (i32.const 8))))
            (local.set $bits
              (i8x16.bitmask
                (v128.and
                  (i8x16.eq
                    (v128.or (v128.load (i32.add (local.get $p) (i32.load offset=4 (local.get $rec))))
                             (v128.load8_splat offset=13 (local.get $rec)))
                    (v128.load8_splat offset=12 (local.get $rec)))
                  (i8x16.eq
                    (v128.or (v128.load (i32.add (local.get $p) (i32.load offset=8 (local.get $rec))))
                             (v128.load8_splat offset=15 (local.get $rec)))
                    (v128.load8_splat offset=14 (local.get $rec))))))
            (i32.store offset=16 (i32.shl (local.get $k) (i32.const 2)) (local.get $bits))
            (local.set $any (i32.or (local.get $any) (local.get $bits)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $pattern)))
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
                (local.set $k (i32.const 0))
                (block $checked
                  (loop $check
                    (br_if $checked (i32.ge_u (local.get $k) (local.get $n)))
                    (if (i32.and (i32.load offset=16 (i32.shl (local.get $k) (i32.const 2))) (local.get $bit))
                      (then
                        (if (call $verify (local.get $k) (local.get $q))
                          (then
                            (i32.store (i32.const 4) (local.get $lines))
                            (return (local.get $lineStart))))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $check)))))
            (br $position)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    (i32.store (i32.const 4) (local.get $lines))
    (local.get $to))
)
