import { describe, expect, it } from 'vitest';
import type { Ora } from 'ora';
import { spinnerProgress } from '../../src/cli/prompt.js';

describe('spinnerProgress: apply\'s progress shown as a spinner', () => {
  it('starts on the first text, shows each later one, and stops when the wait is over', () => {
    const started: string[] = [];
    const fake = { text: '', stopped: 0, stop() { this.stopped++; return this; } };
    const progress = spinnerProgress((text) => { started.push(text); fake.text = text; return fake as unknown as Ora; });
    progress('Waiting for f to clear');
    progress('Waiting for f to clear: the finding still shows');
    expect(started).toEqual(['Waiting for f to clear']);
    expect(fake.text).toBe('Waiting for f to clear: the finding still shows');
    progress(undefined);
    expect(fake.stopped).toBe(1);
    progress('Waiting for g to clear');
    expect(started).toEqual(['Waiting for f to clear', 'Waiting for g to clear']);
  });

  it('asks for a spinner once per wait when there is no terminal to spin on', () => {
    let asked = 0;
    const progress = spinnerProgress(() => { asked++; return undefined; });
    progress('a');
    progress('b');
    progress(undefined);
    expect(asked).toBe(1);
  });
});
