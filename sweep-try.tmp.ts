import { benchSweep } from './bench/retention-sweep';
benchSweep(Number(process.argv[2])).then((f) => console.log(JSON.stringify(f)), (e) => { console.error(e); process.exit(1); });
