// The article's parent, written the way it was: it sends ~1 KiB objects to its child as fast as it can,
// never looking at what process.send() returns. Under corral, process.send is the channel corral gives
// it and its messages go to the `child` service; run alone (`node parent.js`), it forks child.js itself
// and grows by about 1.8 KB for every message the child has not taken yet.
const { fork } = require('child_process');
const path = require('path');

const body = 'x'.repeat(1000);
const child = process.send ? process : fork(path.join(__dirname, 'child.js'));
let sent = 0;
const flood = () => {
  for (let i = 0; i < 2000; i++) child.send({ seq: sent++, body });
  setImmediate(flood);
};
setInterval(() => console.log(`sent ${sent}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB`), 5000);
flood();
