// The benchmarks' model API as a process of its own: the canned fake OpenAI answering "pong", so its CPU is
// neither the gateway's nor the load generator's. Prints its base URL on stdout; exits when stdin closes.
import { startCannedOpenAI } from "../test/fakes/index.ts";

const fake = await startCannedOpenAI({ text: "pong", usage: { input: 50, output: 2 } });
process.stdout.write(`${fake.baseURL}\n`);
const exit = (): void => void fake.close().then(() => process.exit(0));
process.stdin.on("end", exit).resume();
process.on("SIGTERM", exit);
