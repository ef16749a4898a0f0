import net from 'node:net';

/**
 * A TCP port free right now on 127.0.0.1, for a child process to listen on. Fixed ports in
 * tests are fragile: they sit in Linux's ephemeral range, so any outgoing connection of the
 * machine may hold one at the moment a child wants to listen.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
