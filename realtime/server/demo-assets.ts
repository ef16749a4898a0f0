import { readFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const realtimeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const folders = { demo: 'demo', client: 'client' } as const;
const scriptName = /^[a-z0-9-]+\.ts$/;

/**
 * The demo page and the browser client, served from the source tree: TypeScript files are sent
 * with their types stripped (Node's own stripper, the same erasure that runs them on the
 * server), so the browser runs exactly the client code the tests run. Only plain file names
 * inside the two folders are served, never tests.
 */
export function createDemoAssets() {
  const cache = new Map<string, Promise<string | undefined>>();

  function load(file: string, transform: (text: string) => string): Promise<string | undefined> {
    let p = cache.get(file);
    if (!p) {
      p = readFile(file, 'utf8').then(transform, () => undefined);
      cache.set(file, p);
    }
    return p;
  }

  return {
    /** The demo page. */
    page(): Promise<string | undefined> {
      return load(path.join(realtimeDir, folders.demo, 'index.html'), (t) => t);
    },
    /** A script of `demo/` or `client/` as JavaScript, or undefined if there is no such file. */
    script(folder: keyof typeof folders, name: string): Promise<string | undefined> {
      if (!scriptName.test(name) || name.endsWith('.test.ts')) return Promise.resolve(undefined);
      return load(path.join(realtimeDir, folders[folder], name), (t) => stripTypeScriptTypes(t));
    },
  };
}
