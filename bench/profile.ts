// CPU profiles of one benchmark phase at a time, written where Chrome DevTools and
// `speedscope` open them: the figures say a target was missed, the profile says why.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

/**
 * Runs `phase` under V8's sampling profiler and writes `<dir>/<name>.cpuprofile`; with no
 * `dir` it only runs `phase`.
 *
 * @example
 * const rate = await profiled(values.profile, 'framework-noop', () => framework(topic, n));
 */
export async function profiled<T>(
  dir: string | undefined,
  name: string,
  phase: () => Promise<T>,
): Promise<T> {
  if (!dir) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`  (profile of this phase: ${file})`);
    session.disconnect();
  }
}
