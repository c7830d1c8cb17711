/** A free TCP port on 127.0.0.1, the preferred one when it is free. */
import { createServer } from 'node:net';

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : port));
    });
  });
}

export async function freeTcpPort(preferred?: number | null): Promise<number> {
  if (preferred) {
    try {
      return await listenOn(preferred);
    } catch {
      // taken: any free port
    }
  }
  return listenOn(0);
}
