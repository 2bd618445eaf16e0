import { startLocalServer } from "../e2e/local-server";
import { startDashboard } from "../dashboard/test/platform";
const t0 = Date.now();
const lap = (s: string) => console.log(((Date.now() - t0) / 1000).toFixed(1), s);
const s = await startLocalServer(); lap("api up");
const d = await startDashboard(s.url); lap("dash up");
await d.stop(); lap("dash stopped");
await s.stop(); lap("api stopped");
