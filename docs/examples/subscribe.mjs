// Read candlecast predictions from Node.js with the official redis client (npm ci here first).
//   node subscribe.mjs [REDIS_URL] [STREAM] [COUNT]
// COUNT 0 follows the stream forever; otherwise stop after COUNT predictions (or 5 s of quiet).
import { createClient } from "redis";

const [url = "redis://127.0.0.1:6379/0", stream = "candlecast:predictions", countArg = "0"] =
  process.argv.slice(2);
const count = Number(countArg);
const client = createClient({ url });
client.on("error", (err) => {
  console.error(`redis: ${err.message}`);
  process.exit(5);
});
await client.connect();

let last = "0"; // "0": from the oldest kept; "$": only what comes next
let seen = 0;
while (count === 0 || seen < count) {
  const reply = await client.xRead({ key: stream, id: last }, { BLOCK: 5000, COUNT: 100 });
  if (!reply) {
    if (count) break;
    continue;
  }
  for (const { messages } of reply) {
    for (const { id, message } of messages) {
      last = id;
      const p = JSON.parse(message.__data__);
      console.log(`${p.symbol} ${p.ts} P(up)=${p.prob_up.toFixed(4)} ${p.model_version}`);
      seen += 1;
    }
  }
}
await client.quit();
