import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Env, Hono } from 'hono';
import type { HttpConfig } from '../config/config.js';
import { VigilError } from '../errors.js';
import { nodeTimeouts } from '../hec/index.js';

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/** Serves a Hono app on the API/console port, over TLS when the config has a certificate. */
export async function listenHttp<E extends Env>(app: Hono<E>, config: HttpConfig): Promise<HttpServer> {
  const tls = config.tls ? { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) } : null;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new VigilError('CONFIG', `the API cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}`, { cause: err }));
    const server: ServerType = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        // Request timeouts as the HEC's (slowloris on headers, node's whole-request backstop); bodies are timed by `bodyLimit`.
        serverOptions: { ...tls, ...nodeTimeouts(config.timeouts) },
        ...(tls ? { createServer: createHttpsServer } : {}),
      },
      (info: AddressInfo) => {
        server.off('error', onError);
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
          close: () =>
            new Promise<void>((res) => {
              server.close(() => res());
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      },
    );
    server.once('error', onError);
  });
}
