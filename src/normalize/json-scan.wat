;; The byte work of JsonPathScanner (json-scan.ts is its TypeScript side and states the contract; CONTEXT.md
;; "The fast path" explains the design).
;;
;; `scan(data, end, out, slots)` validates the JSON text memory[data, end) (memory[end] is 0, written by
;; json-scan.ts: a byte no JSON token continues with, so no scan needs a bounds check) and records, in the i32
;; array at `out`, where the values of tracked keys are: the result layout of json-scan.ts, offsets relative to
;; `data`. It returns the number of untracked top-level members, or -1 when the text is declined (invalid, a
;; byte >= 0x80, not an object, deeper than 64, a backslash in a key at a tracked level, a tracked key twice, a
;; top-level key twice, more than $maxMembers untracked top-level members).
;;
;; One function walks the text token by token (a call per key cost a fifth of the time), with a stack
;; of open containers. Strings (values, and keys below the tracked levels, read the same way) are scanned 16
;; bytes at a time, stopping only at `"`, `\`, bytes < 0x20 and >= 0x80 (one signed compare catches both). A key
;; at a tracked level is first looked up as the tracked key its text may begin with: a hash of (node, its first
;; four bytes up to a quote) gives the candidates, each compared with its bytes and closing quote; no other scan
;; is needed then (a tracked key holds no stop byte). Any other key there is scanned like a string, stopping
;; also at `.` and `{` (the dotted-key flag), and at the top level recorded as an untracked member.
;;
;; Memory (set by json-scan.ts): 0 + 32 e: tracked key (edge) e: address of its bytes, length, slot, the node
;; (object level) of the keys tracked inside its value (-1: none), its own node (root: 0), 1 when it holds `.` or
;; `{`; at most 256 edges. 8192: the keys' bytes, each followed by a quote, at most 4096. 12288: the hash table of
;; `index` (1024 x i32: edge + 1, 0 empty). 16384 + 16 d: the open container at depth d: kind (1 object, 2 array),
;; node (-1: untracked), where its span is recorded (0: nowhere). `out` and `data` after that (json-scan.ts), with
;; 32 bytes readable after memory[end]: loads run past it (their bits are dropped, and the 0 at `end` stops every
;; comparison).
(module
  (memory (export "memory") 1)

  ;; Untracked top-level members recorded at most (a Tetragon event has about 5; checking a new key against
  ;; the ones before is quadratic, so a hostile line of 100k members is declined instead).
  (global $maxMembers (export "maxMembers") i32 (i32.const 1024))

  ;; The index of the first byte at or after i that is not JSON whitespace.
  (func $skip (param $i i32) (result i32)
    (local $c i32)
    (loop $space
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x0a)))
                  (i32.or (i32.eq (local.get $c) (i32.const 0x09)) (i32.eq (local.get $c) (i32.const 0x0d))))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $space))))
    (local.get $i))

  (func $isDigit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))

  (func $isHex (param $c i32) (result i32)
    (i32.or (call $isDigit (local.get $c))
            (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; Checks the escape at i (a backslash): the index after it, or -1 if it is not one.
  (func $escape (param $i i32) (result i32)
    (local $d i32)
    (local.set $d (i32.load8_u offset=1 (local.get $i)))
    (if (i32.eq (local.get $d) (i32.const 0x75)) ;; \uXXXX
      (then
        (if (i32.and
              (i32.and (call $isHex (i32.load8_u offset=2 (local.get $i))) (call $isHex (i32.load8_u offset=3 (local.get $i))))
              (i32.and (call $isHex (i32.load8_u offset=4 (local.get $i))) (call $isHex (i32.load8_u offset=5 (local.get $i)))))
          (then (return (i32.add (local.get $i) (i32.const 6)))))
        (return (i32.const -1))))
    ;; " \ / b f n r t
    (if (i32.or
          (i32.or (i32.or (i32.eq (local.get $d) (i32.const 0x22)) (i32.eq (local.get $d) (i32.const 0x5c)))
                  (i32.or (i32.eq (local.get $d) (i32.const 0x2f)) (i32.eq (local.get $d) (i32.const 0x62))))
          (i32.or (i32.or (i32.eq (local.get $d) (i32.const 0x66)) (i32.eq (local.get $d) (i32.const 0x6e)))
                  (i32.or (i32.eq (local.get $d) (i32.const 0x72)) (i32.eq (local.get $d) (i32.const 0x74)))))
      (then (return (i32.add (local.get $i) (i32.const 2)))))
    (i32.const -1))

  ;; Scans a JSON number at i: the index after it, or -1 if it is not one.
  (func $number (param $i i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (i32.const 0x2d))
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))))
    (if (i32.eq (local.get $c) (i32.const 0x30))
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i))))
      (else
        (if (i32.eqz (call $isDigit (local.get $c))) (then (return (i32.const -1))))
        (loop $int
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $i)))
          (br_if $int (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))))))
    (if (i32.eq (local.get $c) (i32.const 0x2e))
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eqz (call $isDigit (local.get $c))) (then (return (i32.const -1))))
        (loop $fraction
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $i)))
          (br_if $fraction (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))))))
    (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x65)) ;; e or E
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d)))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))))
        (if (i32.eqz (call $isDigit (local.get $c))) (then (return (i32.const -1))))
        (loop $exponent
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $i)))
          (br_if $exponent (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))))))
    (local.get $i))

  ;; Whether memory[a, a + n) and memory[b, b + n) hold the same bytes (8 at a time, the last ones masked).
  (func $same (param $a i32) (param $b i32) (param $n i32) (result i32)
    (loop $word
      (if (i32.ge_u (local.get $n) (i32.const 8))
        (then
          (if (i64.ne (i64.load (local.get $a)) (i64.load (local.get $b))) (then (return (i32.const 0))))
          (local.set $a (i32.add (local.get $a) (i32.const 8)))
          (local.set $b (i32.add (local.get $b) (i32.const 8)))
          (local.set $n (i32.sub (local.get $n) (i32.const 8)))
          (br $word))))
    (i64.eqz
      (i64.and
        (i64.xor (i64.load (local.get $a)) (i64.load (local.get $b)))
        (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (local.get $n) (i32.const 3)))) (i64.const 1)))))

  ;; The hash table's bucket for a key of `node` whose text (then its closing quote) starts at `at`: its node and
  ;; its first four bytes, up to the first quote (a tracked key is found before its length is known).
  (func $bucket (param $node i32) (param $at i32) (result i32)
    (local $w i32) (local $q i32)
    (local.set $w (i32.load (local.get $at)))
    ;; the high bit of each byte that is `"` (the lowest one exact), then every bit up to the lowest one
    (local.set $q (i32.xor (local.get $w) (i32.const 0x22222222)))
    (local.set $q (i32.and (i32.and (i32.sub (local.get $q) (i32.const 0x01010101)) (i32.xor (local.get $q) (i32.const -1))) (i32.const 0x80808080)))
    (local.set $w (i32.and (local.get $w) (i32.xor (local.get $q) (i32.sub (local.get $q) (i32.const 1)))))
    (i32.shr_u
      (i32.mul (i32.xor (local.get $w) (i32.mul (local.get $node) (i32.const 0x2545f491))) (i32.const 0x9e3779b1))
      (i32.const 22)))

  ;; Puts the `count` edges (their records written by json-scan.ts) in the hash table.
  (func (export "index") (param $count i32)
    (local $e i32) (local $rec i32) (local $h i32)
    (block $done
      (loop $edge
        (br_if $done (i32.ge_u (local.get $e) (local.get $count)))
        (local.set $rec (i32.shl (local.get $e) (i32.const 5)))
        (local.set $h
          (call $bucket (i32.load offset=16 (local.get $rec)) (i32.load (local.get $rec))))
        (loop $probe
          (if (i32.load offset=12288 (i32.shl (local.get $h) (i32.const 2)))
            (then
              (local.set $h (i32.and (i32.add (local.get $h) (i32.const 1)) (i32.const 1023)))
              (br $probe))))
        (i32.store offset=12288 (i32.shl (local.get $h) (i32.const 2)) (i32.add (local.get $e) (i32.const 1)))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $edge))))

  ;; See the top of the file. `slots`: tracked slots (out holds their pairs, the flags, the member count, then
  ;; the members). One function with the keys read inline: a call per key cost a third of the scan.
  (func (export "scan") (param $data i32) (param $end i32) (param $out i32) (param $slots i32) (result i32)
    (local $i i32) (local $c i32) (local $depth i32) (local $ref i32) (local $node i32) (local $open i32)
    (local $object i32) (local $from i32) (local $type i32) (local $k i32) (local $flags i32)
    (local $ks i32) (local $len i32) (local $h i32) (local $e i32) (local $n i32) (local $m i32) (local $last i32)
    (local $v v128) (local $bits i32) (local $keyMode i32) (local $w i32) (local $q i32)
    (local.set $flags (i32.add (local.get $out) (i32.shl (local.get $slots) (i32.const 3))))
    (local.set $k (local.get $out))
    (loop $clear ;; the pairs, the flags and the member count
      (i64.store (local.get $k) (i64.const 0))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br_if $clear (i32.le_u (local.get $k) (local.get $flags))))
    (local.set $i (call $skip (local.get $data)))
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7b)) (then (return (i32.const -1))))
    (loop $value
      (block $key ;; a branch here reads the key at i (whitespace skipped) of the object at depth - 1
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.le_u (local.get $c) (i32.const 0x20))
          (then
            (local.set $i (call $skip (local.get $i)))
            (local.set $c (i32.load8_u (local.get $i)))))
        (block $scalarDone
          (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7b)) ;; { or [
            (then
              (if (i32.eq (local.get $depth) (i32.const 64)) (then (return (i32.const -1))))
              (local.set $object (i32.eq (local.get $c) (i32.const 0x7b)))
              (if (local.get $ref)
                (then
                  (i32.store (local.get $ref)
                    (i32.add (i32.shl (i32.sub (local.get $i) (local.get $data)) (i32.const 4))
                             (select (i32.const 4) (i32.const 5) (local.get $object)))))) ;; T_OBJECT, T_ARRAY
              (local.set $open (i32.add (i32.const 16384) (i32.shl (local.get $depth) (i32.const 4))))
              (i32.store (local.get $open) (select (i32.const 1) (i32.const 2) (local.get $object)))
              (i32.store offset=4 (local.get $open) (select (local.get $node) (i32.const -1) (local.get $object)))
              (i32.store offset=8 (local.get $open) (local.get $ref))
              (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              ;; JSON whitespace is rare: skipped in a call only when there is some (here and below)
              (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skip (local.get $i)))))
              ;; empty: `}` is `{` + 2, `]` is `[` + 2
              (if (i32.eq (i32.load8_u (local.get $i)) (i32.add (local.get $c) (i32.const 2)))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                  (if (local.get $ref)
                    (then (i32.store offset=4 (local.get $ref) (i32.sub (local.get $i) (local.get $data)))))
                  (br $scalarDone)))
              (br_if $key (local.get $object))
              (local.set $ref (i32.const 0))
              (local.set $node (i32.const -1))
              (br $value)))
          (local.set $from (local.get $i))
          (block $scalar
            (if (i32.eq (local.get $c) (i32.const 0x22))
              (then
                ;; A string (or a key below the tracked levels): 16 bytes at a time to the next `"`, `\`, byte
                ;; < 0x20 or >= 0x80 (one signed compare for both), in the hottest loop.
                (local.set $type (i32.const 1)) ;; T_STRING
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (block $closed
                  (loop $run
                    (local.set $v (v128.load (local.get $i)))
                    (local.set $bits
                      (i8x16.bitmask
                        (v128.or
                          (i8x16.lt_s (local.get $v) (v128.const i32x4 0x20202020 0x20202020 0x20202020 0x20202020))
                          (v128.or
                            (i8x16.eq (local.get $v) (v128.const i32x4 0x22222222 0x22222222 0x22222222 0x22222222))
                            (i8x16.eq (local.get $v) (v128.const i32x4 0x5c5c5c5c 0x5c5c5c5c 0x5c5c5c5c 0x5c5c5c5c))))))
                    (if (i32.eqz (local.get $bits))
                      (then
                        (local.set $i (i32.add (local.get $i) (i32.const 16)))
                        (br $run)))
                    (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $bits))))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (br_if $closed (i32.eq (local.get $c) (i32.const 0x22)))
                    (if (i32.ne (local.get $c) (i32.const 0x5c)) (then (return (i32.const -1)))) ;; control (invalid) or non-ASCII
                    (local.set $type (i32.const 2)) ;; T_ESCAPED
                    (local.set $i (call $escape (local.get $i)))
                    (br_if $run (i32.ge_s (local.get $i) (i32.const 0)))
                    (return (i32.const -1))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (if (local.get $keyMode)
                  (then
                    ;; that was a key: its `:`, then its value (recorded nowhere)
                    (local.set $keyMode (i32.const 0))
                    (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skip (local.get $i)))))
                    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const -1))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $value)))
                (br $scalar)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))
              (then
                (local.set $i (call $number (local.get $i)))
                (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const -1))))
                (local.set $type (i32.const 3)) ;; T_NUMBER
                (br $scalar)))
            (if (i32.eq (i32.load (local.get $i)) (i32.const 0x65757274)) ;; "true"
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (local.set $type (i32.const 6)) ;; T_TRUE
                (br $scalar)))
            (if (i32.and (i32.eq (local.get $c) (i32.const 0x66)) (i32.eq (i32.load offset=1 (local.get $i)) (i32.const 0x65736c61))) ;; "f" "alse"
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 5)))
                (local.set $type (i32.const 7)) ;; T_FALSE
                (br $scalar)))
            (if (i32.eq (i32.load (local.get $i)) (i32.const 0x6c6c756e)) ;; "null"
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (local.set $type (i32.const 8)) ;; T_NULL
                (br $scalar)))
            (return (i32.const -1)))
          (if (local.get $ref)
            (then
              (i32.store (local.get $ref)
                (i32.add (i32.shl (i32.sub (local.get $from) (local.get $data)) (i32.const 4)) (local.get $type)))
              (i32.store offset=4 (local.get $ref) (i32.sub (local.get $i) (local.get $data))))))
        ;; After a value: `,` or the end of its container(s).
        (loop $after
          (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skip (local.get $i)))))
          (if (i32.eqz (local.get $depth))
            (then
              (if (i32.ne (local.get $i) (local.get $end)) (then (return (i32.const -1))))
              (return (i32.load offset=4 (local.get $flags)))))
          (local.set $c (i32.load8_u (local.get $i)))
          (local.set $open (i32.add (i32.const 16368) (i32.shl (local.get $depth) (i32.const 4)))) ;; depth - 1
          (if (i32.eq (local.get $c) (i32.const 0x2c))
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (if (i32.eq (i32.load (local.get $open)) (i32.const 2))
                (then
                  (local.set $ref (i32.const 0))
                  (local.set $node (i32.const -1))
                  (br $value)))
              (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skip (local.get $i)))))
              (br $key)))
          (if (i32.eq (local.get $c) (i32.sub (i32.const 0x9d) (i32.shl (i32.load (local.get $open)) (i32.const 5)))) ;; `}` (0x7d) of an object (1), `]` (0x5d) of an array (2)
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
              (local.set $ref (i32.load offset=8 (local.get $open)))
              (if (local.get $ref)
                (then (i32.store offset=4 (local.get $ref) (i32.sub (local.get $i) (local.get $data)))))
              (br $after)))
          (return (i32.const -1))))
      ;; A key at i in the object at depth - 1: `"key":`, then its value. Where the value is recorded (0: nowhere)
      ;; and the node tracked inside it (-1: none) go to ref and node.
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x22)) (then (return (i32.const -1))))
      (local.set $open (i32.add (i32.const 16368) (i32.shl (local.get $depth) (i32.const 4))))
      (local.set $ref (i32.const 0))
      (local.set $node (i32.load offset=4 (local.get $open)))
      (if (i32.lt_s (local.get $node) (i32.const 0))
        (then
          ;; below the tracked levels: read as a string value is, then its `:` (keyMode)
          (local.set $keyMode (i32.const 1))
          (br $value))
        (else
          ;; A tracked level: first the tracked key the text begins with, if any (its bytes and closing quote).
          (local.set $ks (i32.add (local.get $i) (i32.const 1)))
          ;; $bucket, written out
          (local.set $w (i32.load (local.get $ks)))
          (local.set $q (i32.xor (local.get $w) (i32.const 0x22222222)))
          (local.set $q (i32.and (i32.and (i32.sub (local.get $q) (i32.const 0x01010101)) (i32.xor (local.get $q) (i32.const -1))) (i32.const 0x80808080)))
          (local.set $w (i32.and (local.get $w) (i32.xor (local.get $q) (i32.sub (local.get $q) (i32.const 1)))))
          (local.set $h
            (i32.shr_u
              (i32.mul (i32.xor (local.get $w) (i32.mul (local.get $node) (i32.const 0x2545f491))) (i32.const 0x9e3779b1))
              (i32.const 22)))
          (block $keyDone
            (block $untracked
              (loop $probe
                (local.set $e (i32.load offset=12288 (i32.shl (local.get $h) (i32.const 2))))
                (br_if $untracked (i32.eqz (local.get $e)))
                (local.set $e (i32.shl (i32.sub (local.get $e) (i32.const 1)) (i32.const 5)))
                (local.set $len (i32.load offset=4 (local.get $e)))
                (if (i32.and (i32.eq (i32.load offset=16 (local.get $e)) (local.get $node))
                             (i32.lt_u (i32.add (local.get $ks) (local.get $len)) (local.get $end)))
                  (then
                    ;; up to 7 bytes and the quote in one masked compare, longer keys in $same
                    (if (if (result i32) (i32.lt_u (local.get $len) (i32.const 8))
                          (then
                            (i64.eqz
                              (i64.and
                                (i64.xor (i64.load (i32.load (local.get $e))) (i64.load (local.get $ks)))
                                (i64.shr_u (i64.const -1) (i64.extend_i32_u (i32.shl (i32.sub (i32.const 7) (local.get $len)) (i32.const 3)))))))
                          (else (call $same (i32.load (local.get $e)) (local.get $ks) (i32.add (local.get $len) (i32.const 1)))))
                      (then
                        ;; its value's pair, unless already recorded (a tracked key twice)
                        (local.set $ref (i32.add (local.get $out) (i32.shl (i32.load offset=8 (local.get $e)) (i32.const 3))))
                        (if (i32.load (local.get $ref)) (then (return (i32.const -1))))
                        (local.set $node (i32.load offset=12 (local.get $e)))
                        (if (i32.load offset=20 (local.get $e)) (then (i32.store (local.get $flags) (i32.const 1)))) ;; F_DOTTED_KEY
                        (local.set $i (i32.add (i32.add (local.get $ks) (local.get $len)) (i32.const 1)))
                        (br $keyDone)))))
                (local.set $h (i32.and (i32.add (local.get $h) (i32.const 1)) (i32.const 1023)))
                (br $probe)))
            ;; Another key: to its closing quote, 16 bytes at a time, stopping also at `.` and `{`.
            (local.set $node (i32.const -1))
            (local.set $i (local.get $ks))
            (block $closed
              (loop $run
                (local.set $v (v128.load (local.get $i)))
                (local.set $bits
                  (i8x16.bitmask
                    (v128.or
                      (v128.or
                        (i8x16.lt_s (local.get $v) (v128.const i32x4 0x20202020 0x20202020 0x20202020 0x20202020))
                        (v128.or
                          (i8x16.eq (local.get $v) (v128.const i32x4 0x22222222 0x22222222 0x22222222 0x22222222))
                          (i8x16.eq (local.get $v) (v128.const i32x4 0x5c5c5c5c 0x5c5c5c5c 0x5c5c5c5c 0x5c5c5c5c))))
                      (v128.or
                        (i8x16.eq (local.get $v) (v128.const i32x4 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e))
                        (i8x16.eq (local.get $v) (v128.const i32x4 0x7b7b7b7b 0x7b7b7b7b 0x7b7b7b7b 0x7b7b7b7b))))))
                (if (i32.eqz (local.get $bits))
                  (then
                    (local.set $i (i32.add (local.get $i) (i32.const 16)))
                    (br $run)))
                (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $bits))))
                (local.set $c (i32.load8_u (local.get $i)))
                (br_if $closed (i32.eq (local.get $c) (i32.const 0x22)))
                ;; an escape, a control or a non-ASCII byte in a tracked level's key
                (if (i32.and (i32.ne (local.get $c) (i32.const 0x2e)) (i32.ne (local.get $c) (i32.const 0x7b)))
                  (then (return (i32.const -1))))
                (i32.store (local.get $flags) (i32.const 1)) ;; F_DOTTED_KEY
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $run)))
            (local.set $len (i32.sub (local.get $i) (local.get $ks)))
            (if (i32.eq (local.get $depth) (i32.const 1))
              (then
                ;; an untracked top-level member: declined if its key came before
                (local.set $n (i32.load offset=4 (local.get $flags)))
                (local.set $m (i32.add (local.get $flags) (i32.const 8)))
                (local.set $last (i32.add (local.get $m) (i32.shl (local.get $n) (i32.const 4))))
                (block $new
                  (loop $member
                    (br_if $new (i32.ge_u (local.get $m) (local.get $last)))
                    (if (i32.eq (i32.sub (i32.load offset=4 (local.get $m)) (i32.load (local.get $m))) (local.get $len))
                      (then
                        (if (call $same (i32.add (local.get $data) (i32.load (local.get $m))) (local.get $ks) (local.get $len))
                          (then (return (i32.const -1))))))
                    (local.set $m (i32.add (local.get $m) (i32.const 16)))
                    (br $member)))
                (if (i32.ge_u (local.get $n) (global.get $maxMembers)) (then (return (i32.const -1))))
                (i32.store offset=4 (local.get $flags) (i32.add (local.get $n) (i32.const 1)))
                (i32.store (local.get $last) (i32.sub (local.get $ks) (local.get $data)))
                (i32.store offset=4 (local.get $last) (i32.sub (local.get $i) (local.get $data)))
                (i32.store offset=8 (local.get $last) (i32.const 0))
                (i32.store offset=12 (local.get $last) (i32.const 0))
                (local.set $ref (i32.add (local.get $last) (i32.const 8)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1))))))
      (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skip (local.get $i)))))
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const -1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $value))
    (i32.const -1)))
