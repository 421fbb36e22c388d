import { afterEach, describe, expect, it } from 'vitest';
import { startSpinner } from '../../src/util/spinner.js';

const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean; columns: number };
const saved = { isTTY: stderr.isTTY, columns: stderr.columns };

describe('startSpinner', () => {
  afterEach(() => {
    stderr.isTTY = saved.isTTY;
    stderr.columns = saved.columns;
  });

  it('stays off on a terminal that reports no width (ora would clear lines forever there)', () => {
    stderr.isTTY = true;
    stderr.columns = 0;
    expect(startSpinner('Reading')).toBeUndefined();
  });

  it('stays off when stderr is not a terminal', () => {
    stderr.isTTY = false;
    stderr.columns = 120;
    expect(startSpinner('Reading')).toBeUndefined();
  });
});
