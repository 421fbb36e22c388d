import ora, { type Ora } from 'ora';

/**
 * A spinner on stderr, only on a terminal that reports its width: on a pseudo-terminal with no size (script(1),
 * some CI runners) ora divides by zero columns and clears lines forever. stdin is left alone, since fix prompts
 * on it afterwards.
 */
export function startSpinner(text: string): Ora | undefined {
  const stream = process.stderr;
  if (!stream.isTTY || !(stream.columns > 0)) return undefined;
  return ora({ text, stream, discardStdin: false }).start();
}
