// Preloaded into a child (`node --import`): on exit, writes the process's own peak RSS (kB, from
// process.resourceUsage(), which covers its worker threads) to $MEDIMG_RSS_OUT.
import fs from 'node:fs';

process.on('exit', () => {
  if (process.env.MEDIMG_RSS_OUT) fs.writeFileSync(process.env.MEDIMG_RSS_OUT, String(process.resourceUsage().maxRSS));
});
