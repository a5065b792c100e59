import { describe, expect, it } from 'vitest';
import { classifyHecReply } from '../../src/outputs/splunk-hec.js';
import { classifyWebhookReply } from '../../src/outputs/webhook.js';

// A receiver's reply text reaches the log (stderr) and the outbox's lastError, shown by the API and console.
describe("a hostile receiver's reply text in errors", () => {
  const hostile = 'bad\u001b[2K\r\nvigil alerts info: all delivered\u0000\u202e';

  it('webhook: one line, no control characters', () => {
    const o = classifyWebhookReply({ status: 500, headers: {}, body: hostile }, 1000);
    expect(o).toEqual({ status: 'retry', error: 'HTTP 500: bad\ufffd[2K vigil alerts info: all delivered\ufffd\ufffd' });
  });

  it("HEC: the reply's text field is bounded to one short line too", () => {
    const { outcomes } = classifyHecReply({ status: 400, headers: {}, body: JSON.stringify({ code: 6, text: hostile + 'x'.repeat(10_000) }) }, 1, 1000);
    const error = (outcomes[0] as { error: string }).error;
    expect(error).toMatch(/^HEC HTTP 400 code 6: bad\ufffd\[2K vigil alerts info: all delivered\ufffd\ufffdx+…$/);
    expect(error.length).toBeLessThan(300);
  });
});
