/**
 * A TCP proxy in front of a test server, so a test can make it vanish, hang or come back (even as
 * another process) while the client under test keeps one URL.
 */
import { connect, createServer, type Socket } from 'node:net';

export type Route = { port: number } | 'refuse' | 'hang';

export interface RunningProxy {
  url: string;
  /** New connections go here; open ones are cut, so kept-alive clients reconnect and see it at once. */
  route(to: Route): void;
  close(): Promise<void>;
}

export async function startProxy(initial: Route): Promise<RunningProxy> {
  let target = initial;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (target === 'refuse') client.destroy();
    if (typeof target !== 'object') return;
    const upstream = connect(target.port, '127.0.0.1');
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    route(to) {
      target = to;
      for (const socket of open) socket.destroy();
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
