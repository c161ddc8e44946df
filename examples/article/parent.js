// The article's parent, written the way it was: it sends ~1 KiB objects to its child as fast as it can,
// never looking at what process.send() returns (MESSAGES_PER_SECOND caps the rate, sent every 10 ms). Under corral, process.send is the channel corral gives
// it and its messages go to the `child` service; run alone (`node parent.js`), it forks child.js itself
// and grows by about 1.8 KB for every message the child has not taken yet.
const { fork } = require('child_process');
const path = require('path');

const body = 'x'.repeat(1000);
const child = process.send ? process : fork(path.join(__dirname, 'child.js'));
const rate = Number(process.env.MESSAGES_PER_SECOND || 0);
const started = Date.now();
let sent = 0;
const flood = () => {
  const target = rate ? Math.floor(((Date.now() - started) * rate) / 1000) : sent + 2000;
  while (sent < target) child.send({ seq: sent++, body });
  if (rate) setTimeout(flood, 10);
  else setImmediate(flood);
};
setInterval(() => console.log(`sent ${sent}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB`), 5000);
flood();
