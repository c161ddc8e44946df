const http = require('http');

const port = Number(process.env.PORT || 8377);
let served = 0;
const server = http.createServer((req, res) => {
  served += 1;
  res.end(`hello from web (pid ${process.pid}), request #${served}\n`);
});
server.listen(port, '127.0.0.1', () => console.log(`web listening on http://127.0.0.1:${port}`));

// corral stops a service with its stop signal (SIGTERM here): finish what is in flight, then exit.
process.on('SIGTERM', () => {
  console.log('web: SIGTERM, closing the server');
  server.close(() => process.exit(0));
});
