import { main } from './main.ts';

await main('train', new URL('./train/', import.meta.url));
