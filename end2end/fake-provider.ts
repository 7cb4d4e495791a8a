// A local fake AI provider for the end-to-end suite (tests must not reach the internet).
// OpenAI-style `GET /v1/models` and Anthropic-style `GET /anthropic/v1/models`: a key that
// contains `VALID` is accepted, anything else gets a 401 that echoes the key (as some real
// providers do), so specs can check Keygate never shows upstream error text.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

function credential(req: http.IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const apiKey = req.headers['x-api-key'];
  return Array.isArray(apiKey) ? apiKey[0] : apiKey ?? '';
}

/** Starts the fake on a free loopback port and returns its base URL. */
export async function startFakeProvider(): Promise<string> {
  const server = http.createServer((req, res) => {
    const known = req.method === 'GET' && (req.url === '/v1/models' || req.url === '/anthropic/v1/models');
    if (!known) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const key = credential(req);
    if (key.includes('VALID')) {
      res.writeHead(200, { 'content-type': 'application/json', 'openai-organization': 'org-e2e' })
        .end('{"object":"list","data":[{"id":"gpt-4o-mini"}]}');
    } else {
      res.writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Lives as long as the test runner; never keeps it from exiting.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
