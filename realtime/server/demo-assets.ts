import { readdirSync } from 'node:fs';
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
 * server), so the browser runs exactly the client code the tests run. Which files exist is
 * listed once, at creation: plain script names inside the two folders, never tests. Any
 * other name is a 404 that costs nothing (no file read, nothing cached), so the cache holds
 * at most those few files whatever clients ask for.
 */
export function createDemoAssets() {
  const cache = new Map<string, Promise<string | undefined>>();
  const served = new Map<keyof typeof folders, ReadonlySet<string>>(
    (Object.keys(folders) as (keyof typeof folders)[]).map((folder) => [folder, listScripts(folder)]),
  );

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
      if (!served.get(folder)!.has(name)) return Promise.resolve(undefined);
      return load(path.join(realtimeDir, folders[folder], name), (t) => stripTypeScriptTypes(t));
    },
    /** How many files the cache holds (at most the page and the listed scripts). */
    get cached(): number {
      return cache.size;
    },
  };
}

function listScripts(folder: keyof typeof folders): ReadonlySet<string> {
  try {
    const names = readdirSync(path.join(realtimeDir, folders[folder]));
    return new Set(names.filter((n) => scriptName.test(n) && !n.endsWith('.test.ts')));
  } catch {
    return new Set();
  }
}
