#pragma once
// The script `node -e` runs for eval_with_node (node_eval.hpp); argv[1] is the file's absolute path.
namespace corral::pm2 {

inline constexpr const char* kNodeEvalScript = R"JS(
const file = process.argv[1];
const dropped = [];
function clean(value, path, seen) {
  const type = typeof value;
  if (type === 'function' || type === 'undefined' || type === 'symbol' || type === 'bigint') {
    dropped.push(`${path || 'module.exports'} (${type})`);
    return undefined;
  }
  if (value === null || type !== 'object') return value;
  if (typeof value.toJSON === 'function') return value.toJSON();
  if (seen.has(value)) {
    dropped.push(`${path} (a circular reference)`);
    return undefined;
  }
  seen.add(value);
  let out;
  if (Array.isArray(value)) {
    out = value.map((v, i) => {
      const c = clean(v, `${path}[${i}]`, seen);
      return c === undefined ? null : c;
    });
  } else {
    out = {};
    for (const key of Object.keys(value)) {
      const c = clean(value[key], path ? `${path}.${key}` : key, seen);
      if (c !== undefined) out[key] = c;
    }
  }
  seen.delete(value);
  return out;
}
async function load() {
  const asModule = async () => (await import(require('url').pathToFileURL(file).href)).default;
  if (file.endsWith('.mjs')) return asModule();
  try {
    return require(file);
  } catch (e) {
    const esm = e && (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE' ||
                      (e instanceof SyntaxError && /\b(export|import)\b/.test(e.message)));
    if (esm) return asModule();
    throw e;
  }
}
(async () => {
  const exported = await load();
  const config = clean(exported, '', new Set());
  process.stdout.write(JSON.stringify({ config: config === undefined ? null : config, dropped }), () => process.exit(0));
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n', () => process.exit(1));
});
)JS";

}  // namespace corral::pm2
