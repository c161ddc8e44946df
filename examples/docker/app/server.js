// The example's web service: an unmodified Node HTTP server. corral holds port 8080 and every instance shares
// it (corral.toml: listen); /healthz is what the Kubernetes readiness probe asks.
const http = require('http');

const instance = process.env.CORRAL_INSTANCE;
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok\n');
  console.log(`${req.method} ${req.url}`);
  res.end(`hello from web#${instance} (pid ${process.pid})\n`);
});
server.listen(8080, () => console.log(`web#${instance} listening on :8080`));
