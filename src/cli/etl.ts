import { main } from './main.ts';

await main('etl', new URL('./etl/', import.meta.url));
