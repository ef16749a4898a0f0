import { createServer } from 'node:http';

// A stand-in for a consumer group under `npm start`: it reports its health port over IPC,
// answers /health healthy for FAKE_HEALTHY_MS, then stalled (503 unhealthy); it exits on
// SIGTERM, unless FAKE_IGNORE_TERM is set (then only SIGKILL ends it).
const healthyMs = Number(process.env.FAKE_HEALTHY_MS ?? 0);
const started = Date.now();
let asked = 0;
const server = createServer((_, res) => {
  console.log(`health asked ${++asked}`);
  const stalled = Date.now() - started >= healthyMs;
  res.writeHead(stalled ? 503 : 200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify(
      stalled
        ? {
            status: 'unhealthy',
            consumers: [{ group: 'fake', stalled: 'no progress for 75 s with a lag of 19317' }],
          }
        : { status: 'ok', consumers: [{ group: 'fake' }] },
    ),
  );
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`fake started pid=${process.pid}`);
  process.send?.({ type: 'outstream:health', port });
});
process.on('SIGTERM', () => {
  if (process.env.FAKE_IGNORE_TERM) {
    console.log('ignoring SIGTERM');
    return;
  }
  server.close();
  process.exit(0);
});
