import { externalImportCommand } from '../../externalImport.ts';

export const command = externalImportCommand('oai');
