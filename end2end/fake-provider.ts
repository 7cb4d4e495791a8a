// A local fake AI provider for the end-to-end suite (tests must not reach the internet).
// OpenAI-style `GET /v1/models` and Anthropic-style `GET /anthropic/v1/models`: a key that
// contains `VALID` is accepted, anything else gets a 401 that echoes the key (as some real
// providers do), so specs can check Keygate never shows upstream error text.
//
// It also answers `POST /v1/chat/completions` (JSON, or SSE with `"stream": true`; a final
// usage chunk only with `stream_options.include_usage`) and `POST /anthropic/v1/messages`
// (JSON), with the same usage numbers as the Rust fake in server/tests/common/.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const CREATED = 1700000000;
const TEXT = 'Hello from fake';
const PIECES = ['Hello', ' from', ' fake'];
const CHAT_USAGE = {
  prompt_tokens: 11,
  completion_tokens: 7,
  total_tokens: 18,
  prompt_tokens_details: { cached_tokens: 3 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

function credential(req: http.IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const apiKey = req.headers['x-api-key'];
  return Array.isArray(apiKey) ? apiKey[0] : apiKey ?? '';
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The JSON body of a request; `{}` when it is empty or not JSON. */
function readJson(req: http.IncomingMessage): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(parsed !== null && typeof parsed === 'object' ? parsed : {});
      } catch {
        resolve({});
      }
    });
    req.on('error', () => resolve({}));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function listModels(req: http.IncomingMessage, res: http.ServerResponse): void {
  const key = credential(req);
  if (key.includes('VALID')) {
    res.writeHead(200, { 'content-type': 'application/json', 'openai-organization': 'org-e2e' })
      .end('{"object":"list","data":[{"id":"gpt-4o-mini"}]}');
  } else {
    res.writeHead(401, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
  }
}

async function chatCompletions(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readJson(req);
  const key = credential(req);
  if (!key.includes('VALID')) {
    sendJson(res, 401, {
      error: {
        message: `Incorrect API key provided: ${key}`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      },
    });
    return;
  }
  const model = typeof body.model === 'string' ? body.model : '';
  if (body.stream !== true) {
    sendJson(res, 200, {
      id: 'chatcmpl-fake1',
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, finish_reason: 'stop' }],
      usage: CHAT_USAGE,
    });
    return;
  }
  const chunk = (delta: unknown, finishReason: string | null) => ({
    id: 'chatcmpl-fake1',
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  });
  const events: unknown[] = [chunk({ role: 'assistant', content: '' }, null)];
  for (const piece of PIECES) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, 'stop'));
  if (body.stream_options?.include_usage === true) {
    events.push({
      id: 'chatcmpl-fake1',
      object: 'chat.completion.chunk',
      created: CREATED,
      model,
      choices: [],
      usage: CHAT_USAGE,
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of events) {
    await sleep(20);
    res.write(`data: ${JSON.stringify(event)}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

async function anthropicMessages(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readJson(req);
  if (req.headers['anthropic-version'] === undefined) {
    sendJson(res, 400, {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    return;
  }
  const key = credential(req);
  if (!key.includes('VALID')) {
    sendJson(res, 401, {
      type: 'error',
      error: { type: 'authentication_error', message: `invalid x-api-key: ${key}` },
    });
    return;
  }
  sendJson(res, 200, {
    id: 'msg_fake1',
    type: 'message',
    role: 'assistant',
    model: typeof body.model === 'string' ? body.model : '',
    content: [{ type: 'text', text: TEXT }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 13,
      output_tokens: 9,
      cache_read_input_tokens: 2,
      cache_creation_input_tokens: 0,
    },
  });
}

/** Starts the fake on a free loopback port and returns its base URL. */
export async function startFakeProvider(): Promise<string> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    let handled: Promise<void> | undefined;
    if (req.method === 'GET' && (req.url === '/v1/models' || req.url === '/anthropic/v1/models')) {
      listModels(req, res);
      return;
    } else if (req.method === 'POST' && path === '/v1/chat/completions') {
      handled = chatCompletions(req, res);
    } else if (req.method === 'POST' && path === '/anthropic/v1/messages') {
      handled = anthropicMessages(req, res);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    handled.catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Lives as long as the test runner; never keeps it from exiting.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
