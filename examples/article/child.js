// The article's child, written the way it was: every message is appended to one of 200 files with
// fire-and-forget fs.appendFile.
const fs = require('fs');
const os = require('os');
const path = require('path');

const dir = process.env.OUT_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'article-'));
fs.mkdirSync(dir, { recursive: true });
let received = 0;
process.on('message', (m) => {
  received += 1;
  fs.appendFile(path.join(dir, `out-${m.seq % 200}.log`), `${m.seq} ${m.body}\n`, () => {});
});
setInterval(() => console.log(`received ${received}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB`), 5000);
