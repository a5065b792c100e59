#!/usr/bin/env python3
"""PCRE2 oracle for test/spl/regex/escu-census.test.ts: independent of vigil's translator.

Reads a JSON list of PCRE patterns on stdin; for each, makes subjects (random walks over Python's
parse of the pattern, their mutations, and fixed strings; seeded by the pattern, so the same every
run) and matches them with the system's libpcre2-8 in UTF mode, as Splunk compiles them. Writes one
JSON line per pattern: {"subjects": [...], "results": [null | [group0, group1, ...]]} or
{"error": "<PCRE2's message>"}. Exits 3 when libpcre2-8 cannot be loaded (the test then skips).
"""
import ctypes
import json
import random
import re
import sys

try:
    import re._parser as sre
    from re._constants import (ANY, ASSERT, ASSERT_NOT, AT, ATOMIC_GROUP, BRANCH, CATEGORY, CATEGORY_DIGIT,
                               CATEGORY_NOT_DIGIT, CATEGORY_NOT_SPACE, CATEGORY_NOT_WORD, CATEGORY_SPACE,
                               CATEGORY_WORD, GROUPREF, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, NOT_LITERAL,
                               POSSESSIVE_REPEAT, RANGE, SUBPATTERN)
except ImportError:  # Python < 3.11: no re._parser, nor possessive/atomic parsing
    sys.exit(3)
try:
    lib = ctypes.CDLL('libpcre2-8.so.0')
except OSError:
    sys.exit(3)

lib.pcre2_compile_8.restype = ctypes.c_void_p
lib.pcre2_compile_8.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32, ctypes.POINTER(ctypes.c_int),
                                ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
lib.pcre2_match_data_create_from_pattern_8.restype = ctypes.c_void_p
lib.pcre2_match_data_create_from_pattern_8.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.pcre2_match_8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_uint32,
                              ctypes.c_void_p, ctypes.c_void_p]
lib.pcre2_get_ovector_pointer_8.restype = ctypes.POINTER(ctypes.c_size_t)
lib.pcre2_get_ovector_pointer_8.argtypes = [ctypes.c_void_p]
lib.pcre2_get_ovector_count_8.argtypes = [ctypes.c_void_p]
lib.pcre2_get_error_message_8.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
lib.pcre2_code_free_8.argtypes = [ctypes.c_void_p]
lib.pcre2_match_data_free_8.argtypes = [ctypes.c_void_p]
PCRE2_UTF = 0x00080000
UNSET = ctypes.c_size_t(-1).value


def pcre2(pattern, subjects):
    pb = pattern.encode('utf-8')
    err, off = ctypes.c_int(), ctypes.c_size_t()
    code = lib.pcre2_compile_8(pb, len(pb), PCRE2_UTF, ctypes.byref(err), ctypes.byref(off), None)
    if not code:
        buf = ctypes.create_string_buffer(256)
        lib.pcre2_get_error_message_8(err.value, buf, 256)
        return {'error': buf.value.decode()}
    md = lib.pcre2_match_data_create_from_pattern_8(code, None)
    results = []
    for s in subjects:
        sb = s.encode('utf-8')
        rc = lib.pcre2_match_8(code, sb, len(sb), 0, 0, md, None)
        if rc < 0:
            results.append(None if rc == -1 else {'rc': rc})
            continue
        ov = lib.pcre2_get_ovector_pointer_8(md)
        n = lib.pcre2_get_ovector_count_8(md)
        results.append([None if ov[2 * i] == UNSET else sb[ov[2 * i]:ov[2 * i + 1]].decode('utf-8') for i in range(n)])
    lib.pcre2_match_data_free_8(md)
    lib.pcre2_code_free_8(code)
    return {'subjects': subjects, 'results': results}


CATEGORIES = {CATEGORY_DIGIT: '0123456789', CATEGORY_NOT_DIGIT: 'aZ_ -', CATEGORY_SPACE: ' \t\n\r\x0b\x0c',
              CATEGORY_NOT_SPACE: 'aZ9_-', CATEGORY_WORD: 'aZ9_', CATEGORY_NOT_WORD: ' -.\n/'}
OTHERS = 'aZ0 -.\n\\/:_"'


def walk(rnd, tree, out):
    """Appends to `out` one string the parsed pattern could match (lookarounds and references skipped)."""
    for op, av in tree:
        if op is LITERAL:
            out.append(chr(av))
        elif op is NOT_LITERAL:
            out.append(rnd.choice([c for c in OTHERS if ord(c) != av]))
        elif op is ANY:
            out.append(rnd.choice('aZ0 -.\r'))
        elif op is IN:
            chars, negated = [], False
            for o, a in av:
                if o is NEGATE:
                    negated = True
                elif o is LITERAL:
                    chars.append(chr(a))
                elif o is RANGE:
                    chars.append(chr(rnd.randint(a[0], min(a[1], a[0] + 300))))
                elif o is CATEGORY:
                    chars.append(rnd.choice(CATEGORIES.get(a, 'a')))
            if negated or not chars:
                chars = [c for c in OTHERS if c not in chars] or ['a']
            out.append(rnd.choice(chars))
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
            lo, hi, sub = av
            for _ in range(rnd.randint(lo, min(hi, lo + 3))):
                walk(rnd, sub, out)
        elif op is SUBPATTERN:
            walk(rnd, av[-1], out)
        elif op is ATOMIC_GROUP:
            walk(rnd, av, out)
        elif op is BRANCH:
            walk(rnd, rnd.choice(av[1]), out)
        # AT, ASSERT, ASSERT_NOT, GROUPREF: nothing


POSIX = {'alpha': '[a-zA-Z]', 'digit': '[0-9]', 'alnum': '[a-zA-Z0-9]', 'space': r'\s', 'upper': '[A-Z]',
         'lower': '[a-z]', 'punct': '[!-/]', 'xdigit': '[0-9a-f]', 'word': r'\w'}


def python_form(p):
    """Enough of PCRE in Python's syntax to generate subjects from (not to match with)."""
    p = re.sub(r'\(\?<([A-Za-z_]\w*)>', r'(?P<\1>', p)
    p = p.replace('\\A', '^').replace('\\z', '$').replace('\\Z', '$')
    p = re.sub(r'\[\[:(\w+):\]\]', lambda m: POSIX.get(m.group(1), 'a'), p)
    return re.sub(r'\\x\{([0-9a-fA-F]+)\}', lambda m: '\\U%08x' % int(m.group(1), 16), p)


def mutate(rnd, s):
    if not s:
        return 'x'
    i = rnd.randrange(len(s))
    return [s[:i] + s[i + 1:], s[:i] + s[i] + s[i:], s.swapcase(), s + '\n', 'x ' + s + ' y',
            s[:i] + rnd.choice(' \n\r-.\\/"\'aZ9\t') + s[i + 1:], s[i:] + s[:i]][rnd.randrange(7)]


FIXED = ['', 'a', '\n', 'abc\n', ' ', 'C:\\Windows\\System32\\cmd.exe', 'powershell.exe -enc AAAA',
         'https://x.example.com/a?b=c', '10.0.0.1', 'user@example.com']


def subjects_for(pattern):
    rnd = random.Random(pattern)
    subjects = set(FIXED)
    try:
        tree = sre.parse(python_form(pattern), re.ASCII)
    except Exception:  # Python cannot read it: the fixed subjects only
        return sorted(subjects)
    for _ in range(40):
        out = []
        walk(rnd, tree, out)
        s = ''.join(out)
        subjects.add(s)
        for _ in range(3):
            s = mutate(rnd, s)
            subjects.add(s)
    return sorted(subjects)


for pattern in json.load(sys.stdin):
    print(json.dumps(pcre2(pattern, subjects_for(pattern))))
