'use strict';
// Preloaded (-r) into a server run with --cpu-prof: Node writes the profile only on a normal
// exit, so turn SIGTERM/SIGINT into process.exit().
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
