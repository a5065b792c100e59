import type { TestOutcome } from './testing.js';

/**
 * What the text report (`vigil test`) and the JUnit report say about a test's malformed data lines, or null when there
 * were none.
 */
export function malformedNote(o: Pick<TestOutcome, 'malformed' | 'firstMalformed'>): string | null {
  return o.malformed > 0 ? `${o.malformed} malformed line${o.malformed === 1 ? '' : 's'} of the test data skipped (first: ${o.firstMalformed})` : null;
}

/** Characters XML 1.0 cannot hold at all (C0 controls but tab and line ends, lone surrogates, U+FFFE/FFFF). */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Text as an attribute value: what XML cannot hold becomes U+FFFD (a failure quoting a binary dataset's line made the
 * report unreadable), and line ends and tabs are character references, which attribute normalization would turn into
 * spaces (a caret display keeps its lines).
 */
const esc = (s: string) =>
  s
    .replace(NOT_XML, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');

/** A JUnit XML report (one testsuite per detection), as CI systems read it. */
export function junitXml(outcomes: readonly TestOutcome[]): string {
  const suites = new Map<string, TestOutcome[]>();
  for (const o of outcomes) suites.set(o.detection, [...(suites.get(o.detection) ?? []), o]);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = outcomes.filter((o) => o.status === 'fail').length;
  const errors = outcomes.filter((o) => o.status === 'error').length;
  const skipped = outcomes.filter((o) => o.status === 'skip').length;
  const total = outcomes.reduce((s, o) => s + o.durationMs, 0) / 1000;
  lines.push(`<testsuites name="vigil" tests="${outcomes.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${total.toFixed(3)}">`);
  for (const [name, os] of suites) {
    const t = os.reduce((s, o) => s + o.durationMs, 0) / 1000;
    lines.push(
      `  <testsuite name="${esc(name)}" tests="${os.length}" failures="${os.filter((o) => o.status === 'fail').length}" errors="${os.filter((o) => o.status === 'error').length}" skipped="${os.filter((o) => o.status === 'skip').length}" time="${t.toFixed(3)}">`,
    );
    for (const o of os) {
      lines.push(`    <testcase classname="${esc(name)}" name="${esc(`${o.testType}: ${o.test} (${o.dataset})`)}" time="${(o.durationMs / 1000).toFixed(3)}">`);
      if (o.status === 'fail') lines.push(`      <failure message="${esc(o.message)}"/>`);
      if (o.status === 'error') lines.push(`      <error message="${esc(o.message)}"/>`);
      if (o.status === 'skip') lines.push(`      <skipped message="${esc(o.message)}"/>`);
      // As the text report says it: a test that found nothing because its data's lines were malformed says why.
      const note = malformedNote(o);
      if (note !== null) lines.push(`      <system-err>${esc(note)}</system-err>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
