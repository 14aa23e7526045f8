/** A local HTTP server that records what it receives: stands in for Slack and GitHub, which cannot run here. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface Recorder {
  url: string;
  requests: RecordedRequest[];
  /** Sets the reply for requests whose "METHOD path" starts with the key. */
  reply(key: string, status: number, body: unknown): void;
  close(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const replies = new Map<string, { status: number; body: unknown }>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // keep the text
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const key = [...replies.keys()].find((k) => `${req.method} ${req.url}`.startsWith(k));
      const r = key ? replies.get(key)! : { status: 200, body: { ok: true } };
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (key, status, body) => replies.set(key, { status, body }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
