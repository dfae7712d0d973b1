/**
 * Entry point of the `gami` command line (the program is bin/cli.ts). Run by the `bin/gami.js` launcher
 * (`npx gami`), `npm run gami -- <command>` and `npm start` (`gami demo`).
 *
 * Nothing imports this file: `./gami` would resolve to the JavaScript launcher beside it under Node's and
 * Jest's resolvers. Import bin/cli instead.
 */
import { cli } from './cli';

cli();
