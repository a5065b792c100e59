import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { scheduleSettings, unmatchedPatterns } from '../../src/schedule/settings.js';

/**
 * The config's detection and story patterns are checked against the content: one that matches nothing (a typo in
 * `detections.disable`) left its detection running without a word. `vigil serve` logs these, `vigil schedule`
 * prints them; matching is isScheduled's (any case, * wildcards), so only a pattern matching nothing is named.
 */
const pack = loadContent();

describe('unmatchedPatterns', () => {
  it('the default config and the example file\'s patterns all match the bundled content', () => {
    expect(unmatchedPatterns(pack.detections, scheduleSettings(undefined, undefined))).toEqual([]);
    const example = scheduleSettings(undefined, {
      enable: ['Cisco Isovalent - *', 'Risk - *'],
      disable: ['Cisco Isovalent - Shell Execution'],
      stories: { enable: [], disable: [] },
      realtime: ['Cisco Isovalent - Curl Execution With Insecure Flags'],
    });
    expect(unmatchedPatterns(pack.detections, example)).toEqual([]);
  });

  it('names each pattern of each list that matches no detection name or id, or no analytic story', () => {
    const seed = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
    const s = scheduleSettings(undefined, {
      // Matches: any case, a wildcard, an id. Not: a name cut short, a story name given as a detection's.
      enable: ['cisco isovalent - *', seed.id, 'Cisco Isovalent - Shel Execution'],
      disable: ['Cisco Isovalent - Shell Executio', 'Risk Based Analytics (RBA)'],
      realtime: ['CISCO ISOVALENT - CURL*', 'Curl'],
      stories: { enable: ['risk based analytics (rba)'], disable: ['Risk Based Analytics'] },
    });
    expect(unmatchedPatterns(pack.detections, s)).toEqual([
      'detections.enable "Cisco Isovalent - Shel Execution" matches no detection name or id of the content',
      'detections.disable "Cisco Isovalent - Shell Executio" matches no detection name or id of the content',
      'detections.disable "Risk Based Analytics (RBA)" matches no detection name or id of the content',
      'detections.realtime "Curl" matches no detection name or id of the content',
      'detections.stories.disable "Risk Based Analytics" matches no analytic story of the content',
    ]);
  });
});
