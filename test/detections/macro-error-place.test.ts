import { describe, expect, it } from 'vitest';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import { parseSearch, SplError } from '../../src/spl/index.js';

// An error at a macro call inside another macro's definition is shown in that definition, carets under the call as
// written there: a call with `$arg$`s (`inner($f$, $v$)`) is longer once they are substituted, and the carets ran on past
// it by the difference (SPL errors point at line:column, the caret under what is wrong).
describe('an error at a macro call inside a macro', () => {
  const lib = new MacroLibrary();
  lib.define({ name: 'outer', args: ['f', 'v'], definition: '`inner($f$, $v$)` /* filter */ | eval z="$f$"', file: 'macros/outer.yml' });
  lib.define({ name: 'inner', args: [], definition: 'search *', file: 'macros/inner.yml' });

  it('underlines the call as its definition writes it', () => {
    let err: unknown;
    try {
      parseSearch('| makeresults | `outer(process_name, "curl")`', lib);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SplError);
    const lines = (err as SplError).format().split('\n');
    expect(lines[0]).toBe('macro `inner` takes 0 argument(s), got 2 [SPL_MACRO_ARGS]');
    expect(lines.slice(1, 4)).toEqual(['  at macro `outer(2)` 1:1', '  | `inner($f$, $v$)` /* filter */ | eval z="$f$"', '  | ^^^^^^^^^^^^^^^^^']);
  });
});
