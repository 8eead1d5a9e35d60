/** (a) The bare HTTP ceiling: node:http parsing a JSON body and answering 201, nothing else. */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    if (req.url === '/readyz') return void res.writeHead(200).end('ok');
    const order = JSON.parse(body || '{}') as { quantity?: number };
    res
      .writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id: 'bare', status: 'HELD', quantity: order.quantity ?? 0 }));
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
