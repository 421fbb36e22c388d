// fix's terminal: the prompt it asks on and the spinner it shows while apply waits, handed to apply as callbacks.
import { createInterface } from 'node:readline/promises';
import type { Ora } from 'ora';
import { PromptClosedError } from '../remedy/apply.js';
import { startSpinner } from '../util/spinner.js';

/** Asks on `output`, reads the answer from `input`; rejects with PromptClosedError when the input is closed or interrupted. */
export function promptOn(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): (q: string) => Promise<string> {
  return async (question: string) => {
    const rl = createInterface({ input, output });
    const closed = new Promise<never>((_, reject) => rl.once('close', () => reject(new PromptClosedError())));
    closed.catch(() => undefined);
    try {
      return (await Promise.race([rl.question(question), closed])).trim();
    } catch (err) {
      // readline rejects with AbortError on Ctrl+C and Ctrl+D.
      if (err instanceof PromptClosedError || (err as Error)?.name === 'AbortError') throw new PromptClosedError();
      throw err;
    } finally {
      rl.close();
    }
  };
}

/** Prompts on the terminal (stderr), or undefined when there is none. */
export function terminalPrompt(): ((q: string) => Promise<string>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return promptOn(process.stdin, process.stderr);
}

/** apply's progress as a spinner on stderr: started by the first text, updated by the next, stopped by undefined. */
export function spinnerProgress(start: (text: string) => Ora | undefined = startSpinner): (text: string | undefined) => void {
  let spinner: Ora | undefined;
  let started = false;
  return (text) => {
    if (text === undefined) {
      spinner?.stop();
      spinner = undefined;
      started = false;
    } else if (!started) {
      spinner = start(text);
      started = true;
    } else if (spinner) {
      spinner.text = text;
    }
  };
}
