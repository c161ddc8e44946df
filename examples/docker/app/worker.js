// The example's background worker: a line on stdout every 10 s, and its problems on stderr, so that
// `docker logs` / `kubectl logs` show both streams, each line prefixed with its instance by corral.
let ticks = 0;
setInterval(() => {
  ticks += 1;
  console.log(`tick ${ticks}`);
  if (ticks % 6 === 0) console.error(`worker: queue is behind (tick ${ticks})`);
}, 10_000);
process.on('SIGTERM', () => {
  console.log('worker: finishing the current job, then exiting');
  setTimeout(() => process.exit(0), 200);
});
